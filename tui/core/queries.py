"""Read-only questions about the fleet, answered from the store (no hardware I/O)."""
from __future__ import annotations

from tui.core.context import OpContext
from tui.model.entities import (
    Bay,
    DomainConfig,
    DomainSummary,
    EnclosureSummary,
    GroupSummary,
    Job,
)
from tui.model.errors import BadInput

HEALTHS = ("ok", "warning", "critical", "unknown")


def bays(ctx: OpContext, group: str | None = None, domain: str | None = None,
         enclosure: str | None = None, health: str | None = None) -> list[Bay]:
    if group is not None:
        ctx.group(group)
    if domain is not None:
        ctx.domain_group(domain)
    if health is not None and health not in HEALTHS:
        raise BadInput(f"health {health!r} is not one of {', '.join(HEALTHS)}")
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
    store = ctx.store
    counts = store.counts()
    maint = {m.domain: m for m in store.maintenance()}
    running = store.jobs(running_only=True)
    by_domain: dict[str, list[Bay]] = {}
    for bay in store.bays():
        by_domain.setdefault(bay.domain, []).append(bay)
    out = []
    for name in store.group_names():
        record = ctx.group(name)
        domains = []
        for d in store.domains(name):
            dbays = by_domain.get(d.name, [])
            encs = []
            for e in store.enclosures(d.name):
                ebays = [b for b in dbays if b.enclosure == e.name and not b.empty]
                encs.append(EnclosureSummary(
                    e.name, e.model, e.bay_count, len(ebays),
                    sum(b.health == "critical" for b in ebays),
                    sum(b.health == "warning" for b in ebays)))
            servers = [b for b in dbays if not b.empty]
            domains.append(DomainSummary(
                d.name, name, tuple(encs), len(dbays),
                sum(b.health == "critical" for b in servers),
                sum(b.health == "warning" for b in servers),
                sum(b.spare for b in dbays), maint.get(d.name), d.config != record.baseline))
        c = counts.get(name, {})
        out.append(GroupSummary(
            name, record.policy, tuple(domains), c.get("bays", 0), c.get("servers", 0),
            c.get("profiles", 0), c.get("critical", 0), c.get("warning", 0),
            c.get("spares_ready", 0), c.get("spares", 0),
            sum(1 for j in running if j.params.group == name), record.baseline))
    return out
