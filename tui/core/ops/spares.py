"""The spare pool of a group: bays with a server, no profile, powered off, healthy."""
from __future__ import annotations

from tui.core.context import OpContext
from tui.core.jobs import JobContext
from tui.core.ops.placement import blocks_failback, not_out_of_use
from tui.core.runner import JobKind
from tui.model.errors import BadInput, Refused
from tui.model.params import SparesParams
from tui.model.plan import Plan


def plan(ctx: OpContext, group: str, add: list[str], remove: list[str]) -> Plan:
    ctx.group(group)
    ctx.require(group, "spares")
    bays = {}
    for bay_id in add + remove:
        bay = ctx.bay(bay_id)
        if bay.group != group:
            raise BadInput(f"bay {bay_id} is in group {bay.group}, not {group}")
        bays[bay_id] = bay
    for bay_id in add:
        bay = bays[bay_id]
        if bay.empty:
            raise Refused(f"bay {bay_id} is empty: a spare needs a server", code="empty-bay")
        if bay.profile:
            raise Refused(f"bay {bay_id} holds profile {bay.profile}: a spare holds none",
                          code="bay-taken")
        if bay.power != "off":
            raise Refused(f"bay {bay_id} is powered {bay.power}: a spare must be powered off",
                          code="powered-on")
        if bay.health != "ok":
            raise Refused(f"bay {bay_id} is {bay.health}: a spare must be healthy", code="unhealthy")
        ctx.not_held(f"bay {bay_id}", bay.job_id)
        not_out_of_use(bay)
        if bay.spare:
            raise Refused(f"bay {bay_id} is already a spare", code="already-spare")
    for bay_id in remove:
        if not bays[bay_id].spare:
            raise Refused(f"bay {bay_id} is not a spare of {group}", code="not-spare")
    steps = [f"add {b} to the spare pool of {group}" for b in add]
    steps += [f"remove {b} from the spare pool of {group}" for b in remove]
    parts = ([f"add {', '.join(add)}"] if add else []) + \
            ([f"remove {', '.join(remove)}"] if remove else [])
    reason = ("failover will no longer use these servers" if not add else
              "a spare has a server, no profile and is powered off; failover may then apply "
              "a profile to it")
    return Plan("spares", "Spare pool", f"spare pool of {group}: {'; '.join(parts)}",
                tuple(steps), SparesParams(group=group, add=tuple(add), remove=tuple(remove)),
                locks=tuple(f"bay:{b}" for b in bays),
                target=(add + remove)[0] if len(add + remove) == 1 else None, reason=reason,
                warnings=tuple(blocks_failback(ctx, add, "in the spare pool it")))


def run(ctx: OpContext, job: JobContext, p: SparesParams) -> str:
    for bay_id, spare in [(b, True) for b in p.add] + [(b, False) for b in p.remove]:
        ctx.store.set_spare(bay_id, spare)
        ctx.event("info", f"bay:{bay_id}", "spares.changed",
                  f"{bay_id} {'added to' if spare else 'removed from'} the spare pool",
                  job.job_id, bay=bay_id, spare=spare)
    return f"spare pool of {p.group}: {len(p.add)} added, {len(p.remove)} removed"


# The job kinds this module runs (collected by tui.core.ops.registry).
JOB_KINDS = (
    JobKind(SparesParams, run, resumable=False, atomic=True),
)
