"""Random sequences of operations, faults and crashes against the core.

After every step the invariants (docs/architecture.md, "Invariants") are checked against the store and the
simulated hardware. A "crash" kills a job at a random driver call (as SIGKILL would:
nothing after that point runs), hands the job to a dead process id, and lets the
next opener resume it.
"""
from __future__ import annotations

import shutil
import sqlite3
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import sim_file, without_audits, write_config
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from tui.core.api import Core
from tui.core.config import load_config
from tui.core.ops.placement import FORCEABLE, unfit_state
from tui.drivers.sim import FAULT_KINDS
from tui.model.errors import BadInput, BayopsError, Refused

DEAD_PID = 2**22 + 12345  # above pid_max's default range: never a live process
# The store's two logs and their keys: a refusal is checked by what it added to them, not
# by reading them whole before and after each step (their rows are most of a dump's)
LOGS = {"events": "seq", "changes": "rev"}

# The invariants the store alone can break, each a count of its violations (NULLs group
# together, as a Python set of the values would count them).
VIOLATIONS = {
    # 1. a profile is on at most one bay (a bay holds at most one)
    "bays holding two profiles": "SELECT COUNT(*) FROM (SELECT bay FROM profiles"
                                 " WHERE bay IS NOT NULL GROUP BY bay HAVING COUNT(*) > 1) d",
    # 2. a spare holds no profile and has a server
    "spares holding a profile": "SELECT COUNT(*) FROM bays b JOIN profiles p ON p.bay = b.id"
                                " WHERE b.spare = 1",
    "spares without a server": "SELECT COUNT(*) FROM bays WHERE spare = 1 AND model IS NULL",
    # 3. every MAC, WWPN and serial has one owner
    "addresses with two owners": "SELECT COUNT(*) FROM (SELECT address FROM connections"
                                 " GROUP BY address HAVING COUNT(*) > 1) d",
    "serials with two owners": "SELECT COUNT(*) FROM (SELECT serial FROM profiles"
                               " GROUP BY serial HAVING COUNT(*) > 1) d",
    # 4. at most one domain per group in maintenance
    "groups with two domains in maintenance": "SELECT COUNT(*) FROM (SELECT grp FROM maintenance"
                                              " GROUP BY grp HAVING COUNT(*) > 1) d",
    # 5. a flagged bay is no spare (rediscovery and the schema see to it)
    "flagged spares": "SELECT COUNT(*) FROM bays WHERE spare = 1 AND flag IS NOT NULL",
}

pytestmark = pytest.mark.both_stores  # each test on SQLite and PostgreSQL


class Crash(BaseException):
    """Stands for SIGKILL: not an Exception, so nothing catches and cleans up after it."""


class CrashingDriver:
    """Wraps the sim driver and dies at the n-th hardware call."""

    CALLS = ("power_off", "fence", "power_on", "apply_profile", "clear_profile", "apply_domain_config")

    def __init__(self, inner, after: int):
        self._inner, self._left = inner, after

    def __getattr__(self, name):
        attr = getattr(self._inner, name)
        if name not in self.CALLS:
            return attr

        def call(*args, **kwargs):
            if self._left == 0:
                raise Crash(name)
            self._left -= 1
            return attr(*args, **kwargs)
        return call


@pytest.fixture
def template(store_kind, tmp_path, request):
    """A built fleet every machine starts from a copy of: a file, or a database."""
    config = write_config(tmp_path / "config.toml")
    server = request.getfixturevalue("pg_server") if store_kind == "postgresql" else None
    state = tmp_path / "template.db" if server is None else server.url(server.create_database())
    core = Core.open(load_config(config), str(state), operator="tester")
    core.close()
    yield config, state, server
    if server is not None:
        server.drop_database(database_of(state))


def database_of(url: str) -> str:
    return urlsplit(url).path.strip("/")


def copy_state(template, server, target: Path) -> Path | str:
    """A copy of the template's store and of the simulator's hardware."""
    if server is None:
        shutil.copy(template, target)
        return target
    url = server.url(server.create_database(template=database_of(template)))
    sim = sim_file(url)
    sim.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(sim_file(template), sim)
    return url


class FleetMachine(RuleBasedStateMachine):
    config_path = None
    template_db = None
    server = None  # the PostgreSQL test server, when the store is PostgreSQL
    workdir = None
    counter = 0

    def __init__(self):
        super().__init__()
        FleetMachine.counter += 1
        state = copy_state(self.template_db, self.server, self.workdir / f"state-{self.counter}.db")
        self.config = load_config(self.config_path)
        self.core = Core.open(self.config, str(state), operator="alice")
        self.state = state
        self.all_bays = [b.id for b in self.core.bays() if not b.empty]
        self.domains = sorted({b.domain for b in self.core.bays()})
        self.events_seen: list[tuple] = self._events()
        self.tables = [t for t in self.core.store.backend.tables(self.core.store.db) if t not in LOGS]
        self.created = 0

    # -- helpers ---------------------------------------------------------------------------
    def _events(self) -> list[tuple]:
        return self.core.store.db.execute("SELECT * FROM events ORDER BY seq").fetchall()

    def _profile_names(self, where: str = "TRUE") -> list[str]:
        """Profile names read from the store in one query: core.profiles() reads each
        profile's connections too, two queries a profile (a third of the PostgreSQL run)."""
        return [r[0] for r in self.core.store.db.execute(
            f"SELECT name FROM profiles WHERE {where} ORDER BY name")]

    def _stored(self) -> tuple[dict, dict]:
        """The store as a refusal must leave it: every table but the logs, and of each log
        its size and newest key. On PostgreSQL in one round trip, each table's rows as
        text (a statement a table was a third of the PostgreSQL run)."""
        db = self.core.store.db
        if self.server is None:
            tables = {t: db.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in self.tables}
        else:
            tables = dict(zip(self.tables, db.execute("SELECT " + ", ".join(
                f"(SELECT string_agg(r::text, E'\\n' ORDER BY r::text) FROM {t} r)"
                for t in self.tables)).fetchone(), strict=True))
        sizes = db.execute("SELECT " + ", ".join(f"(SELECT count(*) FROM {t}), (SELECT coalesce("
                                                 f"max({key}), 0) FROM {t})"
                                                 for t, key in LOGS.items())).fetchone()
        return tables, {t: tuple(sizes[2 * i:2 * i + 2]) for i, t in enumerate(LOGS)}

    def _changed_since(self, stored: tuple[dict, dict]) -> dict:
        """What changed since ``_stored``, less the refusals' audit rows: each table
        whose rows differ, each log's rows added (or its size if rows went)."""
        (tables, logs), (now, now_logs) = stored, self._stored()
        db = self.core.store.db
        added = {t: db.execute(f"SELECT * FROM {t} WHERE {key} > ? ORDER BY 1", (logs[t][1],)).fetchall()
                 for t, key in LOGS.items()}
        changed = {t: rows for t, rows in now.items() if rows != tables.get(t)}
        changed |= {t: rows for t, rows in without_audits(added).items() if rows}
        return changed | {t: now_logs[t] for t in LOGS if now_logs[t][0] != logs[t][0] + len(added[t])}

    def _bay_choice(self, data, plausible) -> str:
        """Mostly a bay where the operation can succeed, sometimes any bay."""
        likely = [b.id for b in self.core.bays() if not b.empty and plausible(b)]
        if likely and data.draw(st.integers(0, 4)) > 0:
            return data.draw(st.sampled_from(likely))
        return data.draw(st.sampled_from(self.all_bays))

    def _attempt(self, action, *args, **kwargs):
        """Run an operation; a refusal or bad input must change nothing, and a job never
        puts a profile on a bay that was critical, unknown, flagged or drained (unless the
        operator named that state) nor brings one home to a bay that was not healthy."""
        stored = self._stored()
        before = {b.id: b for b in self.core.bays()}
        try:
            result = action(*args, **kwargs)
        except (Refused, BadInput):
            assert self._changed_since(stored) == {}, f"refused {action.__name__} changed state"
            event(f"{action.__name__}: refused")
            return None
        except BayopsError:
            event(f"{action.__name__}: job failed")
            return None  # a job failed: invariants are checked all the same
        event(f"{action.__name__}: done")
        if result is not None and result.state == "done":
            self._landed_on_fit_bays(result, before)
        return result

    def _landed_on_fit_bays(self, job, before) -> None:
        p = job.params
        if job.kind in ("failover", "move"):
            targets, homes = [p.target], []
        elif job.kind == "failback":
            targets, homes = [p.home], [p.home]
        elif job.kind in ("evacuate", "restore"):
            targets = [t for _, _, t in p.moves]
            homes = targets if job.kind == "restore" else []
        else:
            return
        for bay in targets:
            state = unfit_state(before[bay])
            if state == "drained" and job.kind == "restore":
                continue  # the restore's own drain: it brings the profiles home and lifts it
            if state is not None:
                assert state == getattr(p, "forced", None), f"{job.kind} onto {state} {bay}"
                event(f"{job.kind}: forced onto {state}")
        assert all(before[b].health == "ok" for b in homes), f"{job.kind} home not healthy"

    # -- rules -------------------------------------------------------------------------------
    @rule(data=st.data(), kind=st.sampled_from(FAULT_KINDS))
    def inject(self, data, kind):
        bay = data.draw(st.sampled_from(self.all_bays))
        self._sim_fault(bay, kind)

    @rule(data=st.data())
    def heal(self, data):
        bay = data.draw(st.sampled_from(self.all_bays))
        self._sim_fault(bay, None)

    def _sim_fault(self, bay: str, fault: str | None) -> None:
        """Refused only where it would change nothing: that fault there already, or a
        healthy bay to heal."""
        try:
            self.core.sim_fault(bay, fault)
        except Refused as exc:
            assert exc.code == "no-change", exc
            event(f"sim {fault or 'heal'}: nothing to change")

    def _target_choice(self, data) -> str:
        """A free bay, often an unfit one (critical, unknown, flagged, drained) when any."""
        unfit = [b.id for b in self.core.bays() if b.profile is None and not b.empty
                 and unfit_state(b) is not None]
        if unfit and data.draw(st.booleans()):
            return data.draw(st.sampled_from(unfit))
        return self._bay_choice(data, lambda b: b.profile is None)

    def _force_unfit(self, data, to: str | None) -> str | None:
        """Sometimes the operator names the target's unfit state, sometimes another."""
        if to is None or not data.draw(st.booleans()):
            return None
        state = unfit_state(self.core.bay(to))
        return state if state in FORCEABLE and data.draw(st.booleans()) else \
            data.draw(st.sampled_from(FORCEABLE))

    @rule(data=st.data(), force=st.booleans(), explicit=st.booleans())
    def failover(self, data, force, explicit):
        bay = self._bay_choice(data, lambda b: b.profile is not None)
        to = self._target_choice(data) if explicit else None
        before = self.core.bay(bay)
        target_before = self.core.bay(to) if to else None
        job = self._attempt(self.core.failover, bay, to, force,
                            force_unfit=self._force_unfit(data, to))
        if job is not None:
            assert not before.maintenance and not (target_before and target_before.maintenance)

    @rule(data=st.data())
    def move(self, data):
        name = data.draw(st.sampled_from(self._profile_names()))
        to = self._target_choice(data)
        profile = self.core.profile(name)
        source = self.core.bay(profile.bay) if profile.bay else None
        target = self.core.bay(to)
        job = self._attempt(self.core.move, name, to, force_unfit=self._force_unfit(data, to))
        if job is not None:
            assert not target.maintenance and not (source and source.maintenance)

    @rule(data=st.data())
    def failback(self, data):
        away = self._profile_names("home IS NOT NULL AND (bay IS NULL OR bay <> home)")
        if away:
            self._attempt(self.core.failback, data.draw(st.sampled_from(away)))

    @rule(data=st.data(), add=st.booleans())
    def spares(self, data, add):
        bay = self.core.bay(self._bay_choice(
            data, lambda b: b.spare if not add else (b.profile is None and b.power == "off")))
        self._attempt(self.core.spares, bay.group, [bay.id] if add else [],
                      [] if add else [bay.id])

    @rule(data=st.data())
    def maintenance_start(self, data):
        self._attempt(self.core.maintenance_start, data.draw(st.sampled_from(self.domains)), "test")

    @rule(data=st.data(), vlan=st.integers(1, 4094))
    def domain_set(self, data, vlan):
        self._attempt(self.core.domain_set, data.draw(st.sampled_from(self.domains)),
                      "network.extra", str(vlan))

    @rule(data=st.data(), complete=st.booleans())
    def maintenance_end(self, data, complete):
        domain = data.draw(st.sampled_from(self.domains))
        action = self.core.maintenance_complete if complete else self.core.maintenance_cancel
        self._attempt(action, domain)

    @rule(group=st.sampled_from(["prod-web", "prod-db", "lab"]))
    def create_profile(self, group):
        self.created += 1
        self._attempt(self.core.profile_create, f"new-{self.created}", group, None, None)

    @rule(data=st.data())
    def delete_profile(self, data):
        unassigned = self._profile_names("bay IS NULL")
        if unassigned:
            self._attempt(self.core.profile_delete, data.draw(st.sampled_from(unassigned)))

    @rule(data=st.data(), after=st.integers(0, 5), move=st.booleans())
    def crash_mid_job(self, data, after, move):
        """Run a failover or move that dies at a hardware call, then resume it."""
        real = self.core.driver
        self.core.driver = CrashingDriver(real, after)
        try:
            if move:
                name = data.draw(st.sampled_from(self._profile_names()))
                self.core.move(name, self._bay_choice(data, lambda b: b.profile is None))
            else:
                self.core.failover(self._bay_choice(data, lambda b: b.profile is not None),
                                   force=True)
        except Crash:
            event("crash: resumed")
            with self.core.store.write() as db:
                db.execute("UPDATE jobs SET pid = ? WHERE state = 'running'", (DEAD_PID,))
        except BayopsError:
            pass
        finally:
            self.core.driver = real
        self.core.resume_interrupted()
        assert not self.core.store.jobs(running_only=True), "resume left a job running"

    @rule(data=st.data(), restore=st.booleans(), after=st.integers(0, 12), crash=st.booleans())
    def evacuate_or_restore(self, data, restore, after, crash):
        """Evacuate an enclosure (forced past shortfalls) or restore one, sometimes killed
        at a hardware call and resumed."""
        enclosure = data.draw(st.sampled_from(sorted({b.enclosure for b in self.core.bays()})))
        core = self.core

        def operation():
            if restore:
                return core.restore(enclosure, force=True)
            return core.evacuate(enclosure, force=True)
        if not crash:
            self._attempt(operation)
            return
        real = core.driver
        core.driver = CrashingDriver(real, after)
        try:
            operation()
        except Crash:
            event("evacuation crash: resumed")
            with core.store.write() as db:
                db.execute("UPDATE jobs SET pid = ? WHERE state = 'running'", (DEAD_PID,))
        except BayopsError:
            pass
        finally:
            core.driver = real
        core.resume_interrupted()
        assert not core.store.jobs(running_only=True), "resume left a job running"

    # -- invariants ----------------------------------------------------------------------------
    @invariant()
    def invariants_hold(self):
        db: sqlite3.Connection = self.core.store.db
        # 1.-5. (VIOLATIONS), counted in one round trip; the held locks only matter below
        found = dict(zip((*VIOLATIONS, "locks"), db.execute("SELECT " + ", ".join(
            f"({sql})" for sql in (*VIOLATIONS.values(), "SELECT COUNT(*) FROM locks"))).fetchone(),
            strict=True))
        locks = found.pop("locks")
        assert not any(found.values()), found
        # 1. ...and on the hardware, each profile on one bay
        hardware = self.core.driver.applied_profiles()
        assert all(n == 1 for n in Counter(hardware.values()).values()), hardware
        if not self.core.store.jobs(running_only=True):
            store_view = {bay: name for name, bay in db.execute(
                "SELECT name, bay FROM profiles WHERE bay IS NOT NULL")}
            assert store_view == hardware, "store and hardware disagree on placements"
            assert locks == 0
        # 6. the event log only grows, and every event names an operator
        events = self._events()
        assert events[:len(self.events_seen)] == self.events_seen
        assert all(e[6] for e in events)
        self.events_seen = events

    def teardown(self):
        self.core.close()
        if self.server is not None:
            self.server.drop_database(database_of(self.state))


def test_invariants_survive_random_operations_faults_and_crashes(template, tmp_path):
    FleetMachine.config_path, FleetMachine.template_db, FleetMachine.server = template
    FleetMachine.workdir = tmp_path
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(FleetMachine, settings=settings(
        max_examples=30, stateful_step_count=25, deadline=None,
        suppress_health_check=list(HealthCheck)))
