"""`bayops failover` and `bayops move`: a profile to another bay, planned then confirmed."""
from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

from tui.cli.output import _confirm, _emit, _job_text
from tui.cli.parsing import command, confirmable

if TYPE_CHECKING:
    from tui.cli.parsing import Subparsers
    from tui.core.api import Core, Plan
    from tui.model.entities import Job


def register(sub: Subparsers) -> None:
    c = command(sub, "failover", "fail a bay's profile over to a spare (boot-from-SAN only)")
    c.add_argument("bay")
    c.add_argument("--to", help="target bay instead of the best spare")
    c.add_argument("--force", action="store_true",
                   help="fail over a healthy bay, or to a target that does not match")
    confirmable(c)
    c.set_defaults(handler=_failover)
    c = command(sub, "move", "move a profile to a named bay, in this group or another")
    c.add_argument("profile")
    c.add_argument("--to", required=True)
    confirmable(c)
    c.set_defaults(handler=_move)


def _plan_text(plan: Plan) -> str:
    lines = [plan.summary, f"  reason: {plan.reason}"] if plan.reason else [plan.summary]
    lines += [f"  {i}. {s}" for i, s in enumerate(plan.steps, 1)]
    lines += [f"  warning: {w}" for w in plan.warnings]
    return "\n".join(lines)


def _run_job(args: argparse.Namespace, plan: Plan | None, start: Callable[[], Job]) -> int:
    _confirm(args, _plan_text(plan) if plan is not None else "")
    job = start()
    _emit(args, {"job": job.to_dict(), "plan": plan.to_dict() if plan else None},
          lambda: _job_text(job))
    return 0


def _failover(core: Core, args: argparse.Namespace) -> int:
    plan = core.plan_failover(args.bay, args.to, args.force, refresh=True)
    # A person who confirmed a target gets that target or a refusal; a script (--yes)
    # gets the best target at the moment it runs.
    expect = None if args.yes else plan.target
    return _run_job(args, plan, lambda: core.failover(args.bay, args.to, args.force, expect))


def _move(core: Core, args: argparse.Namespace) -> int:
    plan = core.plan_move(args.profile, args.to)
    return _run_job(args, plan, lambda: core.move(args.profile, args.to))
