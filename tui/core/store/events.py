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
                "INSERT INTO events (ts, severity, source, kind, message, operator, job, data,"
                " prev) VALUES (?, ?, ?, ?, ?, ?, ?, ?, COALESCE((SELECT MAX(seq) FROM events),"
                " (SELECT MAX(last_seq) FROM archives), 0)) RETURNING seq",
                (time.time(), severity, source, kind, message, operator, job_id,
                 json.dumps(data or {})))
            return int(cur.fetchone()[0])

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

    # -- retention (tui/core/archive.py) ---------------------------------------------------
    def archivable_events(self, before: float) -> tuple[int, int, int]:
        """The oldest events, up to the first one at or after ``before``, as (first seq,
        last seq, count); (0, 0, 0) when there is none. Always a prefix of the log, so
        what stays is contiguous."""
        db = self.db
        first = db.execute("SELECT MIN(seq) FROM events").fetchone()[0]
        if first is None:
            return 0, 0, 0
        stop = db.execute("SELECT seq FROM events WHERE ts >= ? ORDER BY seq LIMIT 1",
                          (before,)).fetchone()
        last = stop[0] - 1 if stop else db.execute("SELECT MAX(seq) FROM events").fetchone()[0]
        if last < first:
            return 0, 0, 0
        count = db.execute("SELECT COUNT(*) FROM events WHERE seq BETWEEN ? AND ?",
                           (first, last)).fetchone()[0]
        return int(first), int(last), int(count)

    def events_between(self, after: int, upto: int, limit: int) -> list[Event]:
        """At most ``limit`` events with after < seq <= upto, oldest first (one batch)."""
        rows = self.db.execute("SELECT * FROM events WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?",
                               (after, upto, limit))
        return [Event(seq=r[0], ts=r[1], severity=r[2], source=r[3], kind=r[4], message=r[5],
                      operator=r[6], job_id=r[7], data=json.loads(r[8])) for r in rows]

    def event_bounds(self) -> tuple[int, int, int]:
        """(lowest seq, highest seq, count) of the live log; zeros when it is empty."""
        row = self.db.execute("SELECT MIN(seq), MAX(seq), COUNT(*) FROM events").fetchone()
        return int(row[0] or 0), int(row[1] or 0), int(row[2])

    def event_gaps(self, limit: int = 10) -> list[tuple[int, int, bool]]:
        """Seq ranges (first, last, skipped) absent from inside the live log, oldest first.
        ``skipped``: the event after the range names the one before it as its predecessor,
        so no event was there (a sequence skipped ids, e.g. PostgreSQL after a crash);
        otherwise events are missing."""
        return [(int(r[0]), int(r[1]), r[2] is not None and int(r[2]) == int(r[0]) - 1)
                for r in self.db.execute(
                    "SELECT e.seq + 1, n.seq - 1, n.prev FROM events e"
                    " JOIN events n ON n.seq = (SELECT MIN(x.seq) FROM events x WHERE x.seq > e.seq)"
                    " WHERE n.seq > e.seq + 1 ORDER BY e.seq LIMIT ?", (limit,))]

    def event_prev(self, seq: int) -> int | None:
        """The predecessor event ``seq`` names (None: written before schema 10)."""
        row = self.db.execute("SELECT prev FROM events WHERE seq = ?", (seq,)).fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def orphan_jobs(self, first: int, limit: int = 10) -> list[int]:
        """Jobs from ``first`` on that live events name but the store does not hold: a job
        deleted (an archived job is below ``first``)."""
        return [int(r[0]) for r in self.db.execute(
            "SELECT DISTINCT e.job FROM events e WHERE e.job >= ? AND NOT EXISTS"
            " (SELECT 1 FROM jobs j WHERE j.id = e.job) ORDER BY e.job LIMIT ?", (first, limit))]
