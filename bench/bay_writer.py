"""Changes random bays' power and health straight in a bayops state database, at a pace.

    python bench/bay_writer.py STATE --steps 1000:10,2000:10 [--out FILE] [--bays-only]

Each step offers RATE changes per second for SECONDS, in transactions of --batch rows
(~20, so the write lock is never held long), scheduled on an absolute clock (a late
batch does not shift the ones after it). It writes `UPDATE bays SET health=?, power=?
WHERE id=?` and, unless --bays-only, the same values into the simulator's hardware
table `sim_hw` in the same transaction: the store then says what the (simulated)
hardware says, as after another process observed the change, and the dashboard's own
poll has nothing to write back. With --bays-only the dashboard's monitor sees the store
disagree with the hardware and writes the old values back (one transaction and one
event per bay), which measures that fight rather than the dashboard.

Prints (and writes to --out) one JSON line per step: offered rate, changes written,
the rate achieved, the longest wait for the write lock, and the change feed's newest
revision before and after the step (a reader has kept pace when its revision reaches
``rev_end``).
"""
from __future__ import annotations

import argparse
import json
import random
import signal
import sqlite3
import sys
import time

# Every write is a real change: a bay goes to a (health, power) it does not have now.
READINGS = [(h, p) for h in ("ok", "warning") for p in ("on", "off")]
STOP = {"now": False}  # SIGTERM ends the current step early; its line is still written


def run_step(db: sqlite3.Connection, now: dict[str, tuple[str, str]], rate: float,
             seconds: float, batch: int, bays_only: bool, rng: random.Random) -> dict:
    ids = list(now)
    interval = batch / rate
    rev_start = newest_revision(db)
    start = time.time()
    clock0 = time.perf_counter()
    written = 0
    lock_wait_max = 0.0
    k = 0
    while True:
        due = clock0 + k * interval
        if due - clock0 >= seconds or STOP["now"]:
            break
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        rows = []
        for bay in rng.sample(ids, batch):
            now[bay] = rng.choice([r for r in READINGS if r != now[bay]])
            rows.append((*now[bay], bay))
        t = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        lock_wait_max = max(lock_wait_max, time.perf_counter() - t)
        db.executemany("UPDATE bays SET health = ?, power = ? WHERE id = ?", rows)
        if not bays_only:
            db.executemany("UPDATE sim_hw SET health = ?, power = ? WHERE bay = ?", rows)
        db.execute("COMMIT")
        written += len(rows)
        k += 1
    elapsed = time.perf_counter() - clock0
    return {"offered_per_s": rate, "seconds": round(elapsed, 3), "written": written,
            "achieved_per_s": round(written / elapsed, 1), "lock_wait_max_ms":
            round(lock_wait_max * 1000, 1), "t_start": start, "t_end": time.time(),
            "rev_start": rev_start, "rev_end": newest_revision(db)}


def newest_revision(db: sqlite3.Connection) -> int:
    return db.execute("SELECT COALESCE(MAX(rev), 0) FROM changes").fetchone()[0]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("state")
    p.add_argument("--steps", required=True, help="RATE:SECONDS[,RATE:SECONDS...]")
    p.add_argument("--batch", type=int, default=20)
    p.add_argument("--bays-only", action="store_true")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--out")
    args = p.parse_args()
    db = sqlite3.connect(args.state, timeout=30, isolation_level=None)
    db.execute("PRAGMA busy_timeout = 30000")
    now = {r[0]: (r[1], r[2]) for r in db.execute(
        "SELECT b.id, b.health, b.power FROM bays b JOIN sim_hw h ON h.bay = b.id"
        " WHERE b.model IS NOT NULL")}
    if len(now) < args.batch:
        sys.exit(f"bay_writer: only {len(now)} bays with a server in {args.state}")
    rng = random.Random(args.seed)
    signal.signal(signal.SIGTERM, lambda *_: STOP.update(now=True))
    out = open(args.out, "a") if args.out else None  # noqa: SIM115 (one line per step, flushed)
    try:
        for step in args.steps.split(","):
            rate, seconds = (float(x) for x in step.split(":"))
            row = run_step(db, now, rate, seconds, args.batch, args.bays_only, rng)
            line = json.dumps(row)
            print(line, flush=True)
            if out:
                out.write(line + "\n")
                out.flush()
            if STOP["now"]:
                break
    finally:
        if out:
            out.close()
        db.close()


if __name__ == "__main__":
    main()
