"""bayops on an emulated HPE OneView appliance: what bayops adds to a failover, and how
long adopting a 1,000-bay appliance takes.

    .venv/bin/python bench/oneview_failover.py [--bays 1000] [--scale 1.0]

1. Failover: the emulator's tasks take appliance-like times (graceful shutdown, profile
   unassign and assign, power-on; ``--scale`` shrinks them); a bay fails and
   ``bayops failover`` runs as its own process, as an operator runs it. bayops's overhead
   is that process's wall time (start-up, plan, job) minus the sum of the appliance's
   task times in that same run (read from the emulator's tasks); the goal is <= 5 % + 1 s.
   The job's own time (from its journal) is printed beside it. Then the same for a
   dead blade (a Synergy blade whose iLO is gone: press-and-hold fails, its bay is
   E-Fused, the profile leaves it with force).
2. Adoption: a fresh state on an appliance of ``--bays`` bays (80 % with a profile): the
   first `bayops status` builds the fleet from the appliance and adopts every profile;
   goal <= 30 s. Peak memory of that process is printed (bounded: paged sweeps).

Figures are printed, never stored: quote a fresh run.
"""
from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.oneview.emulator import OneViewEmulator  # noqa: E402
from tests.oneview.inventory import large_spec, small_spec  # noqa: E402
from tests.oneview.site import site  # noqa: E402

TASK_SECONDS = {"graceful-off": 4.0, "profile": 6.0, "power-on": 3.0, "power-off": 2.0, "efuse": 8.0}


def _when(stamp: str) -> float:
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def failover(workdir: Path, scale: float, dead: bool = False) -> None:
    """``dead``: a Synergy blade whose iLO is gone (E-Fuse, then a forced unassign)."""
    source, spare, group, profile = (("enc-b1/1", "enc-b1/2", "EG-B", "syn-001") if dead
                                     else ("enc-a1/1", "enc-a2/4", "EG-A", "web-001"))
    keys = (source, spare, profile, "enc-b1") if dead else (source, spare, profile)
    label = "dead-blade failover" if dead else "failover"
    emu = OneViewEmulator(workdir / f"appliance-{label}", small_spec(), task_delay=0.05).start()
    try:
        (workdir / label).mkdir()
        bayops = site(workdir / label, emu)
        # the graceful shutdown finishes well inside the deadline, as on a healthy OS
        bayops.config.write_text(bayops.config.read_text().replace("graceful_deadline = 1",
                                                                   "graceful_deadline = 30"))
        assert bayops("spares", group, "--add", spare, "--yes").code == 0
        emu.raise_alert(source, severity="Critical", description="bench: system board failure")
        if dead:
            emu.set_power(source, "Unknown")
        assert bayops("watch", "--count", "1", "--no-policy").code == 0
        emu.durations.update({k: v * scale for k, v in TASK_SECONDS.items()})
        seen = {t["uri"] for key in keys for t in emu.tasks_for(key)}
        start = time.monotonic()
        r = bayops("failover", source, "--yes", "--json", timeout=600, subprocess=True)
        wall = time.monotonic() - start
        if r.code != 0:
            raise SystemExit(f"{label} failed: {r.err}{r.out}")
        job = r.json["job"]
        tasks = [t for key in keys for t in emu.tasks_for(key) if t["uri"] not in seen]
        task_sum = sum(_when(t["modified"]) - _when(t["created"]) for t in tasks)
        job_time = job["finished"] - job["created"]
        overhead = wall - task_sum  # what the operator waits beyond the appliance: start-up included
        goal = 0.05 * task_sum + 1.0
        print(f"{label}: {len(tasks)} appliance tasks ({', '.join(t['name'] for t in tasks)}) "
              f"took {task_sum:.2f} s in all")
        print(f"{label}: `bayops failover` {wall:.2f} s wall (its job {job_time:.2f} s) -> bayops "
              f"overhead {overhead:.2f} s (goal <= 5 % + 1 s = {goal:.2f} s: "
              f"{'met' if overhead <= goal else 'NOT met'})")
    finally:
        emu.stop()


def adoption(workdir: Path, bays: int) -> None:
    per = 16
    emu = OneViewEmulator(workdir / "appliance-large", large_spec(bays, per), task_delay=0.05).start()
    try:
        groups = ""
        enclosures = -(-bays // per)
        for g in ("EG-A", "EG-B"):
            groups += f'\n[[groups]]\nname = "{g}"\nspares = 0\n'
            for e in range(enclosures):
                if ("EG-A" if e % 2 == 0 else "EG-B") == g:
                    groups += (f'[[groups.domains]]\nname = "LE-enc-{e + 1:03d}"\n'
                               f'enclosures = [{{ name = "enc-{e + 1:03d}", model = "c7000" }}]\n')
        (workdir / "adopt").mkdir()
        bayops = site(workdir / "adopt", emu, groups=groups)
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        start = time.monotonic()
        r = bayops("status", "--json", timeout=600, subprocess=True)
        took = time.monotonic() - start
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        if r.code != 0:
            raise SystemExit(f"adoption failed: {r.err}")
        start = time.monotonic()
        again = bayops("adopt", "--dry-run", "--json", timeout=600, subprocess=True)
        recheck = time.monotonic() - start
        states: dict[str, int] = {}
        for p in again.json["profiles"]:
            states[p["state"]] = states.get(p["state"], 0) + 1
        print(f"adoption: {bays} bays, fleet built and {states.get('same', 0)} profiles adopted by the "
              f"first `bayops status` in {took:.2f} s (goal <= 30 s: {'met' if took <= 30 else 'NOT met'}); "
              f"peak RSS {max(peak, before) / 1024:.0f} MiB")
        print(f"adoption: re-run `bayops adopt --dry-run` {recheck:.2f} s: {states}")
    finally:
        emu.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bays", type=int, default=1000)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the task times")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        failover(Path(tmp), args.scale)
        failover(Path(tmp), args.scale, dead=True)
        adoption(Path(tmp), args.bays)


if __name__ == "__main__":
    main()
