"""Move: the operator puts a profile on a bay of their choosing, in its group or another.

Cross-group moves need the target group to carry every network and fabric the profile
uses; identities (MACs, WWPNs, serial) travel with it. A failed target rolls back to
the source.
"""
from __future__ import annotations

from dataclasses import dataclass

from tui.core.context import OpContext
from tui.core.jobs import JobContext, StepFailed
from tui.core.ops.placement import (
    blocks_failback,
    clear_source,
    fit_target,
    place_profile,
    power_off_source,
    unfit_state,
    why_unusable,
)
from tui.core.runner import JobKind
from tui.model.entities import Bay, Profile
from tui.model.errors import BadInput, OperationFailed, Refused
from tui.model.params import MoveParams
from tui.model.plan import Plan


@dataclass(frozen=True)
class TargetChoice:
    bay: Bay
    valid: bool
    reason: str
    forceable: str | None = None  # not valid only for this state: naming it forces the move


def targets(ctx: OpContext, profile_name: str) -> list[TargetChoice]:
    """Every bay, best first, each marked valid or with why not (for pickers): the usable
    spares the way a failover ranks them, then other free bays of the group, then of other
    groups, then the invalid ones. An empty bay is listed as not valid, so a picker never
    leaves a bay out without saying why."""
    profile = ctx.profile(profile_name)
    source = ctx.store.bay(profile.bay) if profile.bay else None
    ranked = []
    for bay in ctx.store.bays():
        if bay.empty:
            choice = TargetChoice(bay, False, "empty bay")
        else:
            choice = _choice(ctx, profile, bay)
        ranked.append((_rank(profile, source, choice), choice))
    ranked.sort(key=lambda r: r[0])
    return [choice for _, choice in ranked]


def alternatives(ctx: OpContext, profile_name: str, limit: int = 3) -> list[str]:
    """The best few bays of the profile's own group a move could take it to, each as the
    command with what it warns (for a refusal's next step): no pass over the fleet."""
    profile = ctx.profile(profile_name)
    source = ctx.store.bay(profile.bay) if profile.bay else None
    ranked = sorted((_rank(profile, source, c), c) for c in (
        _choice(ctx, profile, b) for b in ctx.store.bays(group=profile.group)
        if not b.empty and b.profile is None) if c.valid)
    out = []
    for _, c in ranked[:limit]:
        notes = [c.reason]
        if source is not None and c.bay.model != source.model:
            notes.append(f"model {c.bay.model}")
        out.append(f"bayops move {profile.name} --to {c.bay.id} ({', '.join(notes)})")
    return out


def _choice(ctx: OpContext, profile: Profile, bay: Bay) -> TargetChoice:
    try:
        check_target(ctx, profile, bay)
    except (Refused, BadInput) as exc:
        state = unfit_state(bay)
        if exc.code == "target-unfit":  # the hint is in CLI words: a picker says its own
            return TargetChoice(bay, False, exc.message, state)
        return TargetChoice(bay, False, str(exc))
    if bay.health != "ok":
        return TargetChoice(bay, True, f"health {bay.health}"
                            + (": a spare, leaves the pool" if bay.spare else ""))
    return TargetChoice(bay, True, "spare: leaves the pool" if bay.spare else "free")


def _rank(profile: Profile, source: Bay | None, c: TargetChoice) -> tuple:
    bay = c.bay
    ready_spare = bay.spare and (source is None or why_unusable(source, bay) is None)
    return (not c.valid, c.forceable is None, bay.group != profile.group, not ready_spare,
            bay.health != "ok", source is None or bay.domain != source.domain,
            bay.group, bay.enclosure, bay.number)


def check_target(ctx: OpContext, profile: Profile, target: Bay,
                 force_unfit: str | None = None) -> str | None:
    """Refuse ``target`` for ``profile``; the warning of a forced unfit target, else None."""
    if target.empty:
        raise Refused(f"bay {target.id} is empty", code="empty-bay")
    if target.profile is not None:
        raise Refused(f"bay {target.id} holds profile {target.profile}"
                      + (" (it is already there)" if target.profile == profile.name else ""),
                      code="bay-taken")
    ctx.not_held(f"bay {target.id}", target.job_id)
    ctx.fit_domain(target)
    if target.group != profile.group:
        baseline = ctx.group(target.group).baseline
        missing = [f"network {n}" for n in profile.networks if n not in baseline.networks]
        missing += [f"fabric {f}" for f in profile.fabrics if f not in baseline.fabrics]
        if missing:
            raise Refused(f"group {target.group} does not carry {', '.join(missing)} "
                          f"used by profile {profile.name}", code="missing-networks")
    return fit_target(target, force_unfit)


def plan(ctx: OpContext, profile_name: str, to: str, force_unfit: str | None = None) -> Plan:
    profile = ctx.profile(profile_name)
    target = ctx.bay(to)
    ctx.require(profile.group, "move")
    if target.group != profile.group:
        ctx.require(target.group, "move")
    ctx.not_held(f"profile {profile.name}", profile.job_id)
    source = ctx.bay(profile.bay) if profile.bay else None
    if source is not None:
        ctx.not_held(f"bay {source.id}", source.job_id)
        ctx.not_in_maintenance(source)
    forced = check_target(ctx, profile, target, force_unfit)
    steps = []
    if source:
        steps += [f"power off {source.id} (fence it if it does not answer)",
                  f"remove profile {profile.name} from {source.id}"]
    steps += [f"apply profile {profile.name} to {target.id}", f"power on {target.id}"]
    warnings = [forced] if forced else []
    if target.health == "warning":
        warnings.append(f"{target.id} reports health warning")
    if target.spare:
        warnings.append(f"{target.id} is a spare of group {target.group}: it leaves the pool")
    warnings += blocks_failback(ctx, [target.id], f"{profile.name} on it", profile.name)
    if target.group != profile.group:
        warnings.append(f"profile changes group: {profile.group} -> {target.group}; "
                        "its MACs, WWPNs and serial stay")
    if profile.boot_mode == "local":
        warnings.append(f"{profile.name} boots from local disk: its OS does not follow it")
    if source and source.model != target.model:
        warnings.append(f"model changes: {source.model} -> {target.model}")
    src = source.id if source else None
    locks = [f"profile:{profile.name}", f"bay:{target.id}"] + ([f"bay:{src}"] if src else [])
    return Plan("move", f"Move profile {profile.name}",
                f"move {profile.name}: {src or 'unassigned'} -> {target.id}", tuple(steps),
                MoveParams(group=profile.group, profile=profile.name, source=src,
                           target=target.id, from_group=profile.group,
                           forced=force_unfit if forced else None),
                locks=tuple(locks), source=src, target=target.id, profile=profile.name,
                reason="chosen by the operator", warnings=tuple(warnings), confirm_label="Move")


def started(ctx: OpContext, job: JobContext, p: MoveParams) -> None:
    job_id = job.job_id
    ctx.event("info", f"profile:{p.profile}", "move.started",
              f"job {job_id}: move {p.profile}: {p.source or 'unassigned'} -> {p.target}", job_id,
              profile=p.profile, source=p.source, target=p.target)
    if p.forced:
        ctx.event("warning", f"bay:{p.target}", "move.forced-unfit",
                  f"job {job_id}: {p.profile} forced onto {p.forced} bay {p.target}", job_id,
                  bay=p.target, profile=p.profile)


def run(ctx: OpContext, job: JobContext, p: MoveParams) -> str:
    name, target = p.profile, p.target
    relocate(ctx, job, (name, p.source, target), "move", p.from_group)
    if ctx.profile(name).home == target:  # moved home by hand: nothing left to fail back
        ctx.store.set_home(name, None)
    group = ctx.bay(target).group
    ctx.event("info", f"profile:{name}", "move.done",
              f"job {job.job_id}: profile {name} now on {target}"
              + (f" (group {p.from_group} -> {group})" if group != p.from_group else ""),
              job.job_id, profile=name, bay=target)
    return f"profile {name} moved to {target}"


# One profile's move: (profile, the bay it leaves or None, the bay it goes to).
Move = tuple[str, str | None, str]


def relocate(ctx: OpContext, job: JobContext, move: Move, what: str,
             from_group: str | None = None, borrow: bool = False) -> None:
    """Power off and clear the source, place the profile on the target; a failed target
    puts it back on the source (with ``from_group``). Raises OperationFailed when it did
    not land on the target. Move, failback, evacuation and restore all run it."""
    name, source, target = move
    job_id = job.job_id
    profile = ctx.profile(name)
    if source:
        try:
            power_off_source(ctx, job, source)
            clear_source(ctx, job, name, source, "")
        except StepFailed as exc:
            raise OperationFailed(f"{what} of {name} aborted, it stays on {source}: "
                                  f"{exc.reason}") from None
    failure = place_profile(ctx, job, profile, target, 1, borrow)
    if failure is None:
        return
    if source:  # roll back: the profile goes back, with its original group
        if from_group is not None:
            ctx.store.set_profile_group(name, from_group)
        if place_profile(ctx, job, ctx.profile(name), source, 2) is None:
            ctx.event("warning", f"profile:{name}", f"{what}.rolled-back",
                      f"job {job_id}: {failure}; profile {name} is back on {source}", job_id,
                      profile=name, bay=source)
            raise OperationFailed(f"{failure}; {what} rolled back, {name} is back on {source}")
    ctx.event("critical", f"profile:{name}", "profile.unassigned",
              f"job {job_id}: profile {name} is UNASSIGNED after a failed {what}; "
              "move it by hand", job_id, profile=name)
    raise OperationFailed(f"{failure}; {name} could not go back, it is unassigned, not lost")


# The job kinds this module runs (collected by tui.core.ops.registry).
JOB_KINDS = (
    JobKind(MoveParams, run, resumable=True, started=started),
)
