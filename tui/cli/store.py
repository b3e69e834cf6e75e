"""`bayops store copy`: move a site between a SQLite file and PostgreSQL (either way).

It works on two stores, not on a fleet, so it runs without opening the core (no fleet
is built, no job resumed) and is no job of either store.
"""
from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tui.cli.output import confirm, emit, table
from tui.cli.parsing import command, confirmable
from tui.model.errors import BadInput

if TYPE_CHECKING:
    from tui.cli.parsing import Subparsers
    from tui.core.config import Config


def register(sub: Subparsers) -> None:
    store = sub.add_parser("store", help="the state store itself: copy a site to another store",
                           description="the state store itself")
    actions = store.add_subparsers(dest="action", metavar="ACTION", required=True)
    c = command(actions, "copy", "copy every row of a site into a new, empty store "
                "(a SQLite file or a postgresql:// URL), then compare them row by row")
    c.add_argument("--from", dest="source", metavar="STATE",
                   help="the site to copy (default: this bayops' state)")
    c.add_argument("--to", dest="target", metavar="STATE", required=True,
                   help="the new store: a file that does not exist yet, or an empty database")
    confirmable(c)
    c.set_defaults(offline=_copy)


def _copy(config: Config, args: argparse.Namespace) -> int:
    from tui.core.statepath import find_state
    from tui.core.store import Store
    from tui.core.store.copy import check_target, copy_site
    from tui.model.stateref import StateRef

    source_state = find_state(args.source or args.state, config)
    if source_state.kind == "sqlite" and not source_state.path.is_file():
        raise BadInput(f"--from {source_state}: no such state file")
    target_state = StateRef.parse(args.target)
    source = Store(source_state)
    target = Store(target_state)
    try:
        rows = check_target(source, target)
        data = {"from": source.where, "to": target.where, "rows": rows}
        text = (f"copy the site in {source.where}\n  to {target.where}\n"
                + table(("table", "rows"), sorted(rows.items())))
        if args.dry_run:
            emit(args, {"dry_run": True, **data}, text)
            return 0
        confirm(args, text)
        copied = copy_site(source, target)
        emit(args, {**data, "rows": copied, "verified": True},
              text.replace("copy the site", "copied the site", 1)
              + "\nevery table compared row by row; the invariants hold in the copy")
        return 0
    finally:
        source.close()
        target.close()
