"""The change feed, streamed: one reader of the store, many clients, none holds it back.

One task asks the store what changed (``changes_since``) and offers each batch to every
subscriber's bounded queue. A subscriber whose queue is full is not waited for: its queue
is emptied and it gets a ``resync`` marker with the revision to reload from.
"""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from tui.core.store import ChangeSet, Store

FEED_SECONDS = 0.05  # how often the feed asks the store (one indexed query when idle)
MAX_KEYS = 2000  # a batch naming more keys than this says only its kinds


def change_event(changes: ChangeSet) -> tuple[str, dict[str, Any]]:
    """(SSE event name, data) for a batch of changes."""
    if changes.resync:
        return "resync", {"rev": changes.rev}
    total = sum(len(v) for v in changes.keys.values())
    keys: dict[str, Any] = ({k: sorted(v) for k, v in changes.keys.items()} if total <= MAX_KEYS
                            else dict.fromkeys(changes.keys))
    return "change", {"rev": changes.rev, "since": changes.since, "changes": keys}


class Subscriber:
    def __init__(self, size: int) -> None:
        self.queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue(size)

    def offer(self, item: tuple[str, dict[str, Any]]) -> None:
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:  # too slow: forget what it missed, tell it to reload
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(("resync", {"rev": item[1]["rev"]}))


CLOSE = ("close", {"rev": 0})  # the service stops: the stream ends, the client reconnects


class Feed:
    def __init__(self, store: Store, pool: Executor, queue_size: int,
                 sent: Callable[[int], None] = lambda rev: None) -> None:
        self.store = store
        self.pool = pool
        self.queue_size = queue_size
        self.subscribers: set[Subscriber] = set()
        self.rev = store.revision()
        self.sent = sent
        self.wake = asyncio.Event()

    def subscribe(self) -> Subscriber:
        sub = Subscriber(self.queue_size)
        self.subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self.subscribers.discard(sub)

    def close(self) -> None:
        """End every open stream (the service stops), so that shutting down waits only
        for requests that do work, never for feeds that would stream forever."""
        for sub in list(self.subscribers):
            while not sub.queue.empty():
                sub.queue.get_nowait()
            sub.queue.put_nowait(CLOSE)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), FEED_SECONDS)
            self.wake.clear()
            try:
                changes = await loop.run_in_executor(self.pool, self.store.changes_since, self.rev)
            except Exception:  # the store was busy or failed once: ask again next time
                continue
            if changes.rev == self.rev and not changes.resync:
                continue
            item = change_event(changes)
            self.rev = changes.rev
            for sub in list(self.subscribers):
                sub.offer(item)
            self.sent(self.rev)
            if changes.more:
                self.wake.set()

    async def catch_up(self, since: int) -> list[tuple[str, dict[str, Any]]]:
        """What a client that has seen ``since`` missed, up to the feed's revision."""
        loop = asyncio.get_running_loop()
        out = []
        while since < self.rev:
            changes = await loop.run_in_executor(self.pool, self.store.changes_since, since)
            if changes.rev == since and not changes.resync:
                break
            out.append(change_event(changes))
            if changes.resync or not changes.more:
                break
            since = changes.rev
        return out
