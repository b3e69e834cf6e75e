"""`bayops policy`: show or set a group's auto-failover policy."""
from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tui.cli.output import carry_out, emit
from tui.cli.parsing import command, confirmable
from tui.model.text import printable

if TYPE_CHECKING:
    from tui.cli.parsing import Subparsers
    from tui.client.protocol import Client


def register(sub: Subparsers) -> None:
    c = command(sub, "policy", "show or set a group's auto-failover policy")
    c.add_argument("group")
    c.add_argument("--mode", choices=("manual", "alert", "auto"))
    c.add_argument("--window", help="e.g. 'sat,sun' or 'mon-fri 18:00-06:00'; '' for always")
    confirmable(c)
    c.set_defaults(handler=_policy)


def _policy(core: Client, args: argparse.Namespace) -> int:
    if args.mode is not None or args.window is not None:
        plan = core.plan_policy(args.group, args.mode, args.window)
        if carry_out(args, plan, lambda expect: core.policy(
                args.group, args.mode, args.window, expect)) is None:
            return 0
    policy = core.group(args.group).policy
    emit(args, {"group": args.group, "mode": policy.mode, "window": policy.window},
          f"{args.group}: {policy.mode}"
          + (f" during {printable(policy.window)}" if policy.window else ""))
    return 0
