"""Failover: a failed or suspect bay's profile onto a spare of its group, as one job.

Plan: the target is the best usable spare (same model and generation, healthy, off,
unlocked; same domain first) or the operator's ``--to``. Run: power off (fence when it
does not answer), clear the source, apply to the target, power on; on a failed target
take the profile back and try the next spare; with none left the profile is unassigned,
never lost.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from tui.core.context import OpContext
from tui.core.health import refresh
from tui.core.jobs import JobContext, StepFailed
from tui.core.ops import move
from tui.core.ops.placement import (
    clear_source,
    fit_target,
    place_profile,
    power_off_source,
    rank_spares,
    unfit_state,
    why_unusable,
)
from tui.core.runner import JobKind
from tui.core.steps import StepKey
from tui.model.entities import Bay
from tui.model.errors import BadInput, OperationFailed, Refused
from tui.model.params import FailoverParams
from tui.model.plan import Plan


@dataclass(frozen=True)
class Candidate:
    """A spare of the failing bay's group: can it take the profile, and why (not)."""

    bay: Bay
    usable: bool
    reason: str


def spare_candidates(ctx: OpContext, source: Bay, exclude: set[str]) -> list[tuple[Bay, str]]:
    """Usable spares for ``source`` from the live store, ranked by ``rank_spares`` (a spare
    of a domain a job holds is none: ``Bay.unready_reason``, as coverage counts it)."""
    return rank_spares(source, ctx.store.bays(group=source.group, spares_only=True), exclude)


def candidates(ctx: OpContext, bay_id: str) -> list[Candidate]:
    """Every spare of the bay's group, ranked: the usable ones in the order a failover
    takes them (the first is the plan's choice), then the others with why not."""
    source = ctx.bay(bay_id)
    usable = [Candidate(bay, True, reason) for bay, reason in spare_candidates(ctx, source, set())]
    others = [Candidate(bay, False, why)
              for bay in ctx.store.bays(group=source.group, spares_only=True)
              if bay.id != source.id and (why := why_unusable(source, bay)) is not None]
    return usable + sorted(others, key=lambda c: (c.bay.enclosure, c.bay.number))


def why_no_spare(ctx: OpContext, source: Bay) -> str:
    spares = ctx.store.bays(group=source.group, spares_only=True)
    if not spares:
        return f"the spare pool of group {source.group} is empty"
    reasons = [f"{c.bay.id} {c.reason}" for c in candidates(ctx, source.id) if not c.usable]
    return f"no usable spare in group {source.group} for a {source.model}: " + "; ".join(reasons)


def next_steps(ctx: OpContext, source: Bay, profile: str) -> str:
    """What an operator can do when no spare can take ``profile``: move it by hand (the
    best bays of its group, with what they warn), add or insert a blade of its model, or
    move it to another group."""
    moves = move.alternatives(ctx, profile)
    spare = (f"insert a {source.model} blade or make one a spare "
             f"(`bayops spares {source.group} --add BAY`)")
    other = f"or move it to another group (`bayops move {profile} --to BAY`)"
    return "; ".join([*moves, spare, other]) if moves else f"{spare}, {other}"


def refresh_involved(ctx: OpContext, bay_id: str, to: str | None) -> None:
    """Read the live state of the source and the possible targets (never inside a store
    transaction: it may talk to BMCs)."""
    source = ctx.store.bay(bay_id)
    if source is not None:
        ids = [bay_id] + [b.id for b in ctx.store.bays(group=source.group, spares_only=True)]
        if to and ctx.store.bay(to) is not None:
            ids.append(to)
        refresh(ctx, ids)


def plan(ctx: OpContext, bay_id: str, to: str | None = None, force: bool = False,
         force_unfit: str | None = None) -> Plan:
    source = ctx.bay(bay_id)
    ctx.require(source.group, "failover")
    if source.profile is None:
        raise Refused(f"bay {bay_id} holds no profile: nothing to fail over", code="no-profile")
    profile = ctx.profile(source.profile)
    if profile.boot_mode != "san":
        raise Refused(f"profile {profile.name} boots from local disk: failover needs "
                      "boot-from-SAN (move it by hand with `bayops move`)", code="local-boot")
    ctx.not_held(f"bay {bay_id}", source.job_id)
    ctx.not_held(f"profile {profile.name}", profile.job_id)
    ctx.not_in_maintenance(source)
    warnings = []
    if force:
        ctx.require(source.group, "force")
    healthy = source.health == "ok" and source.power != "unknown"
    if healthy and not force:
        raise Refused(f"bay {bay_id} is healthy (health ok, power {source.power}); "
                      "failover is for failed or suspect servers", code="needs-force",
                      hint="add --force to fail over anyway")
    if healthy:
        warnings.append(f"forced: {bay_id} is healthy; its running workload is shut down "
                        "and restarts on the target")
    if to is not None:
        target = ctx.bay(to)
        reason = _check_explicit_target(ctx, source, target, (force, force_unfit), warnings)
        forced = force_unfit if unfit_state(target) == force_unfit else None
        others = spare_candidates(ctx, source, {target.id})
    else:
        forced = None
        candidates = spare_candidates(ctx, source, set())
        if not candidates:
            raise Refused(why_no_spare(ctx, source), code="no-spare",
                          hint=next_steps(ctx, source, profile.name))
        target, reason = candidates[0]
        others = candidates[1:]  # the pool after this failover, without a second read
    power = ("power off the source (graceful, force after "
             f"{ctx.config.graceful_deadline:.0f} s; fence it if it does not answer)")
    steps = (power, f"remove profile {profile.name} from {source.id}",
             f"apply profile {profile.name} to {target.id}", f"power on {target.id}",
             "update the spare pool, unlock")
    if not others:
        warnings.append(f"after this failover group {source.group} has no usable spare left")
    return Plan(
        "failover", f"{'Force fail' if force else 'Fail'} over {source.id}",
        f"fail over {profile.name}: {source.id} -> {target.id}", steps,
        FailoverParams(group=source.group, source=source.id, profile=profile.name,
                       target=target.id, reason=reason, force=force,
                       home=profile.home or source.id,
                       forced=forced),
        locks=(f"bay:{source.id}", f"profile:{profile.name}", f"bay:{target.id}"),
        source=source.id, target=target.id, profile=profile.name, reason=reason,
        warnings=tuple(warnings), danger=True, confirm_label="Fail over")


def _check_explicit_target(ctx: OpContext, source: Bay, target: Bay,
                           forces: tuple[bool, str | None], warnings: list[str]) -> str:
    """``forces``: --force (a healthy source, a model or health warning) and the unfit
    state named by --force-unfit (a critical or unknown target)."""
    force, force_unfit = forces
    if target.id == source.id:
        raise BadInput("--to names the failing bay itself")
    if target.group != source.group:
        raise Refused(f"bay {target.id} is in group {target.group}, not {source.group}: "
                      "failover stays inside its domain group (use `bayops move`)",
                      code="other-group")
    if target.empty:
        raise Refused(f"bay {target.id} is empty", code="empty-bay")
    if target.profile is not None:
        raise Refused(f"bay {target.id} holds profile {target.profile}", code="bay-taken")
    ctx.not_held(f"bay {target.id}", target.job_id)
    ctx.fit_domain(target)
    forced = fit_target(target, force_unfit)
    if forced:
        warnings.append(forced)
    problems = []
    if target.model != source.model:
        problems.append(f"model {target.model} differs from {source.model}")
    if target.health == "warning":
        problems.append(f"health {target.health}")
    if target.power not in ("off", "unknown"):
        problems.append(f"power {target.power}")
    if problems and not force:
        raise Refused(f"bay {target.id}: {', '.join(problems)}", code="needs-force",
                      hint="add --force to use it anyway")
    warnings.extend(f"{target.id}: {p}" for p in problems)
    kind = "spare" if target.spare else "bay (not in the spare pool)"
    return f"chosen by the operator (--to): {kind} {target.id}, model {target.model}"


def started(ctx: OpContext, job: JobContext, p: FailoverParams) -> None:
    # The target was chosen under the write lock that creates the job: journaled there.
    job.note(StepKey.choose_target(p.target), p.reason)
    job_id = job.job_id
    summary = f"fail over {p.profile}: {p.source} -> {p.target}"
    ctx.event("warning", f"bay:{p.source}", "failover.started",
              f"job {job_id}: {summary} ({p.reason})", job_id,
              bay=p.source, profile=p.profile, target=p.target)
    if p.force:
        ctx.event("warning", f"bay:{p.source}", "failover.forced",
                  f"job {job_id}: started with --force", job_id, bay=p.source)
    if p.forced:
        ctx.event("warning", f"bay:{p.target}", "failover.forced-unfit",
                  f"job {job_id}: {p.profile} forced onto {p.forced} bay {p.target}", job_id,
                  bay=p.target, profile=p.profile)


def run(ctx: OpContext, job: JobContext, p: FailoverParams) -> str:
    source, name, job_id = p.source, p.profile, job.job_id
    profile = ctx.profile(name)
    job.note(StepKey.choose_target(p.target), p.reason)  # started() did (an older bayops' job: here)
    try:
        power_off_source(ctx, job, source)
    except StepFailed as exc:
        ctx.event("critical", f"bay:{source}", "failover.aborted",
                  f"job {job_id}: could not power off or fence {source} ({exc.reason}); "
                  f"profile {name} stays on {source}", job_id, bay=source, profile=name)
        raise OperationFailed(f"failover aborted, nothing moved: {exc.reason}") from None
    try:
        clear_source(ctx, job, name, source, f"; held only by job {job_id} until applied")
    except StepFailed as exc:
        ctx.event("critical", f"bay:{source}", "failover.aborted",
                  f"job {job_id}: {exc.reason}; profile {name} stays on {source}", job_id,
                  bay=source, profile=name)
        raise OperationFailed(f"failover aborted, profile stays on {source}: {exc.reason}") from None

    why: list[str] = []
    while p.target is not None:
        failure = place_profile(ctx, job, profile, p.target, len(p.tried) + 1, borrow=True)
        if failure is None:
            break
        why.append(failure)
        p = _next_spare(ctx, job, dataclasses.replace(p, tried=(*p.tried, p.target)))
    if p.target is None:
        tried = "; ".join(why) or "none"
        ctx.event("critical", f"profile:{name}", "profile.unassigned",
                  f"job {job_id}: profile {name} is UNASSIGNED: no spare could take it "
                  f"({tried}); move it by hand", job_id, profile=name)
        raise OperationFailed(f"profile {name} could not be placed ({tried}); "
                              "it is unassigned, not lost")
    new_home = p.home if p.home and ctx.profile(name).home is None else None
    group, target = ctx.bay(source).group, p.target
    pool_empty = pool_is_empty(ctx, group)  # asked before: no wait inside the write lock

    def done() -> None:  # with the job's own end: one transaction
        if new_home:  # failback brings it back there
            ctx.store.set_home(name, new_home)
        ctx.event("info", f"bay:{target}", "failover.done",
                  f"job {job_id}: profile {name} now runs on {target} (was {source})", job_id,
                  bay=target, profile=name, source=source)
        if pool_empty:
            warn_pool_empty(ctx, group, job_id)
    job.on_done(done)
    return f"profile {name} moved {source} -> {p.target}"


def _next_spare(ctx: OpContext, job: JobContext, p: FailoverParams) -> FailoverParams:
    with ctx.store.write():
        candidates = spare_candidates(ctx, ctx.bay(p.source), set(p.tried))
        if not candidates:
            p = dataclasses.replace(p, target=None)
            job.save_params(p)
            return p
        bay, reason = candidates[0]
        ctx.store.add_locks(job.job_id, [f"bay:{bay.id}"])
        p = dataclasses.replace(p, target=bay.id, reason=reason)
        job.save_params(p)
    JobContext(ctx.store, job.job_id, job.claim).note(StepKey.choose_target(bay.id),
                                                      "next spare: " + reason)
    return p


def pool_is_empty(ctx: OpContext, group: str) -> bool:
    return ctx.store.counts(group).get(group, {}).get("spares_ready", 0) == 0


def warn_pool_empty(ctx: OpContext, group: str, job_id: int | None) -> None:
    ctx.event("warning", f"group:{group}", "spares.empty",
              f"group {group} has no usable spare left: the next failover there "
              "will find nothing", job_id, group=group)


# The job kinds this module runs (collected by tui.core.ops.registry).
JOB_KINDS = (
    JobKind(FailoverParams, run, resumable=True, started=started),
)
