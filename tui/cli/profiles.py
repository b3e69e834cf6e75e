"""`bayops profile`: list, show, create and delete server profiles."""
from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tui.cli.output import carry_out, emit, table
from tui.cli.parsing import Parser, bounded, confirmable

if TYPE_CHECKING:
    from tui.cli.parsing import Subparsers
    from tui.client.protocol import Client


def register(sub: Subparsers) -> None:
    pr = sub.add_parser("profile", help="server profiles")
    pr.set_defaults(handler=_profile)
    psub = pr.add_subparsers(dest="action", parser_class=Parser, required=True, metavar="ACTION")
    c = psub.add_parser("list", help="profiles and where they run")
    c.add_argument("--group")
    c.add_argument("--json", action="store_true")
    c = psub.add_parser("show", help="one profile with its identities")
    c.add_argument("name")
    c.add_argument("--json", action="store_true")
    c = psub.add_parser("create", help="create an unassigned profile from the pools")
    c.add_argument("name")
    c.add_argument("--group", required=True)
    c.add_argument("--network", action="append", help="default: every network of the group")
    c.add_argument("--fabric", action="append", help="default: every fabric of the group")
    c.add_argument("--boot", choices=("san", "local"), default="san")
    c.add_argument("--lun", type=bounded(int, 0, 16383), default=0)
    c.add_argument("--json", action="store_true")
    confirmable(c)
    c = psub.add_parser("delete", help="delete an unassigned profile; its addresses return")
    c.add_argument("name")
    c.add_argument("--json", action="store_true")
    confirmable(c)


def _profile(core: Client, args: argparse.Namespace) -> int:
    if args.action == "list":
        profiles = core.profiles(args.group)
        emit(args, [p.to_dict() for p in profiles], lambda: table(
            ("PROFILE", "GROUP", "BAY", "BOOT", "SERIAL", "NETWORKS", "FABRICS"),
            [(p.name, p.group, p.bay or "(unassigned)", p.boot_mode, p.serial,
              ",".join(p.networks), ",".join(p.fabrics)) for p in profiles]))
        return 0
    if args.action == "show":
        p = core.profile(args.name)
        emit(args, p.to_dict(), lambda: "\n".join(
            [f"{p.name} (group {p.group}) on {p.bay or 'no bay'}, serial {p.serial}, boot "
             + (f"from SAN {p.san_target} LUN {p.san_lun}" if p.boot_mode == "san" else "local")]
            + [f"  {c.kind} {c.index}: {c.address} -> {c.target}" for c in p.connections]))
        return 0
    if args.action == "create":
        plan = core.plan_profile_create(args.name, args.group, args.network, args.fabric,
                                        args.boot, args.lun)
        if carry_out(args, plan, lambda expect: core.profile_create(
                args.name, args.group, args.network, args.fabric, args.boot, args.lun,
                expect)) is None:
            return 0
        created = core.profile(args.name)
        emit(args, created.to_dict(), f"profile {created.name} created (serial {created.serial})")
        return 0
    plan = core.plan_profile_delete(args.name)
    if carry_out(args, plan, lambda expect: core.profile_delete(args.name, expect)) is None:
        return 0
    emit(args, {"deleted": args.name}, f"profile {args.name} deleted")
    return 0
