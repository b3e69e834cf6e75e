"""Core figures on VCEM's ceiling: 1,000 enclosures, 16,000 bays.

Prints: time to create the fleet; `bayops status --json` time; core overhead per
failover with zero simulator latency (target < 20 ms); 100 failovers in 100 different
groups run concurrently (target < 3 s wall). Run: python bench/core_bench.py
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bigfleet import write_config

from tui.core.api import Core
from tui.core.config import load_config


def failed_bays(core: Core, per_group: int) -> list[str]:
    """Break ``per_group`` boot-from-SAN bays in every group (health critical)."""
    chosen = []
    by_group: dict[str, int] = {}
    for bay in core.store.bays():
        if bay.profile and bay.boot_mode == "san" and by_group.get(bay.group, 0) < per_group:
            by_group[bay.group] = by_group.get(bay.group, 0) + 1
            chosen.append(bay.id)
    for bay in chosen:
        core.driver.inject(bay, "critical")
    core.refresh(chosen)
    return chosen


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="bayops-bench-"))
    config_path = write_config(work / "big.toml", enclosures=1000, groups=100)
    config = load_config(config_path)
    state = work / "state.db"

    start = time.perf_counter()
    core = Core.open(config, str(state), operator="bench")
    created = time.perf_counter() - start
    bays = len(core.store.bays())
    print(f"fleet: {bays} bays, {len(core.store.enclosures())} enclosures, "
          f"{len(core.store.group_names())} groups")
    print(f"create fleet:                      {created:.2f} s")

    runs = []
    for _ in range(3):
        t = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "tui.cli", "--config", str(config_path),
                              "--state", str(state), "status", "--json"],
                             capture_output=True, check=True)
        runs.append(time.perf_counter() - t)
    print(f"bayops status --json (process):    {statistics.median(runs):.2f} s "
          f"(median of 3, {len(out.stdout) // 1024} KiB)")

    sources = failed_bays(core, per_group=2)
    sequential = sources[0::2][:50]
    times = []
    for bay in sequential:
        t = time.perf_counter()
        core.failover(bay)
        times.append(time.perf_counter() - t)
    print(f"failover core overhead (0 latency): {statistics.median(times) * 1000:.1f} ms median, "
          f"{max(times) * 1000:.1f} ms max over {len(times)} (target < 20 ms)")

    concurrent = sources[1::2][:100]
    groups = {core.store.bay(b).group for b in concurrent}
    t = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(concurrent)) as pool:
        jobs = list(pool.map(lambda bay: core.failover(bay).state, concurrent))
    wall = time.perf_counter() - t
    print(f"{len(concurrent)} concurrent failovers in {len(groups)} groups: {wall:.2f} s wall, "
          f"{jobs.count('done')} done (target < 3 s)")
    core.close()


if __name__ == "__main__":
    main()
