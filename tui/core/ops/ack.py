"""Acknowledging a critical bay: the operator says "seen, I am on it". Who and when are
recorded on the bay (readers show it dimmed but still listed) and in the event log; the
acknowledgement clears itself when the bay turns healthy (schema 5)."""
from __future__ import annotations

import time

from tui.core.context import OpContext
from tui.core.jobs import JobContext
from tui.model.errors import Refused
from tui.model.params import AckParams
from tui.model.plan import Plan
from tui.model.text import quoted


def plan(ctx: OpContext, bay_id: str) -> Plan:
    bay = ctx.bay(bay_id)
    ctx.require(bay.group, "ack")
    if bay.empty:
        raise Refused(f"bay {bay_id} is empty: nothing to acknowledge", code="empty-bay")
    if bay.health not in ("critical", "unknown"):
        raise Refused(f"bay {bay_id} is {bay.health}: only a critical or unreadable bay is "
                      "acknowledged", code="not-critical")
    if bay.acked_by is not None:
        raise Refused(f"bay {bay_id} is already acknowledged by {quoted(bay.acked_by)}",
                      code="already-acked")
    return Plan("ack", f"Acknowledge {bay_id}",
                f"acknowledge {bay.health} bay {bay_id} as {ctx.operator}",
                (f"record that {ctx.operator} acknowledged {bay_id}",),
                AckParams(group=bay.group, bay=bay_id), source=bay_id, profile=bay.profile,
                reason="it stays listed, dimmed, until it is healthy again; the alert "
                       "(bell, title) no longer counts it",
                confirm_label="Acknowledge")


def run(ctx: OpContext, job: JobContext, p: AckParams) -> str:
    bay = ctx.bay(p.bay)
    if bay.health not in ("critical", "unknown") or bay.acked_by is not None:
        raise Refused(f"bay {p.bay} changed: it is {bay.health}"
                      + (f", acknowledged by {quoted(bay.acked_by)}" if bay.acked_by else ""),
                      code="plan-changed")
    ctx.store.acknowledge(p.bay, ctx.operator, time.time())
    ctx.event("info", f"bay:{p.bay}", "bay.acknowledged",
              f"{p.bay} ({bay.health}) acknowledged by {ctx.operator}", job.job_id,
              bay=p.bay, health=bay.health, operator=ctx.operator)
    return f"{p.bay} acknowledged by {ctx.operator}"
