"""`bayops policy`: show or set a group's auto-failover policy."""
from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tui.cli.output import _asker, _emit
from tui.cli.parsing import command, confirmable
from tui.model.errors import BadInput

if TYPE_CHECKING:
    from tui.cli.parsing import Subparsers
    from tui.core.api import Core


def register(sub: Subparsers) -> None:
    c = command(sub, "policy", "show or set a group's auto-failover policy")
    c.add_argument("group")
    c.add_argument("--mode", choices=("manual", "alert", "auto"))
    c.add_argument("--window", help="e.g. 'sat,sun' or 'mon-fri 18:00-06:00'; '' for always")
    confirmable(c)
    c.set_defaults(handler=_policy)


def _policy(core: Core, args: argparse.Namespace) -> int:
    if args.mode is None and args.window is None:
        g = next((g for g in core.groups() if g.name == args.group), None)
        if g is None:
            raise BadInput(f"no domain group named {args.group!r}")
        policy = g.policy
    else:
        policy = core.set_policy(args.group, args.mode, args.window, confirm=_asker(args))
    _emit(args, {"group": args.group, "mode": policy.mode, "window": policy.window},
          f"{args.group}: {policy.mode}" + (f" during {policy.window}" if policy.window else ""))
    return 0
