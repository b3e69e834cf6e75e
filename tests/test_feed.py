"""The change feed: every write a reader shows advances one revision, readers catch up
in time proportional to the changes, and a reader too far behind reloads."""
from __future__ import annotations

import random

import pytest

from tui.core.store import Store
from tui.core.view import FleetView
from tui.model.errors import Refused

pytestmark = pytest.mark.both_stores  # each test on SQLite and PostgreSQL


def kinds_since(store: Store, rev: int) -> dict[str, set[str]]:
    return store.changes_since(rev).keys


def test_a_sim_fault_is_one_bay_and_its_events(core):
    rev = core.revision()
    core.sim_fault("enc-w1/4", "critical")
    changes = kinds_since(core.store, rev)
    assert changes["bay"] == {"enc-w1/4"}
    assert set(changes) == {"bay", "event"}


def test_every_change_a_reader_shows_advances_the_feed(core):
    bay = next(b for b in core.bays(group="prod-web")
               if b.profile and b.boot_mode == "san" and b.model == "ProLiant BL460c Gen9")
    core.sim_fault(bay.id, "critical")
    rev = core.revision()
    job = core.failover(bay.id)
    changes = kinds_since(core.store, rev)
    target = job.params.target
    assert {bay.id, target} <= changes["bay"]
    assert changes["profile"] == {bay.profile} and str(job.id) in changes["job"]
    rev = core.revision()
    core.maintenance_start("web-dom2", "fw")
    assert kinds_since(core.store, rev)["domain"] == {"web-dom2"}
    rev = core.revision()
    core.policy("lab", "alert", "")
    assert kinds_since(core.store, rev)["group"] == {"lab"}


def test_a_reader_behind_the_pruned_horizon_is_told_to_reload(core):
    old = core.revision()
    for bay in ("enc-w1/4", "enc-w1/6"):
        core.sim_fault(bay, "critical")
    assert core.store.prune_changes(keep=1, batch=3) == 3  # bounded, so a poll stays short
    assert core.store.prune_changes(keep=1) > 0
    assert core.changes(old).resync
    assert not core.changes(core.revision()).resync


def test_a_followed_view_equals_a_fresh_load_after_random_changes(core):
    view, _ = FleetView.load(core)
    rng = random.Random(7)
    bays = [b.id for b in core.bays() if not b.empty]
    for _ in range(12):
        try:
            core.sim_fault(rng.choice(bays), rng.choice(["critical", "cpu-threshold", None]))
        except Refused as exc:  # that fault there already, or a healthy bay healed
            assert exc.code == "no-change"
    core.maintenance_start("db-dom2", "rack")
    victim = next(b for b in core.bays(group="prod-web")
                  if b.profile and b.boot_mode == "san" and b.health == "critical")
    core.failover(victim.id)
    while True:
        update = view.fetch(core)
        view = view.apply(update)
        if not update.more:
            break
    fresh, _ = FleetView.load(core)
    assert view.bays == fresh.bays and view.by_id == fresh.by_id
    assert view.groups == fresh.groups and view.jobs == fresh.jobs
    assert view.applied > 0


def test_an_update_applied_in_slices_equals_it_applied_whole(core):
    """The dashboard applies a busy feed's batch in slices (keys between them): the same
    view in the end; no slice but the last moves the revision or the groups' figures."""
    whole, _ = FleetView.load(core)
    sliced, _ = FleetView.load(core)
    rng = random.Random(3)
    bays = [b.id for b in core.bays() if not b.empty]
    for _ in range(10):  # bays only: a job would summarise every group anyway
        core.sim_fault(rng.choice(bays), rng.choice(["critical", "cpu-threshold"]))
    update = whole.fetch(core)
    parts = update.slices(2)
    assert len(parts) > 2 and [b for p in parts for b in p.bays] == update.bays
    assert update.structure is None and {b.group for b in parts[0].bays} - {
        b.group for b in parts[-1].bays}, "a group only the first slice changes"
    start, groups = sliced.rev, sliced.groups
    for part in parts[:-1]:
        sliced = sliced.apply(part)
        assert sliced.rev == start and sliced.groups == groups
    sliced = sliced.apply(parts[-1])
    whole = whole.apply(update)
    assert sliced.rev == whole.rev > start and sliced.groups != groups
    assert sliced.bays == whole.bays and sliced.groups == whole.groups
    assert sliced.homes == whole.homes and sliced.jobs == whole.jobs
    assert sliced.groups == FleetView.load(core)[0].groups


def test_an_idle_fetch_reads_no_bay(core, monkeypatch):
    view, _ = FleetView.load(core)
    calls = []
    real = core.store.bays
    monkeypatch.setattr(core.store, "bays", lambda *a, **k: calls.append(1) or real(*a, **k))
    update = view.fetch(core)
    assert not update.changed and not update.bays and calls == []


def counted_reads(monkeypatch, driver) -> list[int]:
    """The sizes of ``driver``'s reads from now on (a sweep that reads nothing adds none)."""
    reads: list[int] = []
    real = driver.read
    monkeypatch.setattr(driver, "read", lambda bays: reads.append(len(bays)) or real(bays))
    return reads


def fail_in_hardware(state, bay_id: str) -> None:
    """The simulator's hardware says ``bay_id`` failed, as another process writes it."""
    import sqlite3

    from conftest import sim_file

    with sqlite3.connect(sim_file(state)) as db:
        db.execute("UPDATE sim_hw SET health = 'critical' WHERE bay = ?", (bay_id,))
    db.close()


def test_an_idle_sweep_reads_no_bay_and_a_change_on_either_side_is_swept(core, state, monkeypatch):
    """The health sweep skips a fleet in which neither the store nor the hardware changed;
    the hardware changed by another process (bench/bay_writer.py's way), or the store by
    another writer, is swept at the next poll."""


    from tui.core.monitor import Monitor

    monitor = Monitor(core, sweep_seconds=0)
    monitor.poll()
    monitor.poll()
    reads = counted_reads(monkeypatch, core.driver)
    assert monitor.poll().changed == 0 and reads == []
    bay = next(b for b in core.bays() if not b.empty and b.health == "ok")
    fail_in_hardware(state, bay.id)
    assert monitor.poll().changed == 1 and reads
    assert core.store.bay(bay.id).health == "critical"
    core.store.set_reading(bay.id, health="ok")  # the store disagrees: the hardware wins
    assert monitor.poll().changed == 1 and core.store.bay(bay.id).health == "critical"
    reads.clear()
    monitor.poll()
    assert monitor.poll().changed == 0 and len(reads) == 1, "one sweep more, then none"


def test_a_monitors_first_sweep_reads_no_bay_where_another_keeps_the_store_in_step(
        core, state, monkeypatch):
    """Another process's monitor read the whole fleet since anything changed: a second
    one (another dashboard's start) reads no bay at its first sweep; once the hardware
    changes, it sweeps."""


    from tui.core.api import Core
    from tui.core.monitor import Monitor

    first = Monitor(core, sweep_seconds=0)
    first.poll()
    first.poll()
    other = Core.open(core.config, str(state), operator="tester")
    try:
        reads = counted_reads(monkeypatch, other.driver)
        second = Monitor(other, sweep_seconds=0)
        assert second.poll().changed == 0 and reads == []
        bay = next(b for b in core.bays() if not b.empty and b.health == "ok")
        fail_in_hardware(state, bay.id)
        assert second.poll().changed == 1 and reads
        assert other.store.bay(bay.id).health == "critical"
    finally:
        other.close()


def test_events_are_paged_and_the_policy_claims_in_batches(core):
    first = core.last_event_seq()
    for i in range(30):
        core.event("info", "test", "test.event", f"event {i}")
    page = core.events(first, 10)
    assert [e.message for e in page] == [f"event {i}" for i in range(10)]
    assert core.events(page[-1].seq, 10)[0].message == "event 10"
    assert [e.message for e in core.events(0, 3, newest=True)] == ["event 27", "event 28", "event 29"]
    core.store.set_meta("test_cursor", str(first))
    assert len(core.store.claim_events("test_cursor", limit=12)) == 12
    assert len(core.store.claim_events("test_cursor", limit=100)) == 18
