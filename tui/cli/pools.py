"""`bayops pools`: the MAC, WWPN and serial pools, and excluding an address from one."""
from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tui.cli.output import carry_out, emit, table
from tui.cli.parsing import Parser, confirmable

if TYPE_CHECKING:
    from tui.cli.parsing import Subparsers
    from tui.client.protocol import Client


def register(sub: Subparsers) -> None:
    po = sub.add_parser("pools", help="MAC, WWPN and serial pools: free, in use, excluded")
    po.add_argument("--json", action="store_true")
    po.set_defaults(handler=_pools)
    posub = po.add_subparsers(dest="action", parser_class=Parser, metavar="ACTION")
    for action, text in (("exclude", "never allocate this address (admin)"),
                         ("include", "give an excluded address back to its pool (admin)")):
        c = posub.add_parser(action, help=text)
        c.add_argument("kind", choices=("mac", "wwpn", "serial"))
        c.add_argument("address")
        c.add_argument("--json", action="store_true")
        confirmable(c)


def _pools(core: Client, args: argparse.Namespace) -> int:
    if args.action is not None:
        include = args.action == "include"
        plan = core.plan_pools(args.kind, args.address, include)
        if carry_out(args, plan, lambda expect: core.pools(
                args.kind, args.address, include, expect)) is None:
            return 0
        address = plan.target
        emit(args, {"kind": args.kind, "address": address, "action": args.action},
              f"{args.kind} {address}: {args.action}d")
        return 0
    pools = core.pool_usage()
    emit(args, pools, lambda: table(
        ("POOL", "RANGE", "SIZE", "IN USE", "EXCLUDED", "FREE"),
        [(kind, f"{p['start']}..{p['end']}", p["size"], p["in_use"], len(p["excluded"]), p["free"])
         for kind, p in pools.items()]))
    return 0
