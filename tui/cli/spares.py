"""`bayops spares`: show or change a group's spare pool."""
from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tui.cli.output import carry_out, emit, job_text, table
from tui.cli.parsing import command, confirmable

if TYPE_CHECKING:
    from tui.cli.parsing import Subparsers
    from tui.client.protocol import Client


def register(sub: Subparsers) -> None:
    c = command(sub, "spares", "show or change a group's spare pool")
    c.add_argument("group")
    c.add_argument("--add", nargs="+", default=[], metavar="BAY")
    c.add_argument("--remove", nargs="+", default=[], metavar="BAY")
    confirmable(c)
    c.set_defaults(handler=_spares)


def _spares(core: Client, args: argparse.Namespace) -> int:
    if not args.add and not args.remove:
        spares = core.spare_bays(args.group)
        emit(args, [b.to_dict() for b in spares], lambda: table(
            ("BAY", "DOMAIN", "MODEL", "POWER", "HEALTH", "JOB"),
            [(b.id, b.domain, b.model, b.power, b.health, b.job_id) for b in spares])
            or f"group {args.group} has no spares")
        return 0
    plan = core.plan_spares(args.group, args.add, args.remove)
    job = carry_out(args, plan, lambda expect: core.spares(args.group, args.add,
                                                                  args.remove, expect))
    if job is None:
        return 0
    emit(args, {"job": job.to_dict(), "spares": [b.id for b in core.spare_bays(args.group)]},
          lambda: job_text(job))
    return 0
