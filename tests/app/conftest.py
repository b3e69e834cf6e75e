"""Fixtures for the dashboard tests: a fast sim fleet in tmp_path, a frozen clock, an app
factory, and helpers that wait for jobs instead of sleeping."""
from __future__ import annotations

import gc
import re
import threading
import time
from pathlib import Path

import pytest
from textual.css.stylesheet import Stylesheet

from tests.conftest import copy_built_fleet

_TEXTUAL_PARSE_RULES = Stylesheet._parse_rules
ROOT = Path(__file__).resolve().parents[2]
LATENCY_KEYS = ("power_off", "power_on", "apply_profile", "clear_profile", "domain_config",
                "firmware")
FROZEN = 1_749_700_000.0  # Thursday 2025-06-12 03:46:40 UTC (outside lab's weekend window)

RESTRICTED = '''default = "viewer"
[[roles.grant]]
user = "alice"
role = "limited-operator"
groups = ["prod-web"]
'''


def make_config(path: Path, latency: float = 0.0, roles: str | None = None,
                keys: str | None = None, extra: dict[str, str] | None = None) -> Path:
    text = (ROOT / "config.toml").read_text()
    for key in LATENCY_KEYS:
        text = re.sub(rf"(?m)^{key} = [0-9.]+$", f"{key} = {latency}", text)
    if roles is not None:
        text = text.replace('default = "admin"\n', roles)
    if keys is not None:
        text = text.replace("[keys]\n", "[keys]\n" + keys + "\n")
    for old, new in (extra or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text)
    return path


def open_core(config: Path, state: Path | str, operator: str = "tester", read_only: bool = False):
    from tui.core.api import Core
    from tui.core.config import load_config

    return Core.open(load_config(config), str(state), operator=operator, read_only=read_only)


def make_app(core, **kw):
    from tui.app.app import AppOptions, BayopsApp

    kw.setdefault("autopoll", False)
    kw.setdefault("save_theme", False)
    kw.setdefault("watch_terminal", False)
    kw.setdefault("resume", False)
    kw.setdefault("clock", lambda: FROZEN)
    return BayopsApp(core, AppOptions(**kw))


@pytest.fixture(autouse=True)
def fewer_collections():
    """A dashboard test makes and drops objects by the hundred thousand: at Python's default
    thresholds (700, 10, 10) the cyclic collector took ~22 % of a Pilot test's CPU, most of
    it full passes over the whole test process (12 test_pilot tests: 39.1 -> 32.8 CPU-s at
    10,000). Collections still run, less often; the thresholds are put back after the test."""
    saved = gc.get_threshold()
    gc.set_threshold(10_000, 10, 10)
    yield
    gc.set_threshold(*saved)


# Textual parses each widget class's CSS again for every app (and its cache of 64 sources
# per stylesheet is smaller than the dashboard's ~74, so it parses some more than once):
# in a dashboard test's process the parsed rules are kept across apps, keyed by everything
# the parse reads, the theme's variables too. The first app of each process parses for real.
_PARSED: dict[tuple, list] = {}


def _parse_rules_once(self, css, read_from, is_default_rules=False, tie_breaker=0, scope=""):
    variables = getattr(self, "_tests_variables", None)
    if variables is None or variables[0] is not self._variables:
        variables = (self._variables, tuple(sorted(self._variables.items())))
        self._tests_variables = variables
    key = (css, read_from, is_default_rules, tie_breaker, scope, variables[1])
    rules = _PARSED.get(key)
    if rules is None:
        rules = _PARSED[key] = _TEXTUAL_PARSE_RULES(self, css, read_from, is_default_rules,
                                                    tie_breaker, scope)
    return rules


@pytest.fixture(autouse=True)
def css_parsed_once(monkeypatch):
    monkeypatch.setattr(Stylesheet, "_parse_rules", _parse_rules_once)


@pytest.fixture
def frozen_time(monkeypatch):
    """Wall clock frozen for the core (event, job and lease times) and UTC local time."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.setattr(time, "time", lambda: FROZEN)
    yield FROZEN
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def fleet(state, tmp_path, monkeypatch):
    """(config path, state) of a zero-latency demo fleet on the test's store: a file in
    tmp_path, or a fresh PostgreSQL database (modules marked ``both_stores`` run on both).
    cwd is tmp_path so the 'fleet created from config.toml' event reads the same in every run."""
    monkeypatch.chdir(tmp_path)
    config = make_config(Path("config.toml"))
    return config, state


@pytest.fixture
def core(fleet, request):
    copy_built_fleet(request, fleet[1], fleet[0])
    c = open_core(*fleet)
    yield c
    c.close()


async def wait_for(pilot, predicate, timeout: float = 10.0, step: float = 0.05) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError("timed out waiting")
        await pilot.pause(step)


async def wait_jobs(pilot, timeout: float = 15.0) -> None:
    """Until every job thread the app started has finished and the panes show it."""
    app = pilot.app
    await wait_for(pilot, lambda: not app.running_local_jobs(), timeout)
    await pilot.pause()
    app.refresh_now()
    await pilot.pause()


def notifications(app) -> list[str]:
    return [f"{n.title}: {n.message}" for n in app._notifications]


class Gate:
    """Makes one simulator operation block until released: a failover stays 'running'
    at a known step for a snapshot, with no timing involved."""

    def __init__(self, monkeypatch, operation: str):
        from tui.drivers.sim import SimDriver

        self.event = threading.Event()
        self.reached = threading.Event()
        original = SimDriver._wait

        def _wait(driver, op):
            if op == operation:
                self.reached.set()
                self.event.wait(30)
            else:
                original(driver, op)
        monkeypatch.setattr(SimDriver, "_wait", _wait)

    def release(self) -> None:
        self.event.set()


@pytest.fixture
def anyio_backend():
    return "asyncio"


def type_fast(pilot, *keys: str) -> None:
    """Keys as a quick typist or a paste sends them: all queued, no pause between."""
    from textual import events

    for key in keys:
        char = key if len(key) == 1 else None
        name = {"/": "slash", ".": "full_stop", "-": "minus", " ": "space",
                ":": "colon"}.get(key, key)
        event = events.Key(name, char)
        event.set_sender(pilot.app)
        pilot.app._driver.send_message(event)
