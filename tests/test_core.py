"""Core API behaviour that the CLI tests do not reach: fallbacks, pools, layering, packaging."""
from __future__ import annotations

import dataclasses
import subprocess
import sys
import zipfile

import pytest
from conftest import ROOT

from tui.model.driver import DriverError
from tui.model.errors import OperationFailed, Refused

pytestmark = pytest.mark.both_stores  # each test on SQLite and PostgreSQL


def gen9_san_bays(core, group="prod-web"):
    return [b for b in core.bays(group=group)
            if b.profile and b.boot_mode == "san" and b.model.endswith("Gen9")]


def failover_past_a_faulty_first_target(core, fault: str):
    """Fail a Gen9 SAN bay over while its planned target has ``fault``: (job, first, final);
    the profile must end on another spare, powered on."""
    source = gen9_san_bays(core)[0]
    core.sim_fault(source.id, "critical")
    first = core.plan_failover(source.id).target
    core.sim_fault(first, fault)
    job = core.failover(source.id)
    final = core.profile(source.profile).bay
    assert final not in (first, source.id) and core.bay(final).power == "on"
    return job, first, final


def test_target_that_wont_power_on_is_dropped_and_the_next_spare_is_used(core):
    job, first, final = failover_past_a_faulty_first_target(core, "wont-power-on")
    names = [s.name for s in job.steps]
    assert f"remove profile from {first} (attempt 1)" in names
    assert any(n.startswith("choose target") and final in n for n in names)
    assert not core.bay(first).spare, "a spare that will not power on leaves the pool"
    assert core.driver.applied_profiles().get(first) is None


def test_a_target_that_fails_after_its_power_on_is_powered_off_before_the_next_spare(core, monkeypatch):
    """A power-on that turned the server on but failed its read-back (a BMC that dropped
    the boot override at boot): the target is powered off again, and the journal says so."""
    source = gen9_san_bays(core)[0]
    core.sim_fault(source.id, "critical")
    first = core.plan_failover(source.id).target
    real_on = core.driver.power_on

    def on_then_fail(bay):
        real_on(bay)
        if bay == first:
            raise DriverError(f"{bay}: boot override not in force after the power-on")
    monkeypatch.setattr(core.driver, "power_on", on_then_fail)
    job = core.failover(source.id)
    detail = next(s.detail for s in job.steps if s.name == f"remove profile from {first} (attempt 1)")
    assert f"{first} powered off again" in detail
    assert core.bay(first).power == "off" and core.driver.read([first])[first].power == "off"
    assert core.profile(source.profile).bay not in (first, source.id)


def failover_with_every_spare_faulty(core, fault: str, refusal: str):
    """Fail a Gen9 SAN bay over while every prod-web spare has ``fault``: the failover
    fails with ``refusal`` and the profile is left on no bay. Returns the source bay."""
    source = gen9_san_bays(core)[0]
    core.sim_fault(source.id, "critical")
    for spare in core.spare_bays("prod-web"):
        core.sim_fault(spare.id, fault)
    with pytest.raises(OperationFailed, match=refusal):
        core.failover(source.id)
    assert core.profile(source.profile).bay is None
    return source


def test_no_spare_able_to_take_it_leaves_profile_unassigned_with_critical_event(core):
    source = failover_with_every_spare_faulty(core, "wont-power-on", "unassigned, not lost")
    assert core.profile(source.profile).bay is None
    assert core.driver.applied_profiles().get(source.id) is None
    critical = [e for e in core.events() if e.kind == "profile.unassigned"]
    assert critical and critical[0].severity == "critical"
    assert not core.store.jobs(running_only=True)
    # An operator can still place it by hand: nothing was lost.
    free = next(b for b in core.bays(group="prod-web") if not b.empty and b.profile is None
                and b.health == "ok" and b.id != source.id and b.power == "off"
                and b.id not in [s.id for s in core.spare_bays("prod-web")])
    core.sim_fault(free.id, None)
    core.move(source.profile, free.id)
    assert core.profile(source.profile).bay == free.id


def test_source_that_cannot_be_powered_off_or_fenced_aborts_with_profile_in_place(core, monkeypatch):
    source = gen9_san_bays(core)[0]
    core.sim_fault(source.id, "power-stuck")

    def fence_fails(bay):
        raise DriverError(f"{bay}: enclosure manager refused the e-fuse reset")
    monkeypatch.setattr(core.driver, "fence", fence_fails)
    with pytest.raises(OperationFailed, match="nothing moved"):
        core.failover(source.id, force=True)
    assert core.profile(source.profile).bay == source.id
    assert core.driver.applied_profiles()[source.id] == source.profile


def test_failed_move_rolls_back_to_the_source(core):
    bay = gen9_san_bays(core)[0]
    target = core.spare_bays("prod-web")[0]
    core.sim_fault(target.id, "wont-power-on")
    with pytest.raises(OperationFailed, match="rolled back"):
        core.move(bay.profile, target.id)
    assert core.profile(bay.profile).bay == bay.id
    assert core.bay(bay.id).power == "on"


def test_complete_warns_of_each_profile_whose_network_it_removes_and_keeps_them_placed(core):
    """As the manager does it (OneView: the connections go offline): a warning per profile
    using what the change removes, confirmed by the operator; no profile leaves its bay."""
    users = {p.name: p.bay for p in core.store.profiles("prod-web") if "backup" in p.networks}
    assert users
    core.maintenance_start("web-dom1", "drop backup net")
    core.domain_set("web-dom1", "network.backup", "-")
    plan = core.plan_maintenance_complete("web-dom1")
    lost = [w for w in plan.warnings if "uses backup: its connections to it go offline" in w]
    assert len(lost) == len(users) and plan.danger
    name, bay = next(iter(users.items()))
    assert any(w.startswith(f"profile {name} on {bay} (running) uses backup") for w in lost)
    core.maintenance_complete("web-dom1")
    assert core.maintenance() == []
    assert {p.name: p.bay for p in core.store.profiles("prod-web") if p.name in users} == users


def test_expired_maintenance_shows_expired_and_is_not_dropped(core):
    core.maintenance_start("lab-dom1", "short", hours=0.01)
    m = core.maintenance()[0]
    assert not m.expired(m.started)
    assert m.expired(m.started + 37)
    with core.store.write() as db:
        db.execute("UPDATE maintenance SET expires = started")
    held = core.maintenance()
    assert len(held) == 1 and held[0].expired(held[0].started + 1)
    with pytest.raises(Refused, match="lease expired"):
        core.maintenance_start("lab-dom2", "other")


def test_address_pools_run_out_with_a_clear_refusal(tmp_path, make_state):
    from conftest import write_config

    from tui.core.api import Core
    from tui.core.config import load_config

    config = write_config(tmp_path / "c.toml", replace={
        'end = "00:17:A4:77:FF:FF"': 'end = "00:17:A4:77:02:FF"'})
    core = Core.open(load_config(config), str(make_state()), operator="t")
    made = 0
    with pytest.raises(Refused, match="mac pool is exhausted"):
        for i in range(100):
            core.profile_create(f"x{i}", "lab", None, None)
            made += 1
    before = len(core.profiles())
    assert made > 0 and before == len(core.profiles())
    core.close()


def test_core_and_drivers_import_without_textual():
    code = ("import sys; sys.modules['textual'] = None\n"
            "import importlib, tui.core.api, tui.core.monitor, tui.drivers.sim\n"
            "from tui.cli.commands import COMMANDS\n"  # every command module, as before
            "for _, m, _ in COMMANDS: importlib.import_module(f'tui.cli.{m}')\n"
            "print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


def test_wheel_ships_default_config_and_themes(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "tui/_data/config.toml" in names
    assert any(n.startswith("tui/_data/themes/") for n in names)


class Crash(BaseException):
    """Stands for SIGKILL: nothing catches it, nothing after it runs."""


def test_crash_after_a_failed_target_then_resume_never_leaves_the_profile_on_two_bays(core, monkeypatch):
    from tui.core.api import Core

    source = gen9_san_bays(core)[0]
    core.sim_fault(source.id, "critical")
    first = core.plan_failover(source.id).target
    from tui.core.ops import failover

    monkeypatch.setattr(failover, "refresh_involved", lambda *a: None)
    core.driver.inject(first, "no-answer")  # the spare stops answering after the plan
    monkeypatch.setattr(failover, "_next_spare", lambda *a: (_ for _ in ()).throw(Crash()))
    with pytest.raises(Crash):
        core.failover(source.id)
    monkeypatch.undo()  # the process that resumes runs the real code
    with core.store.write() as db:
        db.execute("UPDATE jobs SET pid = ? WHERE state = 'running'", (2**22 + 7,))
    core.driver.heal(first)
    core.driver.inject(first, "wont-power-on")  # now it takes the profile but will not boot
    resumer = Core(core.config, core.store, core.driver, "resumer")
    [(job, outcome)] = resumer.resume_interrupted()
    assert outcome == "done", [(s.name, s.state, s.detail) for s in job.steps]
    hardware = core.driver.applied_profiles()
    holders = [bay for bay, name in hardware.items() if name == source.profile]
    assert holders == [core.profile(source.profile).bay] and first not in holders


class Recording:
    """The sim driver, writing down each profile and power call; ``crash_at`` dies there."""

    def __init__(self, inner, crash_at: str | None = None):
        self._inner, self.crash_at, self.calls = inner, crash_at, []

    def __getattr__(self, name):
        attr = getattr(self._inner, name)
        if name not in ("apply_profile", "power_on", "power_off"):
            return attr

        def call(bay, *args):
            if name == self.crash_at:
                raise Crash(name)
            self.calls.append((name, bay))
            return attr(bay, *args)
        return call


def test_a_power_on_resumed_by_another_process_applies_the_profile_again_first(core):
    """A one-time boot override or settings staged for the next boot live in the memory of
    the process that applied the profile: a process resuming at the power-on applies it
    again, or the server could boot its local disk."""
    from tui.core.api import Core

    source = gen9_san_bays(core)[0]
    core.sim_fault(source.id, "critical")
    target = core.plan_failover(source.id).target
    real = core.driver
    core.driver = Recording(real, crash_at="power_on")
    with pytest.raises(Crash):
        core.failover(source.id)
    assert ("apply_profile", target) in core.driver.calls
    with core.store.write() as db:
        db.execute("UPDATE jobs SET pid = ? WHERE state = 'running'", (2**22 + 7,))
    resumer = Core(core.config, core.store, Recording(real), "resumer")
    [(job, outcome)] = resumer.resume_interrupted()
    assert outcome == "done"
    assert resumer.driver.calls == [("apply_profile", target), ("power_on", target)]
    assert any("applied again" in (s.detail or "") for s in job.steps), job.steps
    core.driver = real


def test_a_reused_pid_does_not_keep_an_interrupted_job_alive(core, monkeypatch):
    from tui.core.api import Core

    source = gen9_san_bays(core)[0]
    core.sim_fault(source.id, "critical")
    from tui.core import runner

    monkeypatch.setattr(runner, "run_job", lambda *a: (_ for _ in ()).throw(Crash()))
    with pytest.raises(Crash):
        core.failover(source.id)
    monkeypatch.undo()
    # its runner here ended without finishing it: interrupted, wherever it is read
    assert [j.state for j in core.jobs()] == ["interrupted"]
    assert core.job(core.jobs()[0].id).state == "interrupted"
    stranger = subprocess.Popen(["sleep", "30"])  # alive, and now "owns" the job's PID
    try:
        with core.store.write() as db:
            db.execute("UPDATE jobs SET pid = ? WHERE state = 'running'", (stranger.pid,))
        resumer = Core(core.config, core.store, core.driver, "resumer")
        assert [j.id for j in resumer.interrupted_jobs()] == [core.store.jobs()[0].id]
        [(_job, outcome)] = resumer.resume_interrupted()
        assert outcome == "done" and core.profile(source.profile).bay != source.id
    finally:
        stranger.kill()
        stranger.wait()


def test_a_confirmed_target_that_is_no_longer_best_is_refused_not_swapped(core):
    source = gen9_san_bays(core)[0]
    core.sim_fault(source.id, "critical")
    plan = core.plan_failover(source.id)
    confirmed = plan.target
    core.sim_fault(confirmed, "critical")  # the confirmed spare fails meanwhile
    before = core.store.dump()
    with pytest.raises(Refused, match=f"not the {confirmed} you confirmed"):
        core.failover(source.id, expect=plan)
    after = core.store.dump()
    assert after["profiles"] == before["profiles"] and after["jobs"] == before["jobs"]


def test_the_simulator_clears_only_the_profile_it_is_named(core):
    source = gen9_san_bays(core)[0]
    with pytest.raises(DriverError, match="left as it is"):
        core.driver.clear_profile(source.id, "not-" + source.profile)
    assert core.driver.applied_profiles()[source.id] == source.profile
    core.driver.clear_profile(source.id, source.profile)
    assert core.driver.applied_profiles().get(source.id) is None


def test_a_profiles_identities_are_replaced_as_one(core):
    """What adoption records when physical identities followed a blade (OneView)."""
    profile = core.store.profile(gen9_san_bays(core)[0].profile)
    moved = tuple(dataclasses.replace(c, address=f"9C:DC:71:AA:00:{i:02X}")
                  for i, c in enumerate(profile.connections))
    core.store.set_identities(profile.name, "CZJNEWSERIAL", moved)
    again = core.store.profile(profile.name)
    assert (again.serial, again.connections) == ("CZJNEWSERIAL", moved)


def test_all_profiles_are_read_in_two_queries_with_their_own_connections(core, monkeypatch):
    """`Store.profiles()` asked each profile's connections on its own: two queries a
    profile, 0.19 s a call at PostgreSQL's demo size. Now two in all, each profile with
    its own connections, by name."""
    store = core.store
    names = [r[0] for r in store.db.execute("SELECT name FROM profiles ORDER BY name")]
    owned = dict.fromkeys(names, 0)
    for (name,) in store.db.execute("SELECT profile FROM connections"):
        owned[name] += 1
    one_by_one = {n: store.profile(n) for n in names}
    asked: list[str] = []

    class Counted:
        def __init__(self, conn):
            self.conn = conn

        def execute(self, sql, *args):
            asked.append(sql)
            return self.conn.execute(sql, *args)

    db = type(store).db
    monkeypatch.setattr(type(store), "db", property(lambda s: Counted(db.fget(s))))
    every, web = store.profiles(), store.profiles("prod-web")
    assert len(asked) == 4, asked
    assert len(every) > 50 and [p.name for p in every] == names
    assert every == [one_by_one[p.name] for p in every]
    assert all(len(p.connections) == owned[p.name] for p in every)
    assert web and web == [p for p in every if p.group == "prod-web"]


@pytest.mark.parametrize("seed", range(4))
def test_the_stores_spare_counts_follow_the_failovers_ready_rule(core, seed):
    """status, the empty-pool warning and the metrics count ready spares in SQL; the
    failover picks by `Bay.unready_reason`: on any fleet they must agree (a spare in a
    domain under maintenance, or holding a profile, is not ready)."""
    import random

    from tui.model.entities import Maintenance

    rng = random.Random(seed)
    store = core.store
    for b in store.bays():
        if b.empty:
            continue
        if rng.random() < 0.5 and b.profile is None:
            store.set_spare(b.id, True)
        store.set_reading(b.id, power=rng.choice(("on", "off", "off", "off")),
                          health=rng.choice(("ok", "ok", "ok", "ok", "warning", "critical")))
        if rng.random() < 0.1:
            store.set_flag(b.id, "serial changed")
    for group in store.group_names():
        domains = store.domains(group)
        store.start_maintenance(Maintenance(rng.choice(domains).name, group, "tester",
                                                "test", 0.0, 1e12))
    bays = store.bays()
    # the case the old SQL missed: a spare ready but for its domain's maintenance
    assert any(b.spare and b.unready_reason() == "in maintenance" for b in bays)
    for group, figures in store.counts().items():
        ready = [b for b in bays if b.group == group and b.spare and b.unready_reason() is None]
        assert figures["spares_ready"] == len(ready), group


@pytest.mark.parametrize("seed", range(6))
def test_the_status_glance_counts_as_the_view_does(core, seed):
    """`bayops status` reads its figures in one SQL pass (tui.core.store.glance) where the
    dashboard's FleetView counts ``Bay``s: spares ready by ``Bay.unready_reason``, the
    coverage badge by ``coverage.sweep``, drift by the domains' configurations, jobs
    unfinished. On generated fleets (spares made and spoiled, profiles gone, empty bays,
    flags, locks, maintenance, a drained enclosure, drift) they must agree."""
    import random

    from tui.cli.fleet import glance_of
    from tui.core.store.glance import glance
    from tui.core.view import FleetView
    from tui.model.entities import Maintenance
    from tui.model.params import FailoverParams

    rng = random.Random(seed)
    store = core.store
    groups = store.group_names()
    poor = groups[seed % len(groups)]  # its spares never ready: a coverage shortfall
    rich = groups[(seed + 1) % len(groups)]  # no profile, every bay a ready spare: covered
    locked: list[str] = []
    for b in store.bays():
        if b.empty:
            continue
        if b.group == rich:
            if b.profile is not None:
                store.assign_profile(b.profile, None)
            store.set_spare(b.id, True)
            store.set_reading(b.id, power="off", health="ok")
            continue
        if b.profile is not None and rng.random() < 0.3:
            store.assign_profile(b.profile, None)
        elif b.profile is None and rng.random() < 0.15:
            store.set_server(b.id, None)
            continue
        if store.bay(b.id).profile is None and rng.random() < 0.6:
            store.set_spare(b.id, True)
        healths = ("critical", "warning") if b.group == poor else ("ok", "ok", "warning", "critical")
        store.set_reading(b.id, power=rng.choice(("on", "off", "off", "off")),
                          health=rng.choice(healths))
        if rng.random() < 0.08:
            store.set_flag(b.id, "serial changed")
        if rng.random() < 0.1:
            locked.append(b.id)
    with store.write():
        job = store.create_job("tester", "test", FailoverParams(
            rng.choice(groups), locked[0], "p", None, "test"), [f"bay:{i}" for i in locked])
    enclosures = store.enclosures()
    store.set_drained(rng.choice(enclosures).name, job)
    for group in groups:
        domains = store.domains(group)
        if rng.random() < 0.7 and group != rich:
            store.start_maintenance(Maintenance(rng.choice(domains).name, group, "tester",
                                                "test", 0.0, rng.choice((1.0, 1e12))))
        drifted = rng.choice(domains)
        store.set_domain_config(drifted.name, dataclasses.replace(
            drifted.config, firmware=drifted.config.firmware + ".1"))
    seen = glance(store.db)
    assert seen["groups"] == glance_of(FleetView.load(core)[0].groups)
    assert seen["interrupted"] == len(core.interrupted_jobs()) == 1  # left here, no runner
    badges = {g["name"]: g["covers_one_enclosure"] for g in seen["groups"]}
    assert not badges[poor] and badges[rich], badges  # both answers were compared
