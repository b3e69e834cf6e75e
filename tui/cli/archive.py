"""`bayops events archive|verify`: retention of the event log without losing the audit trail."""
from __future__ import annotations

import argparse
from datetime import datetime
from typing import TYPE_CHECKING

from tui.cli.output import carry_out, emit, job_text
from tui.cli.parsing import Parser, confirmable
from tui.model.errors import BadInput
from tui.model.text import quoted

if TYPE_CHECKING:
    from tui.client.protocol import Client


def register(events: argparse.ArgumentParser) -> None:
    """The sub-actions of `bayops events` (which lists the log without one)."""
    sub = events.add_subparsers(dest="action", parser_class=Parser, metavar="ACTION")
    c = sub.add_parser("archive", help="move events and finished jobs older than a date to a "
                       "hash-chained archive file (admin)",
                       description="Write every event and every finished job (with its journal) "
                       "older than DATE to a gzip JSON-lines file whose records form a hash chain "
                       "across archives, make it durable, then delete them from the store.")
    c.add_argument("--before", type=_date, metavar="DATE",
                   help="YYYY-MM-DD or an ISO date and time, local time; required")
    c.add_argument("--to", metavar="FILE", help="the archive file (default: "
                   "<state folder>/archive/events-<first>-<last>.jsonl.gz); never overwritten")
    c.add_argument("--json", action="store_true", help="one JSON document on stdout")
    confirmable(c)
    c.set_defaults(handler=_archive)
    c = sub.add_parser("verify", help="check archives and the live log: hashes, chain, no gap",
                       description="Without FILE: every recorded archive, where it was written, "
                       "and the live log after them. With FILEs: their own chains and that they "
                       "continue each other. Exit 1 with one line per problem.")
    c.add_argument("files", nargs="*", metavar="FILE")
    c.add_argument("--json", action="store_true", help="one JSON document on stdout")
    c.set_defaults(handler=_verify)


def _date(text: str) -> float:
    """YYYY-MM-DD or an ISO date-time; local time unless it names an offset."""
    try:
        return datetime.fromisoformat(text.strip()).timestamp()
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{quoted(text)} is not a date: use YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]") from None


def _archive(core: Client, args: argparse.Namespace) -> int:
    if args.before is None:
        raise BadInput("which events? give --before DATE", code="missing-date")
    before: float = args.before
    plan = core.plan_archive(before, args.to)
    job = carry_out(args, plan, lambda expect: core.archive(before, args.to, expect))
    if job is None:
        return 0
    record = next((a for a in core.archives() if a.job_id == job.id), None)
    emit(args, {"job": job.to_dict(), "archive": record.to_dict() if record else None},
          lambda: job_text(job))
    return 0


def _verify(core: Client, args: argparse.Namespace) -> int:
    found = core.verify_archives(args.files or None)

    def text() -> str:
        if not found.ok:
            return "\n".join(found.problems)
        records = sum(s.records for s in found.files)
        lines = [f"{s.file}: {s.records} records, {s.holds()}" for s in found.files]
        if args.files:
            return "\n".join([*lines, f"intact: {len(found.files)} file(s), {records} records"])
        live = found.live
        skipped = (f" ({live['skipped_ids']} id(s) the database's sequences skipped, no event"
                   " missing)") if live.get("skipped_ids") else ""
        return "\n".join([*lines, f"intact: {len(found.files)} archive(s), {records} records; "
                          f"the live log continues at event seq {live['first_seq']}{skipped}"])
    emit(args, found.to_dict(), text)
    return 0 if found.ok else 1
