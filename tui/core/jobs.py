"""Journaled steps: each step is written to the store before it runs.

A job's runner calls ``ctx.step(name, action)``; the step row goes in as 'running',
the action runs, and the row becomes 'done' with what happened (or 'failed' with why),
in the same transaction as the store writes that record the action's outcome (``record``).
After a crash, a resumed runner calls the same sequence again: steps already done are
skipped and return their journaled detail, a step left 'running' is marked
'failed: interrupted' and run again. So every action must be idempotent.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tui.core.store import Store
from tui.model.driver import DriverError
from tui.model.errors import BayopsError
from tui.model.params import JobParams
from tui.model.text import quoted


class StepFailed(Exception):
    def __init__(self, name: str, reason: str):
        super().__init__(f"{name}: {reason}")
        self.name, self.reason = name, reason


class JobContext:
    def __init__(self, store: Store, job_id: int):
        self.store = store
        self.job_id = job_id
        job = store.job(job_id)
        self._done = {s.name: s.detail for s in job.steps if s.state == "done"} if job else {}
        self._started: tuple[str, Callable[[], int]] | None = None  # (name, seq) by `then`
        self._on_done: list[Callable[[], None]] = []

    def done(self, name: str) -> bool:
        return name in self._done

    def step(self, name: str, action: Callable[[], str],
             record: Callable[[], None] | None = None, then: str | None = None) -> str:
        """Run ``action`` (hardware) as journaled step ``name``. ``record`` writes to the
        store what the action did; it commits in the one transaction that marks the step
        done, so the journal and the fleet never disagree about it. ``then``: the step
        that always comes next when this one succeeds, journaled as running in that same
        transaction (one commit fewer; a crash there leaves it interrupted, as any)."""
        if name in self._done:
            return self._done[name]
        seq = self._start(name)
        with self._journaled(seq, name):
            detail = action()
        with self._journaled(seq, name), self.store.write():
            if record is not None:
                record()
            self.store.finish_step(self.job_id, seq, "done", detail)
            following = None if then is None else (then, self.store.open_step(self.job_id, then))
        self._started = following
        self._done[name] = detail
        return detail

    def _start(self, name: str) -> int:
        started, self._started = self._started, None
        if started is not None:
            if started[0] == name:
                return started[1]()
            # A runner that went another way than it said: that step never ran.
            self.store.finish_step(self.job_id, started[1](), "failed", "not run")
        return self.store.start_step(self.job_id, name)

    def on_done(self, write: Callable[[], None]) -> None:
        """``write`` (store writes, e.g. the closing event) lands in the transaction that
        marks the job done; not at all if the job fails."""
        self._on_done.append(write)

    def land_done(self) -> None:
        """Run the ``on_done`` writes (the runner does, inside its closing transaction)."""
        writes, self._on_done = self._on_done, []
        for write in writes:
            write()

    @contextmanager
    def _journaled(self, seq: int, name: str) -> Iterator[None]:
        """A failure inside marks step ``seq`` failed (with why) before it goes on."""
        try:
            yield
        except (DriverError, BayopsError) as exc:
            self.store.finish_step(self.job_id, seq, "failed", str(exc))
            raise StepFailed(name, str(exc)) from exc
        except BaseException as exc:
            # Anything else is a bug; journal it so the job is not left looking alive.
            self.store.finish_step(self.job_id, seq, "failed", f"internal error: {quoted(exc)}")
            raise

    def save_params(self, params: JobParams) -> None:
        """Keep what the runner decided (e.g. the next target) for a resume."""
        self.store.set_job_params(self.job_id, params)

    def note(self, name: str, detail: str) -> None:
        """A step that is only a decision (e.g. the chosen target), journaled as done."""
        if name not in self._done:
            self.store.record_step(self.job_id, name, detail)
            self._done[name] = detail


def mark_interrupted(store: Store, job_id: int, old_pid: int | None) -> int:
    """Mark steps a dead process left 'running'; returns how many."""
    job = store.job(job_id)
    count = 0
    for step in job.steps if job else ():
        if step.state == "running":
            store.finish_step(job_id, step.seq, "failed",
                              f"interrupted: process {old_pid} ended while this step ran")
            count += 1
    return count
