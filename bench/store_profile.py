"""Where a failover's PostgreSQL time goes: per failover, how many write transactions
(each one BEGIN + the store's advisory write lock + COMMIT), how many statements inside
and outside them, the time spent waiting for the write lock and the time holding it,
and every statement by how often it runs.

Writers are serialised by the one lock, so the throughput of concurrent failovers is
bounded by 1 / (time the lock is held per failover): that is the figure to shrink. On a
server with fsync on (``--durable``) each COMMIT waits for the disk while holding it.

Same fleet and load as store_bench.py (without the feed followers), PostgreSQL only;
the store's PgConnection and write() are wrapped to count (measuring costs a little).

Run: python bench/store_profile.py [--groups 100] [--per-group 10] [--workers 32] [--durable]
"""
from __future__ import annotations

import collections
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]
from core_bench import failed_bays  # noqa: E402
from pgserver import PgServer  # noqa: E402
from store_bench import fleet_arguments, fleet_file  # noqa: E402

from tui.core.api import Core  # noqa: E402
from tui.core.config import load_config  # noqa: E402
from tui.core.store import Store, backends, base, pg  # noqa: E402
from tui.model.stateref import StateRef  # noqa: E402

_local = threading.local()


def _tally() -> tuple[collections.Counter, collections.Counter]:
    """This thread's (counts, seconds), reset per failover."""
    if not hasattr(_local, "counts"):
        _local.counts, _local.seconds = collections.Counter(), collections.Counter()
    return _local.counts, _local.seconds


def _instrument() -> None:
    execute, begin, write = pg.PgConnection.execute, backends.PostgresBackend.begin, base.StoreBase.write

    def counted_execute(self: pg.PgConnection, sql: str, parameters: Any = (), /) -> Any:
        counts, _ = _tally()
        counts["statements in a write" if self.in_transaction else "statements outside"] += 1
        counts["  " + " ".join(sql.split())[:76]] += 1
        return execute(self, sql, parameters)

    def timed_begin(self: backends.PostgresBackend, db: Any) -> None:
        counts, seconds = _tally()
        began = time.perf_counter()
        begin(self, db)
        counts["write transactions"] += 1
        seconds["waiting for the write lock"] += time.perf_counter() - began
        _local.held_from = time.perf_counter()

    @contextmanager
    def timed_write(self: base.StoreBase) -> Iterator[Any]:
        outermost = not self.backend.in_transaction(self.db)
        with write(self) as db:
            yield db
        if outermost:
            _tally()[1]["holding the write lock"] += time.perf_counter() - _local.held_from

    pg.PgConnection.execute = counted_execute  # type: ignore[method-assign]
    backends.PostgresBackend.begin = timed_begin  # type: ignore[method-assign]
    base.StoreBase.write = timed_write  # type: ignore[method-assign,assignment]


def main() -> None:
    args = fleet_arguments(__doc__.splitlines()[0]).parse_args()
    config_path = fleet_file(args, "bayops-store-profile-")
    config = load_config(config_path)
    server = PgServer(durable=args.durable).start()
    try:
        state = server.url(server.create_database())
        core = Core.open(config, state, operator="bench")
        bays = failed_bays(core, args.per_group)
        _instrument()
        local = threading.local()
        counts, seconds, times = collections.Counter(), collections.Counter(), []
        lock = threading.Lock()

        def one(bay: str) -> None:
            if not hasattr(local, "core"):
                local.core = Core(config, Store(StateRef.parse(state)), core.driver, "bench")
            mine, spent = _tally()
            mine.clear()
            spent.clear()
            began = time.perf_counter()
            local.core.failover(bay)
            with lock:
                times.append(time.perf_counter() - began)
                counts.update(mine)
                seconds.update(spent)

        began = time.perf_counter()
        with ThreadPoolExecutor(args.workers) as pool:
            list(pool.map(one, bays))
        wall = time.perf_counter() - began
        n = len(bays)
        print(f"PostgreSQL fsync {'on' if args.durable else 'off'}: {n} failovers in {wall:.1f} s "
              f"= {n / wall:.1f}/s, one p50 {statistics.median(times) * 1000:.0f} ms")
        print("per failover:")
        for what, value in seconds.most_common():
            print(f"  {value / n * 1000:7.1f} ms {what}")
        for what, value in counts.most_common():
            print(f"  {value / n:7.2f}    {what}")
        core.close()
    finally:
        server.destroy()


if __name__ == "__main__":
    main()
