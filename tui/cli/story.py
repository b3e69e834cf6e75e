"""`bayops bay BAY`: a bay's story; `bayops note BAY TEXT|--clear`: a note on a bay;
`bayops handover [--since]`: what changed since a time or since you last looked."""
from __future__ import annotations

import argparse
import re
import time
from datetime import datetime
from typing import TYPE_CHECKING

from tui.cli.output import emit
from tui.cli.parsing import command
from tui.model.errors import BadInput
from tui.model.text import quoted
from tui.story_text import handover_lines, story_lines, when

if TYPE_CHECKING:
    from tui.cli.parsing import Subparsers
    from tui.client.protocol import Client

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def register(sub: Subparsers) -> None:
    c = command(sub, "bay", "one bay's story: state, home/away, health timeline, jobs, events "
                            "and notes")
    c.add_argument("bay")
    c.set_defaults(handler=_bay)
    c = command(sub, "note", "leave a note on a bay for the next shift (operator); "
                             "--clear removes it")
    c.add_argument("bay")
    c.add_argument("text", nargs="?", help="the note: one line, at most 500 characters")
    c.add_argument("--clear", action="store_true", help="remove the bay's note")
    c.set_defaults(handler=_note)
    c = command(sub, "handover", "what changed since you last looked (or --since): new "
                                 "failures, who did what, open acks, drains, leases, failbacks")
    c.add_argument("--since", type=since_time, metavar="TIME|DURATION",
                   help="a duration back from now (90m, 8h, 1d) or a local date and time "
                        "(2026-12-06T08:00); default: your last look at the hand-over")
    c.set_defaults(handler=_handover)


def since_time(text: str) -> float:
    """'90m', '8h', '1d', '45s' ago, or an ISO date/time (local unless it names an offset)."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd])\s*", text)
    if found:
        return time.time() - float(found.group(1)) * _UNITS[found.group(2)]
    try:
        return datetime.fromisoformat(text.strip()).timestamp()
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{quoted(text)} is neither a duration (90m, 8h, 1d) nor a date and time "
            "(YYYY-MM-DD[THH:MM])") from None


def _text(lines: list[tuple[str, str]]) -> str:
    return "\n".join(text for text, _ in lines)


def _bay(core: Client, args: argparse.Namespace) -> int:
    story = core.bay_story(args.bay)
    emit(args, story.to_dict(), lambda: _text(story_lines(story)))
    return 0


def _note(core: Client, args: argparse.Namespace) -> int:
    if args.clear == (args.text is not None):
        raise BadInput("give the note's TEXT, or --clear (not both)", code="usage")
    note = core.note_bay(args.bay, None if args.clear else args.text)
    emit(args, vars(note), lambda: f"{note.bay}: note cleared" if not note.text
          else f"{note.bay}: note by {note.by} at {when(note.at)}: {note.text}")
    return 0


def _handover(core: Client, args: argparse.Namespace) -> int:
    summary = core.handover(args.since)
    emit(args, summary.to_dict(), lambda: _text(handover_lines(summary)))
    if not core.read_only:
        core.mark_looked(summary.until)  # shown: the next hand-over starts here
    return 0
