"""CLI start-up as a user has it: `bayops --help` and `bayops status` beside `python -c pass`.

    python bench/cli_start.py            # 21 rounds
    python bench/cli_start.py --runs 41
    python bench/cli_start.py --compare /tmp/old   # also an older tree's tui/ (git archive)

Real processes of this venv's `bayops` script, compiled bytecode in place and
PYTHONDONTWRITEBYTECODE unset (else every start times a compile), on the embedded demo
fleet in a fresh HOME/BAYOPS_STATE built once before timing. Each round runs the floor and
each command once, interleaved, so a loaded machine slows them alike; the figures are
medians of CPU (user+sys, from wait4) and wall time, each with its ratio to the floor.
"config read" is what every command pays before it runs (tui.core.config importing the
model's dataclasses, then reading and checking config.toml): no goal of its own, it
shows how much of status's budget is gone before the store is opened. `bayops status`
answers at a glance (one SQL read, docs/architecture.md); "status --read-only" takes the
long way (the Core and its FleetView), for comparison. "served status" is the client of a
`bayops serve` started on the same state (its one question on the Unix socket:
tui/client/quick.py).
"""
from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# CPU ratio to the floor (issue 22)
GOALS = {"bayops --help": 1.8, "bayops status": 2.5, "served status": 2.5, "before: --help": 1.8,
         "before: status": 2.5, "before: served status": 2.5}


def run(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one process; fails loudly if the command does."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read() if proc.stderr else b""
    if proc.stderr:
        proc.stderr.close()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}: {err.decode()[-400:]}")
    return usage.ru_utime + usage.ru_stime, wall


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=21)
    p.add_argument("--compare", type=Path, help="a directory holding an older tui/: its "
                   "commands are timed in the same rounds (before/after on one machine load)")
    args = p.parse_args()
    trees = [ROOT] + ([args.compare.resolve()] if args.compare else [])
    for tree in trees:  # compiled, as an installed package has it
        compileall.compile_dir(str(tree / "tui"), quiet=1)
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items()
               if k not in ("PYTHONDONTWRITEBYTECODE", "BAYOPS_CONFIG", "BAYOPS_SERVER")}
        env.update(HOME=tmp, XDG_STATE_HOME=f"{tmp}/state", XDG_CONFIG_HOME=f"{tmp}/config",
                   XDG_CACHE_HOME=f"{tmp}/cache", BAYOPS_STATE=f"{tmp}/state.db")
        bayops = str(BIN / "bayops")
        served = [bayops, "--server", f"unix:{tmp}/s.sock", "status"]
        cases = {"python -c pass": ([sys.executable, "-c", "pass"], env),
                 "bayops --help": ([bayops, "--help"], env),
                 "bayops status": ([bayops, "status"], env),
                 "served status": (served, env),
                 "status --read-only": ([bayops, "--read-only", "status"], env),
                 "config read": ([sys.executable, "-c", "from tui.core.config import "
                                  "find_config, load_config; load_config(find_config(None))"], env)}
        if args.compare:  # the older tree first on the path shadows the editable install
            # its own cache: one record of a config found valid (configpath) per user, and
            # the older tree's packaged config is another file
            old = dict(env, PYTHONPATH=str(args.compare.resolve()), XDG_CACHE_HOME=f"{tmp}/cache-old")
            cases["before: --help"] = ([bayops, "--help"], old)
            cases["before: status"] = ([bayops, "status"], old)
            cases["before: served status"] = (served, old)
        run(*cases["bayops status"])  # builds the demo store: not part of start-up
        server = subprocess.Popen([bayops, "serve", "--socket", f"{tmp}/s.sock"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            from tui.client.remote import wait_for_server

            wait_for_server(f"unix:{tmp}/s.sock", 60)
            for name in ("served status", "before: status", "before: served status"):
                if name in cases:  # the config found valid first, as a user's next start has it
                    run(*cases[name])
            cpu: dict[str, list[float]] = {name: [] for name in cases}
            wall: dict[str, list[float]] = {name: [] for name in cases}
            for _ in range(args.runs):
                for name, (argv, case_env) in cases.items():
                    c, w = run(argv, case_env)
                    cpu[name].append(c)
                    wall[name].append(w)
        finally:
            server.terminate()
            server.wait(30)
    floor_cpu = statistics.median(cpu["python -c pass"])
    floor_wall = statistics.median(wall["python -c pass"])
    print(f"{args.runs} interleaved rounds; load average {os.getloadavg()[0]:.2f} "
          f"on {os.cpu_count()} cores; {sys.version.split()[0]}")
    print(f"{'command':<21} {'CPU s':>7} {'x floor':>7} {'goal':>6} {'wall s':>7} {'x floor':>7}")
    for name in cases:
        c, w = statistics.median(cpu[name]), statistics.median(wall[name])
        goal = f"≤{GOALS[name]}" if name in GOALS else ""
        print(f"{name:<21} {c:7.3f} {c / floor_cpu:7.2f} {goal:>6} {w:7.3f} {w / floor_wall:7.2f}")


if __name__ == "__main__":
    main()
