"""The driver's one asyncio event loop, on a daemon thread of its own.

The synchronous :class:`~tui.model.driver.Driver` methods submit coroutines to it
with ``asyncio.run_coroutine_threadsafe`` and block on the result; every BMC client,
event stream and poller lives on it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from tui.model.driver import DriverError

T = TypeVar("T")


class LoopThread:
    """Started on first use; once closed, every submission is a DriverError."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self.closed = False

    def _ensure(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self.closed:
                raise DriverError("redfish driver is closed")
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=self._run_forever, args=(loop,), name=self._name, daemon=True
                )
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    @staticmethod
    def _run_forever(loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        loop.run_forever()

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Schedule ``coro`` on the loop without waiting for it."""
        try:
            loop = self._ensure()
        except DriverError:
            coro.close()  # never awaited: close it rather than leave Python to warn
            raise
        return asyncio.run_coroutine_threadsafe(coro, loop)

    def run(self, coro: Coroutine[Any, Any, T], what: str) -> T:
        """Run ``coro`` on the loop and wait for its result; ``what`` names it for errors."""
        future = self.submit(coro)
        try:
            return future.result()
        except concurrent.futures.CancelledError:
            raise DriverError(f"redfish driver was closed while {what} was running") from None

    def close(self, shutdown: Callable[[], Awaitable[None]], timeout: float) -> None:
        """Cancel every task on the loop, await ``shutdown()``, then stop the thread."""
        with self._lock:
            if self.closed:
                return
            self.closed = True
            loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        future = asyncio.run_coroutine_threadsafe(self._cancel_all_then(shutdown), loop)
        with contextlib.suppress(Exception):  # best effort: the loop is stopped either way
            future.result(timeout=timeout)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        if not thread.is_alive():
            loop.close()

    @staticmethod
    async def _cancel_all_then(shutdown: Callable[[], Awaitable[None]]) -> None:
        me = asyncio.current_task()
        others = [t for t in asyncio.all_tasks() if t is not me]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)
        await shutdown()
