"""The append-only event log."""
from __future__ import annotations

import json
import time
from typing import Any

from tui.core.store.base import StoreBase
from tui.model.entities import Event


class EventTables(StoreBase):
    # -- events ----------------------------------------------------------------------------
    def add_event(self, severity: str, source: str, kind: str, message: str, operator: str,
                  job_id: int | None = None, data: dict[str, Any] | None = None) -> int:
        with self.write() as db:
            cur = db.execute(
                "INSERT INTO events (ts, severity, source, kind, message, operator, job, data)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (time.time(), severity, source, kind, message, operator, job_id,
                 json.dumps(data or {})))
            return int(cur.lastrowid or 0)

    def events(self, since: int = 0, limit: int = 1000, newest: bool = False) -> list[Event]:
        """At most ``limit`` events after ``since``, oldest first: the first ones after it
        (page on from the last seq), or with ``newest`` the last ones."""
        if newest:
            rows = reversed(self.db.execute(
                "SELECT * FROM events WHERE seq > ? ORDER BY seq DESC LIMIT ?",
                (since, limit)).fetchall())
        else:
            rows = self.db.execute("SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
                                   (since, limit))
        return [Event(seq=r[0], ts=r[1], severity=r[2], source=r[3], kind=r[4], message=r[5],
                      operator=r[6], job_id=r[7], data=json.loads(r[8])) for r in rows]

    def claim_events(self, cursor: str, limit: int = 1000) -> list[Event]:
        """The next ``limit`` events after the shared cursor ``cursor``, which then moves
        past them: every event is handed to exactly one claimant across all processes, in
        batches, so a claimant far behind never reads the whole history at once."""
        with self.write() as db:
            row = db.execute("SELECT value FROM meta WHERE key = ?", (cursor,)).fetchone()
            start = int(row[0]) if row else self.last_event_seq()
            events = self.events(start, limit)
            end = events[-1].seq if events else start
            db.execute("INSERT INTO meta VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = ?",
                       (cursor, str(end), str(end)))
        return events

    def last_event_seq(self) -> int:
        return int(self.db.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0])
