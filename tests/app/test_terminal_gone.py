"""A dashboard whose terminal goes away exits (issue 27).

Done as an operator whose SSH session drops would do it: `bayops` opened in tmux as a
shell's child, keys typed (a dialog, a pane switch, a zoom, a job confirmed, a flood of
repaints, a resize), then the terminal taken away at a random moment — the tmux server
killed (the pty hangs up: SIGHUP and SIGCONT, then EIO on every read and write), or a
SIGHUP or SIGTERM sent to the dashboard. Every process must be gone within 5 s, and a job
it was running left journaled for the next start. Several dashboards run at once, each in
its own tmux server, to keep the wall time short. The README's command runs each state with
each way of going away once (at a random moment); ``--sweep every`` (CI) fifty random draws.

The first tests are the minimal reproduction of the Textual 8.2.8 bug behind the hang:
its output writer thread dies on the first failed write, after which its bounded queue
fills and every later write, and the `stop()` of the shutdown, waits forever.
"""
from __future__ import annotations

import errno
import itertools
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.app.conftest import ROOT, make_config
from tests.conftest import sweep_every_context
from tests.serve_support import socket_path, start_server, stop_server, wait_until

GONE_WITHIN = 5.0  # seconds from the terminal going away to every process gone
RUNS = 50  # random draws under --sweep every; else each scenario with each kill once
SERVED_RUNS = 12  # random draws under --sweep every; else each scenario once
WORKERS = 6  # dashboards at once, each in its own tmux server
SCENARIOS = ("startup", "idle", "dialog", "job", "keys", "flood", "resize")
KILLS = ("kill-server", "kill-server", "kill-server", "sighup", "sigterm")  # a draw's odds
KINDS_OF_KILL = tuple(dict.fromkeys(KILLS))
NAV_KEYS = ("Tab", "Down", "Up", "z", "1", "2", "3", "4", "a", "o", "BTab", "Escape")


class Failing:
    """A terminal that went away: every write fails as a hung-up tty's does."""

    def write(self, text: str) -> int:
        raise OSError(errno.EIO, "Input/output error")

    def flush(self) -> None:
        raise OSError(errno.EIO, "Input/output error")

    def fileno(self) -> int:
        return 2


def _finishes(call: Callable[[], object], seconds: float = 2.0) -> bool:
    thread = threading.Thread(target=call, daemon=True)  # a hung one is left behind
    thread.start()
    thread.join(seconds)
    return not thread.is_alive()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_textual_writer_thread_hangs_forever_after_a_failed_write():
    """The upstream bug, as small as it gets (Textual 8.2.8, drivers/_writer_thread.py):
    the writer thread dies of the EIO, nothing empties the 30-slot queue, and the
    driver's close() blocks in Queue.put for good. If this starts failing, Textual fixed
    it and tui/app/terminal.py's workaround can go."""
    from textual.drivers._writer_thread import MAX_QUEUED_WRITES, WriterThread

    writer = WriterThread(Failing())  # type: ignore[arg-type]
    writer.start()
    writer.write("\x1b[?1049h")
    writer.join(2)
    assert not writer.is_alive()  # died of the write error
    for _ in range(MAX_QUEUED_WRITES):
        writer.write("frame")
    assert not _finishes(writer.stop)


def test_our_terminal_output_survives_a_failed_write_and_says_the_terminal_went_away():
    from textual.drivers._writer_thread import MAX_QUEUED_WRITES, WriterThread

    from tui.app.terminal import TerminalOutput

    gone = threading.Event()
    writer = WriterThread(TerminalOutput(Failing(), gone.set))  # type: ignore[arg-type]
    writer.start()
    writer.write("\x1b[?1049h")
    assert gone.wait(2)
    assert _finishes(lambda: [writer.write("frame") for _ in range(3 * MAX_QUEUED_WRITES)])
    assert _finishes(writer.stop)


@pytest.mark.anyio
async def test_a_hangups_sigcont_restarts_only_what_sigtstp_suspended(monkeypatch):
    """The kernel sends SIGCONT with a hang-up's SIGHUP; Textual's handler would start a
    second writer and input thread on the dead terminal."""
    from tui.app.terminal import TerminalDriver

    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTSTP, signal.SIGCONT)}
    try:
        driver = TerminalDriver(object())
        restarted: list[bool] = []
        monkeypatch.setattr(driver, "start_application_mode", lambda: restarted.append(True))
        driver._sigcont_application(signal.SIGCONT, None)
        assert not restarted
        monkeypatch.setattr(driver, "suspend_application_mode", lambda: None)
        monkeypatch.setattr(os, "kill", lambda pid, sig: None)  # its SIGSTOP to itself
        driver._sigtstp_application(signal.SIGTSTP, None)  # ctrl+z: suspended, then resumed
        driver._sigcont_application(signal.SIGCONT, None)
        assert restarted == [True]
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


# -- the dashboard in tmux --------------------------------------------------------------------
@dataclass
class Run:
    number: int
    scenario: str
    kill: str
    delay: float  # seconds from the scenario's last setup step to the kill
    state: Path
    pids: list[int] = field(default_factory=list)
    outcome: str = ""
    took: float = 0.0  # seconds from the kill to every process gone
    jobs_left: int = 0  # jobs it was running, left journaled for the next start


class Pane:
    """One dashboard in its own tmux server, started by a shell (as a login would)."""

    def __init__(self, name: str, env: dict[str, str], size=(110, 32)) -> None:
        self.sock = f"bayops-gone-{os.getpid()}-{name}"
        self.env = env
        self.size = size

    def tmux(self, *args: str) -> str:
        proc = subprocess.run(["tmux", "-L", self.sock, *args], capture_output=True, text=True,
                              env=self.env, timeout=20)
        return proc.stdout if proc.returncode == 0 else ""

    def start(self) -> list[int]:
        # `; :` keeps bash from exec-ing python: the dashboard is the shell's child
        command = f"bash -c '{sys.executable} -m tui.cli; :'"
        self.tmux("new-session", "-d", "-s", "t", "-x", str(self.size[0]), "-y", str(self.size[1]),
                  command)
        shell = int(self.tmux("display-message", "-p", "-t", "t", "#{pane_pid}").strip() or 0)
        assert shell, "tmux did not start"
        child = wait_until(lambda: _children(shell), 10, "the shell to start bayops")
        return [shell, *child]

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "t")

    def wait_for(self, text: str, timeout: float = 40) -> bool:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if text in self.screen():
                return True
            time.sleep(0.1)
        return False

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "t", *keys)

    def kill_server(self) -> None:
        subprocess.run(["tmux", "-L", self.sock, "kill-server"], capture_output=True, timeout=20)


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _alive(pid: int) -> bool:
    """Running (a zombie is gone: only its parent's wait is missing)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class Flood:
    """Keys and resizes sent as fast as tmux takes them until the terminal goes away."""

    def __init__(self, pane: Pane, scenario: str, rng: random.Random) -> None:
        self.pane, self.scenario, self.rng = pane, scenario, rng
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop.is_set():
            if self.scenario == "resize":
                width, height = self.rng.randint(60, 160), self.rng.randint(15, 50)
                self.pane.tmux("resize-window", "-t", "t", "-x", str(width), "-y", str(height))
            elif self.scenario == "flood":  # every key a full repaint: zoom, pane, scroll
                self.pane.tmux("send-keys", "-t", "t", "-N", "20", self.rng.choice(("Down", "Up")))
                self.pane.keys("z", "Tab", "z", "3")
            else:
                self.pane.keys(*self.rng.choices(NAV_KEYS, k=3))
                time.sleep(0.05)


def _set_up(pane: Pane, run: Run, rng: random.Random) -> Flood | None:
    """Bring the dashboard to the run's state; the flood (if any) runs until the kill."""
    if run.scenario == "startup":  # the kill may land before the first paint
        return None
    assert pane.wait_for("Groups ["), f"no first paint:\n{pane.screen()}"
    if run.scenario == "dialog":
        # "?" itself: tmux types a key name it does not know letter by letter ("question"
        # was q, u, …: the dashboard quit before the hang-up, 1 dialog run in 4)
        pane.keys(rng.choice(("?", "W", "C-p", "T")))
    elif run.scenario == "job":
        pane.keys("a")
        time.sleep(0.3)
        pane.keys("2")
        time.sleep(0.3)
        pane.keys("f")
        assert pane.wait_for("Fail over enc-w1/3"), pane.screen()
        pane.keys("y")
        # the moment counts from the job's start: each job run's kill lands mid-job
        assert pane.wait_for("started: "), pane.screen()
    elif run.scenario in ("keys", "flood", "resize"):
        flood = Flood(pane, run.scenario, rng)
        flood.thread.start()
        return flood
    return None


def _take_away(pane: Pane, run: Run) -> None:
    if run.kill == "kill-server":  # the pty hangs up, as when sshd loses the connection
        pane.kill_server()
        return
    with_signal = signal.SIGHUP if run.kill == "sighup" else signal.SIGTERM
    for pid in run.pids[1:]:
        os.kill(pid, with_signal)


def _wait_gone(pids: list[int], seconds: float) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if not any(_alive(p) for p in pids):
            return time.monotonic() - started
        time.sleep(0.05)
    return None


def _journal_outcome(run: Run, config: Path) -> str:
    """A job the dashboard was running is left for the next start, which finishes it."""
    if run.scenario != "job":
        return ""
    from tui.core.api import Core
    from tui.core.config import load_config

    core = Core.open(load_config(config), str(run.state), operator="tester", resume=False)
    try:
        running = [j.id for j in core.jobs(20) if j.unfinished]
        interrupted = [j.id for j in core.interrupted_jobs()]
        if running != interrupted:
            return f"jobs {running} running, only {interrupted} left for the next start"
        run.jobs_left = len(interrupted)
        core.resume_interrupted()
        still = [j.id for j in core.jobs(20) if j.unfinished]
        return f"jobs {still} still running after the resume" if still else ""
    finally:
        core.close()


def _one_run(run: Run, env: dict[str, str], config: Path, seed: int) -> Run:
    rng = random.Random(seed * 1000 + run.number)
    pane = Pane(str(run.number), dict(env, BAYOPS_STATE=str(run.state)))
    flood = None
    try:
        run.pids = pane.start()
        flood = _set_up(pane, run, rng)
        time.sleep(run.delay)
        _take_away(pane, run)
        took = _wait_gone(run.pids, GONE_WITHIN)
        if took is None:
            left = [p for p in run.pids if _alive(p)]
            run.outcome = f"still running {GONE_WITHIN:g} s after {run.kill}: pids {left}"
            for pid in left:
                os.kill(pid, signal.SIGKILL)
        else:
            run.took = took
            run.outcome = _journal_outcome(run, config)
    except AssertionError as exc:
        run.outcome = f"could not set up: {str(exc)[:300]}"
    finally:
        if flood is not None:
            flood.stop.set()
        pane.kill_server()
        for pid in run.pids:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
    return run


def _copy(template: Path, to: Path) -> Path:
    for suffix in ("", "-wal"):
        if Path(f"{template}{suffix}").exists():
            shutil.copy(f"{template}{suffix}", f"{to}{suffix}")
    return to


def _cases(every: bool, count: int, tier: list[tuple[str, str]]) -> list[tuple[str, str | None]]:
    """(scenario, kill) of each run: under ``--sweep every`` ``count`` of them, the tier's
    scenarios in turn with a kill drawn at random; else the tier's pairs."""
    if every:
        scenarios = list(dict.fromkeys(scenario for scenario, _ in tier))
        return [(scenarios[n % len(scenarios)], None) for n in range(count)]
    return list(tier)


def _plan(cases: list[tuple[str, str | None]], seed: int, state: Callable[[int], Path]) -> list[Run]:
    rng = random.Random(seed)
    runs = []
    for n, (scenario, kill) in enumerate(cases):  # the moment always at random
        delay = rng.uniform(0.3, 2.5) if scenario == "startup" else rng.uniform(0.0, 1.2)
        chosen = rng.choice(KILLS)
        runs.append(Run(n, scenario, kill or chosen, delay, state(n)))
    return runs


def _times(runs: list[Run]) -> str:
    took = sorted(r.took for r in runs if not r.outcome)
    return (f"{len(took)} of {len(runs)} gone, in {took[len(took) // 2]:.2f} s (median), "
            f"{took[-1]:.2f} s (slowest)" if took else "none gone")


def _report(runs: list[Run]) -> str:
    return "\n".join(f"run {r.number} ({r.scenario}, {r.kill} after {r.delay:.2f} s): {r.outcome}"
                     for r in runs if r.outcome)


def _env(config: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ, BAYOPS_CONFIG=str(config), BAYOPS_USER="tester",
               TERM="xterm-256color", PYTHONPATH=str(ROOT), **extra)
    for name in ("NO_COLOR", "BAYOPS_SERVER", "TMUX"):
        env.pop(name, None)
    return env


def _cli(env: dict[str, str], *args: str) -> None:
    out = subprocess.run([sys.executable, "-m", "tui.cli", *args], env=env, capture_output=True,
                         text=True, timeout=60, cwd=ROOT, stdin=subprocess.DEVNULL)
    assert out.returncode == 0, out.stderr


needs_tmux = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


@needs_tmux
def test_dashboards_whose_terminal_goes_away_at_random_moments_all_exit(tmp_path, request):
    seed = int(os.environ.get("BAYOPS_TEST_SEED") or time.time())
    config = make_config(tmp_path / "config.toml", latency=1.0)  # a failover runs for seconds
    env = _env(config)
    template = tmp_path / "template.db"
    _cli(dict(env, BAYOPS_STATE=str(template)), "sim", "fail", "enc-w1/3")
    every_pair = [(scenario, kill) for scenario in SCENARIOS for kill in KINDS_OF_KILL]
    cases = _cases(sweep_every_context(request.config), RUNS, every_pair)
    runs = _plan(cases, seed, lambda n: _copy(template, tmp_path / f"run{n}.db"))
    with ThreadPoolExecutor(WORKERS) as pool:
        done = list(pool.map(lambda r: _one_run(r, env, config, seed), runs))
    print(_times(done), f"; {sum(r.jobs_left for r in done)} job(s) left journaled, resumed")
    assert not _report(done), f"seed {seed} (BAYOPS_TEST_SEED reruns it):\n{_report(done)}"
    assert all(r.jobs_left for r in done if r.scenario == "job")  # its kill landed mid-job


def _feed_clients(socket: Path) -> int:
    import httpx

    with httpx.Client(base_url="http://bayops", transport=httpx.HTTPTransport(uds=str(socket)),
                      timeout=10) as http:
        text = http.get("/metrics").text
    found = re.search(r"^bayops_feed_clients (\d+)", text, re.M)
    assert found, text
    return int(found.group(1))


@needs_tmux
def test_served_dashboards_whose_terminal_goes_away_leave_nothing_on_the_server(tmp_path, request):
    from tui.server.app import KEEPALIVE

    seed = int(os.environ.get("BAYOPS_TEST_SEED") or time.time())
    config = make_config(tmp_path / "config.toml", latency=0.3)
    state = tmp_path / "served.db"
    socket = socket_path(tmp_path)
    env = _env(config, BAYOPS_STATE=str(state))
    _cli(env, "sim", "fail", "enc-w1/3")
    server = start_server(config, state, socket)
    try:
        # all of them clients of the one server and its store; its one fault is no job each,
        # so each other scenario once, the kinds of kill in turn
        tier = list(zip((s for s in SCENARIOS if s != "job"), itertools.cycle(KINDS_OF_KILL)))
        runs = _plan(_cases(sweep_every_context(request.config), SERVED_RUNS, tier),
                     seed, lambda n: state)
        client_env = dict(env, BAYOPS_SERVER=f"unix:{socket}")
        with ThreadPoolExecutor(WORKERS) as pool:
            done = list(pool.map(lambda r: _one_run(r, client_env, config, seed), runs))
        print(_times(done))
        assert not _report(done), f"seed {seed}:\n{_report(done)}"
        # a feed stream whose client left ends at its next write (at the latest a keepalive)
        wait_until(lambda: _feed_clients(socket) == 0, KEEPALIVE + 5, "the feed clients to go")
        assert server.poll() is None
    finally:
        err = stop_server(server)
    assert "Traceback" not in err, err


@needs_tmux
@pytest.mark.parametrize("kill", ["sigterm", "kill-server"])
def test_a_dashboard_stuck_on_a_frozen_server_still_ends_within_5_s(tmp_path, kill):
    """Its threads wait for a server that will never answer (stopped, as a hung host): the
    exit cannot join them, so the hard exit ends the process."""
    config = make_config(tmp_path / "config.toml")
    state = tmp_path / "served.db"
    socket = socket_path(tmp_path)
    env = _env(config, BAYOPS_STATE=str(state))
    _cli(env, "sim", "fail", "enc-w1/3")
    server = start_server(config, state, socket)
    pane = Pane(f"frozen-{kill}", dict(env, BAYOPS_SERVER=f"unix:{socket}"))
    try:
        run = Run(0, "frozen", kill, 0.0, state, pids=pane.start())
        assert pane.wait_for("Groups ["), pane.screen()
        server.send_signal(signal.SIGSTOP)
        pane.keys("a", "2", "f")  # the plan is asked of the server: no answer, ever
        time.sleep(1.0)
        _take_away(pane, run)
        took = _wait_gone(run.pids, GONE_WITHIN)
        assert took is not None, f"still running {GONE_WITHIN:g} s after {kill}"
    finally:
        server.send_signal(signal.SIGCONT)
        pane.kill_server()
        for pid in run.pids:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        stop_server(server)
