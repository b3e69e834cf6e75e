"""Before and after a failure (issue 14): rediscovery of inserted, removed and swapped
blades through the CLI, flagged bays, failback after a swap, and the failback offer."""
from __future__ import annotations

import sqlite3
import time

import pytest
from conftest import Cli, dump, sim_file, write_config
from test_state_machine import DEAD_PID, Crash, CrashingDriver

from tui.core.api import Core
from tui.core.config import load_config
from tui.core.monitor import Monitor
from tui.drivers import sim
from tui.model.errors import Refused

pytestmark = pytest.mark.both_stores  # each test on SQLite and PostgreSQL


def bays(cli: Cli, enclosure: str) -> dict[str, dict]:
    return {b["id"]: b for b in cli("bays", "--enclosure", enclosure, "--json").json}


def events(cli: Cli, kind: str) -> list[dict]:
    return [e for e in cli("events", "--json").json if e["kind"] == kind]


def sim_rows(state: object) -> list[tuple]:
    """The simulated hardware and the hardware events it has sent."""
    db = sqlite3.connect(sim_file(state))
    try:
        return [*db.execute("SELECT * FROM sim_hw ORDER BY bay"),
                *db.execute("SELECT * FROM sim_events ORDER BY seq")]
    finally:
        db.close()


def test_insert_remove_and_swap_are_rediscovered_each_with_an_event(cli):
    enc = bays(cli, "enc-l1")
    empty = next(b for b in enc.values() if b["model"] is None)
    spare = next(b for b in enc.values() if b["spare"])
    profiled = next(b for b in enc.values() if b["profile"])

    assert cli("sim", "insert", empty["id"], "--model", "ProLiant BL460c Gen9").code == 0
    assert cli("sim", "remove", spare["id"]).code == 0
    assert cli("sim", "swap", profiled["id"]).code == 0
    # the store has not seen any of it yet: discovery ran when the fleet was built
    assert bays(cli, "enc-l1")[empty["id"]]["model"] is None

    before = dump(cli.state)
    dry = cli("rediscover", "enc-l1", "--dry-run", "--json")
    assert dry.code == 0 and dump(cli.state) == before, "a dry run records nothing"
    assert {f["bay"]: f["change"] for f in dry.json["findings"]} == {
        empty["id"]: "inserted", spare["id"]: "removed", profiled["id"]: "swapped"}

    found = cli("rediscover", "enc-l1", "--json").json["findings"]
    assert {f["bay"]: (f["change"], f["flagged"]) for f in found} == {
        empty["id"]: ("inserted", False), spare["id"]: ("removed", False),
        profiled["id"]: ("swapped", True)}
    now = bays(cli, "enc-l1")
    assert now[empty["id"]]["model"] == "ProLiant BL460c Gen9" and not now[empty["id"]]["flag"]
    assert now[spare["id"]]["model"] is None and not now[spare["id"]]["spare"]
    swapped = now[profiled["id"]]
    assert swapped["serial"] != profiled["serial"] and swapped["flag"]
    # the profile is not left on (or re-applied to) the stranger in its bay
    assert swapped["profile"] is None
    kinds = {e["data"]["bay"]: e["kind"] for e in cli("events", "--json").json
             if e["kind"].startswith("bay.")}
    assert kinds == {empty["id"]: "bay.inserted", spare["id"]: "bay.removed",
                     profiled["id"]: "bay.swapped"}
    assert cli("rediscover", "enc-l1", "--json").json["findings"] == [], "recorded once"
    text = cli("bays", "--enclosure", "enc-l1").out
    assert "FLAGGED" in next(line for line in text.splitlines() if line.startswith(profiled["id"]))


def test_a_flagged_bay_is_never_a_target_or_a_spare_until_cleared(cli):
    enc = bays(cli, "enc-w1")
    victim = next(b for b in enc.values() if b["profile"] and b["boot_mode"] == "san")
    other = next(b for b in enc.values() if b["profile"] and b["id"] != victim["id"]
                 and b["boot_mode"] == "san")
    cli("sim", "swap", victim["id"])
    cli("rediscover", victim["id"])
    profile = victim["profile"]
    moved = cli("move", profile, "--to", victim["id"], "--yes", "--json")
    assert moved.code == 3 and moved.json["code"] == "flagged"
    assert cli("spares", "prod-web", "--add", victim["id"], "--yes").code == 3
    forced = cli("failover", other["id"], "--to", victim["id"], "--force", "--yes", "--json")
    assert forced.code == 3 and forced.json["code"] == "flagged"
    assert cli("clear", other["id"], "--yes", "--json").json["code"] == "not-flagged"
    assert cli("clear", victim["id"], "--dry-run").code == 0
    assert bays(cli, "enc-w1")[victim["id"]]["flag"]
    assert cli("clear", victim["id"], "--yes").code == 0
    assert not bays(cli, "enc-w1")[victim["id"]]["flag"]
    assert events(cli, "bay.cleared")


def test_failback_after_a_swap_brings_the_profile_home_and_the_spare_back(cli):
    enc = bays(cli, "enc-w1")
    home = next(b for b in enc.values() if b["profile"] and b["boot_mode"] == "san")
    profile = home["profile"]
    assert cli("failback", profile, "--json").json["code"] == "no-home"
    cli("sim", "fail", home["id"])
    job = cli("failover", home["id"], "--yes", "--json").json["job"]
    spare = job["params"]["target"]
    assert job["params"]["home"] == home["id"], "the failover job records the home bay"

    cli("sim", "swap", home["id"])  # the failed blade is replaced
    cli("rediscover", "enc-w1")
    refused = cli("failback", profile, "--dry-run", "--json")
    assert refused.code == 3 and refused.json["code"] == "home-not-ready"
    assert "flagged" in refused.json["error"]

    cli("clear", home["id"], "--yes")
    dry = cli("failback", profile, "--dry-run", "--json").json["plan"]
    assert (dry["source"], dry["target"]) == (spare, home["id"])
    assert dry["steps"][-1] == f"{spare} back into the spare pool of prod-web"
    done = cli("failback", profile, "--yes", "--json")
    assert done.code == 0 and done.json["job"]["state"] == "done"
    assert cli.bay(home["id"])["profile"] == profile
    back = cli.bay(spare)
    assert back["spare"] and back["profile"] is None
    assert cli("failback", profile, "--json").json["code"] == "no-home"


def test_failback_waits_while_the_home_is_unhealthy(cli):
    home = next(b for b in bays(cli, "enc-w2").values()
                if b["profile"] and b["boot_mode"] == "san")
    cli("sim", "fail", home["id"])
    cli("failover", home["id"], "--yes")
    refused = cli("failback", home["profile"], "--json")
    assert refused.code == 3 and "not healthy" in refused.json["error"]
    cli("sim", "heal", home["id"])  # repaired in place
    assert cli("failback", home["profile"], "--yes").code == 0
    assert cli.bay(home["id"])["profile"] == home["profile"]


@pytest.mark.parametrize("policy", ["offer", "manual"])
def test_the_monitor_offers_a_failback_once_only_where_the_group_says_offer(tmp_path, policy, make_state):
    config = load_config(write_config(tmp_path / "c.toml", replace={
        'profile_prefix = "web"': f'profile_prefix = "web"\nfailback = "{policy}"'}))
    core = Core.open(config, str(make_state()), operator="tester")
    try:
        home = next(b for b in core.bays(group="prod-web") if b.profile and b.boot_mode == "san")
        core.sim_fault(home.id, "critical")
        core.failover(home.id)
        monitor = Monitor(core, sweep_seconds=0)
        monitor.poll()
        assert not [e for e in core.events() if e.kind == "failback.offer"]
        core.sim_fault(home.id, None)
        monitor.poll()
        monitor.poll()
        offers = [e for e in core.events() if e.kind == "failback.offer"]
        assert len(offers) == (1 if policy == "offer" else 0)
        assert core.store.profile(home.profile or "").bay != home.id, "never automatic"
    finally:
        core.close()


def test_rediscovery_runs_on_the_monitor_schedule_counted_from_the_stores_last_one(
        tmp_path, make_state):
    """Whichever process rediscovered last: a second monitor (another dashboard's start)
    reads no inventory while that is recent, and does once it is older than
    rediscover_seconds; a store never rediscovered is at once."""
    every = 2.0
    config = load_config(write_config(tmp_path / "c.toml", replace={
        "[bayops]": f"[bayops]\nrediscover_seconds = {every}"}))
    state = str(make_state())
    core = Core.open(config, state, operator="tester")
    other = Core.open(config, state, operator="tester")
    try:
        first, second = [b.id for b in core.bays() if b.empty][:2]
        core.sim_hardware(first, "insert")
        monitor = Monitor(core, sweep_seconds=0)
        assert monitor.poll().rediscovered == 1, "never rediscovered: at once"
        assert core.store.bay(first).model is not None
        core.sim_hardware(second, "insert")
        assert monitor.poll().rediscovered == 0, "not again before rediscover_seconds"
        started = time.monotonic()
        later = Monitor(other, sweep_seconds=0)
        assert later.poll().rediscovered == 0, "the store's last one is recent"
        assert other.store.bay(second).model is None
        time.sleep(max(0.0, every - (time.monotonic() - started)) + 0.1)
        assert later.poll().rediscovered == 1
        assert other.store.bay(second).model is not None
        assert monitor.poll().rediscovered == 0, "the other's counts for this one too"
    finally:
        other.close()
        core.close()


def test_bad_rediscovery_input_changes_nothing(cli):
    cli("status")
    before = dump(cli.state)
    assert cli("rediscover", "enc-nope").code == 2
    assert cli("rediscover", "enc-w1/99").code == 2
    assert cli("sim", "insert", "enc-w1/1").code == 3  # full already
    assert cli("sim", "swap", "enc-w1/1", "--model", "a blade").code == 2
    assert dump(cli.state) == before


@pytest.mark.parametrize(("action", "bay", "code", "said"), [
    ("heal", "enc-w1/3", "no-change", "bay enc-w1/3 is healthy already; nothing changed"),
    ("fail", "enc-w1/3", "no-change", "bay enc-w1/3 has fault critical already; nothing changed"),
    ("insert", "enc-w1/3", "bay-full", "bay enc-w1/3 holds a server already (swap replaces it)"),
    ("remove", "enc-l1/15", "empty-bay", "bay enc-l1/15 is empty (insert puts a blade in)"),
    ("heal", "enc-l1/15", "empty-bay", "bay enc-l1/15 is empty")])
def test_a_sim_bay_command_that_would_change_nothing_is_refused(cli, action, bay, code, said):
    """`sim heal` on a healthy bay said "healed" and wrote an event; `sim fail` on a bay
    with that fault injected it again: each sim verb that would change nothing is refused
    (3), says why, and leaves the store and the simulated hardware as they were."""
    if action == "fail":
        assert cli("sim", "fail", bay).code == 0
    before, hardware = dump(cli.state), sim_rows(cli.state)
    r = cli("sim", action, bay, "--json")
    assert (r.code, r.json["code"], r.json["error"]) == (3, code, said)
    assert cli("sim", action, bay).err == f"bayops: {said}\n"
    assert (dump(cli.state), sim_rows(cli.state)) == (before, hardware)


@pytest.mark.parametrize("scan_over", [500, 0])  # bay by bay; one scan, as for a big fleet
def test_a_silent_bay_is_reported_unreadable_and_the_others_are_still_rediscovered(
        cli, scan_over, monkeypatch):
    monkeypatch.setattr(sim, "SCAN_OVER", scan_over)
    enc = bays(cli, "enc-w3")
    silent, swapped = [b["id"] for b in enc.values() if b["model"]][:2]
    cli("sim", "fail", silent, "--kind", "no-answer")
    cli("sim", "swap", swapped)
    found = {f["bay"]: f for f in cli("rediscover", "enc-w3", "--json").json["findings"]}
    assert found[silent]["change"] == "unreadable"
    assert found[swapped]["change"] == "swapped"
    assert bays(cli, "enc-w3")[silent]["serial"] == enc[silent]["serial"], "left as recorded"
    assert len(events(cli, "rediscovery.unreadable")) == 1


def test_failback_gives_back_only_the_spare_the_failover_took(core):
    home = next(b for b in core.bays(enclosure="enc-w1") if b.profile and b.boot_mode == "san")
    other = next(b for b in core.bays(enclosure="enc-w1") if b.profile and b.id != home.id)
    profile, other_profile = home.profile or "", other.profile or ""
    core.sim_fault(home.id, "critical")
    spare = core.failover(home.id).params.target  # type: ignore[attr-defined]
    core.sim_fault(home.id, None)
    assert core.plan_failback(profile).steps[-1] == \
        f"{spare} back into the spare pool of prod-web"
    # shuffled by hand: the profile now sits on a production bay that was never a spare
    core.move(other_profile, home.id)
    core.move(profile, other.id)
    core.move(other_profile, spare)
    plan = core.plan_failback(profile)
    assert not plan.params.pool  # type: ignore[attr-defined]
    assert not any("spare pool" in s for s in plan.steps)
    assert any(w.startswith("no bay returns to the spare pool") and spare in w
               for w in plan.warnings)
    assert core.failback(profile, expect=plan).state == "done"
    assert not core.store.bay(other.id).spare and core.store.bay(spare).profile == other_profile


def test_restore_gives_back_only_the_spares_the_evacuation_took(tmp_path, make_state):
    config = load_config(write_config(tmp_path / "c.toml", replace={
        "spares = 3": "spares = 8", "local_boot = 0.08": "local_boot = 0.0"}))
    core = Core.open(config, str(make_state()), operator="tester")
    try:
        job = core.evacuate("enc-w5", expect=core.plan_evacuate("enc-w5"))
        taken = {name: target for name, _, target in job.params.moves}  # type: ignore[attr-defined]
        moved, spare = next(iter(taken.items()))
        # the operator takes another spare out of the pool and moves one profile onto it
        removed = next(b.id for b in core.spare_bays("prod-web") if b.enclosure != "enc-w5")
        core.spares("prod-web", [], [removed])
        core.move(moved, removed)
        plan = core.plan_restore("enc-w5")
        pool = plan.params.pool  # type: ignore[attr-defined]
        assert removed not in pool and spare not in pool
        assert sorted(pool) == sorted(t for n, t in taken.items() if n != moved)
        assert any(w.startswith(f"{removed} does not return to the spare pool") for w in plan.warnings)
    finally:
        core.close()


VIEWERS = {'default = "admin"': 'default = "viewer"'}


def test_recording_a_rediscovery_needs_a_role_a_dry_run_does_not(cli, tmp_path):
    profiled = next(b for b in bays(cli, "enc-w1").values() if b["profile"])
    cli("sim", "swap", profiled["id"])
    viewer = Cli(write_config(tmp_path / "v.toml", replace=VIEWERS), cli.state)
    before = dump(cli.state)
    refused = viewer("rediscover", "enc-w1", "--json", user="bob")
    assert refused.code == 3 and "rediscover needs limited-operator" in refused.json["error"]
    assert dump(cli.state) == before, "a refused rediscovery flags nothing"
    dry = viewer("rediscover", "enc-w1", "--dry-run", "--json", user="bob")
    assert dry.code == 0 and [f["bay"] for f in dry.json["findings"]] == [profiled["id"]]
    # the monitor's scheduled rediscovery is observation: it runs whoever watches
    core = Core.open(load_config(viewer.config), str(cli.state), operator="bob")
    try:
        assert Monitor(core, sweep_seconds=0).poll().rediscovered == 1
        assert core.store.bay(profiled["id"]).flag
    finally:
        core.close()


def test_resuming_jobs_as_a_caller_of_the_service_needs_a_role(tmp_path, make_state):
    path = str(make_state())
    admin = Core.open(load_config(write_config(tmp_path / "a.toml")), path, operator="ann")
    real = admin.driver
    admin.driver = CrashingDriver(real, 1)
    profile = next(b.profile for b in admin.bays(enclosure="enc-w1") if b.profile)
    free = next(b.id for b in admin.bays(group="prod-web") if b.spare)
    with pytest.raises(Crash):
        admin.move(profile or "", free)
    with admin.store.write() as db:
        db.execute("UPDATE jobs SET pid = ? WHERE state = 'running'", (DEAD_PID,))
    admin.driver = real
    viewer = Core(load_config(write_config(tmp_path / "v.toml", replace=VIEWERS)),
                  admin.store, real, "bob")
    viewer.serving = True  # as Service.core_for makes it
    with pytest.raises(Refused, match="resume needs limited-operator"):
        viewer.resume_interrupted()
    assert len(admin.interrupted_jobs()) == 1
    viewer.serving = False  # a starting process recovers what a crash left, whoever runs it
    assert [outcome for _, outcome in viewer.resume_interrupted()] == ["done"]
    admin.close()


def test_a_dry_run_rediscovery_predicts_the_flags_it_would_set(core):
    enc = core.bays(enclosure="enc-l1")
    profiled = next(b for b in enc if b.profile)
    spare = next(b for b in enc if b.spare)
    core.sim_hardware(profiled.id, "swap")
    core.sim_hardware(spare.id, "swap")
    before = core.store.dump()
    dry = {f.bay: f.flagged for f in core.rediscover("enc-l1", record=False)}
    assert dry == {profiled.id: True, spare.id: False}
    assert core.store.dump() == before, "a dry run records nothing"
    assert {f.bay: f.flagged for f in core.rediscover("enc-l1")} == dry


def roomy_core(tmp_path, make_state) -> Core:
    config = load_config(write_config(tmp_path / "c.toml", replace={
        "spares = 3": "spares = 8", "local_boot = 0.08": "local_boot = 0.0"}))
    return Core.open(config, str(make_state()), operator="tester")


def test_hints_follow_the_state_and_restore_is_its_own_job_kind(tmp_path, make_state):
    core = roomy_core(tmp_path, make_state)
    try:
        core.evacuate("enc-w5", expect=core.plan_evacuate("enc-w5"))
        homes = [b for b in core.bays(enclosure="enc-w5") if core.store.homed_at([b.id])]
        swapped, pulled, sick = homes[0], homes[1], homes[2]
        core.sim_hardware(swapped.id, "swap")
        core.sim_hardware(pulled.id, "remove")
        core.rediscover("enc-w5")
        clear = core.plan_clear_flag(swapped.id)
        owner = core.store.homed_at([swapped.id])[swapped.id]
        assert clear.warnings == (f"profile {owner} belongs here: the restore of enclosure "
                                  "enc-w5 (drained) brings it home",)
        assert "failback" not in " ".join(clear.warnings)
        assert core.plan_clear_flag(pulled.id).summary == (
            f"clear the flag of {pulled.id}: the bay is empty now; a server inserted later "
            "may be used")
        with pytest.raises(Refused) as drained:
            core.plan_failback(owner)
        assert drained.value.code == "home-drained" and "restore" in str(drained.value)
        core.sim_fault(sick.id, "critical")
        with pytest.raises(Refused) as short:
            core.plan_restore("enc-w5")
        assert short.value.code == "shortfall" and "--map" not in str(short.value)
        job = core.restore("enc-w5", force=True, expect=core.plan_restore("enc-w5", force=True))
        assert job.kind == "restore" and core.jobs()[0].kind == "restore"
        assert core.job(job.id).params == job.params, "a restore job reads back as itself"
    finally:
        core.close()


def test_failback_takes_a_bay_and_a_home_warns_who_would_block_it(core):
    home = next(b for b in core.bays(enclosure="enc-w1") if b.profile and b.boot_mode == "san")
    other = next(b for b in core.bays(enclosure="enc-w1") if b.profile and b.id != home.id)
    core.sim_fault(home.id, "critical")
    spare = core.failover(home.id).params.target  # type: ignore[attr-defined]
    core.sim_fault(home.id, None)
    by_profile = core.plan_failback(home.profile or "")
    assert core.plan_failback(home.id) == by_profile  # the bay whose home it is
    assert core.plan_failback(spare) == by_profile  # the bay the profile runs on now
    with pytest.raises(Refused) as none:
        core.plan_failback(other.id)
    assert none.value.code == "no-home"
    blocked = (f"{home.id} is the home of failed-over profile {home.profile}: "
               "in the spare pool it blocks the failback of " + (home.profile or ""))
    assert blocked in core.plan_spares("prod-web", [home.id], []).warnings
    moved = core.plan_move(other.profile or "", home.id).warnings
    assert f"{other.profile} on it blocks the failback of {home.profile}" in " ".join(moved)


def test_the_auto_policy_retries_a_failover_refused_for_want_of_a_spare(tmp_path, make_state):
    core = Core.open(load_config(write_config(tmp_path / "c.toml")), str(make_state()),
                     operator="tester")
    try:
        core.policy("prod-web", "auto", "")
        victim = next(b for b in core.bays(group="prod-web") if b.profile and b.boot_mode == "san")
        spares = [b.id for b in core.spare_bays("prod-web")]
        core.spares("prod-web", [], spares)
        monitor = Monitor(core, sweep_seconds=0)
        core.sim_fault(victim.id, "critical")
        monitor.poll()
        refused = [e for e in core.events() if e.kind == "policy.alert"]
        assert refused and "when a usable spare appears" in refused[-1].message
        assert not [e for e in core.events() if e.kind == "access.refused"], "no person was refused"
        assert core.store.profile(victim.profile or "").bay == victim.id
        monitor.poll()  # still no spare: it waits, quietly
        assert not [e for e in core.events() if e.kind.startswith("policy.retry")]
        back = next(s for s in spares if core.bay(s).model == victim.model)
        core.spares("prod-web", [back], [])
        monitor.poll()
        retried = [e for e in core.events() if e.kind == "policy.retry"]
        assert len(retried) == 1 and back in retried[0].message
        assert core.store.profile(victim.profile or "").bay == back
        # a second bay waits, then heals: the wait is given up, with an event
        other = next(b for b in core.bays(group="prod-web") if b.profile and b.boot_mode == "san"
                     and b.model == victim.model and b.id != victim.id)
        core.sim_fault(other.id, "critical")
        monitor.poll()
        core.sim_fault(other.id, None)
        monitor.poll()
        monitor.poll()
        assert [e for e in core.events() if e.kind == "policy.retry-dropped"]
    finally:
        core.close()


@pytest.mark.parametrize("scan_over", [500, 0])  # lookups; a scan of each slice's ids
def test_a_whole_sweep_and_rediscovery_read_in_slices_miss_no_bay(core, scan_over, monkeypatch):
    from tui.core import health
    from tui.core.ops import rediscover

    monkeypatch.setattr(sim, "SCAN_OVER", scan_over)
    monkeypatch.setattr(health, "SWEEP_SLICE", 7)
    monkeypatch.setattr(rediscover, "REDISCOVER_SLICE", 7)
    servers = [b for b in core.bays() if not b.empty]
    first, last = servers[0], servers[-1]
    middle = next(b for b in servers[len(servers) // 2:] if b.profile is None)
    core.driver.remove(middle.id)  # type: ignore[attr-defined]
    core.driver.inject(first.id, "critical")  # type: ignore[attr-defined]
    core.driver.inject(last.id, "critical")  # type: ignore[attr-defined]
    assert sorted(core.refresh()) == sorted([first.id, last.id])
    assert core.bay(last.id).health == "critical"
    assert [(f.bay, f.change) for f in core.rediscover()] == [(middle.id, "removed")]
    assert core.bay(middle.id).empty
