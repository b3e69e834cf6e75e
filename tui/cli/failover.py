"""`bayops failover` and `bayops move`: a profile to another bay, planned then confirmed."""
from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

from tui.cli.output import _emit, _job_text, carry_out
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


def _run_job(args: argparse.Namespace, plan: Plan, execute: Callable[[Plan | None], Job]) -> int:
    job = carry_out(args, plan, execute)
    if job is not None:
        _emit(args, {"job": job.to_dict(), "plan": plan.to_dict()}, lambda: _job_text(job))
    return 0


def _failover(core: Core, args: argparse.Namespace) -> int:
    plan = core.plan_failover(args.bay, args.to, args.force, refresh=True)
    return _run_job(args, plan, lambda expect: core.failover(args.bay, args.to, args.force, expect))


def _move(core: Core, args: argparse.Namespace) -> int:
    plan = core.plan_move(args.profile, args.to)
    return _run_job(args, plan, lambda expect: core.move(args.profile, args.to, expect))
