"""What the handlers share for output: JSON or text, tables, job text, confirmation on a TTY."""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence

from tui.model.errors import Refused
from tui.model.text import printable

TYPE_CHECKING = False  # not typing's: `status` need not import typing (mypy knows the name)
if TYPE_CHECKING:
    from typing import Any

    from tui.client.protocol import Client
    from tui.model.entities import Job
    from tui.model.plan import Plan


def emit(args: argparse.Namespace, data: Any, human: Callable[[], str] | str) -> None:
    if getattr(args, "json", False):
        # Compact: json's C encoder runs only without indent (16k bays: 4x faster).
        sys.stdout.write(json.dumps(data, default=str, separators=(",", ":")) + "\n")
    else:
        text = human() if callable(human) else human
        if text:
            sys.stdout.write(printable_lines(text.rstrip("\n")) + "\n")


def printable_lines(text: str) -> str:
    """Text the CLI composed, each line made printable: a control character or escape that
    a field carried in is shown, never sent (fields are escaped first where they are
    composed, so a newline inside one cannot forge a line)."""
    return "\n".join(printable(line) for line in text.split("\n"))


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [[str(h) for h in headers]] + [["-" if v is None else printable(v) for v in r]
                                          for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)).rstrip() for r in cells)


def job_text(job: Job) -> str:
    lines = [f"job {job.id} {job.kind} {job.state}: {printable(job.summary)} "
             f"(by {printable(job.operator)})"]
    seen: set[str] = set()
    width = max([7, *(len(s.state) for s in job.steps)])  # "running"; "interrupted" is longer
    for s in job.steps:
        detail = f": {printable(s.detail)}" if s.detail else ""  # a running step has none yet
        # a step interrupted by a crash is run again under its own name when the job resumes
        again = ", resumed" if s.key in seen else ""
        seen.add(s.key)
        lines.append(f"  {s.seq:>2}. [{s.state:{width}}] {printable(s.name)}{again}{detail}")
    return "\n".join(lines)


def confirm(args: argparse.Namespace, plan_text: str) -> None:
    if getattr(args, "yes", False):
        return
    if not sys.stdin.isatty():
        raise Refused("needs confirmation: run on a terminal or add --yes")
    sys.stderr.write(printable_lines(plan_text.rstrip()) + "\nProceed? [y/N] ")
    sys.stderr.flush()
    if sys.stdin.readline().strip().lower() not in ("y", "yes"):
        raise Refused("not confirmed; nothing changed")


def shown_dry_run(args: argparse.Namespace, plan: Plan) -> bool:
    """With --dry-run, print the plan (structured with --json) and say so."""
    if args.dry_run:
        emit(args, {"dry_run": True, "plan": plan.to_dict()}, plan.text())
    return bool(args.dry_run)


def carry_out(args: argparse.Namespace, plan: Plan,
              execute: Callable[[Plan | None], Job], follow: Client | None = None) -> Job | None:
    """--dry-run prints the plan and stops (None); otherwise confirm, then execute.

    A person who confirmed gets that plan or a refusal (plan-changed); a script (--yes)
    gets what the live state plans at the moment it runs. ``follow``: the client of a run
    that may take minutes, whose steps are then said on stderr as they run.
    """
    if shown_dry_run(args, plan):
        return None
    confirm(args, plan.text())
    if follow is None:
        return execute(None if args.yes else plan)
    from tui.cli.progress import JobProgress

    with JobProgress(follow):
        return execute(None if args.yes else plan)
