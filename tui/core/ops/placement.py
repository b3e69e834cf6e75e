"""What failover, move, evacuation and the coverage what-if share: the one choice of a
spare (``rank_spares``), power off or fence, place a profile."""
from __future__ import annotations

from collections.abc import Collection, Iterable

from tui.core.context import OpContext
from tui.core.jobs import JobContext, StepFailed
from tui.core.steps import StepKey
from tui.model.driver import DriverError
from tui.model.entities import FORCEABLE, UNKNOWN_GENERATIONS, Bay, Profile
from tui.model.errors import BadInput, OperationFailed, Refused
from tui.model.text import quoted


def why_unusable(source: Bay, bay: Bay) -> str | None:
    """Why spare ``bay`` cannot take ``source``'s profile, None when it can: the one
    place that decides (the plan, the ranking, the no-spare refusal, evacuation and the
    coverage what-if all ask it)."""
    if bay.model != source.model or (bay.generation != source.generation and not _unknown_generation(
            source, bay)):
        return f"different model {bay.model}"
    return bay.unready_reason()


def _unknown_generation(*bays: Bay) -> bool:
    """A generation the BMC does not tell (nor its model name): not compared."""
    return any(b.generation in UNKNOWN_GENERATIONS for b in bays)


def not_out_of_use(bay: Bay) -> None:
    """Refuse a flagged bay or a bay of a drained enclosure as a target."""
    if bay.flag is not None:
        raise Refused(f"bay {bay.id} is flagged ({bay.flag}); an operator clears it first "
                      f"(`bayops rediscover --clear {bay.id}`)", code="flagged")
    if bay.drained:
        raise Refused(f"enclosure {bay.enclosure} is drained (evacuated); it takes no profile "
                      f"until `bayops restore {bay.enclosure}`", code="drained")


def unfit_state(bay: Bay) -> str | None:
    """The state that keeps any profile off ``bay`` (flagged, drained, critical, unknown),
    None when there is none: the one rule move, failover, evacuation and the pickers share
    (failback and restore ask more: a home must be healthy)."""
    if bay.flag is not None:
        return "flagged"
    if bay.drained:
        return "drained"
    if bay.health in FORCEABLE:
        return bay.health
    if bay.power == "unknown":
        return "unknown"
    return None


def fit_target(bay: Bay, force_unfit: str | None = None) -> str | None:
    """Refuse ``bay`` as a profile's target while it is unfit, unless ``force_unfit``
    names its state; returns the plan's warning when forced, else None."""
    if force_unfit is not None and force_unfit not in FORCEABLE:
        raise BadInput(f"--force-unfit takes one of {', '.join(FORCEABLE)}, not "
                       f"{quoted(force_unfit)}", code="bad-force")
    not_out_of_use(bay)
    state = unfit_state(bay)
    if state is None:
        return None
    detail = f"health {bay.health}, power {bay.power}"
    if force_unfit != state:
        raise Refused(f"bay {bay.id} is {state} ({detail}): a profile put there may not run",
                      code="target-unfit",
                      hint=f"choose another bay, or name the state to force it: "
                           f"--force-unfit {state}")
    return f"FORCED onto a {state} bay: {bay.id} ({detail})"


def rank_spares(source: Bay, spares: Iterable[Bay], exclude: Collection[str]) -> list[tuple[Bay, str]]:
    """The usable ones of ``spares`` for ``source``'s profile, best first, each with why:
    same model and generation, healthy, off, free; same domain first, then the rest of
    the group. Failover reads ``spares`` from the store, the what-if from its copy."""
    out = []
    for bay in spares:
        if bay.id in exclude or bay.id == source.id or why_unusable(source, bay) is not None:
            continue
        where = "same domain" if bay.domain == source.domain else f"same group ({bay.domain})"
        model = f"model {bay.model}" + (" (generation unknown: model compared only)"
                                        if _unknown_generation(source, bay) else "")
        out.append((bay, f"spare {bay.id}: {where}, {model}, health ok, power off"))
    out.sort(key=lambda c: (c[0].domain != source.domain, c[0].enclosure, c[0].number))
    return out


def power_off_or_fence(ctx: OpContext, bay_id: str) -> str:
    try:
        return ctx.driver.power_off(bay_id, ctx.config.graceful_deadline)
    except DriverError as exc:  # NoAnswer included: the bay's state is unknown, fence it
        return f"{exc}; {ctx.driver.fence(bay_id)}"


def power_off_source(ctx: OpContext, job: JobContext, source: str) -> str:
    """Power off (or fence) ``source``, journaled; its power reads off with the step."""
    return job.step(StepKey.power_off(source), lambda: power_off_or_fence(ctx, source),
                    lambda: ctx.store.set_reading(source, power="off"),
                    then=StepKey.clear_source(source))


def clear_source(ctx: OpContext, job: JobContext, profile: str, source: str, note: str) -> str:
    """Take ``profile`` off ``source`` (idempotent: a resumed job may have done it)."""
    def clear() -> str:
        current = ctx.store.profile(profile)
        how = None
        if current is not None and current.bay == source:
            how = ctx.driver.clear_profile(source, profile)
        return f"profile {profile} removed from {source}{note}" + (f" ({how})" if how else "")
    return job.step(StepKey.clear_source(source), clear,
                    lambda: ctx.store.unassign_profile(profile, source))


def blocks_failback(ctx: OpContext, bay_ids: list[str], how: str,
                    moving: str | None = None) -> list[str]:
    """Warnings for the bays of ``bay_ids`` that are a failed-over profile's home (other
    than ``moving``'s): ``how`` (e.g. 'as a spare it') keeps that profile from going home."""
    if not bay_ids:
        return []
    return [f"{bay} is the home of failed-over profile {name}: {how} blocks the failback "
            f"of {name}" for bay, name in ctx.store.homed_at(bay_ids).items() if name != moving]


def power_on(ctx: OpContext, bay_id: str) -> str:
    note = ctx.driver.power_on(bay_id)
    return f"{bay_id} powered on" + (f"; {note}" if note else "")


def place_profile(ctx: OpContext, job: JobContext, profile: Profile, target: str,
                  attempt: int, borrow: bool = False) -> str | None:
    """Apply and power on; on failure take the profile back off and say why.
    ``borrow`` (failover, evacuation): remember whether ``target`` was a spare, in the
    same transaction that takes it from the pool, so failback gives back that bay.

    Step keys carry the attempt number, so a resumed job never mistakes one
    attempt's journal for another's; an attempt whose take-back is journaled is over.
    """
    store, job_id = ctx.store, job.job_id
    apply_step = StepKey.apply_profile(target, attempt)
    power_step = StepKey.power_on(target, attempt)
    back_step = StepKey.take_back(target, attempt)
    if job.done(back_step):
        return job.step(back_step, lambda: "")

    def write_to_hardware() -> str:
        report = ctx.driver.apply_profile(target, profile)
        if report.failed:
            # The hardware would not run this profile as it must (e.g. a boot-from-SAN
            # server left booting its local disk): as bad as a failed power-on.
            raise OperationFailed(f"{target} did not take what profile {profile.name} needs: "
                                  f"{report.summary()}")
        return report.summary()

    # A one-time boot override or settings staged for the next boot live in the driver of
    # the process that applied them: one resuming here, at the power-on, applies again.
    applied_before = job.done(apply_step)

    def start() -> str:
        again = f"profile applied again ({write_to_hardware()}); " if applied_before else ""
        return again + power_on(ctx, target)
    try:
        job.step(apply_step, write_to_hardware,
                 lambda: store.place_profile(profile.name, target, borrow), then=power_step)
        job.step(power_step, start, lambda: store.set_reading(target, power="on"))
        return None
    except StepFailed as exc:
        failure = exc.reason
    ctx.event("warning", f"bay:{target}", "failover.target-failed",
              f"job {job_id}: {failure}; {target} leaves the spare pool", job_id,
              bay=target, profile=profile.name)

    powered = _power_tried(ctx, job_id, power_step)

    def release() -> None:
        with store.write():
            store.unassign_profile(profile.name, target)
            store.set_spare(target, False)
            if powered:
                store.set_reading(target, power="off")

    def take_back() -> str:
        # A target that failed after its power-on may be running, booted from what it
        # should not (its local disk): off first, before the next spare is tried.
        off = ""
        if powered:
            how = power_off_or_fence(ctx, target)
            off = f"; {target} is off ({how})" if how == "already off" else \
                f"; {target} powered off again ({how})"
        # Whatever the store says, the hardware may hold it (an apply that died
        # half-way): clearing is idempotent, so always clear.
        ctx.driver.clear_profile(target, profile.name)
        return f"{failure}{off}; profile {profile.name} taken back off {target}"
    try:
        job.step(back_step, take_back, release)
    except StepFailed as stuck:
        if not powered:
            # It never booted: whatever is left on it is not on the wire. Move on, and
            # keep the bay out of the pool until someone clears it.
            release()
            ctx.event("warning", f"bay:{target}", "failover.target-not-cleared",
                      f"job {job_id}: could not clear {target} ({stuck.reason}); it never "
                      f"powered on; clear it before it is used again", job_id, bay=target)
            return failure
        ctx.event("critical", f"profile:{profile.name}", "profile.stuck",
                  f"job {job_id}: {profile.name} could not be taken back off {target} "
                  f"({stuck.reason}); it is placed nowhere else", job_id,
                  bay=target, profile=profile.name)
        raise OperationFailed(f"{failure}; {profile.name} could not be taken back off "
                              f"{target} ({stuck.reason}), so it is placed nowhere else: "
                              f"fence {target}, then move the profile") from None
    return failure


def _power_tried(ctx: OpContext, job_id: int, power_step: StepKey) -> bool:
    """Was this power-on attempted (done, failed or interrupted)? Then the target may be
    running, whatever the step's outcome says."""
    job = ctx.store.job(job_id)
    return job is not None and any(s.key == power_step.key and s.state != "skipped"
                                   for s in job.steps)
