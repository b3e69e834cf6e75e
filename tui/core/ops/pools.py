"""The fleet-wide MAC, WWPN and serial pools: what is free, and addresses kept out."""
from __future__ import annotations

from typing import Any

from tui.core.context import OpContext
from tui.core.jobs import JobContext
from tui.core.pools import KINDS, Allocator
from tui.core.runner import JobKind
from tui.model.errors import BadInput, Refused
from tui.model.params import PoolsParams
from tui.model.plan import Plan
from tui.model.text import quoted


def usage(ctx: OpContext) -> dict[str, dict[str, Any]]:
    """Per kind: the range and how many addresses are free, in use, excluded."""
    spec = ctx.config.pools
    out = {}
    for kind in KINDS:
        alloc = Allocator(spec, {kind: ctx.store.used_addresses(kind)})
        excluded = ctx.store.excluded_addresses(kind)
        pool = getattr(spec, kind)
        in_range = [a for a in alloc.used[kind] if alloc.in_range(kind, a)]
        out[kind] = {"start": alloc.format(kind, pool.start), "end": alloc.format(kind, pool.end),
                     "size": pool.end - pool.start + 1,
                     "in_use": len([a for a in in_range if a not in excluded]),
                     "excluded": sorted(excluded), "free": alloc.free_count(kind)}
    return out


def plan(ctx: OpContext, kind: str, address: str, include: bool = False) -> Plan:
    """Take an address out of its pool (or give it back): it is never allocated."""
    ctx.require("*", "pools")
    if kind not in KINDS:
        raise BadInput(f"pool kind {quoted(kind)} is not one of {', '.join(KINDS)}")
    alloc = Allocator(ctx.config.pools, {kind: set()})
    canonical = alloc.parse(kind, address)
    if not alloc.in_range(kind, canonical):
        raise BadInput(f"{canonical} is outside the {kind} pool")
    excluded = ctx.store.excluded_addresses(kind)
    if include and canonical not in excluded:
        raise Refused(f"{canonical} is not excluded", code="not-excluded")
    if not include:
        if canonical in excluded:
            raise Refused(f"{canonical} is already excluded", code="already-excluded")
        owner = ctx.store.address_owner(kind, canonical)
        if owner is not None:
            raise Refused(f"{canonical} is in use by profile {owner}", code="address-in-use")
    verb = "include" if include else "exclude"
    return Plan("pools", f"{verb.capitalize()} {kind} {canonical}", f"{verb} {kind} {canonical}",
                (f"{kind} {canonical} {'back in' if include else 'excluded from'} the pool",),
                PoolsParams(group="", pool=kind, address=canonical, include=include),
                target=canonical)


def run(ctx: OpContext, job: JobContext, p: PoolsParams) -> str:
    if p.include:
        ctx.store.include_address(p.pool, p.address)
    else:
        ctx.store.exclude_address(p.pool, p.address)
    text = f"{p.pool} {p.address} {'back in' if p.include else 'excluded from'} the pool"
    ctx.event("info", "pools", "pools.changed", text, job.job_id, pool=p.pool, address=p.address,
              include=p.include)
    return text


# The job kinds this module runs (collected by tui.core.ops.registry).
JOB_KINDS = (
    JobKind(PoolsParams, run, resumable=False, atomic=True),
)
