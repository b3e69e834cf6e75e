"""End to end: `bayops` in tmux, a fault injected by a second process with `bayops sim
fail`, the bay failed over from the keyboard, the result read from `tmux capture-pane`
and from `bayops bays --json`. Then a hangup: the terminal goes away mid-job, bayops
exits cleanly and the journaled job is finished by `bayops jobs resume`."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.app.conftest import ROOT, make_config

pytestmark = [pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
              pytest.mark.both_stores]


class Tmux:
    def __init__(self, tmp_path: Path, env: dict[str, str], size=(120, 40)):
        self.sock = f"bayops-test-{os.getpid()}-{id(self)}"
        self.env = env
        self.size = size

    def tmux(self, *args: str, check: bool = True) -> str:
        proc = subprocess.run(["tmux", "-L", self.sock, *args], capture_output=True, text=True,
                              env=self.env, timeout=20)
        if check and proc.returncode != 0:
            raise AssertionError(proc.stderr)
        return proc.stdout

    def start(self, command: list[str]) -> None:
        self.tmux("new-session", "-d", "-s", "t", "-x", str(self.size[0]), "-y", str(self.size[1]),
                  " ".join(command))

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "t")

    def keys(self, *keys: str) -> None:
        for k in keys:
            self.tmux("send-keys", "-t", "t", k)
            time.sleep(0.15)

    def wait_for(self, text: str, timeout: float = 20) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.2)
        raise AssertionError(f"{text!r} not on screen:\n{self.screen()}")

    def pane_pid(self) -> int:
        return int(self.tmux("display-message", "-p", "-t", "t", "#{pane_pid}").strip())

    def kill(self) -> None:
        self.tmux("kill-server", check=False)


@pytest.fixture
def setup(tmp_path, state):
    config = make_config(tmp_path / "config.toml", latency=0.2)
    env = dict(os.environ)
    env.update(BAYOPS_CONFIG=str(config), BAYOPS_STATE=str(state), BAYOPS_USER="tester",
               TERM="xterm-256color", PYTHONPATH=str(ROOT))
    env.pop("NO_COLOR", None)
    tmux = Tmux(tmp_path, env)
    yield tmux, env
    tmux.kill()


def cli(env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tui.cli", *args], env=env, capture_output=True,
                          text=True, timeout=60, cwd=ROOT, stdin=subprocess.DEVNULL)


def bays(env) -> dict[str, dict]:
    out = cli(env, "bays", "--group", "prod-web", "--json")
    assert out.returncode == 0, out.stderr
    return {b["id"]: b for b in json.loads(out.stdout)}


def test_fault_from_second_process_then_failover_from_keyboard(setup):
    tmux, env = setup
    cli(env, "status")  # build the fleet before the dashboard opens
    tmux.start([sys.executable, "-m", "tui.cli"])
    tmux.wait_for("Groups [1]")
    out = cli(env, "sim", "fail", "enc-w1/3")
    assert out.returncode == 0, out.stderr
    # within a second or two the dashboard shows it, without a key pressed
    screen = tmux.wait_for("CRIT 1", timeout=10)
    tmux.keys("a", "2")
    screen = tmux.wait_for("X CRIT")
    assert "enc-w1/3" in screen
    tmux.keys("f")
    screen = tmux.wait_for("Fail over enc-w1/3")
    assert "enc-w2/16" in screen and "Steps" in screen
    tmux.keys("y", "4")  # the jobs pane: beside the others, or the whole screen below 100x28
    tmux.wait_for("done fail over web-003", timeout=30)
    result = bays(env)
    assert result["enc-w1/3"]["profile"] is None
    assert result["enc-w2/16"]["profile"] == "web-003"
    assert result["enc-w2/16"]["power"] == "on"
    tmux.keys("q")
    end = time.monotonic() + 10
    while time.monotonic() < end and "t" in tmux.tmux("list-sessions", check=False):
        time.sleep(0.2)
    assert "t:" not in tmux.tmux("list-sessions", check=False)


def test_hangup_mid_job_leaves_it_journaled_for_resume(setup, tmp_path):
    tmux, env = setup
    slow = make_config(tmp_path / "slow.toml", latency=3.0)
    env["BAYOPS_CONFIG"] = str(slow)
    cli(env, "sim", "fail", "enc-w1/3")
    tmux.env = env
    tmux.start([sys.executable, "-m", "tui.cli"])
    tmux.wait_for("Groups [1]")
    tmux.keys("a", "2", "f")
    tmux.wait_for("Fail over enc-w1/3")
    tmux.keys("y", "4")
    tmux.wait_for("run ", timeout=10)
    pid = tmux.pane_pid()
    started = time.monotonic()
    tmux.kill()  # the terminal goes away: SIGHUP
    while time.monotonic() - started < 10:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("bayops did not exit after the hangup")
    assert time.monotonic() - started < 3  # it did not wait for the job
    from tui.core.api import Core
    from tui.core.config import load_config

    # look without resuming (every CLI start resumes interrupted jobs)
    core = Core.open(load_config(slow), env["BAYOPS_STATE"], resume=False)
    try:
        job = core.jobs(1)[0]
        assert job.kind == "failover" and job.state == "interrupted"
        assert [j.id for j in core.interrupted_jobs()] == [job.id]
    finally:
        core.close()
    env["BAYOPS_CONFIG"] = str(tmp_path / "config.toml")  # fast hardware for the resume
    out = cli(env, "jobs", "resume", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(cli(env, "jobs", "--json").stdout)[0]["state"] == "done"
    assert bays(env)["enc-w2/16"]["profile"] == "web-003"
