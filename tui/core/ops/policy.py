"""A group's auto-failover policy: manual, alert or auto, optionally inside a window."""
from __future__ import annotations

from tui.core import autofailover
from tui.core.context import OpContext
from tui.core.jobs import JobContext
from tui.core.runner import JobKind
from tui.model.entities import POLICY_MODES, Policy
from tui.model.errors import BadInput
from tui.model.params import PolicyParams
from tui.model.plan import Plan
from tui.model.text import quoted


def _text(group: str, mode: str, window: str) -> str:
    return f"group {group} auto-failover: {mode}" + (f" during {window}" if window else "")


def plan(ctx: OpContext, group: str, mode: str | None, window: str | None) -> Plan:
    current = ctx.group(group).policy
    ctx.require(group, "policy")
    mode = current.mode if mode is None else mode
    window = current.window if window is None else window
    if mode not in POLICY_MODES:
        raise BadInput(f"mode {quoted(mode)} is not one of {', '.join(POLICY_MODES)}")
    if window:
        autofailover.parse_window(window)
    old = f"{current.mode}{' ' + current.window if current.window else ''}"
    return Plan("policy", f"Auto-failover of {group}", f"set {_text(group, mode, window)}",
                (f"policy {old} -> {mode}{' ' + window if window else ''}",),
                PolicyParams(group=group, mode=mode, window=window), target=group,
                reason="the monitor of every bayops process applies it to new events")


def run(ctx: OpContext, job: JobContext, p: PolicyParams) -> str:
    ctx.store.set_policy(p.group, Policy(p.mode, p.window))
    text = _text(p.group, p.mode, p.window)
    ctx.event("info", f"group:{p.group}", "policy.changed", text, job.job_id,
              group=p.group, mode=p.mode, window=p.window)
    return text


# The job kinds this module runs (collected by tui.core.ops.registry).
JOB_KINDS = (
    JobKind(PolicyParams, run, resumable=False, atomic=True),
)
