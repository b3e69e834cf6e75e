"""Coverage what-if on VCEM's ceiling: 1,000 enclosures, 16,000 bays.

Prints: the time to simulate the loss of every enclosure of the fleet, one by one, with
the failover's spare choice (target < 2 s), and what the dashboard pays for the groups
pane's coverage badges when it loads the fleet. Run: python bench/coverage_bench.py
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bigfleet import write_config

from tui.core.api import Core
from tui.core.config import load_config
from tui.core.ops import coverage
from tui.core.view import FleetView


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="bayops-coverage-"))
    config = load_config(write_config(work / "big.toml", enclosures=1000, groups=25))
    core = Core.open(config, str(work / "state.db"), operator="bench")
    bays = core.store.bays()
    print(f"fleet: {len(bays)} bays, {len(core.store.enclosures())} enclosures, "
          f"{len(core.store.group_names())} groups")
    runs, covers = [], []
    for _ in range(3):
        start = time.perf_counter()
        covers = core.coverage_enclosures()
        runs.append(time.perf_counter() - start)
    print(f"coverage of every enclosure (read + simulate): {statistics.median(runs):.2f} s "
          f"(median of 3; target < 2 s); {sum(c.covered for c in covers)} of {len(covers)} "
          "covered")
    start = time.perf_counter()
    coverage.sweep(bays)
    print(f"  of which simulating alone:                   {time.perf_counter() - start:.2f} s")
    start = time.perf_counter()
    FleetView.load(core)
    with_badges = time.perf_counter() - start
    print(f"dashboard view load with coverage badges:      {with_badges:.2f} s")
    core.close()


if __name__ == "__main__":
    main()
