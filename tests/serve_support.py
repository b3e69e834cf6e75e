"""A `bayops serve` for tests: in this process (the dashboard's Pilot tests, which patch the
simulator) or as a real subprocess (the process tests)."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent


class InProcessServer:
    """The service's app on a Unix socket, served by an event loop in a thread."""

    def __init__(self, config: Path, state: Path | str, socket: Path, monitor: bool = False) -> None:
        from tui.core.config import load_config
        from tui.server.app import make_app
        from tui.server.service import Service
        from tui.server.settings import settings

        self.config = load_config(config)
        self.socket = socket
        self.service = Service(self.config, str(state), settings(self.config, str(socket)))
        self.app = make_app(self.service)
        self.monitor = monitor
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name="test-server")

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        runner = web.AppRunner(self.app, handle_signals=False, access_log=None, shutdown_timeout=0.5)
        self.loop.run_until_complete(runner.setup())
        self.loop.run_until_complete(web.UnixSite(runner, str(self.socket)).start())
        self.runner = runner
        self.ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(runner.cleanup())

    def __enter__(self) -> InProcessServer:
        self.thread.start()
        self.ready.wait(10)
        self.service.start(monitor=self.monitor)
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.service.stop()

    def client(self, read_only: bool = False):
        from tui.client import connect

        return connect(f"unix:{self.socket}", self.config, read_only)


def socket_path(tmp: Path, name: str = "s.sock") -> Path:
    """A socket path short enough for AF_UNIX (108 bytes), under ``tmp`` when it fits."""
    path = tmp / name
    if len(str(path)) < 100:
        return path
    import tempfile

    return Path(tempfile.mkdtemp(prefix="bayops-")) / name


def start_server(config: Path, state: Path | str, socket: Path, *extra: str,
                 env: dict[str, str] | None = None) -> subprocess.Popen:
    """A real `bayops serve` subprocess; returns once it answers on ``socket`` and has
    settled: it leads, or (a standby on PostgreSQL) it knows which service does."""
    from tui.client.remote import wait_for_server

    full = dict(os.environ, BAYOPS_CONFIG=str(config), BAYOPS_STATE=str(state), **(env or {}))
    full.pop("BAYOPS_SERVER", None)
    proc = subprocess.Popen([sys.executable, "-m", "tui.cli", "serve", "--socket", str(socket), *extra],
                            env=full, cwd=ROOT, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_server(f"unix:{socket}", 30)
        wait_until(lambda: _settled(socket), 30, "the service to lead or know its leader")
    except Exception:
        proc.kill()
        raise AssertionError(f"bayops serve did not start: {proc.communicate()[1]}") from None
    return proc


def _settled(socket: Path) -> bool:
    """The service leads, or knows a live leader (it answers writes or says where to go).
    On PostgreSQL the lease is taken by a thread that starts once the socket listens."""
    import httpx

    with httpx.Client(base_url="http://bayops", transport=httpx.HTTPTransport(uds=str(socket)),
                      timeout=10) as http:
        info = http.get("/v1/info").json()["result"]
    return info["role"] == "leader" or info["leader"] is not None


def stop_server(proc: subprocess.Popen) -> str:
    if proc.poll() is None:
        proc.terminate()
    try:
        return proc.communicate(timeout=30)[1]
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.communicate()[1]


def wait_until(predicate, seconds: float = 60.0, what: str = "condition"):
    end = time.monotonic() + seconds
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
