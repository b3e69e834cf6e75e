"""`bayops serve` at 16,000 bays with 50 feed followers, the embedded mode beside it.

Prints: the server's CPU while idle (followers connected, the monitor polling), the time
from a change committed to the store to its arrival at every follower (p50/p95), and
200 concurrent API reads (p50/p95). The embedded figures: 50 followers polling the
store's feed as embedded dashboards do (every 0.25 s), and 200 concurrent reads of the
Core in one process.

    .venv/bin/python bench/serve_bench.py [--enclosures 1000] [--followers 50] [--reads 200]
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from bigfleet import write_config  # noqa: E402

from tests.serve_support import socket_path, start_server, stop_server  # noqa: E402
from tui.client import connect  # noqa: E402
from tui.core.api import Core  # noqa: E402
from tui.core.config import load_config  # noqa: E402
from tui.core.store import Store  # noqa: E402
from tui.model.errors import OperationFailed  # noqa: E402
from tui.model.stateref import StateRef  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
CHANGES = 20
EMBEDDED_FEED_SECONDS = 0.25  # tui/app/app.py FEED_SECONDS


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def idle_cpu(pid: int, seconds: float) -> float:
    before, start = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return 100 * (cpu_seconds(pid) - before) / (time.monotonic() - start)


def make_changes(state: Path, bays: list[str], committed: dict[int, float]) -> None:
    """CHANGES bay readings written by another process's store, each timed at commit."""
    store = Store(StateRef.parse(state))
    for i in range(CHANGES):
        bay = bays[i % len(bays)]
        store.set_reading(bay, health="warning" if i % 2 == 0 else "ok")
        committed[store.revision()] = time.monotonic()
        time.sleep(0.3)
    store.close()


def latencies(arrivals: list[list[tuple[int, float]]], committed: dict[int, float]) -> list[float]:
    out = []
    for follower in arrivals:
        for rev, at in committed.items():
            first = next((t for r, t in follower if r >= rev), None)
            if first is not None:
                out.append(first - at)
    return out


def served_followers(url: str, config, n: int, stop: threading.Event) -> tuple[list, threading.Barrier]:
    arrivals: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    ready = threading.Barrier(n + 1)

    def follow(i: int) -> None:
        client = connect(url, config)
        ready.wait(60)
        try:
            for _event, data in client.feed(client.revision()):
                arrivals[i].append((data["rev"], time.monotonic()))
                if stop.is_set():
                    return
        except OperationFailed:
            return  # the server stopped
    for i in range(n):
        threading.Thread(target=follow, args=(i,), daemon=True).start()
    return arrivals, ready


def embedded_followers(state: Path, n: int, stop: threading.Event) -> list:
    arrivals: list[list[tuple[int, float]]] = [[] for _ in range(n)]

    def follow(i: int) -> None:
        store = Store(StateRef.parse(state))
        rev = store.revision()
        while not stop.is_set():
            changes = store.changes_since(rev)
            if changes.rev != rev:
                rev = changes.rev
                arrivals[i].append((rev, time.monotonic()))
            time.sleep(EMBEDDED_FEED_SECONDS)
    for i in range(n):
        threading.Thread(target=follow, args=(i,), daemon=True).start()
    return arrivals


def concurrent_reads(read, n: int) -> list[float]:
    times: list[float] = [0.0] * n
    gate = threading.Barrier(n)

    def one(i: int) -> None:
        gate.wait(60)
        began = time.monotonic()
        read(i)
        times[i] = time.monotonic() - began
    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times


def reader_process(url: str, config_path: Path, bays: list[str], n: int, start_at: float) -> list[float]:
    """``n`` clients in a process of their own (as operators' processes are), all asking
    one bay at ``start_at``; returns their latencies."""
    script = (
        "import json, sys, threading, time\n"
        "from tui.client import connect\n"
        "from tui.core.config import load_config\n"
        f"config = load_config(__import__('pathlib').Path({str(config_path)!r}))\n"
        f"bays = {bays!r}\n"
        f"clients = [connect({url!r}, config) for _ in range({n})]\n"
        "for c in clients: c.bay(bays[0])\n"
        f"times = [0.0] * {n}\n"
        "def one(i):\n"
        f"    time.sleep(max(0.0, {start_at} - time.time()))\n"
        "    began = time.monotonic(); clients[i].bay(bays[i % len(bays)])\n"
        "    times[i] = time.monotonic() - began\n"
        f"ts = [threading.Thread(target=one, args=(i,)) for i in range({n})]\n"
        "[t.start() for t in ts]; [t.join() for t in ts]\n"
        "print(json.dumps(times))\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT,
                         check=True).stdout
    import json

    return list(json.loads(out))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--enclosures", type=int, default=1000)
    p.add_argument("--followers", type=int, default=50)
    p.add_argument("--reads", type=int, default=200)
    p.add_argument("--idle", type=float, default=20.0, help="seconds of idle CPU measurement")
    a = p.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bayops-serve-bench-"))
    config_path = write_config(tmp / "config.toml", a.enclosures)
    state = tmp / "state.db"
    config = load_config(config_path)
    began = time.monotonic()
    core = Core.open(config, str(state), operator="bench")
    bays = [b.id for b in core.bays() if b.profile][:CHANGES]
    groups = core.store.group_names()
    bays_of = core.bays(group=groups[0])
    print(f"fleet: {len(core.bays())} bays, built in {time.monotonic() - began:.1f}s")

    proc = start_server(config_path, state, socket_path(tmp))
    url = f"unix:{socket_path(tmp)}"
    stop = threading.Event()
    try:
        arrivals, ready = served_followers(url, config, a.followers, stop)
        ready.wait(120)
        time.sleep(2)
        served_cpu = idle_cpu(proc.pid, a.idle)
        committed: dict[int, float] = {}
        make_changes(state, bays, committed)
        time.sleep(1)
        served_lat = latencies(arrivals, committed)
        clients = [connect(url, config) for _ in range(a.reads)]
        served_small = concurrent_reads(lambda i: clients[i].bay(bays[i % len(bays)]), a.reads)
        procs = 4
        start_at = time.time() + 8.0
        parts: list[list[float]] = [[] for _ in range(procs)]
        runners = [threading.Thread(target=lambda k=k: parts[k].extend(reader_process(
            url, config_path, bays, a.reads // procs, start_at))) for k in range(procs)]
        for t in runners:
            t.start()
        for t in runners:
            t.join()
        served_spread = [x for part in parts for x in part]
        served_reads = concurrent_reads(lambda i: clients[i].bays(group=groups[i % len(groups)]), a.reads)
        stop.set()
    finally:
        stop_server(proc)

    stop = threading.Event()
    embedded = embedded_followers(state, a.followers, stop)
    me = os.getpid()
    time.sleep(2)
    embedded_cpu = idle_cpu(me, a.idle)
    committed = {}
    make_changes(state, bays, committed)
    time.sleep(1)
    stop.set()
    embedded_lat = latencies(embedded, committed)
    # One Core: its store gives each thread a connection of its own, as processes would have.
    embedded_small = concurrent_reads(lambda i: core.bay(bays[i % len(bays)]), a.reads)
    embedded_reads = concurrent_reads(lambda i: core.bays(group=groups[i % len(groups)]), a.reads)

    rows = [
        ("idle CPU, % of a core (target <= 5)", f"{served_cpu:.1f}",
         f"{embedded_cpu:.1f} (the {a.followers} pollers)"),
        ("change to client p50, ms", f"{1000 * pct(served_lat, 0.5):.0f}",
         f"{1000 * pct(embedded_lat, 0.5):.0f}"),
        ("change to client p95, ms (target <= 200)", f"{1000 * pct(served_lat, 0.95):.0f}",
         f"{1000 * pct(embedded_lat, 0.95):.0f}"),
        ("changes seen / expected", f"{len(served_lat)}/{a.followers * CHANGES}",
         f"{len(embedded_lat)}/{a.followers * CHANGES}"),
        (f"{a.reads} concurrent reads of one bay p50, ms", f"{1000 * statistics.median(served_small):.0f}",
         f"{1000 * statistics.median(embedded_small):.0f}"),
        (f"{a.reads} concurrent reads of one bay p95, ms (target <= 100)",
         f"{1000 * pct(served_small, 0.95):.0f}", f"{1000 * pct(embedded_small, 0.95):.0f}"),
        (f"{a.reads} reads of one bay from 4 client processes p50, ms",
         f"{1000 * statistics.median(served_spread):.0f}", "-"),
        (f"{a.reads} reads of one bay from 4 client processes p95, ms (target <= 100)",
         f"{1000 * pct(served_spread, 0.95):.0f}", "-"),
        (f"{a.reads} concurrent reads of a group's bays p50, ms",
         f"{1000 * statistics.median(served_reads):.0f}", f"{1000 * statistics.median(embedded_reads):.0f}"),
        (f"{a.reads} concurrent reads of a group's bays p95, ms", f"{1000 * pct(served_reads, 0.95):.0f}",
         f"{1000 * pct(embedded_reads, 0.95):.0f}"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'':{width}}  {'served':>10}  embedded")
    for label, served, emb in rows:
        print(f"{label:{width}}  {served:>10}  {emb}")
    print(f"(reads: bays of one group, {len(bays_of)} bays each; "
          f"machine: {os.cpu_count()} CPUs, shared)")
    subprocess.run(["rm", "-rf", str(tmp)], check=False)


if __name__ == "__main__":
    main()
