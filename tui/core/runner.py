"""Carrying out a Plan as a job, and resuming jobs whose process died.

``execute`` is the one path from a confirmed Plan to a running job: it re-plans under
the store's write lock, refuses if the plan changed since the operator saw it, creates
the job with its locks, and runs the kind's runner from the registry. A store-only
change (``atomic`` kind) commits its job, journal and change in one transaction, so
no crash can split them and a refusal inside rolls all of it back.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from tui.core.context import OpContext
from tui.core.jobs import JobContext, StepFailed, handed_over, handing_over, mark_interrupted
from tui.core.steps import StepKey
from tui.core.store.jobs import Claim
from tui.model.entities import Job
from tui.model.errors import JobHandedOver, OperationFailed, Refused
from tui.model.plan import Plan
from tui.model.text import quoted

if TYPE_CHECKING:  # every start asks for interrupted jobs: no params' classes for that
    from tui.model.params import JobParams

P = TypeVar("P", bound="JobParams")


@dataclass(frozen=True)
class JobKind(Generic[P]):
    params: type[P]
    run: Callable[[OpContext, JobContext, P], str]  # returns the job's one-line result
    resumable: bool  # a crash mid-run is finished (or rolled back) by the next process
    atomic: bool = False  # store-only: runs inside the transaction that creates the job
    started: Callable[[OpContext, JobContext, P], None] | None = None  # when the job starts

    @property
    def name(self) -> str:
        return self.params.kind


def execute(ctx: OpContext, registry: dict[str, JobKind], replan: Callable[[], Plan],
            expect: Plan | None) -> Job:
    """Re-plan under the write lock, check it against ``expect``, run it as a job."""
    store = ctx.store
    claim = store.new_claim(ctx.epoch)
    with ExitStack() as runs:
        with store.write():
            plan = replan()
            if expect is not None:
                check_unchanged(expect, plan)
            kind = registry[plan.kind]
            job_id = store.create_job(ctx.operator, plan.summary, plan.params, plan.locks, claim)
            # held from before the job is committed to its end: no reader ever sees it run
            # by no one (interrupted), and no resume in this process takes it meanwhile
            runs.enter_context(store.running(job_id, claim))
            journal = JobContext(store, job_id, claim)
            if kind.started is not None:
                kind.started(ctx, journal, plan.params)
            if kind.atomic:  # a refusal raised by the runner rolls all of it back
                whole = StepKey.whole_change(plan.summary)
                seq = store.start_step(job_id, whole.words, claim, key=whole.key)
                detail = kind.run(ctx, journal, plan.params)
                store.finish_step(job_id, seq, "done", detail, claim)
                journal.land_done()
                store.finish_job(job_id, "done", claim)
        if kind.atomic:
            return _job(ctx, job_id)
        return run_job(ctx, registry, journal)  # holds it again, with the same claim


def check_unchanged(expect: Plan, fresh: Plan) -> None:
    if expect.target is not None and fresh.target != expect.target:
        raise Refused(f"the best target is now {fresh.target}, not the {expect.target} you "
                      "confirmed; nothing changed, look at the plan again", code="plan-changed")
    if fresh.params != expect.params:
        raise Refused(f"the plan changed since it was confirmed ({fresh.summary}); nothing "
                      "changed, look at the plan again", code="plan-changed")


def run_job(ctx: OpContext, registry: dict[str, JobKind], journal: JobContext) -> Job:
    """Run the job ``journal`` holds (by its claim) to its end, as its one runner here."""
    store, job_id, claim = ctx.store, journal.job_id, journal.claim
    with store.running(job_id, claim):
        job = _job(ctx, job_id)
        try:
            result = registry[job.kind].run(ctx, journal, job.params)
        except (OperationFailed, StepFailed) as exc:  # StepFailed: a revert that failed too
            handed = handed_over(job_id, exc)
            if handed is not None:  # not a failure of the job: its resume finishes it
                raise handed from None
            with handing_over(job_id), store.write():
                store.finish_job(job_id, "failed", claim)
                ctx.event("warning", f"job:{job_id}", "job.failed",
                          f"job {job_id} failed: {exc}", job_id)
            raise OperationFailed(f"job {job_id}: {exc}") from None
        # Anything else (a bug, an interrupt) leaves the job journaled, and interrupted once
        # no runner holds it, so that `bayops jobs resume` finishes it; its locks keep others
        # off meanwhile.
        with handing_over(job_id), store.write():
            journal.land_done()
            store.finish_job(job_id, "done", claim)
            ctx.event("info", f"job:{job_id}", "job.done", f"job {job_id} done: {result}", job_id)
    return _job(ctx, job_id)


def _job(ctx: OpContext, job_id: int) -> Job:
    job = ctx.store.job(job_id)
    assert job is not None, f"job {job_id} vanished"  # only finished jobs are archived away
    return job


def interrupted_jobs(ctx: OpContext) -> list[Job]:
    """Running jobs that no runner runs: their process died, their leader was deposed,
    or their runner in this very process ended without finishing them."""
    unrun = ctx.store.unrun(ctx.epoch)  # this process leads with ctx.epoch: its view
    return [dataclasses.replace(j, state="interrupted") for j in ctx.store.jobs(running_only=True)
            if j.id in unrun]


def resume_interrupted(ctx: OpContext, registry: dict[str, JobKind]) -> list[tuple[Job, str]]:
    """Finish (or roll back) jobs whose process died. Returns (job, outcome) pairs."""
    if ctx.read_only:
        raise Refused("read-only mode: interrupted jobs are left for `bayops jobs resume`",
                      code="read-only")
    waiting = interrupted_jobs(ctx)
    if ctx.serving:
        for group in sorted({job.params.group for job in waiting}):
            ctx.require(group, "resume")
    owners = ctx.store.job_owners(ctx.epoch)
    out = []
    for job in waiting:
        claim = ctx.store.claim_job(job.id, owners.get(job.id, (None, None, None))[2], ctx.epoch)
        if claim is None:
            continue  # another runner is resuming it
        out.append(_resume(ctx, registry, job, claim))
    return out


def _resume(ctx: OpContext, registry: dict[str, JobKind], job: Job,
            claim: Claim) -> tuple[Job, str]:
    n = mark_interrupted(ctx.store, job.id, job.pid, claim)
    ctx.event("warning", f"job:{job.id}", "job.resumed",
              f"job {job.id} ({job.summary}) resumed after process {job.pid} died"
              f" ({n} step(s) interrupted)", job.id)
    kind = registry.get(job.kind)
    if kind is None or not kind.resumable:
        # One store change or one hardware step: it landed whole or not at all.
        ctx.store.finish_job(job.id, "failed", claim)
        return _job(ctx, job.id), "interrupted; see its journal"
    try:
        return run_job(ctx, registry, JobContext(ctx.store, job.id, claim)), "done"
    except (OperationFailed, JobHandedOver) as exc:
        return _job(ctx, job.id), str(exc)
    except Exception as exc:  # a bug must not stop every later bayops from starting
        ctx.event("critical", f"job:{job.id}", "job.resume-failed",
                  f"job {job.id} could not be resumed ({quoted(exc)}); it keeps its locks "
                  "and stays journaled for `bayops jobs resume`", job.id)
        return _job(ctx, job.id), f"resume failed: {quoted(exc)}"
