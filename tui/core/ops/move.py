"""Move: the operator puts a profile on a bay of their choosing, in its group or another.

Cross-group moves need the target group to carry every network and fabric the profile
uses; identities (MACs, WWPNs, serial) travel with it. A failed target rolls back to
the source.
"""
from __future__ import annotations

from dataclasses import dataclass

from tui.core.context import OpContext
from tui.core.jobs import JobContext, StepFailed
from tui.core.ops.placement import clear_source, place_profile, power_off_or_fence
from tui.model.entities import Bay, Profile
from tui.model.errors import BadInput, OperationFailed, Refused
from tui.model.params import MoveParams
from tui.model.plan import Plan


@dataclass(frozen=True)
class TargetChoice:
    bay: Bay
    valid: bool
    reason: str


def targets(ctx: OpContext, profile_name: str) -> list[TargetChoice]:
    """Every bay, each marked valid or with why not (for pickers); an empty bay is
    listed as not valid, so a picker never leaves a bay out without saying why."""
    profile = ctx.profile(profile_name)
    out = []
    for bay in ctx.store.bays():
        if bay.empty:
            out.append(TargetChoice(bay, False, "empty bay"))
            continue
        try:
            _check_target(ctx, profile, bay)
            out.append(TargetChoice(bay, True, "spare: leaves the pool" if bay.spare else "free"))
        except (Refused, BadInput) as exc:
            out.append(TargetChoice(bay, False, str(exc)))
    return out


def _check_target(ctx: OpContext, profile: Profile, target: Bay) -> None:
    if target.empty:
        raise Refused(f"bay {target.id} is empty", code="empty-bay")
    if target.profile is not None:
        raise Refused(f"bay {target.id} holds profile {target.profile}"
                      + (" (it is already there)" if target.profile == profile.name else ""),
                      code="bay-taken")
    ctx.not_held(f"bay {target.id}", target.job_id)
    ctx.not_in_maintenance(target)
    if target.group != profile.group:
        baseline = ctx.group(target.group).baseline
        missing = [f"network {n}" for n in profile.networks if n not in baseline.networks]
        missing += [f"fabric {f}" for f in profile.fabrics if f not in baseline.fabrics]
        if missing:
            raise Refused(f"group {target.group} does not carry {', '.join(missing)} "
                          f"used by profile {profile.name}", code="missing-networks")


def plan(ctx: OpContext, profile_name: str, to: str) -> Plan:
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
    _check_target(ctx, profile, target)
    steps = []
    if source:
        steps += [f"power off {source.id} (fence it if it does not answer)",
                  f"remove profile {profile.name} from {source.id}"]
    steps += [f"apply profile {profile.name} to {target.id}", f"power on {target.id}"]
    warnings = []
    if target.spare:
        warnings.append(f"{target.id} is a spare of group {target.group}: it leaves the pool")
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
                           target=target.id, from_group=profile.group),
                locks=tuple(locks), source=src, target=target.id, profile=profile.name,
                reason="chosen by the operator", warnings=tuple(warnings), confirm_label="Move")


def started(ctx: OpContext, job_id: int, p: MoveParams) -> None:
    ctx.event("info", f"profile:{p.profile}", "move.started",
              f"job {job_id}: move {p.profile}: {p.source or 'unassigned'} -> {p.target}", job_id,
              profile=p.profile, source=p.source, target=p.target)


def run(ctx: OpContext, job: JobContext, p: MoveParams) -> str:
    name, source, target, job_id = p.profile, p.source, p.target, job.job_id
    profile = ctx.profile(name)
    if source:
        try:
            job.step(f"power off {source}", lambda: power_off_or_fence(ctx, source))
            ctx.store.set_reading(source, power="off")
            clear_source(ctx, job, name, source, "")
        except StepFailed as exc:
            raise OperationFailed(f"move aborted, profile stays on {source}: {exc.reason}") from None
    failure = place_profile(ctx, job, profile, target, 1)
    if failure is None:
        group = ctx.bay(target).group
        ctx.event("info", f"profile:{name}", "move.done",
                  f"job {job_id}: profile {name} now on {target}"
                  + (f" (group {p.from_group} -> {group})" if group != p.from_group else ""),
                  job_id, profile=name, bay=target)
        return f"profile {name} moved to {target}"
    # Roll back: the profile goes home, with its original group.
    if source:
        ctx.store.set_profile_group(name, p.from_group)
        if place_profile(ctx, job, ctx.profile(name), source, 2) is None:
            ctx.event("warning", f"profile:{name}", "move.rolled-back",
                      f"job {job_id}: {failure}; profile {name} is back on {source}", job_id,
                      profile=name, bay=source)
            raise OperationFailed(f"{failure}; move rolled back, {name} is back on {source}")
    ctx.event("critical", f"profile:{name}", "profile.unassigned",
              f"job {job_id}: profile {name} is UNASSIGNED after a failed move; "
              "move it by hand", job_id, profile=name)
    raise OperationFailed(f"{failure}; {name} could not go back, it is unassigned, not lost")
