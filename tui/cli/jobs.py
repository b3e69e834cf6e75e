"""`bayops jobs`: list jobs, show one with its journal, resume interrupted ones."""
from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tui.cli.output import emit, job_text, table
from tui.cli.parsing import COUNT, JOB_ID, Parser
from tui.model.text import printable

if TYPE_CHECKING:
    from tui.cli.parsing import Subparsers
    from tui.client.protocol import Client


def register(sub: Subparsers) -> None:
    j = sub.add_parser("jobs", help="jobs: list, show one, resume interrupted ones")
    j.add_argument("--json", action="store_true")
    j.add_argument("--limit", type=COUNT, default=50)
    j.set_defaults(handler=_jobs)
    jsub = j.add_subparsers(dest="action", parser_class=Parser, metavar="ACTION")
    c = jsub.add_parser("show", help="one job with its journal")
    c.add_argument("id", type=JOB_ID)
    c.add_argument("--json", action="store_true")
    c = jsub.add_parser("resume", help="finish or roll back jobs interrupted by a crash")
    c.add_argument("--json", action="store_true")


def _jobs(core: Client, args: argparse.Namespace) -> int:
    if args.action == "show":
        job = core.job(args.id)
        emit(args, job.to_dict(), lambda: job_text(job))
        return 0
    if args.action == "resume":
        done = core.resume_interrupted()
        emit(args, [{"job": j.to_dict(), "outcome": o} for j, o in done],
              lambda: "\n".join(f"job {j.id}: {printable(o)}" for j, o in done) or "no interrupted job")
        return 0 if all(o == "done" for _, o in done) else 1
    jobs = core.jobs(args.limit)
    emit(args, [j.to_dict() for j in jobs], lambda: table(
        ("JOB", "KIND", "STATE", "OPERATOR", "STEPS", "SUMMARY"),
        [(j.id, j.kind, j.state, j.operator, len(j.steps), j.summary) for j in jobs]))
    return 0
