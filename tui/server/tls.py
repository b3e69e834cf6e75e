"""The TLS port of `bayops serve`, bounded against peers that never authenticate.

asyncio's own server accepts without limit and keeps a half-open peer (no handshake, or a
handshake and then silence) for as long as it likes: each costs a descriptor and ~300 KB,
and at the file limit ``accept`` fails for the Unix socket too. Here the accept loop is
ours: at most ``max_connections`` peers at once (a peer past that is closed at once), the
handshake within ``handshake_seconds``, the first request (and any idle gap) within
``idle_seconds``; the Unix socket shares none of these descriptors.
"""
from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import errno
import gc
import socket
import ssl

from aiohttp import web

TRIM_AFTER = 16
TRIM_DELAY = 0.5  # seconds

# A peer that resets mid-accept is routine; a full file table waits for a close.
_RETRY_LATER = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}


def _malloc_trim() -> None:
    """Give freed TLS buffers back to the system (glibc keeps them in its arenas)."""
    name = ctypes.util.find_library("c")
    if name:
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(name).malloc_trim(0)


class TlsListener:
    def __init__(self, app_server: web.Server, context: ssl.SSLContext, max_connections: int,
                 handshake_seconds: float, idle_seconds: float) -> None:
        # A server of its own: the idle limit is the TLS port's, not the Unix socket's.
        self.server = web.Server(app_server.request_handler,
                                 request_factory=app_server.request_factory,
                                 access_log=None, keepalive_timeout=idle_seconds)
        self.crowd = False  # TRIM_AFTER peers or more at once since memory was given back
        self.context = context
        self.max_connections = max_connections
        self.handshake_seconds = handshake_seconds
        self.handshaking = 0
        self._sock: socket.socket | None = None
        self._task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def open_connections(self) -> int:
        return self.handshaking + len(self.server.connections)

    async def start(self, host: str, port: int) -> None:
        self._sock = socket.create_server((host, port), backlog=128)
        self._sock.setblocking(False)
        self._task = asyncio.get_running_loop().create_task(self._accept(self._sock))

    async def _accept(self, listening: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                conn, _ = await loop.sock_accept(listening)
            except OSError as exc:
                if exc.errno in _RETRY_LATER:
                    await asyncio.sleep(0.1)
                continue
            if self.open_connections() >= self.max_connections:
                conn.close()  # full: the peer is told at once, and holds nothing of ours
                continue
            if not self.crowd and self.open_connections() + 1 >= TRIM_AFTER:
                self.crowd = True
                loop.call_later(TRIM_DELAY, self._trim)
            self.handshaking += 1  # now: this loop may accept many before the task runs
            task = loop.create_task(self._handshake(conn))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _handshake(self, conn: socket.socket) -> None:
        """Hand ``conn`` to the app once its handshake is done in time; the app's server
        counts it from then on (until it closes)."""
        try:
            await asyncio.get_running_loop().connect_accepted_socket(
                self.server, conn, ssl=self.context, ssl_handshake_timeout=self.handshake_seconds)
        except (TimeoutError, OSError, ssl.SSLError):
            pass  # asyncio closed it; a failed handshake is the peer's business, not logged
        finally:
            self.handshaking -= 1

    def _trim(self) -> None:
        """Once a crowd has gone, its memory goes back (not after every ordinary request:
        the trim walks the whole heap). Checked every TRIM_DELAY while it is there."""
        if self.open_connections():
            asyncio.get_running_loop().call_later(TRIM_DELAY, self._trim)
            return
        self.crowd = False
        gc.collect()  # the TLS transports hold themselves in cycles
        _malloc_trim()

    async def close(self, timeout: float) -> None:
        if self._task is not None:
            self._task.cancel()
        for task in list(self._tasks):
            task.cancel()
        if self._sock is not None:
            self._sock.close()
        await self.server.shutdown(timeout)
