"""Jobs, their journaled steps and the locks they hold."""
from __future__ import annotations

import dataclasses
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tui.core.process import process_alive, process_identity
from tui.core.store.base import StoreBase
from tui.model.entities import Job, Step
from tui.model.errors import Refused

if TYPE_CHECKING:
    from tui.model.params import JobParams

# A failed step that did not fail by itself: its process ended while it ran (interrupted),
# or it was journaled as the next step and never ran (skipped). Schema 12's steps.stopped.
STOPPED = ("interrupted", "skipped")
_STEP_COLUMNS = ("seq, name, COALESCE(stopped, state), detail, started, finished,"
                 " COALESCE(key, name)")


@dataclass(frozen=True, eq=False)
class Claim:
    """One runner's hold on a job: its own id (recorded in the job and every step it
    writes) and the lease epoch it started under, which every one of its writes carries
    however the service's lease moves meanwhile. ``stop``: the runner starts no more steps
    (its service stopped leading); the job stays journaled for the leader to resume."""

    runner: str
    epoch: int | None
    stop: threading.Event = field(default_factory=threading.Event)


class JobTables(StoreBase):
    # -- runners (this process's) ---------------------------------------------------------
    @staticmethod
    def new_claim(epoch: int | None) -> Claim:
        """A claim for a runner starting now, under ``epoch``: the lease epoch of the
        service it runs for (None: no service leads here)."""
        import uuid  # only a runner needs it (and `platform` with it): not every start

        return Claim(uuid.uuid4().hex, epoch)

    @contextmanager
    def running(self, job_id: int, claim: Claim) -> Iterator[None]:
        """While inside, ``claim``'s runner runs ``job_id`` in this process: no resume here
        takes that job (one runner per job)."""
        with self._runners_changed:
            self._runners[job_id] = claim
        try:
            yield
        finally:
            with self._runners_changed:
                if self._runners.get(job_id) is claim:
                    del self._runners[job_id]
                self._runners_changed.notify_all()

    def runs_here(self, job_id: int) -> bool:
        with self._runners_changed:
            return job_id in self._runners

    def stop_runners(self) -> int:
        """Every runner of this process starts no further step; how many run."""
        with self._runners_changed:
            for claim in self._runners.values():
                claim.stop.set()
            return len(self._runners)

    def wait_for_stale_runners(self, epoch: int | None, seconds: float) -> bool:
        """Wait (up to ``seconds``) until no runner of this process holds an epoch other
        than ``epoch`` (the one it leads with now), or was told to stop; True when none
        is left."""
        deadline = time.monotonic() + seconds
        with self._runners_changed:
            while any(c.epoch != epoch or c.stop.is_set() for c in self._runners.values()):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._runners_changed.wait(min(left, 0.5))
            return True

    # -- jobs, steps and locks ----------------------------------------------------------------
    def create_job(self, operator: str, summary: str, params: JobParams,
                   locks: list[str] | tuple[str, ...], claim: Claim | None = None) -> int:
        """Insert a running job holding ``locks``, held by ``claim`` (none: by a runner
        nobody runs, left for a resume); Refused if another job holds one of the locks."""
        claim = claim or self.new_claim(None)
        with self.write() as db:
            held = self._held(db, list(locks))
            if held:
                raise Refused(f"{held[0]} is held by job {held[1]}")
            cur = db.execute(
                "INSERT INTO jobs (kind, state, operator, summary, params, created, pid, process,"
                " epoch, runner) VALUES (?, 'running', ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (params.kind, operator, summary, json.dumps(params.to_json()), time.time(), os.getpid(),
                 process_identity(), claim.epoch, claim.runner))
            job_id = int(cur.fetchone()[0])
            db.executemany("INSERT INTO locks VALUES (?, ?)", [(r, job_id) for r in locks])
            return job_id

    @staticmethod
    def _held(db: Any, resources: list[str], mine: int | None = None) -> tuple[str, int] | None:
        """The first of ``resources`` (in their order) that a job other than ``mine``
        holds, with that job."""
        if not resources:
            return None
        held = dict(db.execute(f"SELECT resource, job FROM locks WHERE resource IN"
                               f" ({','.join('?' * len(resources))})", resources).fetchall())
        for resource in resources:
            if held.get(resource, mine) != mine:
                return resource.replace(":", " ", 1), held[resource]
        return None

    def lock_holder(self, resource: str) -> int | None:
        row = self.db.execute("SELECT job FROM locks WHERE resource = ?", (resource,)).fetchone()
        return row[0] if row else None

    def add_locks(self, job_id: int, resources: list[str]) -> None:
        with self.write() as db:
            held = self._held(db, resources, job_id)
            if held:
                raise Refused(f"{held[0]} is held by job {held[1]}")
            db.executemany("INSERT INTO locks VALUES (?, ?) ON CONFLICT DO NOTHING",
                           [(r, job_id) for r in resources])

    def set_job_params(self, job_id: int, params: JobParams, claim: Claim) -> None:
        with self.write() as db:
            self._held_by(db.execute("UPDATE jobs SET params = ?, epoch = ? WHERE id = ?"
                                     " AND runner = ?", (json.dumps(params.to_json()),
                                                         claim.epoch, job_id, claim.runner)), job_id)

    def finish_job(self, job_id: int, state: str, claim: Claim) -> None:
        with self.write() as db:
            self._held_by(db.execute("UPDATE jobs SET state = ?, finished = ?, epoch = ?"
                                     " WHERE id = ? AND runner = ?",
                                     (state, time.time(), claim.epoch, job_id, claim.runner)), job_id)
            db.execute("DELETE FROM locks WHERE job = ?", (job_id,))

    @staticmethod
    def _held_by(cursor: Any, job_id: int) -> None:
        if cursor.rowcount != 1:  # another runner claimed the job: this one is no longer it
            raise Refused(f"job {job_id} is run by another runner now", code="not-leader")

    def claim_job(self, job_id: int, runner: str | None, epoch: int | None) -> Claim | None:
        """Take over an interrupted job from its runner ``runner`` (as the job says), under
        ``epoch``; the new runner's claim, or None if another got there first."""
        claim = self.new_claim(epoch)
        with self.write() as db:
            cur = db.execute("UPDATE jobs SET pid = ?, process = ?, epoch = ?, runner = ?"
                             " WHERE id = ? AND state = 'running' AND COALESCE(runner, '') = ?",
                             (os.getpid(), process_identity(), claim.epoch, claim.runner, job_id,
                              runner or ""))
            return claim if cur.rowcount == 1 else None

    def job_owners(self, epoch: int | None) -> dict[int, tuple[int | None, str | None, str | None]]:
        """Running job -> (pid, process identity, runner) of the runner holding it; the
        process is None when nobody may still run it: a job of another epoch while this
        process leads with ``epoch`` (its leader was deposed and the database refuses its
        writes, wherever that process still runs), or one of this very process that no
        runner here runs."""
        me = (os.getpid(), process_identity())
        out: dict[int, tuple[int | None, str | None, str | None]] = {}
        for job_id, pid, process, written, runner in self.db.execute(
                "SELECT id, pid, process, epoch, runner FROM jobs WHERE state = 'running'"):
            stale = epoch is not None and written != epoch
            ours = (pid, process) == me and not self.runs_here(job_id)
            out[job_id] = (None, None, runner) if stale or ours else (pid, process, runner)
        return out

    # A step's ``name`` is the words shown, its ``key`` what a resume matches (None: the
    # name is the key, as in a journal of release 11 and before; tui/core/steps.py).
    def start_step(self, job_id: int, name: str, claim: Claim, detail: str = "",
                   key: str | None = None) -> int:
        """Journal step ``name`` as running; its seq."""
        return self.open_step(job_id, name, claim, detail, key)()

    def open_step(self, job_id: int, name: str, claim: Claim, detail: str = "",
                  key: str | None = None) -> Callable[[], int]:
        """Journal step ``name`` as running; its seq when asked (on PostgreSQL it comes
        with the COMMIT: asked after the transaction, nobody waits for it inside)."""
        return self._add_step(job_id, name, key, "running", detail, claim)

    def record_step(self, job_id: int, name: str, detail: str, claim: Claim,
                    key: str | None = None) -> int:
        """Journal step ``name`` as done at once (a decision, no action); its seq."""
        return self._add_step(job_id, name, key, "done", detail, claim)()

    def _add_step(self, job_id: int, name: str, key: str | None, state: str, detail: str,
                  claim: Claim) -> Callable[[], int]:
        now = time.time()
        finished = now if state == "done" else None
        # One statement: the next seq is taken under the write lock, in the INSERT itself.
        with self.write() as db:
            rows = self.backend.later(db.execute(
                "INSERT INTO steps (job, seq, name, key, state, detail, started, finished, epoch,"
                " runner) VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM steps WHERE job = ?),"
                " ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq",
                (job_id, job_id, name, key, state, detail, now, finished, claim.epoch,
                 claim.runner)))
        return lambda: int(next(rows)[0])

    def finish_step(self, job_id: int, seq: int, state: str, detail: str, claim: Claim) -> None:
        """``state``: done, failed, or one of ``STOPPED`` (stored as failed with its
        ``stopped`` column: the state column's CHECK predates them)."""
        stopped = state if state in STOPPED else None
        with self.write() as db:
            db.execute("UPDATE steps SET state = ?, stopped = ?, detail = ?, finished = ?,"
                       " epoch = ?, runner = ? WHERE job = ? AND seq = ?",
                       ("failed" if stopped else state, stopped, detail, time.time(),
                        claim.epoch, claim.runner, job_id, seq))

    def unrun(self, epoch: int | None = None) -> set[int]:
        """The running jobs no runner runs (interrupted): their process died, their leader
        was deposed (``job_owners``), or their runner in this very process ended without
        finishing them."""
        return {job_id for job_id, (pid, process, _) in self.job_owners(epoch).items()
                if not process_alive(pid, process)}

    def _shown(self, jobs: list[Job]) -> list[Job]:
        """``jobs`` with each one no runner runs as "interrupted" (Job.state)."""
        unrun = self.unrun() if any(j.state == "running" for j in jobs) else set()
        return [dataclasses.replace(j, state="interrupted") if j.id in unrun else j for j in jobs]

    def jobs(self, limit: int = 200, running_only: bool = False) -> list[Job]:
        """The newest jobs; ``running_only``: the unfinished ones (running, interrupted)."""
        sql = ("SELECT id, kind, state, operator, summary, params, created, finished, pid FROM jobs"
               + (" WHERE state = 'running'" if running_only else "") + " ORDER BY id DESC LIMIT ?")
        rows = self.db.execute(sql, (limit,)).fetchall()
        if not rows:
            return []
        jobs = [Job(*r) for r in rows]  # params kept as their text: decoded on first use
        jobs = self._shown(jobs)
        steps: dict[int, list[Step]] = {}
        ids = [j.id for j in jobs]
        for r in self.db.execute(f"SELECT job, {_STEP_COLUMNS} FROM steps"
                                 f" WHERE job IN ({','.join('?' * len(ids))}) ORDER BY job, seq", ids):
            steps.setdefault(r[0], []).append(Step(*r[1:]))
        return [dataclasses.replace(j, steps=tuple(steps.get(j.id, ()))) for j in jobs]

    def job_counts(self) -> dict[tuple[str, str], int]:
        """(kind, state) -> how many jobs the store holds (the service's metrics)."""
        return {(r[0], r[1]): int(r[2]) for r in self.db.execute(
            "SELECT kind, state, COUNT(*) FROM jobs GROUP BY kind, state")}

    def job(self, job_id: int) -> Job | None:
        row = self.db.execute(
            "SELECT id, kind, state, operator, summary, params, created, finished, pid"
            " FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            return None
        steps = tuple(Step(*r) for r in self.db.execute(
            f"SELECT {_STEP_COLUMNS} FROM steps WHERE job = ? ORDER BY seq", (job_id,)))
        return self._shown([Job(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8],
                                steps)])[0]


    # -- retention (tui/core/archive.py) ---------------------------------------------------
    def archivable_jobs(self, before: float) -> tuple[int, int, int]:
        """The oldest jobs, up to the first one still running or finished at or after
        ``before``, as (first id, last id, count); (0, 0, 0) when there is none. A prefix
        by id, so a running job is never archived and what stays is contiguous."""
        db = self.db
        first = db.execute("SELECT MIN(id) FROM jobs").fetchone()[0]
        if first is None:
            return 0, 0, 0
        stop = db.execute("SELECT id FROM jobs WHERE state = 'running' OR finished IS NULL"
                          " OR finished >= ? ORDER BY id LIMIT 1", (before,)).fetchone()
        last = stop[0] - 1 if stop else db.execute("SELECT MAX(id) FROM jobs").fetchone()[0]
        if last < first:
            return 0, 0, 0
        count = db.execute("SELECT COUNT(*) FROM jobs WHERE id BETWEEN ? AND ?",
                           (first, last)).fetchone()[0]
        return int(first), int(last), int(count)

    def job_records(self, after: int, upto: int, limit: int) -> list[dict[str, Any]]:
        """At most ``limit`` jobs with after < id <= upto, oldest first, as stored (params as
        written, whatever their kind) with their journal steps: what an archive keeps."""
        jobs = [{"id": r[0], "kind": r[1], "state": r[2], "operator": r[3], "summary": r[4],
                 "params": json.loads(r[5]), "created": r[6], "finished": r[7], "pid": r[8],
                 "process": r[9], "steps": []}
                for r in self.db.execute(
                    "SELECT id, kind, state, operator, summary, params, created, finished, pid,"
                    " process FROM jobs WHERE id > ? AND id <= ? ORDER BY id LIMIT ?",
                    (after, upto, limit))]
        if jobs:
            by_id = {j["id"]: j for j in jobs}
            for r in self.db.execute(
                    "SELECT job, seq, name, state, detail, started, finished FROM steps"
                    " WHERE job BETWEEN ? AND ? ORDER BY job, seq", (jobs[0]["id"], jobs[-1]["id"])):
                by_id[r[0]]["steps"].append({"seq": r[1], "name": r[2], "state": r[3],
                                             "detail": r[4], "started": r[5], "finished": r[6]})
        return jobs

    def job_bounds(self) -> tuple[int, int, int]:
        """(lowest id, highest id, count) of the jobs in the store; zeros when none."""
        row = self.db.execute("SELECT MIN(id), MAX(id), COUNT(*) FROM jobs").fetchone()
        return int(row[0] or 0), int(row[1] or 0), int(row[2])
