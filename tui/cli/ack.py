"""`bayops ack BAY`: acknowledge a critical bay (who and when, in the event log)."""
from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tui.cli.output import carry_out, emit, job_text
from tui.cli.parsing import command, confirmable

if TYPE_CHECKING:
    from tui.cli.parsing import Subparsers
    from tui.client.protocol import Client


def register(sub: Subparsers) -> None:
    c = command(sub, "ack", "acknowledge a critical bay: recorded with your name; cleared "
                            "when the bay is healthy again")
    c.add_argument("bay")
    confirmable(c)
    c.set_defaults(handler=_ack)


def _ack(core: Client, args: argparse.Namespace) -> int:
    plan = core.plan_ack(args.bay)
    job = carry_out(args, plan, lambda expect: core.ack(args.bay, expect))
    if job is None:
        return 0
    emit(args, {"job": job.to_dict(), "bay": core.bay(args.bay).to_dict()},
          lambda: job_text(job))
    return 0
