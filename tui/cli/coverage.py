"""`bayops coverage`: would the spares cover the loss of a bay, an enclosure or a domain?"""
from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tui.cli.output import emit, table
from tui.cli.parsing import command

if TYPE_CHECKING:
    from tui.cli.parsing import Subparsers
    from tui.client.protocol import Client


def register(sub: Subparsers) -> None:
    c = command(sub, "coverage", "what if a bay, enclosure or domain failed now: which profiles "
                "would find a spare (simulated; nothing changes)")
    c.add_argument("group", nargs="?", help="only this group")
    c.add_argument("--lose", metavar="BAY|ENCLOSURE|DOMAIN",
                   help="the loss to simulate (default: each enclosure in turn)")
    c.set_defaults(handler=_coverage)


def _coverage(core: Client, args: argparse.Namespace) -> int:
    if args.lose:
        result = core.coverage(args.lose, args.group)
        emit(args, result.to_dict(), result.text)
        return 0
    covers = core.coverage_enclosures(args.group)

    def human() -> str:
        return table(("ENCLOSURE", "GROUP", "PROFILES", "PLACED", "COVERED", "NO SPARE FOR"),
                     [(c.enclosure, c.group, c.profiles, c.placed, "yes" if c.covered else "NO",
                       ", ".join(c.short)) for c in covers])
    emit(args, {"enclosures": [c.to_dict() for c in covers]}, human)
    return 0
