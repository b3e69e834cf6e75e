"""Rediscovery: what is in the bays now, against what the store recorded.

Run on a schedule by the monitor (``[bayops] rediscover_seconds``, 600 s by default, as
VCEM did) and on demand (`bayops rediscover`). A blade inserted, removed or swapped (its
serial changed) each writes an event and updates the bay. A bay that held a profile, or
is the home a failed-over profile belongs to, and now holds another server (or none) is
*flagged*: no failover target, no spare, no profile applied, until an operator clears it
(`bayops clear BAY`). A profile whose server went away under it is taken off the bay,
its home kept, so nothing silently runs it on the stranger now in the bay.

Observation, not an operator's change (like the health sweep): no job, no plan.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tui.core.context import OpContext
from tui.core.jobs import JobContext
from tui.core.runner import JobKind
from tui.model.driver import BayInventory
from tui.model.entities import IDENTITY_UNKNOWN, Bay, ServerInfo
from tui.model.errors import BadInput, Refused
from tui.model.params import ClearFlagParams
from tui.model.plan import Plan
from tui.model.text import quoted


@dataclass(frozen=True)
class Finding:
    bay: str
    change: str  # inserted, removed, swapped, unreadable, unidentified
    detail: str
    flagged: bool = False

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))


# meta: when the whole fleet was last rediscovered (store.stamp), by whichever process;
# the monitors' schedule counts from it (tui.core.monitor)
REDISCOVERED = "rediscovered"
REDISCOVER_SLICE = 2000  # bays a whole-fleet rediscovery reads (store, then driver) at once


def scope(ctx: OpContext, target: str | None) -> Iterator[list[Bay]]:
    """The bays of an enclosure, one bay, or the whole fleet (None), the fleet in slices:
    the monitor's first poll of a 64,000-bay fleet held its bays and their inventory
    whole beside the dashboard's own copy (~60 MB)."""
    if target is None:
        yield from ctx.store.bay_slices(REDISCOVER_SLICE)
    elif "/" in target:
        yield [ctx.bay(target)]
    elif not ctx.store.enclosure_exists(target):
        raise BadInput(f"no enclosure named {quoted(target)} (give an enclosure or a bay)",
                       code="unknown-enclosure")
    else:
        yield ctx.store.bays(enclosure=target)


def _what(server: ServerInfo | None) -> str:
    return f"{server.model} serial {server.serial}" if server else "nothing"


def rediscover(ctx: OpContext, target: str | None = None, record: bool = True) -> list[Finding]:
    """Read the bays' inventory (outside any transaction: it may talk to BMCs) and record
    what changed; ``record=False`` only reports it (open to viewers: recording flags bays
    and takes profiles off them, so it needs the role of a change in every group read).
    Every slice is read, and every role checked, before anything is recorded."""
    findings: list[Finding] = []
    changes: list[tuple[int, Bay, ServerInfo | None]] = []  # findings[i] to record
    for bays in scope(ctx, target):
        if record:
            for group in sorted({b.group for b in bays}):
                ctx.require(group, "rediscover")
        found = ctx.driver.inventory([b.id for b in bays])
        for bay in bays:
            seen = found.get(bay.id)
            if seen is not None:
                _compare(ctx, bay, seen, findings, changes if record else None)
    for at, bay, new in changes:
        findings[at] = _record(ctx, bay, new, findings[at])
    unreadable = [f for f in findings if f.change == "unreadable"]
    if record and unreadable:
        ctx.event("warning", "fleet", "rediscovery.unreadable",
                  f"rediscovery could not read {len(unreadable)} bay(s): {unreadable[0].detail}"
                  + (f" (and {len(unreadable) - 1} more)" if len(unreadable) > 1 else ""),
                  None, bays=[f.bay for f in unreadable][:50])
    if record and target is None:
        ctx.store.stamp(REDISCOVERED)
    return findings


def _compare(ctx: OpContext, bay: Bay, seen: BayInventory, findings: list[Finding],
             changes: list[tuple[int, Bay, ServerInfo | None]] | None) -> None:
    """What ``seen`` says of ``bay``: a finding, or (``changes`` given) a change to record."""
    if seen.error:
        findings.append(Finding(bay.id, "unreadable", seen.error))
        return
    new, old_serial = seen.server, bay.serial
    if _unidentified(bay, new):
        findings.append(Finding(bay.id, "unidentified", f"{bay.model}: the server exposes no "
                                "identity (serial, UUID, chassis serial or BMC identity), so "
                                "a swap cannot be told apart; check the bay by eye"))
        return
    if (new is None) == bay.empty and (new is None or new.serial == old_serial):
        return
    change = ("inserted" if bay.empty else "removed" if new is None else "swapped")
    detail = (f"{_what(new)}" if change == "inserted" else
              f"{bay.model} serial {old_serial}" if change == "removed" else
              f"{bay.model} serial {old_serial} -> {_what(new)}")
    if changes is not None:
        changes.append((len(findings), bay, new))
        findings.append(Finding(bay.id, change, detail))
    else:  # what recording would flag, nothing written
        findings.append(Finding(bay.id, change, detail, _owner(ctx, bay) is not None))


def _unidentified(bay: Bay, new: ServerInfo | None) -> bool:
    """The same model then and now, and neither tells who it is: never "the same server",
    nor a swap to record (a server that stops telling who it is counts as swapped)."""
    return new is not None and new.model == bay.model and new.serial == bay.serial == IDENTITY_UNKNOWN


def _owner(ctx: OpContext, bay: Bay) -> str | None:
    """The profile the bay's server belongs to: the one on it, or the one whose home it is
    (a changed server there is flagged)."""
    return bay.profile or ctx.store.homed_at([bay.id]).get(bay.id)


def _record(ctx: OpContext, bay: Bay, new: ServerInfo | None, finding: Finding) -> Finding:
    store = ctx.store
    with store.write():
        now = store.bay(bay.id)
        if now is None or now.serial != bay.serial:
            return finding  # another process recorded it first
        store.set_server(bay.id, new)
        owner = _owner(ctx, bay)
        flag = None
        if owner is not None:
            flag = (f"server {finding.change} ({finding.detail}) where profile {owner} "
                    "belongs; check it, then `bayops clear`")
            store.set_flag(bay.id, flag)
        if bay.profile is not None:  # the new server does not run it: off the bay, home kept
            store.assign_profile(bay.profile, None)
            if ctx.profile(bay.profile).home is None:
                store.set_home(bay.profile, bay.id)
        severity = "warning" if owner or finding.change == "removed" else "info"
        ctx.event(severity, f"bay:{bay.id}", f"bay.{finding.change}",
                  f"{bay.id}: blade {finding.change}: {finding.detail}"
                  + (f"; FLAGGED: profile {owner} belongs here, it is not applied to this "
                     "server until an operator clears the bay" if owner else ""),
                  None, bay=bay.id, change=finding.change, serial=new.serial if new else None,
                  old_serial=bay.serial, profile=owner, flagged=flag is not None)
        if bay.profile is not None:
            ctx.event("critical", f"profile:{bay.profile}", "profile.unassigned",
                      f"profile {bay.profile} taken off {bay.id}: its server was "
                      f"{finding.change}; clear the bay, then `bayops failback {bay.profile}`",
                      None, profile=bay.profile, bay=bay.id)
    return Finding(finding.bay, finding.change, finding.detail, flag is not None)


# -- clearing a flag: an operator's change (planned, an atomic job) ------------------------------
def plan_clear(ctx: OpContext, bay_id: str) -> Plan:
    bay = ctx.bay(bay_id)
    ctx.require(bay.group, "spares")
    if bay.flag is None:
        raise Refused(f"bay {bay_id} is not flagged", code="not-flagged")
    ctx.not_held(f"bay {bay_id}", bay.job_id)
    homed = ctx.store.homed_at([bay_id]).get(bay_id)
    warnings = [f"profile {homed} belongs here: " + (
        f"the restore of enclosure {bay.enclosure} (drained) brings it home" if bay.drained
        else "its failback brings it home")] if homed else []
    what = ("the bay is empty now; a server inserted later may be used" if bay.empty else
            f"the server there ({bay.model}, serial {bay.serial}) may be used again")
    return Plan("clear-flag", f"Clear {bay_id}",
                f"clear the flag of {bay_id}: {what}", (f"clear the flag of {bay_id}",),
                ClearFlagParams(group=bay.group, bay=bay_id, flag=bay.flag),
                locks=(f"bay:{bay_id}",), target=bay_id, reason=bay.flag,
                warnings=tuple(warnings), confirm_label="Clear")


def run_clear(ctx: OpContext, job: JobContext, p: ClearFlagParams) -> str:
    ctx.store.set_flag(p.bay, None)
    ctx.event("info", f"bay:{p.bay}", "bay.cleared",
              f"{p.bay} cleared for use (was: {p.flag})", job.job_id, bay=p.bay)
    return f"{p.bay} cleared"


# The job kinds this module runs (collected by tui.core.ops.registry).
JOB_KINDS = (
    JobKind(ClearFlagParams, run_clear, resumable=False, atomic=True),
)
