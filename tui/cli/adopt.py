"""`bayops adopt`: record the profiles a manager (HPE OneView) holds, as they are."""
from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tui.cli.output import emit, table
from tui.cli.parsing import command

if TYPE_CHECKING:
    from tui.cli.parsing import Subparsers
    from tui.client.protocol import Client

SHOWN = {"new": "would adopt", "refresh": "would refresh"}


def register(sub: Subparsers) -> None:
    c = command(sub, "adopt", "adopt the appliance's server profiles as they are (OneView): "
                "nothing is written to the appliance; edits made there since are reported as drift")
    c.add_argument("--dry-run", action="store_true", help="report what would be adopted, record nothing")
    c.set_defaults(handler=_adopt)


def _adopt(core: Client, args: argparse.Namespace) -> int:
    dry = bool(args.dry_run) or core.read_only
    found = core.adopt(record=not dry)

    def human() -> str:
        if not found:
            return "the appliance holds no server profiles"
        counts: dict[str, int] = {}
        for f in found:
            counts[f.state] = counts.get(f.state, 0) + 1
        return table(("PROFILE", "STATE", "BAY", "GROUP", "DETAIL"),
                     [(f.profile, SHOWN.get(f.state, f.state), f.bay or "-", f.group or "-", f.detail)
                      for f in found]) + "\n" + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    emit(args, {"dry_run": dry, "profiles": [f.to_dict() for f in found]}, human)
    return 0
