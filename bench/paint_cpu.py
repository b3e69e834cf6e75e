"""First paint in CPU seconds, for a machine too busy for wall-clock figures.

    .venv/bin/python bench/paint_cpu.py [--runs 7] [--tree DIR] -- [BAYOPS ARGS...]

bench/dashboard_real.py's figure 1 times the wall clock, which on a shared machine under
load swings 3x between runs of the same code (its floor too). This counts the CPU the
process has used (user + system, all threads) when it hands the terminal the first frame
that shows the fleet (`fleet N bays`, as figure 1 waits for), and exits there; the floor is
bench/bare_textual.py's CPU at its first frame with its label. Each runs in a fresh 120x40
tmux session (TERM=xterm-256color), interleaved, with the caller's environment (HOME,
XDG_*: point them at a scratch folder; the config's record lives in XDG_CACHE_HOME).
--tree DIR runs the `tui` package of another checkout (a before/after comparison: e.g.
`git worktree add /tmp/before HEAD~2`), on the same Python; it prints a third line.
"""
from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
# Run in the measured process: patch the driver's write, record the CPU at the first frame
# that shows what the run waits for, exit. argv[1] is the pattern, argv[2] the output file.
WRAPPER = r'''
import os, re, sys, time
# --tree's PYTHONPATH before `python -c`'s cwd entry: run from a checkout, that checkout's
# `tui` would be imported instead of the tree's
sys.path[:0] = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
from textual.drivers.linux_driver import LinuxDriver
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
WANT = re.compile(sys.argv[1])
OUT = sys.argv[2]
def patch(cls):
    real = cls.write
    def write(self, data):
        real(self, data)
        if WANT.search(ANSI.sub("", data)):
            with open(OUT, "w") as out:
                out.write(f"{time.process_time():.4f}\n")
            os._exit(0)
    cls.write = write
patch(LinuxDriver)
try:
    from tui.app.terminal import TerminalDriver
    patch(TerminalDriver)
except ImportError:
    pass
sys.argv = sys.argv[3:]
if sys.argv[0] == "bayops":
    from tui.cli.main import main
    sys.argv[0] = "bayops"
    sys.exit(main())
import runpy
runpy.run_path(sys.argv[0], run_name="__main__")
'''


def once(argv: list[str], want: str, env: dict[str, str], timeout: float = 120.0) -> float:
    """CPU seconds of one start until its first frame matching ``want``."""
    with tempfile.TemporaryDirectory(prefix="paint-cpu-") as tmp:
        out = Path(tmp) / "cpu"
        command = shlex.join([sys.executable, "-c", WRAPPER, want, str(out), *argv])
        socket = f"paint-cpu-{os.getpid()}-{Path(tmp).name}"  # one server per run
        subprocess.run(["tmux", "-L", socket, "new-session", "-d", "-x", "120", "-y", "40",
                        f"env TERM=xterm-256color {command}"], check=True, env=env)
        try:
            deadline = time.monotonic() + timeout
            while not (out.exists() and out.read_text().endswith("\n")):
                if time.monotonic() > deadline:
                    raise SystemExit(f"no frame with {want!r} after {timeout:.0f} s: {argv}")
                time.sleep(0.02)
            return float(out.read_text())
        finally:
            subprocess.run(["tmux", "-L", socket, "kill-server"], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--tree", help="another checkout whose tui package to run too")
    p.add_argument("args", nargs="*", help="bayops's arguments (after --)")
    a = p.parse_args()
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # compiled bytecode, as a user has it
    variants = {"floor (bare textual)": ([str(BENCH / "bare_textual.py"), "label"],
                                         "bare textual ready", env),
                "bayops": (["bayops", *a.args], r"fleet \d+ bays", env)}
    if a.tree:  # its own cache folder: another install's config record is no record
        cache = tempfile.mkdtemp(prefix="paint-cpu-cache-")
        variants["bayops --tree"] = (["bayops", *a.args], r"fleet \d+ bays",
                                     {**env, "PYTHONPATH": str(Path(a.tree).resolve()),
                                      "XDG_CACHE_HOME": cache})
    cpu: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(a.runs):
        for name, (argv, want, run_env) in variants.items():
            cpu[name].append(once(argv, want, run_env))
    floor = statistics.median(cpu["floor (bare textual)"])
    load = os.getloadavg()[0]
    print(f"first paint, CPU seconds at the first frame, median of {a.runs} "
          f"(load average {load:.2f} at the end): bayops {' '.join(a.args)}")
    for name, values in cpu.items():
        median = statistics.median(values)
        print(f"  {name:22} {median:.3f} s  {median / floor:.2f}x floor  "
              f"(runs {' '.join(f'{v:.2f}' for v in values)})")


if __name__ == "__main__":
    main()
