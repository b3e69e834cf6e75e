"""Journaled steps: each step is written to the store before it runs.

A job's runner calls ``ctx.step(StepKey.x(...), action)`` (the keys: tui/core/steps.py);
the step row goes in as 'running', the action runs, and the row becomes 'done' with what
happened (or 'failed' with why), in the same transaction as the store writes that record
the action's outcome (``record``). After a crash, a resumed runner calls the same sequence
again: steps whose key is journaled done are skipped and return their journaled detail, a
step left 'running' is marked 'interrupted' and run again. So every action must be
idempotent.

A runner writes under its ``Claim`` (the store's jobs.py): its own id and the lease epoch
it started under. When the database refuses that claim (another runner holds the job, or
another epoch leads), cannot be reached, or the runner is told to stop (its service
stopped leading), the runner stops where it is with ``JobHandedOver``: nothing is rolled
back nor marked failed, since the hardware did what the journal says and the runner that
resumes the job finishes it.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from tui.core.steps import StepKey
from tui.core.store import Store
from tui.core.store.jobs import Claim
from tui.model.driver import DriverError
from tui.model.errors import BayopsError, Fenced, JobHandedOver
from tui.model.text import quoted

if TYPE_CHECKING:
    from tui.model.params import JobParams


class StepFailed(Exception):
    def __init__(self, name: str, reason: str):
        super().__init__(f"{name}: {reason}")
        self.name, self.reason = name, reason


def handed_over(job_id: int, exc: BaseException) -> JobHandedOver | None:
    """What ``exc`` means to job ``job_id``'s runner when it says the runner cannot go on
    (its claim refused, the database away); None for anything else."""
    if isinstance(exc, JobHandedOver):
        return exc
    if isinstance(exc, Fenced):
        return JobHandedOver(job_id, f"its claim was refused: {exc.message}")
    if isinstance(exc, BayopsError) and exc.code == "store-unreachable":
        return JobHandedOver(job_id, "the database could not be reached")
    return None


@contextmanager
def handing_over(job_id: int) -> Iterator[None]:
    """Journal writes of job ``job_id``'s runner: a refused claim or a lost database
    stops the runner (JobHandedOver) instead of failing the job."""
    try:
        yield
    except BayopsError as exc:
        handed = handed_over(job_id, exc)
        if handed is None:
            raise
        raise handed from None


class JobContext:
    def __init__(self, store: Store, job_id: int, claim: Claim):
        self.store = store
        self.job_id = job_id
        self.claim = claim
        job = store.job(job_id)
        self._done = {s.key: s.detail for s in job.steps if s.state == "done"} if job else {}
        self._started: tuple[str, Callable[[], int]] | None = None  # (key, seq) by `then`
        self._on_done: list[Callable[[], None]] = []

    def done(self, step: StepKey) -> bool:
        return step.key in self._done

    def step(self, step: StepKey, action: Callable[[], str],
             record: Callable[[], None] | None = None, then: StepKey | None = None) -> str:
        """Run ``action`` (hardware) as journaled step ``step``. ``record`` writes to the
        store what the action did; it commits in the one transaction that marks the step
        done, so the journal and the fleet never disagree about it. ``then``: the step
        that always comes next when this one succeeds, journaled as running in that same
        transaction (one commit fewer; a crash there leaves it interrupted, as any)."""
        if step.key in self._done:
            return self._done[step.key]
        seq = self._start(step)
        with self._journaled(seq, step.words):
            detail = action()
        with self._journaled(seq, step.words), self.store.write():
            if record is not None:
                record()
            self.store.finish_step(self.job_id, seq, "done", detail, self.claim)
            following = None if then is None else (
                then.key, self.store.open_step(self.job_id, then.words, self.claim, key=then.key))
        self._started = following
        self._done[step.key] = detail
        return detail

    def _start(self, step: StepKey) -> int:
        started, self._started = self._started, None
        if self.claim.stop.is_set():  # its service stopped leading: no new action here
            raise JobHandedOver(self.job_id, "its service stopped leading")
        with handing_over(self.job_id):
            if started is not None:
                if started[0] == step.key:
                    return started[1]()
                # A runner that went another way than it said: that step never ran.
                self.store.finish_step(self.job_id, started[1](), "skipped", "not run", self.claim)
            return self.store.start_step(self.job_id, step.words, self.claim, key=step.key)

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
        """A failure inside marks step ``seq`` failed (with why) before it goes on; one
        that stops the runner (``handed_over``) leaves the step as it is for the resume."""
        try:
            yield
        except BaseException as exc:
            handed = handed_over(self.job_id, exc)
            if handed is not None:
                raise handed from None
            if isinstance(exc, DriverError | BayopsError):
                self._mark_failed(seq, str(exc))
                raise StepFailed(name, str(exc)) from exc
            # Anything else is a bug; journal it so the job is not left looking alive.
            self._mark_failed(seq, f"internal error: {quoted(exc)}")
            raise

    def _mark_failed(self, seq: int, why: str) -> None:
        with handing_over(self.job_id):
            self.store.finish_step(self.job_id, seq, "failed", why, self.claim)

    def save_params(self, params: JobParams) -> None:
        """Keep what the runner decided (e.g. the next target) for a resume."""
        with handing_over(self.job_id):
            self.store.set_job_params(self.job_id, params, self.claim)

    def note(self, step: StepKey, detail: str) -> None:
        """A step that is only a decision (e.g. the chosen target), journaled as done."""
        if step.key not in self._done:
            with handing_over(self.job_id):
                self.store.record_step(self.job_id, step.words, detail, self.claim, key=step.key)
            self._done[step.key] = detail


def mark_interrupted(store: Store, job_id: int, old_pid: int | None, claim: Claim) -> int:
    """Mark steps a dead process left 'running' as interrupted; returns how many."""
    job = store.job(job_id)
    count = 0
    for step in job.steps if job else ():
        if step.state == "running":
            store.finish_step(job_id, step.seq, "interrupted",
                              f"interrupted: process {old_pid} ended while this step ran", claim)
            count += 1
    return count
