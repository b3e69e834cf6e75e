"""Run DMTF's Redfish-Mockup-Server (kept in thirdparty/) on 127.0.0.1 in a subprocess."""
from __future__ import annotations

import pathlib
import subprocess
import sys
import time

import httpx

from .emulator import free_port

THIRDPARTY = pathlib.Path(__file__).parent / "thirdparty"
SERVER = THIRDPARTY / "mockup-server" / "redfishMockupServer.py"


class MockupServer:
    def __init__(self, mockup: str, workdir: pathlib.Path) -> None:
        self.mockup = THIRDPARTY / "mockups" / mockup
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = workdir / f"{mockup}.log"
        self._proc: subprocess.Popen | None = None

    def start(self, ready_within: float = 30.0) -> MockupServer:
        log = open(self._log, "wb")  # noqa: SIM115 - closed with the process
        self._proc = subprocess.Popen(
            [sys.executable, str(SERVER), "-S", "-H", "127.0.0.1", "-p", str(self.port),
             "-D", str(self.mockup)],
            cwd=SERVER.parent, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        end = time.monotonic() + ready_within
        while time.monotonic() < end:
            if self._proc.poll() is not None:
                raise RuntimeError(f"the DMTF mockup server exited: {self.log_tail()}")
            try:
                if httpx.get(self.url + "/redfish/v1/", timeout=1.0).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the DMTF mockup server did not answer in {ready_within:g} s: {self.log_tail()}")

    def get(self, path: str) -> dict:
        return httpx.get(self.url + path, timeout=5.0).json()

    def log_tail(self, n: int = 8) -> str:
        try:
            return " | ".join(self._log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
