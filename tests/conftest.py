"""Fixtures shared by every test: an isolated HOME/XDG, fast sim configs, a CLI runner."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LATENCY_KEYS = ("power_off", "power_on", "apply_profile", "clear_profile", "domain_config")


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory, monkeypatch):
    """Keep the developer's own config and state out of every test."""
    home = tmp_path_factory.mktemp("home")
    for var, sub in (("HOME", ""), ("XDG_CONFIG_HOME", ".config"), ("XDG_STATE_HOME", ".state")):
        monkeypatch.setenv(var, str(home / sub))
    for var in ("BAYOPS_CONFIG", "BAYOPS_STATE", "NO_COLOR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("BAYOPS_USER", "tester")


def write_config(path: Path, latency: float | dict[str, float] = 0.0,
                 replace: dict[str, str] | None = None) -> Path:
    """The shipped demo config with simulator latencies set (0 = instant)."""
    text = (ROOT / "config.toml").read_text()
    for key in LATENCY_KEYS:
        value = latency.get(key, 0.0) if isinstance(latency, dict) else latency
        text = re.sub(rf"(?m)^{key} = [0-9.]+$", f"{key} = {value}", text)
    for old, new in (replace or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text)
    return path


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def json(self):
        return json.loads(self.out)


class Cli:
    """Runs `bayops` as a subprocess, as a script or an event handler would."""

    def __init__(self, config: Path, state: Path):
        self.config, self.state = config, state

    def env(self, user: str = "tester") -> dict[str, str]:
        env = dict(os.environ)
        env.update(BAYOPS_CONFIG=str(self.config), BAYOPS_STATE=str(self.state), BAYOPS_USER=user)
        return env

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "tui.cli", *args]

    def __call__(self, *args: str, user: str = "tester", timeout: float = 60) -> Result:
        proc = subprocess.run(self.argv(*args), env=self.env(user), capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL, cwd=ROOT)
        return Result(proc.returncode, proc.stdout, proc.stderr)

    def popen(self, *args: str, user: str = "tester") -> subprocess.Popen:
        return subprocess.Popen(self.argv(*args), env=self.env(user), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL, cwd=ROOT)

    def bay(self, bay_id: str) -> dict:
        enclosure = bay_id.split("/")[0]
        bays = self("bays", "--enclosure", enclosure, "--json").json
        return next(b for b in bays if b["id"] == bay_id)


@pytest.fixture
def fast_config(tmp_path) -> Path:
    return write_config(tmp_path / "config.toml")


@pytest.fixture
def cli(tmp_path, fast_config) -> Cli:
    return Cli(fast_config, tmp_path / "state.db")


@pytest.fixture
def core(tmp_path, fast_config):
    from tui.core.api import Core
    from tui.core.config import load_config

    c = Core.open(load_config(fast_config), str(tmp_path / "state.db"), operator="tester")
    yield c
    c.close()


def dump(state: Path) -> dict:
    """Every row of every table: tests compare it before and after a refused command."""
    from tui.core.store import Store

    store = Store(state)
    try:
        return store.dump()
    finally:
        store.close()
