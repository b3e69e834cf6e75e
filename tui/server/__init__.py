"""`bayops serve`: the site's one service; the dashboard and the CLI become its clients.

``serve`` listens on a Unix socket (mode 0660, group ``[serve] socket_group``; the
caller is the peer's OS user) and, when ``[serve] listen`` is set, on a TLS port for
bearer tokens. docs/deploy.md says how a site runs it.
"""
from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import errno
import fcntl
import grp
import os
import signal
import socket
import ssl
import stat
import sys
from pathlib import Path

from aiohttp import web

from tui.core.config import Config
from tui.core.statepath import find_state
from tui.model.errors import BadInput, Refused
from tui.server.app import make_app
from tui.server.service import Service
from tui.server.settings import DEFAULT_SOCKET, ServeSettings
from tui.server.tls import TlsListener

SOCKET_MODE = 0o660
GRACEFUL_SECONDS = 100.0  # below the unit's TimeoutStopSec=120 (deploy/bayops.service)


def _claim_socket(path: Path) -> None:
    """Make ``path`` free for the service's socket, or refuse and touch nothing.

    Only a socket that nobody answers on (left by a service that died) is removed; any
    other file or a directory at ``path`` is someone's data: an error, never deleted.
    A missing folder is created only for the default /run/bayops (systemd's
    RuntimeDirectory normally makes it); any other path's folder must exist."""
    if not path.parent.is_dir():
        if path != Path(DEFAULT_SOCKET):
            raise BadInput(f"socket {path}: its folder {path.parent} does not exist",
                           code="bad-socket")
        path.parent.mkdir(mode=0o755, exist_ok=True)
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(mode):
        what = "a directory" if stat.S_ISDIR(mode) else "a file that is not a socket"
        raise BadInput(f"socket {path}: {what} is there; bayops serve does not remove it "
                       "(choose another --socket or [serve] socket)", code="bad-socket")
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(str(path))
    except OSError:
        path.unlink()  # a socket nobody listens on: left by a service that died
        return
    finally:
        probe.close()
    raise Refused(f"another bayops serve answers on {path}", code="busy")


def _lock_state(state: Path) -> int:
    """Hold ``<state>.serve.lock`` (flock, 0600) for the service's life: one service per
    store. A second one is refused naming the holder's pid. Returns the open descriptor."""
    lock = state.with_name(state.name + ".serve.lock")
    lock.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
        os.close(fd)
        raise Refused(f"another bayops serve (pid {holder}) already serves {state} "
                      f"(it holds {lock})", code="busy") from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


async def _run(service: Service, settings: ServeSettings) -> None:
    # At SIGTERM the feed streams end (on_shutdown) and requests still running (a failover
    # waiting for its job) get up to GRACEFUL_SECONDS to answer before they are cut.
    runner = web.AppRunner(make_app(service), handle_signals=False, access_log=None,
                           shutdown_timeout=GRACEFUL_SECONDS)
    await runner.setup()
    tls: list[TlsListener] = []
    try:
        await _listen(runner, service, settings, tls)
    finally:  # also when listening failed half-way: no socket left behind
        for listener in tls:
            await listener.close(GRACEFUL_SECONDS)
        await runner.cleanup()
        with contextlib.suppress(FileNotFoundError):
            settings.socket.unlink()


async def _listen(runner: web.AppRunner, service: Service, settings: ServeSettings,
                  tls: list[TlsListener]) -> None:
    """Listen, serve until a stop signal, then return (the caller cleans up ``tls``)."""
    old = os.umask(0o117)  # the socket is never wider than 0660, not even for a moment
    try:
        await web.UnixSite(runner, str(settings.socket)).start()
    finally:
        os.umask(old)
    os.chmod(settings.socket, SOCKET_MODE)
    if settings.socket_group:
        os.chown(settings.socket, -1, grp.getgrnam(settings.socket_group).gr_gid)
    where = [f"unix:{settings.socket}"]
    if settings.listen:
        assert settings.tls_cert is not None and settings.tls_key is not None
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(settings.tls_cert, settings.tls_key)
        host, port = settings.host_port()
        assert runner.server is not None  # after setup()
        tls.append(TlsListener(runner.server, context, settings.max_connections,
                               settings.handshake_seconds, settings.idle_seconds))
        try:
            await tls[0].start(host, port)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            raise BadInput(f"address {settings.listen} in use ([serve] listen or --listen)",
                           code="address-in-use") from None
        where.append(f"https://{settings.listen}")
    service.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        loop.add_signal_handler(sig, stop.set)
    sys.stderr.write(f"bayops serve: pid {os.getpid()}, {service.driver.name} driver, "
                     f"state {service.store.where}, listening on {', '.join(where)}\n")
    sys.stderr.flush()
    await stop.wait()


def serve(config: Config, state: str | None, settings: ServeSettings) -> int:
    where = find_state(state, config)
    # One service per SQLite file, by a lock beside it. A database is shared by design: the
    # leader lease is what keeps a second service from polling and running jobs too, so a
    # PostgreSQL site always takes it, whether or not [serve] ha says so.
    if where.kind == "postgresql" and not settings.ha:
        settings = dataclasses.replace(settings, ha=True)
    lock = _lock_state(where.path) if where.kind == "sqlite" else None
    try:
        _claim_socket(settings.socket)  # before the store opens: a refusal touches nothing
        service = Service(config, state, settings)
        try:
            asyncio.run(_run(service, settings))
        finally:
            service.stop()
    finally:
        if lock is not None:
            os.close(lock)  # the lock file stays: removing it could race a starting service
    return 0
