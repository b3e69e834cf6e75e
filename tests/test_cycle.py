"""Before and after a failure (issue 14): rediscovery of inserted, removed and swapped
blades through the CLI, flagged bays, failback after a swap, and the failback offer."""
from __future__ import annotations

import pytest
from conftest import Cli, dump, write_config

from tui.core.api import Core
from tui.core.config import load_config
from tui.core.monitor import Monitor

pytestmark = pytest.mark.both_stores  # each test on SQLite and PostgreSQL


def bays(cli: Cli, enclosure: str) -> dict[str, dict]:
    return {b["id"]: b for b in cli("bays", "--enclosure", enclosure, "--json").json}


def events(cli: Cli, kind: str) -> list[dict]:
    return [e for e in cli("events", "--json").json if e["kind"] == kind]


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


def test_rediscovery_runs_on_the_monitor_schedule(tmp_path, make_state):
    config = load_config(write_config(tmp_path / "c.toml"))
    core = Core.open(config, str(make_state()), operator="tester")
    try:
        empty = next(b for b in core.bays() if b.empty)
        core.sim_hardware(empty.id, "insert")
        monitor = Monitor(core, sweep_seconds=0)
        assert monitor.poll().rediscovered == 1
        assert core.store.bay(empty.id).model is not None
        core.sim_hardware(empty.id, "remove")
        assert monitor.poll().rediscovered == 0, "not again before rediscover_seconds"
    finally:
        core.close()


def test_bad_rediscovery_input_changes_nothing(cli):
    cli("status")
    before = dump(cli.state)
    assert cli("rediscover", "enc-nope").code == 2
    assert cli("rediscover", "enc-w1/99").code == 2
    assert cli("sim", "insert", "enc-w1/1").code == 3  # full already
    assert cli("sim", "swap", "enc-w1/1", "--model", "a blade").code == 2
    assert dump(cli.state) == before


def test_a_silent_bay_is_reported_unreadable_and_the_others_are_still_rediscovered(cli):
    enc = bays(cli, "enc-w3")
    silent, swapped = [b["id"] for b in enc.values() if b["model"]][:2]
    cli("sim", "fail", silent, "--kind", "no-answer")
    cli("sim", "swap", swapped)
    found = {f["bay"]: f for f in cli("rediscover", "enc-w3", "--json").json["findings"]}
    assert found[silent]["change"] == "unreadable"
    assert found[swapped]["change"] == "swapped"
    assert bays(cli, "enc-w3")[silent]["serial"] == enc[silent]["serial"], "left as recorded"
    assert len(events(cli, "rediscovery.unreadable")) == 1
