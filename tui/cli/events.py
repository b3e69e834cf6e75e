"""`bayops events` (the audit trail, optionally followed) and `bayops watch` (headless monitor)."""
from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from tui.cli.output import _emit
from tui.cli.parsing import COUNT, SECONDS, _bounded, command

if TYPE_CHECKING:
    from tui.cli.parsing import Subparsers
    from tui.core.api import Core
    from tui.model.entities import Event

POLL_SECONDS = 0.25


def register(sub: Subparsers) -> None:
    c = command(sub, "events", "the event log (audit trail)")
    c.add_argument("--since", type=_bounded(int, 0, 2**62), default=None,
                   help="events after this sequence number")
    c.add_argument("--limit", type=COUNT, default=50, help="newest N when --since is not given")
    c.add_argument("--follow", "-f", action="store_true", help="stream new events")
    c.set_defaults(handler=_events)
    from tui.cli import archive  # `events archive|verify`: their parsers set their own handlers

    archive.register(c)
    c = command(sub, "watch", "headless monitor: health polling and the auto-failover policy")
    c.add_argument("--interval", type=SECONDS, default=2.0)
    c.add_argument("--no-policy", action="store_true", help="record health, never act")
    c.add_argument("--count", type=COUNT, default=0, help=argparse.SUPPRESS)
    c.set_defaults(handler=_watch)


class _Stop:
    """SIGTERM/SIGINT end a follow loop cleanly (a service manager stops `watch` so)."""

    def __init__(self) -> None:
        self.stopped = False
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._stop)

    def _stop(self, *_: Any) -> None:
        self.stopped = True

    def sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while not self.stopped and time.monotonic() < end:
            time.sleep(min(0.05, max(0.0, end - time.monotonic())))


def _event_line(e: Event) -> str:
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(e.ts))
    return f"{e.seq:>6} {when} {e.severity:8} {e.source:22} {e.message} [{e.operator}]"


def _print_events(args: argparse.Namespace, events: Iterable[Event]) -> None:
    for e in events:
        if args.json:
            sys.stdout.write(json.dumps(e.to_dict()) + "\n")
        else:
            sys.stdout.write(_event_line(e) + "\n")
    sys.stdout.flush()


def _events(core: Core, args: argparse.Namespace) -> int:
    if args.follow:
        stop = _Stop()
        last = core.store.last_event_seq() if args.since is None else args.since
        while not stop.stopped:
            events = core.events(last)
            if events:
                _print_events(args, events)
                last = events[-1].seq
            stop.sleep(POLL_SECONDS)
        return 0
    events = core.events(args.since or 0, None if args.since is not None else args.limit)
    _emit(args, [e.to_dict() for e in events], lambda: "\n".join(_event_line(e) for e in events))
    return 0


def _watch(core: Core, args: argparse.Namespace) -> int:
    from tui.core.monitor import Monitor

    stop = _Stop()
    monitor = Monitor(core, apply_policy=not args.no_policy)
    last = core.store.last_event_seq()
    polls = 0
    while not stop.stopped:
        monitor.poll()
        events = core.events(last)
        if events:
            _print_events(args, events)
            last = events[-1].seq
        polls += 1
        if args.count and polls >= args.count:
            break
        stop.sleep(args.interval)
    return 0
