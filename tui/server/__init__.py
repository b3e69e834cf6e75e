"""`bayops serve`: the site's one service; the dashboard and the CLI become its clients.

``serve`` listens on a Unix socket (mode 0660, group ``[serve] socket_group``; the
caller is the peer's OS user) and, when ``[serve] listen`` is set, on a TLS port for
bearer tokens. docs/deploy.md says how a site runs it.
"""
from __future__ import annotations

import asyncio
import contextlib
import grp
import os
import signal
import socket
import ssl
import sys
from pathlib import Path

from aiohttp import web

from tui.core.config import Config
from tui.model.errors import Refused
from tui.server.app import make_app
from tui.server.service import Service
from tui.server.settings import ServeSettings

SOCKET_MODE = 0o660


def _claim_socket(path: Path) -> None:
    """Refuse if another service answers on ``path``; remove a stale socket file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() and not path.is_symlink():
        return
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(str(path))
    except OSError:
        path.unlink()  # nobody listens: left by a service that died
        return
    finally:
        probe.close()
    raise Refused(f"another bayops serve answers on {path}", code="busy")


async def _run(service: Service, settings: ServeSettings) -> None:
    # Feed streams never end by themselves: give open connections a moment, not a minute.
    runner = web.AppRunner(make_app(service), handle_signals=False, access_log=None,
                           shutdown_timeout=2.0)
    await runner.setup()
    _claim_socket(settings.socket)
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
        await web.TCPSite(runner, host, port, ssl_context=context).start()
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
    await runner.cleanup()
    with contextlib.suppress(FileNotFoundError):
        settings.socket.unlink()


def serve(config: Config, state: str | None, settings: ServeSettings) -> int:
    service = Service(config, state, settings)
    try:
        asyncio.run(_run(service, settings))
    finally:
        service.stop()
    return 0
