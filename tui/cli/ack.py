"""`bayops ack BAY... | --all [--group G] [--domain D] [--health H]`: acknowledge bays
that need attention (who, when and a comment, in the event log). A recorded act, not a
job: nothing to confirm, all the bays or none."""
from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tui.cli.output import emit
from tui.cli.parsing import command, dry_runnable
from tui.model.ack import ACKABLE
from tui.model.errors import BadInput, Refused

if TYPE_CHECKING:
    from tui.cli.parsing import Subparsers
    from tui.client.protocol import Client
    from tui.model.entities import Bay


def register(sub: Subparsers) -> None:
    c = command(sub, "ack", "acknowledge bays that need attention: recorded with your name "
                            "and comment; cleared when the bay is healthy again")
    c.add_argument("bays", nargs="*", metavar="BAY")
    c.add_argument("--comment", default="", help="why, or who is on it (one line)")
    c.add_argument("--all", action="store_true",
                   help="every unacknowledged critical, warning or unreadable bay (narrowed "
                        "by --group, --domain, --health): the dashboard's K")
    c.add_argument("--group")
    c.add_argument("--domain")
    c.add_argument("--health", choices=ACKABLE)
    dry_runnable(c)
    c.set_defaults(handler=_ack)


def _chosen(core: Client, args: argparse.Namespace) -> list[str]:
    if args.all == bool(args.bays):
        raise BadInput("name the bays to acknowledge, or give --all", code="usage")
    if not args.all:
        if args.group or args.domain or args.health:
            raise BadInput("--group, --domain and --health go with --all", code="usage")
        return list(args.bays)
    found = [b.id for b in core.bays(args.group, args.domain, health=args.health)
             if not b.empty and b.health in ACKABLE and b.acked_by is None]
    if not found:
        raise Refused("no unacknowledged bay needs attention there", code="nothing-to-ack")
    return found


def _ack(core: Client, args: argparse.Namespace) -> int:
    names = _chosen(core, args)
    if args.dry_run:
        emit(args, {"bays": names, "comment": args.comment},
              lambda: "would acknowledge: " + " ".join(names))
        return 0
    done = core.ack(names, args.comment)
    emit(args, {"bays": [b.to_dict() for b in done], "comment": args.comment},
          lambda: "\n".join(_line(b) for b in done))
    return 0


def _line(bay: Bay) -> str:
    return f"{bay.id} ({bay.health}) acknowledged by {bay.acked_by}"
