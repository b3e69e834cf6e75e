"""The archive register: which files took old events and finished jobs out of the store.

The register is append-only (triggers refuse UPDATE and DELETE), and the schema lets an
event, a job or a step be deleted only once a register row covers it (schema.py, 3).
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from tui.core.store.base import StoreBase
from tui.model.entities import ArchiveRecord
from tui.model.errors import Refused

if TYPE_CHECKING:
    from tui.model.params import ArchiveParams

_COLUMNS = ("id, file, first_seq, last_seq, first_job, last_job, events, jobs, records,"
            " prev_hash, last_hash, sha256, operator, created, job")


def _record(row: tuple[Any, ...]) -> ArchiveRecord:
    return ArchiveRecord(*row)


class ArchiveTables(StoreBase):
    def archives(self) -> list[ArchiveRecord]:
        """Every recorded archive, oldest first."""
        return [_record(r) for r in self.db.execute(f"SELECT {_COLUMNS} FROM archives ORDER BY id")]

    def last_archive(self) -> ArchiveRecord | None:
        row = self.db.execute(f"SELECT {_COLUMNS} FROM archives ORDER BY id DESC LIMIT 1").fetchone()
        return _record(row) if row else None

    def archive_named(self, file: str) -> ArchiveRecord | None:
        row = self.db.execute(f"SELECT {_COLUMNS} FROM archives WHERE file = ?", (file,)).fetchone()
        return _record(row) if row else None

    def record_archive(self, p: ArchiveParams, last_hash: str, sha256: str, operator: str,
                       job_id: int | None, follows: str | None) -> ArchiveRecord:
        """Record the archive file ``p`` planned, already durable on disk with ``last_hash``
        and ``sha256``, then delete what it holds (its events, its jobs with their steps,
        its domain configuration backups), in one transaction. ``follows`` is the last hash
        of the newest recorded archive the file continues (None: the first archive).
        Refused, with nothing changed, if the store no longer matches: another archive
        landed since, or the rows are not all there."""
        file, prev_hash, backups = p.file, p.prev, p.backups
        seqs, jobs = (p.first_seq, p.last_seq), (p.first_job, p.last_job)  # (0, 0): none
        counts = (p.events, p.jobs)
        with self.write() as db:
            head = self.last_archive()
            if (head.last_hash if head else None) != follows:
                raise Refused("another archive was recorded meanwhile; nothing deleted",
                              code="plan-changed")
            n_events = db.execute("SELECT COUNT(*) FROM events WHERE seq BETWEEN ? AND ?",
                                  seqs).fetchone()[0] if seqs[0] else 0
            n_jobs, running = db.execute(
                "SELECT COUNT(*), COALESCE(SUM(CASE WHEN state = 'running' THEN 1 ELSE 0 END), 0) FROM jobs"
                " WHERE id BETWEEN ? AND ?", jobs).fetchone() if jobs[0] else (0, 0)
            n_backups = sum(db.execute("SELECT COUNT(*) FROM domain_backups WHERE id = ?",
                                       (b,)).fetchone()[0] for b in backups)
            if n_backups != len(backups):
                raise Refused(f"{len(backups) - n_backups} archived backup(s) left the store "
                              "meanwhile; nothing deleted", code="plan-changed")
            if (n_events, n_jobs) != counts or running:
                raise Refused(f"the store holds {n_events} events and {n_jobs} jobs "
                              f"({running} running) in the archived ranges, the file {counts[0]} "
                              f"and {counts[1]}; nothing deleted", code="plan-changed")
            cur = db.execute(
                "INSERT INTO archives (file, first_seq, last_seq, first_job, last_job, events,"
                " jobs, records, prev_hash, last_hash, sha256, operator, created, job)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (file, seqs[0] or None, seqs[1] or None, jobs[0] or None, jobs[1] or None,
                 counts[0], counts[1], counts[0] + counts[1] + len(backups), prev_hash,
                 last_hash, sha256,
                 operator, time.time(), job_id))
            # The triggers let these through only now that the register row covers them.
            if jobs[0]:
                db.execute("DELETE FROM steps WHERE job BETWEEN ? AND ?", jobs)
                db.execute("DELETE FROM jobs WHERE id BETWEEN ? AND ?", jobs)
            if seqs[0]:
                db.execute("DELETE FROM events WHERE seq BETWEEN ? AND ?", seqs)
            for b in backups:
                db.execute("DELETE FROM domain_backups WHERE id = ?", (b,))
            row = db.execute(f"SELECT {_COLUMNS} FROM archives WHERE id = ?",
                             (cur.fetchone()[0],)).fetchone()
            return _record(row)
