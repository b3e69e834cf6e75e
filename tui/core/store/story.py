"""A bay's story and the hand-over (schema 13): notes on the bay row, what touched a bay,
and when each operator last looked."""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tui.core.store.base import StoreBase
from tui.model.entities import Event

if TYPE_CHECKING:
    from tui.model.story import JobLine


def _mentions(bay_id: str) -> str:
    """A LIKE pattern for a JSON text naming ``bay_id`` as a whole string value."""
    escaped = bay_id.replace("!", "!!").replace("%", "!%").replace("_", "!_")
    return f'%"{escaped}"%'


class StoryTables(StoreBase):
    def set_note(self, bay_id: str, text: str | None, operator: str, when: float) -> None:
        with self.write() as db:
            db.execute("UPDATE bays SET note = ?, note_by = ?, note_at = ? WHERE id = ?",
                       (text, operator, when, bay_id))

    def bay_events(self, bay_id: str, limit: int = 200) -> list[Event]:
        """The newest events about the bay (its source, or a structured field naming it),
        newest first."""
        rows = self.db.execute(
            "SELECT seq, ts, severity, source, kind, message, operator, job, data FROM events"
            " WHERE source = ? OR data LIKE ? ESCAPE '!' ORDER BY seq DESC LIMIT ?",
            (f"bay:{bay_id}", _mentions(bay_id), limit))
        return [_event(r) for r in rows]

    def bay_job_ids(self, bay_id: str, limit: int = 50) -> list[int]:
        """The newest jobs whose parameters name the bay, newest first."""
        return [int(r[0]) for r in self.db.execute(
            "SELECT id FROM jobs WHERE params LIKE ? ESCAPE '!' ORDER BY id DESC LIMIT ?",
            (_mentions(bay_id), limit))]

    def events_after(self, ts: float, limit: int = 5000) -> list[Event]:
        """Events at or after ``ts``, oldest first (at most the newest ``limit``)."""
        rows = self.db.execute(
            "SELECT seq, ts, severity, source, kind, message, operator, job, data FROM events"
            " WHERE ts >= ? ORDER BY seq DESC LIMIT ?", (ts, limit)).fetchall()
        return [_event(r) for r in reversed(rows)]

    def jobs_after(self, ts: float, limit: int = 1000) -> list[JobLine]:
        """Jobs started or ended at or after ``ts``, and those still running, oldest first."""
        from tui.model.story import JobLine  # the story's types: not for every store user

        return [JobLine(*r) for r in self.db.execute(
            "SELECT id, kind, operator, state, summary, created FROM jobs"
            " WHERE created >= ? OR finished >= ? OR state = 'running' ORDER BY id LIMIT ?",
            (ts, ts, limit))]

    def acked_bay_ids(self) -> list[str]:
        return [r[0] for r in self.db.execute(
            "SELECT id FROM bays WHERE acked_by IS NOT NULL ORDER BY id")]

    def looked(self, operator: str) -> float | None:
        row = self.db.execute("SELECT at FROM looked WHERE operator = ?", (operator,)).fetchone()
        return float(row[0]) if row else None

    def set_looked(self, operator: str, at: float) -> None:
        with self.write() as db:
            db.execute("INSERT INTO looked VALUES (?, ?) ON CONFLICT(operator) DO UPDATE"
                       " SET at = excluded.at", (operator, at))


def _event(r: tuple[Any, ...]) -> Event:
    return Event(seq=r[0], ts=r[1], severity=r[2], source=r[3], kind=r[4], message=r[5],
                 operator=r[6], job_id=r[7], data=json.loads(r[8]))
