"""Go-to search (`:` and the ctrl+p palette) at VCEM's ceiling: 16,000 bays.

Prints, for each query of tests/app/test_nav.py, the per-keystroke time of
``tui.app.goto.search`` (best of 5) next to its floor measured in the same run: a plain
Python substring scan of the 32,000 names the box can reach (16,000 bay ids and 16,000
profile names, two flat lists). The floor is the least any search over those names costs
without an index, so the difference is what the goto index and its ranking add or save.
Goal: every keystroke <= 50 ms. Run: python bench/goto_bench.py
"""
from __future__ import annotations

import dataclasses
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bigfleet import write_config

from tui.app.fleet import Snapshot
from tui.app.goto import search
from tui.core.api import Core
from tui.core.config import load_config

QUERIES = ("e", "e0", "e0012", "e0012/1", "p03", "bay e0", "zzz", "e12x9", "p0999-16")
GOAL = 0.050


def big_snapshot() -> Snapshot:
    """16,000 bays in 1,000 enclosures, each a copy of one real bay of a small sim fleet."""
    work = Path(tempfile.mkdtemp(prefix="bayops-goto-bench-"))
    core = Core.open(load_config(write_config(work / "small.toml", enclosures=1, groups=1)),
                     str(work / "state.db"), operator="bench")
    try:
        model = next(b for b in core.bays() if b.profile)
    finally:
        core.close()
    snap = Snapshot()
    for e in range(1000):
        for n in range(1, 17):
            snap._add(dataclasses.replace(model, id=f"e{e:04d}/{n}", enclosure=f"e{e:04d}",
                                          number=n, profile=f"p{e:04d}-{n:02d}"))
    return snap


def best(function: Callable[[], object], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    snap = big_snapshot()
    main_screen = type("Main", (), {"snapshot": snap})()
    bays = list(snap.by_id.values())
    names = [b.id for b in bays] + [b.profile or "" for b in bays]
    started = time.perf_counter()
    search(main_screen, "e")  # the index is built once, as the box opens
    print(f"bays: {len(bays)}; index built on the first keystroke in "
          f"{(time.perf_counter() - started) * 1000:.1f} ms")
    print(f"{'query':<12}{'goto ms':>10}{'floor ms':>10}{'hits':>6}   goal <= {GOAL * 1000:.0f} ms")
    worst = 0.0
    for query in QUERIES:
        took = best(lambda q=query: search(main_screen, q))
        floor = best(lambda q=query: [n for n in names if q in n])
        worst = max(worst, took)
        print(f"{query!r:<12}{took * 1000:>10.2f}{floor * 1000:>10.2f}"
              f"{len(search(main_screen, query)):>6}")
    print(f"worst keystroke: {worst * 1000:.2f} ms ({'meets' if worst <= GOAL else 'MISSES'} "
          f"the {GOAL * 1000:.0f} ms goal)")


if __name__ == "__main__":
    main()
