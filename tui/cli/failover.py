"""`bayops failover` and `bayops move`: a profile to another bay, planned then confirmed."""
from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

from tui.cli.output import carry_out, emit, job_text
from tui.cli.parsing import command, confirmable
from tui.model.entities import FORCEABLE

if TYPE_CHECKING:
    from tui.cli.parsing import Subparsers
    from tui.client.protocol import Client
    from tui.model.entities import Job
    from tui.model.plan import Plan


def register(sub: Subparsers) -> None:
    c = command(sub, "failover", "fail a bay's profile over to a spare (boot-from-SAN only)")
    c.add_argument("bay")
    c.add_argument("--to", help="target bay instead of the best spare")
    c.add_argument("--force", action="store_true",
                   help="fail over a healthy bay, or to a target that does not match")
    _force_unfit(c)
    confirmable(c)
    c.set_defaults(handler=_failover)
    c = command(sub, "move", "move a profile to a named bay, in this group or another")
    c.add_argument("profile")
    c.add_argument("--to", required=True)
    _force_unfit(c)
    confirmable(c)
    c.set_defaults(handler=_move)


def _force_unfit(c: argparse.ArgumentParser) -> None:
    c.add_argument("--force-unfit", metavar="STATE", choices=FORCEABLE,
                   help="put the profile on a target in this state anyway: name it "
                        f"({', '.join(FORCEABLE)})")


def run_job(core: Client, args: argparse.Namespace, plan: Plan,
            execute: Callable[[Plan | None], Job]) -> int:
    """A job that moves profiles (minutes on real hardware): its steps said as they run."""
    job = carry_out(args, plan, execute, follow=core)
    if job is not None:
        emit(args, {"job": job.to_dict(), "plan": plan.to_dict()}, lambda: job_text(job))
    return 0


def _failover(core: Client, args: argparse.Namespace) -> int:
    plan = core.plan_failover(args.bay, args.to, args.force, refresh=True,
                              force_unfit=args.force_unfit)
    return run_job(core, args, plan, lambda expect: core.failover(
        args.bay, args.to, args.force, expect, force_unfit=args.force_unfit))


def _move(core: Client, args: argparse.Namespace) -> int:
    plan = core.plan_move(args.profile, args.to, args.force_unfit)
    return run_job(core, args, plan, lambda expect: core.move(
        args.profile, args.to, expect, force_unfit=args.force_unfit))
