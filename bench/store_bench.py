"""SQLite and PostgreSQL side by side: concurrent failovers across many groups while
change-feed followers read, on the same fleet.

Prints for each store: building the fleet; N failovers (per_group in each of `groups`
groups, all started at once from `workers` threads, each its own Core over one store,
zero simulator latency: the store is the cost); the wall time, failovers per second,
p50/p95 of one failover; and how far behind the followers' change feed was (p95 of
revision lag measured at each read). The PostgreSQL server is started here, in a temp
folder (as tests do: tests/pgserver.py), with fsync off as the tests' server, or with
``--durable`` as a production server runs (fsync and synchronous commit on: every commit
waits for the disk).

Run: python bench/store_bench.py [--groups 100] [--per-group 10] [--followers 50] [--durable]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]
import tomli_w  # noqa: E402
from bigfleet import fleet_config  # noqa: E402
from core_bench import failed_bays  # noqa: E402
from pgserver import PgServer  # noqa: E402

from tui.core.api import Core  # noqa: E402
from tui.core.config import load_config  # noqa: E402
from tui.core.store import Store  # noqa: E402
from tui.model.stateref import StateRef  # noqa: E402


def follow(state: str, stop: threading.Event, lags: list[int]) -> None:
    """A reader following the change feed (what a dashboard's view does)."""
    store = Store(StateRef.parse(state))
    rev = store.revision()
    try:
        while not stop.is_set():
            changes = store.changes_since(rev)
            newest = store.revision()
            lags.append(newest - changes.rev)
            rev = changes.rev
            if changes.of("bay"):
                store.bays(ids=sorted(changes.of("bay"))[:200])
            stop.wait(0.2)
    finally:
        store.close()


def run(name: str, state: str, config_path: Path, args: argparse.Namespace) -> None:
    config = load_config(config_path)
    began = time.perf_counter()
    core = Core.open(config, state, operator="bench")
    built = time.perf_counter() - began
    bays = failed_bays(core, args.per_group)
    stop, lags = threading.Event(), []
    followers = [threading.Thread(target=follow, args=(state, stop, lags), daemon=True)
                 for _ in range(args.followers)]
    for t in followers:
        t.start()
    local = threading.local()
    cores: list[Core] = []

    def one(bay: str) -> float:
        if not hasattr(local, "core"):
            local.core = Core(config, Store(StateRef.parse(state)), core.driver, "bench")
            cores.append(local.core)
        t = time.perf_counter()
        local.core.failover(bay)
        return time.perf_counter() - t

    began = time.perf_counter()
    with ThreadPoolExecutor(args.workers) as pool:
        times = list(pool.map(one, bays))
    wall = time.perf_counter() - began
    stop.set()
    for t in followers:
        t.join()
    done = sum(1 for j in core.store.jobs(limit=len(bays) + 10) if j.kind == "failover"
               and j.state == "done")
    q = statistics.quantiles(times, n=20)
    lag = statistics.quantiles(lags, n=20)[18] if len(lags) > 20 else max(lags, default=0)
    print(f"{name:10} fleet {len(core.store.bays())} bays built in {built:5.1f} s | "
          f"{len(bays)} failovers ({done} done) in {wall:5.1f} s = {len(bays) / wall:5.1f}/s, "
          f"one p50 {q[9] * 1000:5.0f} ms p95 {q[18] * 1000:5.0f} ms | "
          f"{args.followers} followers: {len(lags)} reads, lag p95 {lag} revisions")
    for c in cores:
        c.store.close()
    core.close()


def fleet_arguments(description: str) -> argparse.ArgumentParser:
    """The fleet and load options store_bench and store_profile share."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--groups", type=int, default=100)
    p.add_argument("--per-group", type=int, default=10)
    p.add_argument("--enclosures-per-group", type=int, default=4)
    p.add_argument("--workers", type=int, default=32)
    p.add_argument("--durable", action="store_true",
                   help="PostgreSQL with fsync and synchronous_commit on (a production server)")
    return p


def fleet_file(args: argparse.Namespace, prefix: str) -> Path:
    """A temp folder (this process's XDG state home) with the fleet's config in it."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ["XDG_STATE_HOME"] = str(work / "xdg")
    fleet = fleet_config(args.groups * args.enclosures_per_group, args.groups)
    for group in fleet["groups"]:  # a spare for every failover
        group["spares"] = max(group["spares"], args.per_group + 2)
    config = work / "fleet.toml"
    config.write_bytes(tomli_w.dumps(fleet).encode())
    return config


def main() -> None:
    p = fleet_arguments(__doc__.splitlines()[0])
    p.add_argument("--followers", type=int, default=50)
    args = p.parse_args()
    config = fleet_file(args, "bayops-store-bench-")
    print(f"{args.groups} groups, {args.per_group} failovers each, {args.workers} threads, "
          f"{args.followers} feed followers, {os.cpu_count()} CPUs, PostgreSQL fsync "
          f"{'on' if args.durable else 'off'}")
    run("sqlite", str(config.parent / "state.db"), config, args)
    server = PgServer(durable=args.durable).start()
    try:
        run("postgresql", server.url(server.create_database()), config, args)
    finally:
        server.destroy()


if __name__ == "__main__":
    main()
