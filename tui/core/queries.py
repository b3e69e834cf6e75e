"""Read-only questions about the fleet, answered from the store (no hardware I/O)."""
from __future__ import annotations

from tui.core.context import OpContext
from tui.core.view import FleetView
from tui.model.entities import (
    Bay,
    DomainConfig,
    GroupSummary,
    Job,
)
from tui.model.errors import BadInput
from tui.model.text import quoted

HEALTHS = ("ok", "warning", "critical", "unknown")


def bays(ctx: OpContext, group: str | None = None, domain: str | None = None,
         enclosure: str | None = None, health: str | None = None) -> list[Bay]:
    if group is not None:
        ctx.group(group)
    if domain is not None:
        ctx.domain_group(domain)
    if health is not None and health not in HEALTHS:
        raise BadInput(f"health {quoted(health)} is not one of {', '.join(HEALTHS)}")
    found = ctx.store.bays(group=group, domain=domain, enclosure=enclosure)
    if health is not None:
        found = [b for b in found if b.health == health and not b.empty]
    return found


def spares(ctx: OpContext, group: str) -> list[Bay]:
    ctx.group(group)
    return ctx.store.bays(group=group, spares_only=True)


def job(ctx: OpContext, job_id: int) -> Job:
    found = ctx.store.job(job_id)
    if found is None:
        raise BadInput(f"no job {job_id}", code="unknown-job")
    return found


def domain_config(ctx: OpContext, domain: str) -> tuple[DomainConfig, DomainConfig]:
    """(the domain's configuration, its group's baseline)."""
    record = ctx.domain(domain)
    return record.config, ctx.group(record.group).baseline


def groups(ctx: OpContext) -> list[GroupSummary]:
    return FleetView.load(ctx)[0].groups
