"""`bayops enclosure add`: a new enclosure joins a group and receives its baseline."""
from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tui.cli.output import carry_out, emit, job_text
from tui.cli.parsing import Parser, confirmable

if TYPE_CHECKING:
    from tui.cli.parsing import Subparsers
    from tui.client.protocol import Client


def register(sub: Subparsers) -> None:
    e = sub.add_parser("enclosure", help="add an enclosure to a group")
    e.set_defaults(handler=_enclosure)
    esub = e.add_subparsers(dest="action", parser_class=Parser, required=True, metavar="ACTION")
    c = esub.add_parser("add", help="add an enclosure; its domain receives the group baseline")
    c.add_argument("group")
    c.add_argument("enclosure")
    c.add_argument("--domain", help="existing domain to join, or name of a new one")
    c.add_argument("--bays", type=int, default=16, choices=(8, 16))
    c.add_argument("--json", action="store_true")
    confirmable(c)


def _enclosure(core: Client, args: argparse.Namespace) -> int:
    plan = core.plan_enclosure_add(args.group, args.enclosure, args.domain, args.bays)
    job = carry_out(args, plan, lambda expect: core.enclosure_add(
        args.group, args.enclosure, args.domain, args.bays, expect))
    if job is not None:
        emit(args, {"job": job.to_dict()}, lambda: job_text(job))
    return 0
