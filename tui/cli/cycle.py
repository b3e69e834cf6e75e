"""`bayops rediscover`, `clear`, `failback`, `evacuate`, `restore`: before and after a
failure (issue 14). Every change is planned, shown, confirmed (--yes), or only shown
(--dry-run)."""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tui.cli.failover import run_job
from tui.cli.output import emit, printable_lines, table
from tui.cli.parsing import command, confirmable
from tui.model.errors import BadInput, Refused
from tui.model.plan import Plan
from tui.model.text import printable, quoted

if TYPE_CHECKING:
    from tui.cli.parsing import Subparsers
    from tui.client.protocol import Client

MAP_LIMIT = 1024 * 1024


def register(sub: Subparsers) -> None:
    c = command(sub, "rediscover", "read what is in the bays now: inserted, removed and swapped "
                "blades become events; a bay whose server changed under a profile is flagged")
    c.add_argument("target", nargs="?", metavar="ENCLOSURE|BAY", help="default: every bay")
    c.add_argument("--dry-run", action="store_true", help="report what changed, record nothing")
    c.set_defaults(handler=_rediscover)
    c = command(sub, "clear", "clear a flagged bay: the server now in it may be used again")
    c.add_argument("bay")
    confirmable(c)
    c.set_defaults(handler=_clear)
    c = command(sub, "failback", "move a failed-over profile back to its home bay, now healthy")
    c.add_argument("profile", metavar="PROFILE|BAY",
                   help="a profile, or a bay: its failed-over profile, or the one whose home "
                        "it is")
    confirmable(c)
    c.set_defaults(handler=_failback)
    for name, text in (("evacuate", "move every profile off an enclosure (planned work) and "
                                    "drain it until `bayops restore`"),
                       ("restore", "move an evacuated enclosure's profiles back home and "
                                   "undrain it")):
        c = command(sub, name, text)
        c.add_argument("enclosure")
        if name == "evacuate":
            c.add_argument("--to", metavar="GROUP", help="take spares from this group's pool "
                           "(default: the enclosure's group)")
            c.add_argument("--map", metavar="FILE", help="lines 'PROFILE-or-BAY TARGET-BAY' "
                           "naming targets ('#' starts a comment)")
        c.add_argument("--on-failure", choices=("stop", "continue"), default="stop",
                       help="when one profile fails: start no more (default), or go on")
        c.add_argument("--force", action="store_true",
                       help="start although some profiles have no target (they stay)")
        confirmable(c)
        c.set_defaults(handler=_evacuate if name == "evacuate" else _restore)


def _rediscover(core: Client, args: argparse.Namespace) -> int:
    dry = bool(args.dry_run) or core.read_only  # read-only: report, record nothing
    findings = core.rediscover(args.target, record=not dry)

    def human() -> str:
        if not findings:
            return "no bay changed"
        return table(("BAY", "CHANGE", "FLAGGED", "DETAIL"),
                     [(f.bay, f.change, ("would flag" if dry else "FLAGGED") if f.flagged
                       else "", f.detail)
                      for f in findings])
    emit(args, {"dry_run": dry, "findings": [f.to_dict() for f in findings]},
          human)
    return 0


def _clear(core: Client, args: argparse.Namespace) -> int:
    return run_job(core, args, core.plan_clear_flag(args.bay),
                    lambda expect: core.clear_flag(args.bay, expect))


def _failback(core: Client, args: argparse.Namespace) -> int:
    return run_job(core, args, core.plan_failback(args.profile),
                    lambda expect: core.failback(args.profile, expect))


def read_map(path: str) -> dict[str, str]:
    """A map file: 'PROFILE-or-BAY TARGET-BAY' per line."""
    try:
        with Path(path).open("rb") as handle:
            data = handle.read(MAP_LIMIT + 1)
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"--map {quoted(path)}: cannot read: {exc}") from None
    if len(data) > MAP_LIMIT:
        raise BadInput(f"--map {quoted(path)}: larger than {MAP_LIMIT // 1024} KiB")
    mapping: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        if len(words) != 2:
            raise BadInput(f"--map {quoted(path)} line {number}: expected 'PROFILE-or-BAY "
                           f"TARGET-BAY', got {quoted(line.strip())}")
        if words[0] in mapping:
            raise BadInput(f"--map {quoted(path)} line {number}: {quoted(words[0])} is "
                           "mapped twice")
        mapping[words[0]] = words[1]
    return mapping


def _planned(args: argparse.Namespace, make: Callable[[bool], Plan]) -> Plan | int:
    """The plan; when profiles have no target (and no --force), the plan --force would
    run, those profiles first, then the refusal (exit 3; with --json its ``problems``)."""
    try:
        return make(args.force)
    except Refused as exc:
        if exc.code != "shortfall":
            raise
        shown = make(True)
        problems = list(shown.shortfalls)
        if args.json:
            sys.stdout.write(json.dumps({**exc.to_dict(), "problems": problems,
                                         "plan": shown.to_dict()}, default=str) + "\n")
        else:
            sys.stdout.write(printable_lines(shown.text()) + "\n")
        sys.stderr.write(f"bayops: {printable(str(exc))}\n")
        return exc.exit_code


def _evacuate(core: Client, args: argparse.Namespace) -> int:
    mapping = read_map(args.map) if args.map else None
    stop = args.on_failure == "stop"
    plan = _planned(args, lambda force: core.plan_evacuate(args.enclosure, args.to, mapping,
                                                           stop, force))
    if isinstance(plan, int):
        return plan
    return run_job(core, args, plan, lambda expect: core.evacuate(
        args.enclosure, args.to, mapping, stop, args.force, expect))


def _restore(core: Client, args: argparse.Namespace) -> int:
    stop = args.on_failure == "stop"
    plan = _planned(args, lambda force: core.plan_restore(args.enclosure, stop, force))
    if isinstance(plan, int):
        return plan
    return run_job(core, args, plan, lambda expect: core.restore(args.enclosure, stop, args.force,
                                                            expect))
