"""`bayops events` (the audit trail, optionally followed) and `bayops watch` (headless monitor)."""
from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from tui.cli.output import emit
from tui.cli.parsing import COUNT, SECONDS, bounded, command
from tui.model.errors import OperationFailed
from tui.model.text import printable

if TYPE_CHECKING:
    from tui.cli.parsing import Subparsers
    from tui.client.protocol import Client
    from tui.model.entities import Event

POLL_SECONDS = 0.25
EVENT_BATCH = 500


def register(sub: Subparsers) -> None:
    c = command(sub, "events", "the event log (audit trail)")
    c.add_argument("--since", type=bounded(int, 0, 2**62), default=None,
                   help="events after this sequence number")
    c.add_argument("--limit", type=bounded(int, 1, 100_000), default=None,
                   help="at most N: the newest 50 by default; with --since the first 1000 "
                        "after it (page on from the last one shown)")
    c.add_argument("--follow", "-f", action="store_true", help="stream new events")
    c.set_defaults(handler=_events)
    from tui.cli import archive  # `events archive|verify`: their parsers set their own handlers

    archive.register(c)
    c = command(sub, "watch", "headless monitor: health polling and the auto-failover policy")
    c.add_argument("--interval", type=SECONDS, default=2.0)
    c.add_argument("--no-policy", action="store_true", help="record health, never act")
    c.add_argument("--count", type=COUNT, default=0, help=argparse.SUPPRESS)
    c.set_defaults(handler=_watch)


class StopSignal:
    """SIGTERM/SIGINT end a follow loop cleanly (a service manager stops `watch` so)."""

    def __init__(self) -> None:
        self.stopped = False
        self.wake = threading.Event()  # set by a server's change feed, and by a stop
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, self._stop)

    def _stop(self, *_: Any) -> None:
        self.stopped = True
        self.wake.set()

    def sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while not self.stopped and time.monotonic() < end:
            time.sleep(min(0.05, max(0.0, end - time.monotonic())))


def _event_line(e: Event) -> str:
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(e.ts))
    return (f"{e.seq:>6} {when} {e.severity:8} {printable(e.source):22} {printable(e.message)} "
            f"[{printable(e.operator)}]")


def _print_events(args: argparse.Namespace, events: Iterable[Event]) -> None:
    for e in events:
        if args.json:
            sys.stdout.write(json.dumps(e.to_dict()) + "\n")
        else:
            sys.stdout.write(_event_line(e) + "\n")
    sys.stdout.flush()


class _EventFollower:
    """Prints new events as the change feed reports them, in bounded batches."""

    def __init__(self, core: Client, args: argparse.Namespace, since: int | None) -> None:
        self.core, self.args = core, args
        self.rev = core.revision()
        self.last = core.last_event_seq() if since is None else since
        self.caught_up = since is None

    def print_new(self) -> None:
        changes = self.core.changes(self.rev)
        self.rev = changes.rev
        if not (self.caught_up and not changes.resync and not changes.of("event")):
            events = self.core.events(self.last, EVENT_BATCH)
            while events:
                _print_events(self.args, events)
                self.last = events[-1].seq
                events = self.core.events(self.last, EVENT_BATCH) if len(events) == EVENT_BATCH else []
            self.caught_up = True


def _events(core: Client, args: argparse.Namespace) -> int:
    if args.follow:
        stop = StopSignal()
        follower = _EventFollower(core, args, args.since)
        # A server's client is woken by its change feed; embedded, the feed is polled.
        pushed = core.subscribe(stop.wake.set)
        while not stop.stopped:
            follower.print_new()
            if pushed:
                stop.wake.wait(1.0)
                stop.wake.clear()
            else:
                stop.sleep(POLL_SECONDS)
        return 0
    if args.since is None:
        events = core.events(0, args.limit or 50, newest=True)
    else:
        events = core.events(args.since, args.limit or 1000)
    emit(args, [e.to_dict() for e in events], lambda: "\n".join(_event_line(e) for e in events))
    return 0


def _watch(core: Client, args: argparse.Namespace) -> int:
    stop = StopSignal()
    # A client of a service only follows: the service polls and runs the policy.
    monitor = core.poller(apply_policy=not args.no_policy, sweep_seconds=args.interval)
    if monitor is None:
        sys.stderr.write("bayops: the server polls the hardware and runs the policy; "
                         "following its events\n")
    follower = _EventFollower(core, args, None)
    polls, unreachable = 0, ""
    while not stop.stopped:
        try:
            if monitor is not None:
                monitor.poll()
            follower.print_new()
        except OperationFailed as exc:  # a database server restarting: ride it out
            if exc.code != "store-unreachable":
                raise
            if str(exc) != unreachable:
                sys.stderr.write(f"bayops: watch: {printable(str(exc))}; trying again\n")
                unreachable = str(exc)
        else:
            unreachable = ""
        polls += 1
        if args.count and polls >= args.count:
            break
        stop.sleep(args.interval)
    return 0
