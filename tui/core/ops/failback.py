"""Failback: a failed-over profile back to its home bay once that bay is healthy again.

A failover records the home (``FailoverParams.home``, and ``profiles.home``). When the
home is repaired, or swapped and cleared by an operator, failback is a planned move:
power off on the spare, apply at home, power on, the spare back into its group's pool.
Never automatic: with the group's ``failback = "offer"`` the monitor only says it may.
"""
from __future__ import annotations

from tui.core.context import OpContext
from tui.core.jobs import JobContext
from tui.core.ops.move import relocate
from tui.core.runner import JobKind
from tui.core.steps import StepKey
from tui.model.entities import Bay, Profile
from tui.model.errors import Refused
from tui.model.params import FailbackParams
from tui.model.plan import Plan


def why_not_home(profile: Profile, home: Bay, drained_ok: bool = False) -> str | None:
    """Why ``home`` cannot take ``profile`` back now; None when it can."""
    if home.empty:
        return f"home {home.id} is empty"
    if home.flag is not None:
        return f"home {home.id} is flagged ({home.flag}); `bayops clear {home.id}` first"
    if home.drained and not drained_ok:
        return f"enclosure {home.enclosure} is drained: `bayops restore {home.enclosure}`"
    if home.profile is not None and home.profile != profile.name:
        return f"home {home.id} holds profile {home.profile}"
    if home.job_id is not None:
        return f"home {home.id} is held by job {home.job_id}"
    if home.maintenance:
        return f"home {home.id} is in maintenance"
    if home.health != "ok":
        return f"home {home.id} is not healthy (health {home.health})"
    return None


def returns_to_pool(profile: Profile, source: Bay | None) -> str | None:
    """Why the bay ``profile`` leaves does not go back into the spare pool; None when it
    does: only the spare its failover (or evacuation) took, while the profile still sits
    on it and nothing else has changed it."""
    if profile.borrowed is None:
        return f"{profile.name} took no spare from the pool"
    if source is None or source.id != profile.borrowed:
        return (f"{profile.name} no longer runs on {profile.borrowed}, the spare it took"
                + (f" (it is on {source.id})" if source is not None else ""))
    if source.flag is not None:
        return f"{source.id} is flagged ({source.flag})"
    if source.drained:
        return f"enclosure {source.enclosure} is drained"
    if source.maintenance:
        return f"{source.id} is in maintenance"
    return None


def profile_of_bay(ctx: OpContext, bay_id: str) -> str | None:
    """The profile a failback of a bay means: the bay's own, if it has a home elsewhere,
    else the profile whose home the bay is."""
    found = ctx.bay(bay_id)
    if found.profile is not None:
        profile = ctx.store.profile(found.profile)
        if profile is not None and profile.home not in (None, bay_id):
            return profile.name
    return ctx.store.homed_at([bay_id]).get(bay_id)


def plan(ctx: OpContext, name: str) -> Plan:
    """Fail back a profile, or (a bay id) the profile ``profile_of_bay`` names."""
    if "/" in name:
        bay_id, found = name, profile_of_bay(ctx, name)
        if found is None:
            raise Refused(f"bay {bay_id} holds no failed-over profile and is no profile's "
                          "home", code="no-home")
        name = found
    profile = ctx.profile(name)
    ctx.require(profile.group, "move")
    if profile.home is None:
        raise Refused(f"profile {name} has no home to go back to: it was not failed over "
                      "(or has failed back already)", code="no-home")
    home = ctx.bay(profile.home)
    ctx.not_held(f"profile {name}", profile.job_id)
    if profile.bay == home.id:
        raise Refused(f"profile {name} is at home on {home.id} already", code="at-home")
    if home.drained:
        raise Refused(f"profile {name} cannot go home yet: enclosure {home.enclosure} is "
                      "drained; its restore brings the profile home", code="home-drained",
                      hint=f"`bayops restore {home.enclosure}`")
    why = why_not_home(profile, home)
    if why is not None:
        raise Refused(f"profile {name} cannot go home yet: {why}", code="home-not-ready")
    ctx.fit_domain(home)
    source = ctx.bay(profile.bay) if profile.bay else None
    if source is not None:
        ctx.not_held(f"bay {source.id}", source.job_id)
        ctx.not_in_maintenance(source)
    kept = returns_to_pool(profile, source)
    pool = kept is None
    steps = [f"power off {source.id} (fence it if it does not answer)",
             f"remove profile {name} from {source.id}"] if source else []
    steps += [f"apply profile {name} to {home.id}", f"power on {home.id}"]
    warnings = []
    if pool and source is not None:
        steps.append(f"{source.id} back into the spare pool of {source.group}")
    else:
        warnings.append(f"no bay returns to the spare pool: {kept}")
    if source is not None and source.model != home.model:
        warnings.append(f"model changes: {source.model} -> {home.model}")
    src = source.id if source else None
    locks = [f"profile:{name}", f"bay:{home.id}"] + ([f"bay:{src}"] if src else [])
    return Plan("failback", f"Fail back {name}",
                f"fail back {name}: {src or 'unassigned'} -> {home.id} (home)", tuple(steps),
                FailbackParams(group=profile.group, profile=name, source=src, home=home.id,
                               pool=pool),
                locks=tuple(locks), source=src, target=home.id, profile=name,
                reason=f"home {home.id} is healthy again ({home.model}, serial {home.serial})",
                warnings=tuple(warnings), confirm_label="Fail back")


def started(ctx: OpContext, job: JobContext, p: FailbackParams) -> None:
    job_id = job.job_id
    ctx.event("info", f"profile:{p.profile}", "failback.started",
              f"job {job_id}: fail back {p.profile}: {p.source or 'unassigned'} -> {p.home}",
              job_id, profile=p.profile, source=p.source, target=p.home)


def go_home(ctx: OpContext, job: JobContext, name: str, source: str | None, home: str,
            pool: bool, what: str) -> None:
    """Relocate ``name`` home, forget its home, and put ``source`` back into the pool."""
    relocate(ctx, job, (name, source, home), what)
    ctx.store.set_home(name, None)
    if pool and source is not None:
        give_back(ctx, job, source)


def give_back(ctx: OpContext, job: JobContext, bay_id: str) -> None:
    """Put ``bay_id`` back into its group's spare pool, unless it changed since the plan."""
    def back() -> str:
        bay = ctx.bay(bay_id)
        if bay.spare:
            return f"{bay_id} is in the spare pool"
        if bay.profile is not None or bay.empty or bay.flag is not None or bay.drained:
            return f"{bay_id} stays out of the pool (it changed since the plan)"
        ctx.store.set_spare(bay_id, True)
        return f"{bay_id} back into the spare pool of {bay.group}"
    job.step(StepKey.return_to_pool(bay_id), back)


def run(ctx: OpContext, job: JobContext, p: FailbackParams) -> str:
    go_home(ctx, job, p.profile, p.source, p.home, p.pool, "failback")
    ctx.event("info", f"profile:{p.profile}", "failback.done",
              f"job {job.job_id}: profile {p.profile} is home on {p.home}"
              + (f"; {p.source} is a spare again" if p.pool and p.source else ""),
              job.job_id, profile=p.profile, bay=p.home, source=p.source)
    return f"profile {p.profile} back home on {p.home}"


# The job kinds this module runs (collected by tui.core.ops.registry).
JOB_KINDS = (
    JobKind(FailbackParams, run, resumable=True, started=started),
)
