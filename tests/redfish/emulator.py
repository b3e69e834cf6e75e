"""Start and stop a sushy-tools Redfish emulator (fake driver) in a subprocess.

Used by tests/redfish/conftest.py and by bench/redfish_sweep.py. The "fast"
launcher patches the fake driver's ``random.randint`` to 0 so a power change is
visible on the next GET; without it PowerState flips 1-11 s after the 204.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import socket
import ssl
import subprocess
import sys
import time
import uuid as uuidlib

import httpx

EMU_USER = "admin"
EMU_PASSWORD = "Emu-pa55word-7f3k"  # tests assert this never shows up in a message
FAST_NAMES = [f"enc-a1-bay{i:02d}" for i in range(1, 9)]  # 8 systems -> bays enc-a1/1..8
SLOW_NAMES = ["enc-b1-bay01", "enc-b1-bay02"]  # -> bays enc-b1/1..2

FAST_LAUNCHER = """\
import random, sys
from sushy_tools.emulator.resources.systems import fakedriver

class _NoDelay(random.Random):
    def randint(self, a, b):
        return 0

fakedriver.random = _NoDelay()
from sushy_tools.emulator import main
sys.exit(main.main())
"""

# Bench only: keep the fake driver's state in a dict instead of SQLite (the fake
# driver accepts any mapping). Sushy opens a SQLite connection for every access, which
# under a burst of concurrent requests contends on the database lock.
MEMORY_STATE_PATCH = """\
from sushy_tools.emulator import memoize

class _MemoryDict(dict):
    def make_permanent(self, *args):
        pass

memoize.PersistentDict = _MemoryDict
"""

REAL_LAUNCHER = """\
import sys
from sushy_tools.emulator import main
sys.exit(main.main())
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fake_systems(names: list[str], power_state: str = "Off") -> list[dict]:
    systems = []
    for i, name in enumerate(names):
        mac = f"52:54:00:{(i >> 16) & 0xFF:02x}:{(i >> 8) & 0xFF:02x}:{i & 0xFF:02x}"
        systems.append(
            {
                "uuid": str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, f"bayops-test/{name}")),
                "name": name,
                "power_state": power_state,
                "external_notifier": False,
                "nics": [{"mac": mac, "ip": "127.0.0.1"}],
            }
        )
    return systems


def self_signed(workdir: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path]:
    """A certificate for 127.0.0.1 (subjectAltName IP) and its key, made with openssl."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("openssl is not installed (apt-get install openssl)")
    cert, key = workdir / "bmc-cert.pem", workdir / "bmc-key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return cert, key


def htpasswd_line(user: str, password: str) -> str:
    import bcrypt

    return f"{user}:" + bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()


class Emulator:
    """One sushy-emulator process on 127.0.0.1. ``url`` once started; ``stop()`` always."""

    def __init__(
        self,
        workdir: pathlib.Path,
        systems: list[dict],
        *,
        auth: tuple[str, str] | None = None,
        fast: bool = True,
        memory_state: bool = False,
        tls: tuple[pathlib.Path, pathlib.Path] | None = None,
    ) -> None:
        self.workdir = pathlib.Path(workdir)
        self.systems = systems
        self.auth = auth
        self.fast = fast
        self.memory_state = memory_state
        self.tls = tls  # (certificate, key) PEM files: serve HTTPS
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.log_path = self.workdir / "emulator.log"

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def _client(self, **kw) -> httpx.Client:
        verify = ssl.create_default_context(cafile=str(self.tls[0])) if self.tls else True
        return httpx.Client(base_url=self.url, auth=self.auth, verify=verify, trust_env=False, **kw)

    def uuid_of(self, name: str) -> str:
        return next(s["uuid"] for s in self.systems if s["name"] == name)

    def _write_config(self) -> pathlib.Path:
        state = self.workdir / "state"
        state.mkdir(parents=True, exist_ok=True)
        lines = [
            "SUSHY_EMULATOR_LISTEN_IP = '127.0.0.1'",
            f"SUSHY_EMULATOR_LISTEN_PORT = {self.port}",
            "SUSHY_EMULATOR_FAKE_DRIVER = True",
            f"SUSHY_EMULATOR_STATE_DIR = {str(state)!r}",
            f"SUSHY_EMULATOR_FAKE_SYSTEMS = {self.systems!r}",
        ]
        if self.auth:
            htpasswd = self.workdir / "htpasswd"
            htpasswd.write_text(htpasswd_line(*self.auth) + "\n")
            lines.append(f"SUSHY_EMULATOR_AUTH_FILE = {str(htpasswd)!r}")
        if self.tls:
            lines.append(f"SUSHY_EMULATOR_SSL_CERT = {str(self.tls[0])!r}")
            lines.append(f"SUSHY_EMULATOR_SSL_KEY = {str(self.tls[1])!r}")
        conf = self.workdir / "emulator.conf"
        conf.write_text("\n".join(lines) + "\n")
        return conf

    def start(self, ready_within: float = 30.0) -> Emulator:
        self.workdir.mkdir(parents=True, exist_ok=True)
        last = "did not start"
        for _ in range(3):  # a free port can be taken between probe and bind
            self.port = free_port()
            conf = self._write_config()
            launcher = FAST_LAUNCHER if self.fast else REAL_LAUNCHER
            if self.memory_state:
                launcher = MEMORY_STATE_PATCH + launcher
            env = dict(os.environ, PYTHONUNBUFFERED="1")
            with open(self.log_path, "ab") as log:  # the child keeps its own handle
                self.proc = subprocess.Popen(
                    [sys.executable, "-c", launcher, "--config", str(conf)],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    cwd=self.workdir,
                    env=env,
                )
            deadline = time.monotonic() + ready_within
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    last = f"exited with {self.proc.returncode}: {self.log_tail()}"
                    break
                try:
                    with self._client(timeout=1.0) as probe:
                        ready = probe.get("/redfish/v1/").status_code == 200
                    if ready:
                        self._warm_up()
                        return self
                except httpx.HTTPError:
                    pass
                time.sleep(0.05)
            else:
                last = f"no answer on {self.url} within {ready_within:g} s: {self.log_tail()}"
            self.stop()
        raise RuntimeError(f"sushy-emulator {last}")

    def _warm_up(self) -> None:
        """Touch the systems, managers and chassis drivers once, serially.

        sushy memoizes them on first use without a lock: a burst of concurrent first
        requests builds them many times over, contending on the emulator's SQLite
        state, and some requests then take tens of seconds.
        """
        with self._client(timeout=30.0) as client:
            client.get("/redfish/v1/Systems").raise_for_status()
            if self.systems:
                client.get(f"/redfish/v1/Systems/{self.systems[0]['uuid']}").raise_for_status()
            client.get("/redfish/v1/Managers")
            client.get("/redfish/v1/Chassis")

    def log_tail(self, n: int = 5) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return " | ".join(lines[-n:])

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def emulator_section(emu: Emulator, names: list[str], enclosure: str, **top) -> dict:
    """A [redfish] table mapping <enclosure>/<n> to the emulator system names[n-1]."""
    section = {"timeout": 5.0, "retries": 1, "poll_interval": 0.05, "power_deadline": 15.0}
    section.update(top)
    section["systems"] = [
        {
            "bay": f"{enclosure}/{n}",
            "url": emu.url,
            "system": f"/redfish/v1/Systems/{name}",  # by name: sushy answers 307 to the UUID
            "credentials": "emu",
        }
        for n, name in enumerate(names, 1)
    ]
    return section
