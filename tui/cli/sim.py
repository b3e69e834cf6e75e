"""`bayops sim`: inject or clear a simulator fault; insert, remove or swap a blade (sim
driver only)."""
from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tui.cli.output import emit, shown_dry_run
from tui.cli.parsing import Parser, dry_runnable
from tui.model.text import printable

if TYPE_CHECKING:
    from tui.cli.parsing import Subparsers
    from tui.client.protocol import Client


def register(sub: Subparsers) -> None:
    s = sub.add_parser("sim", help="simulator faults (sim driver only)")
    s.set_defaults(handler=_sim)
    ssub = s.add_subparsers(dest="action", parser_class=Parser, required=True, metavar="ACTION")
    c = ssub.add_parser("fail", help="inject a fault")
    c.add_argument("bay")
    c.add_argument("--kind", default="critical",
                   choices=("critical", "cpu-threshold", "memory-errors", "no-answer",
                            "power-stuck", "wont-power-on", "boot-refused"))
    c.add_argument("--json", action="store_true")
    dry_runnable(c)
    c = ssub.add_parser("heal", help="clear a fault")
    c.add_argument("bay")
    c.add_argument("--json", action="store_true")
    dry_runnable(c)
    for action, text in (("insert", "push a blade into an empty bay"),
                         ("remove", "pull the blade out of a bay"),
                         ("swap", "replace the blade of a bay (new serial)")):
        c = ssub.add_parser(action, help=text + " (rediscovery notices it)")
        c.add_argument("bay")
        if action != "remove":
            c.add_argument("--model", help="e.g. 'ProLiant BL460c Gen10' (default: the bay's "
                           "own, else the enclosure's most common)")
        c.add_argument("--json", action="store_true")
        dry_runnable(c)
    for action, (_, text) in PART_ACTIONS.items():
        c = ssub.add_parser(action, help=text)
        c.add_argument("part", metavar="PORT" if action.startswith("port") else "COMPONENT")
        c.add_argument("--json", action="store_true")
        dry_runnable(c)


# action -> (the fault it injects, None: heals; help)
PART_ACTIONS = {
    "port-down": ("port-down", "take an uplink port's link down (ENCLOSURE/ic1:X1)"),
    "port-up": (None, "bring an uplink port back up"),
    "firmware-refuse": ("firmware-refused", "make a component (ENCLOSURE/oa, /ic1) refuse "
                        "firmware images"),
    "firmware-accept": (None, "make a component accept firmware again"),
}


def _sim(core: Client, args: argparse.Namespace) -> int:
    if args.action in PART_ACTIONS:
        fault = PART_ACTIONS[args.action][0]
        plan = core.plan_sim_part(args.part, fault)
        if shown_dry_run(args, plan):
            return 0
        message = core.sim_part(args.part, fault, expect=plan)
        emit(args, {"part": args.part, "action": args.action, "message": message},
              printable(message))
        return 0
    if args.action in ("insert", "remove", "swap"):
        model = getattr(args, "model", None)
        plan = core.plan_sim_hardware(args.bay, args.action, model)
        if shown_dry_run(args, plan):
            return 0
        message = core.sim_hardware(args.bay, args.action, model, expect=plan)
        emit(args, {"bay": args.bay, "action": args.action, "message": message},
              f"{args.bay}: {printable(message)}")
        return 0
    fault = args.kind if args.action == "fail" else None
    plan = core.plan_sim_fault(args.bay, fault)
    if shown_dry_run(args, plan):  # no confirmation: the simulator is not the fleet
        return 0
    message = core.sim_fault(args.bay, fault)
    emit(args, {"bay": args.bay, "action": args.action, "message": message},
          f"{args.bay}: {printable(message)}")
    return 0
