"""Evacuation and restore of an enclosure: one plan, shortfalls before anything starts,
the drain enforced by the database, stop/continue on a failed profile, and a job killed
at random points and resumed (every profile on exactly one bay, the enclosure drained)."""
from __future__ import annotations

import dataclasses
import random
import threading
import time
from collections import Counter

import pytest
from conftest import INTEGRITY_ERRORS, without_audits, write_config
from test_state_machine import DEAD_PID, Crash, CrashingDriver

from tui.core.api import Core
from tui.core.config import load_config
from tui.core.ops.evacuate import run_bounded
from tui.model.errors import BadInput, OperationFailed, Refused

ENC = "enc-w5"

pytestmark = pytest.mark.both_stores  # each test on SQLite and PostgreSQL


@pytest.fixture
def roomy(tmp_path, make_state):
    """The demo fleet with a deep spare pool in prod-web, evacuating 3 at a time."""
    config = load_config(write_config(tmp_path / "c.toml", replace={
        "spares = 3": "spares = 8", "local_boot = 0.08": "local_boot = 0.0",
        "graceful_deadline = 30": "graceful_deadline = 0\n"
        "evacuate_parallel = 3"}))
    core = Core.open(config, str(make_state()), operator="tester")
    yield core
    core.close()


def placements(core: Core) -> dict[str, str]:
    return {p.name: p.bay for p in core.profiles() if p.bay}


def check_consistent(core: Core) -> None:
    db = core.store.db
    on_bays = [r[0] for r in db.execute("SELECT bay FROM profiles WHERE bay IS NOT NULL")]
    assert len(on_bays) == len(set(on_bays)), "a bay holds two profiles"
    hardware = core.driver.applied_profiles()
    assert all(n == 1 for n in Counter(hardware.values()).values()), "a profile on two bays"
    assert {b: n for n, b in placements(core).items()} == hardware, "store and hardware differ"
    assert db.execute("SELECT COUNT(*) FROM locks").fetchone()[0] == 0
    assert not core.store.jobs(running_only=True)


def test_evacuate_then_restore_round_trip(roomy):
    core = roomy
    before = placements(core)
    on_enc = {n: b for n, b in before.items() if b.startswith(ENC + "/")}
    plan = core.plan_evacuate(ENC)
    assert len(plan.params.moves) == len(on_enc) and not plan.warnings
    assert plan.steps[0].startswith(f"drain {ENC}")
    job = core.evacuate(ENC, expect=plan)
    assert job.state == "done"
    after = placements(core)
    assert not [b for b in after.values() if b.startswith(ENC + "/")]
    assert all(core.store.profile(n).home == b for n, b in on_enc.items())
    assert all(b.drained for b in core.bays(enclosure=ENC))
    check_consistent(core)
    # drained: no failover target, no spare use, and the database refuses it too
    drained_spare = next(b for b in core.bays(enclosure=ENC) if b.spare)
    victim = next(b for b in core.bays(group="prod-web") if b.profile and b.boot_mode == "san")
    with pytest.raises(Refused) as refused:
        core.plan_failover(victim.id, to=drained_spare.id, force=True)
    assert refused.value.code == "drained"
    assert drained_spare.id not in [c.bay.id for c in core.failover_candidates(victim.id)
                                    if c.usable]
    with pytest.raises(INTEGRITY_ERRORS, match="drained"):
        core.store.assign_profile(victim.profile or "", next(
            b.id for b in core.bays(enclosure=ENC) if not b.empty and not b.spare))

    restored = core.restore(ENC, expect=core.plan_restore(ENC))
    assert restored.state == "done"
    assert placements(core) == before
    assert not any(b.drained for b in core.bays(enclosure=ENC))
    assert all(core.store.profile(n).home is None for n in on_enc)
    check_consistent(core)


def test_a_spare_a_failed_over_profile_took_is_a_spare_again_after_restore(roomy):
    """A profile failed over onto a spare of the enclosure, then evacuated off it: the
    spare goes back into the pool when the enclosure is restored (it was left out)."""
    core = roomy
    spare = next(b for b in core.bays(enclosure=ENC) if b.spare)
    victim = next(b for b in core.bays(group="prod-web") if b.profile and b.boot_mode == "san"
                  and not b.id.startswith(ENC + "/"))
    name = victim.profile or ""
    assert core.failover(victim.id, to=spare.id, force=True).state == "done"
    assert core.store.profile(name).borrowed == spare.id
    elsewhere = next(b for b in core.bays(group="prod-web") if b.spare and b.model == spare.model
                     and not b.id.startswith(ENC + "/"))
    plan = core.plan_evacuate(ENC, mapping={name: elsewhere.id}, force=True)  # one Gen9 short
    assert f"{spare.id} was the spare {name} took: back into the pool on restore" in plan.steps
    assert core.evacuate(ENC, mapping={name: elsewhere.id}, force=True,
                         expect=plan).state == "done"
    assert core.store.profile(name).bay == elsewhere.id
    restore = core.plan_restore(ENC)
    assert restore.steps[-1] == f"{spare.id} back into the spare pool (a failed-over profile's spare)"
    assert core.restore(ENC, expect=restore).state == "done"
    assert core.bay(spare.id).spare and core.bay(spare.id).profile is None
    assert core.store.profile(name).home == victim.id  # still failed over, away from home
    check_consistent(core)


def test_a_forced_restore_that_leaves_a_profile_keeps_the_enclosure_drained(roomy):
    """The plan says the enclosure stays drained when a profile cannot go home: the job
    must keep it so (and keep its freed spare out of the pool), so that a later restore
    brings the rest home."""
    core = roomy
    spare = next(b for b in core.bays(enclosure=ENC) if b.spare)
    victim = next(b for b in core.bays(group="prod-web") if b.profile and b.boot_mode == "san"
                  and not b.id.startswith(ENC + "/"))
    assert core.failover(victim.id, to=spare.id, force=True).state == "done"
    elsewhere = next(b for b in core.bays(group="prod-web") if b.spare and b.model == spare.model
                     and not b.id.startswith(ENC + "/"))
    mapping = {victim.profile or "": elsewhere.id}
    core.evacuate(ENC, mapping=mapping, force=True,
                  expect=core.plan_evacuate(ENC, mapping=mapping, force=True))
    away = next(n for n, h in core.store.homes(ENC).items() if core.store.profile(n).bay != h)
    home = core.store.profile(away).home or ""
    core.sim_fault(home, "critical")  # this one cannot go home now
    plan = core.plan_restore(ENC, force=True)
    assert plan.steps[0].startswith(f"leave in place: {away}") and plan.steps[-1] == f"{ENC} stays drained"
    assert core.restore(ENC, force=True, expect=plan).state == "done"
    assert all(b.drained for b in core.bays(enclosure=ENC))
    assert not core.bay(spare.id).spare, "no spare on a drained enclosure"
    assert core.store.profile(away).bay != home
    core.sim_fault(home, None)  # repaired
    assert core.restore(ENC, expect=core.plan_restore(ENC)).state == "done"
    assert core.store.profile(away).bay == home
    assert not any(b.drained for b in core.bays(enclosure=ENC))
    assert core.bay(spare.id).spare, "the freed spare is back once the enclosure is"
    check_consistent(core)


def test_shortfalls_are_listed_before_anything_starts(tmp_path, make_state):
    core = Core.open(load_config(write_config(tmp_path / "c.toml")), str(make_state()),
                     operator="tester")
    try:
        before = without_audits(core.store.dump())
        with pytest.raises(Refused) as refused:
            core.plan_evacuate("enc-w1")
        assert refused.value.code == "shortfall" and "without a target" in str(refused.value)
        assert without_audits(core.store.dump()) == before
        forced = core.plan_evacuate("enc-w1", force=True)
        left = [s for s in forced.steps if s.startswith("leave in place: ")]
        assert left and forced.steps[:len(left)] == tuple(left), "the shortfalls come first"
        assert forced.warnings == (f"{len(left)} profile(s) stay where they are "
                                   f"(step(s) 1-{len(left)})",)
    finally:
        core.close()


def test_a_map_names_targets_and_bad_maps_are_refused(roomy, tmp_path):
    core = roomy
    profile = next(b.profile for b in core.bays(enclosure=ENC) if b.profile)
    free = next(b for b in core.bays(group="prod-web") if b.spare and not b.id.startswith(ENC))
    plan = core.plan_evacuate(ENC, mapping={profile: free.id})
    assert (profile, core.store.profile(profile).bay, free.id) in plan.params.moves
    with pytest.raises(Exception) as bad:
        core.plan_evacuate(ENC, mapping={"no-such-profile": free.id})
    assert getattr(bad.value, "code", "") == "bad-map"
    other = next(b.profile for b in core.bays(enclosure=ENC) if b.profile and b.profile != profile)
    with pytest.raises(BadInput) as twice:
        core.plan_evacuate(ENC, mapping={profile: free.id, other: free.id})
    assert twice.value.code == "bad-map" and f"to {free.id}" in str(twice.value)


def test_map_targets_are_reserved_before_automatic_placement(roomy):
    core = roomy
    on_enc = [b for b in core.bays(enclosure=ENC) if b.profile]
    first, last = on_enc[0].profile or "", on_enc[-1].profile or ""
    auto = core.plan_evacuate(ENC, force=True)
    taken = {n: t for n, _, t in auto.params.moves}  # type: ignore[attr-defined]
    # the last profile asks for the spare the automatic choice gives the first
    plan = core.plan_evacuate(ENC, mapping={last: taken[first]}, force=True)
    moves = {n: t for n, _, t in plan.params.moves}  # type: ignore[attr-defined]
    assert moves[last] == taken[first]
    assert moves[first] != taken[first]
    assert len(set(moves.values())) == len(moves)


@pytest.mark.parametrize("stop", [True, False])
def test_one_failed_profile_stops_the_rest_or_not(roomy, stop):
    core = roomy
    # one at a time, so which moves had started when the first failed is known
    core.config = dataclasses.replace(core.config, evacuate_parallel=1)
    plan = core.plan_evacuate(ENC, stop_on_failure=stop)
    bad_name, bad_source, bad_target = plan.params.moves[0]
    core.sim_fault(bad_target, "wont-power-on")
    with pytest.raises(OperationFailed) as failed:
        core.evacuate(ENC, stop_on_failure=stop, expect=plan)
    # the failed one went back to its bay on the drained enclosure (the draining job may)
    assert core.store.profile(bad_name).bay == bad_source
    assert all(b.drained for b in core.bays(enclosure=ENC)), "stays drained"
    moved = [n for n, _, t in plan.params.moves if core.store.profile(n).bay == t]
    if stop:
        assert "4 not started" in str(failed.value) and moved == []
    else:
        assert len(moved) == len(plan.params.moves) - 1
    check_consistent(core)


def killed_at_random(core: Core, rng: random.Random, operation, calls: int) -> None:
    """Run ``operation(ENC)`` dying (as SIGKILL would) at a random hardware call, hand its
    job to a dead process, and let the core resume it."""
    real = core.driver
    core.driver = CrashingDriver(real, rng.randrange(0, calls))
    try:
        operation(ENC)
    except Crash:
        with core.store.write() as db:
            db.execute("UPDATE jobs SET pid = ? WHERE state = 'running'", (DEAD_PID,))
    finally:
        core.driver = real
    core.resume_interrupted()


@pytest.mark.parametrize("seed", range(8))
def test_evacuation_killed_at_a_random_point_is_resumed(roomy, seed):
    core = roomy
    rng = random.Random(seed)
    profiles = {p.name for p in core.profiles()}
    on_enc = {b.profile for b in core.bays(enclosure=ENC) if b.profile}
    killed_at_random(core, rng, core.evacuate, 4 * len(on_enc))
    check_consistent(core)
    assert {p.name for p in core.profiles()} == profiles
    assert set(placements(core)) == profiles, "every profile on exactly one bay"
    assert all(b.drained for b in core.bays(enclosure=ENC))
    assert not [b for b in core.bays(enclosure=ENC) if b.profile]
    # and a restore killed the same way comes back whole too
    killed_at_random(core, rng, core.restore, 4 * len(on_enc))
    check_consistent(core)
    assert {n for n in on_enc if (core.store.profile(n).bay or "").startswith(ENC)} == on_enc
    assert not any(b.drained for b in core.bays(enclosure=ENC))


def test_bounded_parallelism_and_stop_on_failure():
    running, most, lock = [0], [0], threading.Lock()

    def one(move):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.01)  # overlap, if the bound allowed it
        with lock:
            running[0] -= 1
        if move[0] == "p0":
            raise OperationFailed("p0 would not power on")

    moves = [(f"p{i}", f"e/{i}", f"t/{i}") for i in range(10)]
    failed, skipped = run_bounded(moves, one, 3, stop_on_failure=False)
    assert most[0] <= 3 and failed == ["p0: p0 would not power on"] and skipped == []
    failed, skipped = run_bounded(moves, one, 1, stop_on_failure=True)
    assert len(failed) == 1 and skipped == [f"p{i}" for i in range(1, 10)]


def test_a_dry_run_with_a_shortfall_shows_the_plan_with_the_shortfalls_first(cli):
    text = cli("evacuate", "enc-w1", "--dry-run")
    assert text.code == 3
    lines = text.out.splitlines()
    assert lines[0].startswith("evacuate enc-w1: ")
    left = [n for n, line in enumerate(lines) if ". leave in place: " in line]
    drain = next(n for n, line in enumerate(lines) if ". drain enc-w1" in line)
    assert left and max(left) < drain, "each shortfall on its own line, before the moves"
    assert len(text.err.splitlines()) == 1 and "nothing started" in text.err
    data = cli("evacuate", "enc-w1", "--dry-run", "--json")
    assert data.code == 3 and data.json["code"] == "shortfall"
    assert len(data.json["problems"]) == len(left)
    assert all(isinstance(p, str) and "enc-w1/" in p for p in data.json["problems"])
    assert data.json["plan"]["steps"][:len(left)] == ["leave in place: " + p
                                                      for p in data.json["problems"]]


def test_an_evacuation_that_could_move_nothing_is_refused_even_forced(tmp_path, make_state):
    core = Core.open(load_config(write_config(tmp_path / "c.toml")), str(make_state()),
                     operator="tester")
    try:
        spares = [b.id for b in core.spare_bays("prod-web")]
        core.spares("prod-web", [], spares)
        for bay in spares:  # a free bay is a move target: fail them, so none is left
            core.sim_fault(bay, "critical")
        before = without_audits(core.store.dump())
        with pytest.raises(Refused) as refused:
            core.plan_evacuate("enc-w1", force=True)
        assert refused.value.code == "nothing-movable"
        assert "none of its" in refused.value.message and "bayops move" in refused.value.hint
        assert without_audits(core.store.dump()) == before
    finally:
        core.close()


def test_after_a_partial_evacuation_status_names_the_live_profiles_and_bays_where_theirs_went(cli):
    assert cli("evacuate", "enc-d1", "--force", "--yes").code == 0
    bays = cli("bays", "--enclosure", "enc-d1", "--json").json
    live = [(b["profile"], b["id"]) for b in bays if b["profile"]]
    assert live, "a forced evacuation leaves the profiles without a spare in place"
    data = cli("status", "--json").json
    assert data["drained"] == [{"enclosure": "enc-d1", "domain": "db-dom1", "job": 1,
                                "live": [{"bay": bay, "profile": p} for p, bay in live]}]
    line = next(x for x in cli("status").out.splitlines() if x.startswith("drained: enc-d1"))
    assert f"{len(live)} profile(s) still run on it: {live[0][0]} on {live[0][1]}" in line
    # each bay the evacuation emptied says where its profile runs now
    rows = cli("bays", "--enclosure", "enc-d1").out.splitlines()
    moved = [r.split() for r in rows if "→" in r]
    assert moved and all(cli("bay", r[0], "--json").json["away_on"] == r[r.index("→") + 1]
                         for r in moved)
