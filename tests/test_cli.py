"""The scriptable CLI, driven as a subprocess with --json and exit codes."""
from __future__ import annotations

import json
import signal
import time

import pytest
from conftest import Cli, dump, sim_file, write_config

from tui.core.store import Store
from tui.model.stateref import StateRef

pytestmark = pytest.mark.both_stores  # each test on SQLite and PostgreSQL


def san_bays(cli: Cli, group: str, model: str | None = None) -> list[dict]:
    return [b for b in cli("bays", "--group", group, "--json").json
            if b["profile"] and b["boot_mode"] == "san" and (model is None or b["model"] == model)]


def placements(cli: Cli) -> dict[str, str]:
    return {p["name"]: p["bay"] for p in cli("profile", "list", "--json").json}


def test_status_json_is_one_document_describing_the_demo_fleet(cli):
    r = cli("status", "--json")
    assert r.code == 0, r.err
    data = r.json
    assert data["driver"] == "sim"
    assert len(data["groups"]) >= 3
    assert sum(len(g["domains"]) for g in data["groups"]) >= 8
    encs = [e for g in data["groups"] for d in g["domains"] for e in d["enclosures"]]
    assert len(encs) >= 12 and {e["model"] for e in encs} == {"c7000", "c3000"}
    assert 170 <= sum(g["bays"] for g in data["groups"]) <= 200
    assert sum(g["warning"] for g in data["groups"]) == 1
    assert all(1 <= g["spares"] <= 3 for g in data["groups"])
    bays = cli("bays", "--json").json
    assert {b["boot_mode"] for b in bays if b["profile"]} == {"san", "local"}
    assert any(b["model"] is None for b in bays), "some bays are empty"


def test_failover_moves_profile_to_same_model_spare_and_journals_why(cli):
    bay = san_bays(cli, "prod-web", "ProLiant BL460c Gen9")[0]
    assert cli("sim", "fail", bay["id"]).code == 0
    r = cli("failover", bay["id"], "--yes", "--json")
    assert r.code == 0, r.err
    job = r.json["job"]
    assert job["state"] == "done"
    target = r.json["plan"]["target"]
    assert placements(cli)[bay["profile"]] == target
    after = cli.bay(target)
    assert after["power"] == "on" and not after["spare"] and after["profile"] == bay["profile"]
    assert cli.bay(bay["id"])["profile"] is None and cli.bay(bay["id"])["power"] == "off"
    steps = [s["name"] for s in job["steps"]]
    assert steps[0].startswith("choose target") and "same" in job["steps"][0]["detail"]
    assert any(s.startswith("power off") for s in steps) and steps[-1] == f"power on {target} (attempt 1)"
    events = cli("events", "--json", "--limit", "20").json
    assert any(e["kind"] == "failover.done" and e["operator"] == "tester" for e in events)


def test_failover_of_local_boot_profile_is_refused_and_changes_nothing(cli):
    local = next(b for b in cli("bays", "--json").json if b["boot_mode"] == "local")
    cli("sim", "fail", local["id"])
    before = dump(cli.state)
    r = cli("failover", local["id"], "--yes", "--json")
    assert r.code == 3
    assert "boots from local disk" in r.err and len(r.err.strip().splitlines()) == 1
    assert r.json["exit"] == 3
    assert dump(cli.state) == before


def test_failover_with_empty_spare_pool_is_refused(cli):
    spares = [b["id"] for b in cli("spares", "prod-db", "--json").json]
    assert cli("spares", "prod-db", "--remove", *spares, "--yes").code == 0
    bay = san_bays(cli, "prod-db")[0]
    cli("sim", "fail", bay["id"])
    before = dump(cli.state)
    r = cli("failover", bay["id"], "--yes")
    assert r.code == 3
    assert "spare pool of group prod-db is empty" in r.err
    # the next step: a move by hand to the best free bays of the group, or a blade
    assert f"bayops move {bay['profile']} --to {spares[0]}" in r.err
    assert "insert a" in r.err and "bayops spares prod-db --add" in r.err
    assert dump(cli.state) == before


def test_failover_needs_confirmation_without_yes(cli):
    bay = san_bays(cli, "prod-web")[0]
    cli("sim", "fail", bay["id"])
    before = dump(cli.state)
    r = cli("failover", bay["id"])
    assert r.code == 3 and "confirmation" in r.err
    assert dump(cli.state) == before


def test_two_processes_racing_for_the_last_spare_one_wins_one_is_refused(tmp_path, make_state):
    cli = Cli(write_config(tmp_path / "c.toml", latency=0.3), make_state())
    spare = cli("spares", "lab", "--json").json
    assert len(spare) == 1
    model = spare[0]["model"]
    a, b = san_bays(cli, "lab", model)[:2]
    for bay in (a, b):
        assert cli("sim", "fail", bay["id"]).code == 0
    procs = [cli.popen("failover", bay["id"], "--yes", "--json") for bay in (a, b)]
    results = [(p.wait(timeout=60), p.stdout.read(), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 3], results
    loser = (a, b)[[code for code, _, _ in results].index(3)]
    loser_err = results[[code for code, _, _ in results].index(3)][2]
    assert "spare" in loser_err and len(loser_err.strip().splitlines()) == 1
    where = placements(cli)
    assert where[loser["profile"]] == loser["id"], "the refused failover touched nothing"
    assert cli.bay(loser["id"])["power"] == "on"
    winner = (a, b)[[code for code, _, _ in results].index(0)]
    assert where[winner["profile"]] == spare[0]["id"]
    jobs = cli("jobs", "--json").json
    assert [j["state"] for j in jobs if j["kind"] == "failover"] == ["done"]


def test_sigkill_between_clear_and_apply_then_resume_puts_profile_on_exactly_one_bay(tmp_path, make_state):
    cli = Cli(write_config(tmp_path / "c.toml", latency={"apply_profile": 30.0}), make_state())
    bay = san_bays(cli, "prod-web")[0]
    cli("sim", "fail", bay["id"])
    proc = cli.popen("failover", bay["id"], "--yes", "--json")
    deadline = time.time() + 30
    while time.time() < deadline:
        jobs = cli("jobs", "--json").json
        steps = jobs[0]["steps"] if jobs else []
        if any(s["name"].startswith("apply profile") and s["state"] == "running" for s in steps):
            break
        time.sleep(0.1)
    else:
        pytest.fail("the failover never reached the apply step")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    # Killed in flight: the profile is on no bay, held only by the journaled job. Read the
    # store directly: any bayops process would resume the job as it starts.
    store = Store(StateRef.parse(cli.state))
    assert store.profile(bay["profile"]).bay is None
    job = store.jobs()[0]
    assert job.state == "interrupted" and store.lock_holder(f"profile:{bay['profile']}") == job.id
    target = job.params.target
    store.close()
    # a read-only look resumes nothing: the job is shown as what it is, not as running
    listed = cli("--read-only", "jobs").out.splitlines()
    assert listed[1].split()[:3] == [str(job.id), "failover", "interrupted"], listed
    assert cli("--read-only", "jobs", "show", str(job.id), "--json").json["state"] == "interrupted"
    write_config(tmp_path / "c.toml")  # the resuming process runs at full speed
    r = cli("jobs", "resume", "--json")
    assert r.code == 0, r.err
    assert r.json[0]["outcome"] == "done"
    where = placements(cli)
    assert where[bay["profile"]] == target
    assert list(where.values()).count(target) == 1
    shown = cli("jobs", "show", str(job.id), "--json").json
    assert shown["state"] == "done"
    assert any("interrupted" in s["detail"] for s in shown["steps"] if s["state"] == "interrupted")
    # the step run again on resume reads as that, not as the same line twice
    applied = [line for line in cli("jobs", "show", str(job.id)).out.splitlines()
               if "apply profile to" in line]
    assert len(applied) == 2 and ", resumed" not in applied[0] and ", resumed" in applied[1]
    kinds = [e["kind"] for e in cli("events", "--json", "--limit", "30").json]
    assert "job.resumed" in kinds


def test_maintenance_completed_by_another_user_needs_force_and_is_audited(tmp_path, make_state):
    config = write_config(tmp_path / "c.toml", replace={
        'default = "admin"': 'default = "viewer"\n'
        '[[roles.grant]]\nuser = "alice"\nrole = "group-admin"\ngroups = ["prod-web"]\n'
        '[[roles.grant]]\nuser = "bob"\nrole = "group-admin"\ngroups = ["prod-web"]\n'
        '[[roles.grant]]\nuser = "root-admin"\nrole = "admin"\ngroups = ["*"]'})
    cli = Cli(config, make_state())
    assert cli("maintenance", "start", "web-dom2", "--reason", "firmware", "--yes", user="alice").code == 0
    assert cli("domain", "set", "web-dom2", "firmware", "4.70", "--yes", user="alice").code == 0
    before = dump(cli.state)
    r = cli("maintenance", "complete", "web-dom2", "--yes", user="bob")
    assert r.code == 3 and "alice" in r.err and "--force" in r.err
    r = cli("maintenance", "complete", "web-dom2", "--force", "--yes", user="bob")
    assert r.code == 3 and "needs admin" in r.err
    assert dump(cli.state) == before
    r = cli("maintenance", "complete", "web-dom2", "--force", "--yes", "--json", user="root-admin")
    assert r.code == 0, r.err
    assert [s["name"] for s in r.json["job"]["steps"] if not s["name"].startswith("stage")][1:4] == [
        "back up web-dom2", "apply to web-dom1", "apply to web-dom3"]  # with firmware staged between
    forced = [e for e in cli("events", "--json").json if e["kind"] == "maintenance.forced"]
    assert forced and forced[0]["operator"] == "root-admin" and "alice" in forced[0]["message"]
    for domain in ("web-dom1", "web-dom3"):
        assert cli("domain", "show", domain, "--json").json["config"]["firmware"] == "4.70"
    assert cli("maintenance", "status", "--json").json == []


def test_maintenance_cancel_reverts_and_blocks_profile_operations_while_held(cli):
    assert cli("maintenance", "start", "web-dom2", "--reason", "vlan change", "--yes").code == 0
    assert cli("maintenance", "start", "web-dom1", "--reason", "x", "--yes").code == 3
    assert cli("domain", "set", "web-dom2", "network.web-front", "111", "--yes").code == 0
    shown = cli("domain", "show", "web-dom2", "--json").json
    assert shown["diff"] == ["~ network web-front vlan 110 -> 111"]
    bay = next(b for b in san_bays(cli, "prod-web") if b["domain"] == "web-dom2")
    cli("sim", "fail", bay["id"])
    r = cli("failover", bay["id"], "--yes")
    assert r.code == 3 and "maintenance" in r.err
    assert cli("maintenance", "cancel", "web-dom2", "--yes").code == 0
    assert cli("domain", "show", "web-dom2", "--json").json["diff"] == []
    assert cli("domain", "set", "web-dom2", "firmware", "5", "--yes").code == 3


def test_cross_group_move_missing_a_network_is_refused_with_its_name(cli):
    web = next(b for b in cli("bays", "--group", "prod-web", "--json").json if b["profile"])
    free_db = next(b for b in cli("bays", "--group", "prod-db", "--json").json if b["spare"])
    before = dump(cli.state)
    r = cli("move", web["profile"], "--to", free_db["id"], "--yes")
    assert r.code == 3
    assert "prod-db does not carry network backup" in r.err
    assert dump(cli.state) == before


def test_a_move_onto_a_critical_bay_is_refused_unless_the_state_is_named(cli):
    web = next(b for b in cli("bays", "--group", "prod-web", "--json").json if b["profile"])
    spare = cli("spares", "prod-web", "--json").json[0]["id"]
    assert cli("sim", "fail", spare).code == 0
    assert cli.bay(spare)["health"] == "critical"
    before = dump(cli.state)
    dry = cli("move", web["profile"], "--to", spare, "--dry-run", "--json")
    assert dry.code == 3 and dry.json["code"] == "target-unfit", dry.out
    assert "critical" in dry.json["error"] and "--force-unfit critical" in dry.err
    wrong = cli("move", web["profile"], "--to", spare, "--force-unfit", "unknown", "--yes")
    assert wrong.code == 3 and "is critical" in wrong.err
    assert cli("move", web["profile"], "--to", spare, "--force-unfit", "sick").code == 2
    assert dump(cli.state) == before, "a refused move changes nothing"
    forced = cli("move", web["profile"], "--to", spare, "--force-unfit", "critical", "--yes",
                 "--json")
    assert forced.code == 0, forced.err
    assert any(w.startswith("FORCED onto a critical bay") for w in forced.json["plan"]["warnings"])
    assert cli.bay(spare)["profile"] == web["profile"]
    assert [e for e in cli("events", "--json").json if e["kind"] == "move.forced-unfit"]


def test_a_failover_to_a_critical_spare_needs_the_state_named_not_just_force(cli):
    bay = san_bays(cli, "prod-web", "ProLiant BL460c Gen9")[0]
    spare = next(s["id"] for s in cli("spares", "prod-web", "--json").json
                 if s["model"] == bay["model"])
    cli("sim", "fail", bay["id"])
    cli("sim", "fail", spare)
    r = cli("failover", bay["id"], "--to", spare, "--force", "--yes", "--json")
    assert r.code == 3 and r.json["code"] == "target-unfit", r.out


def test_cross_group_move_keeps_identities(cli):
    assert cli("profile", "create", "fe-01", "--group", "prod-web", "--network", "web-front",
               "--network", "mgmt", "--fabric", "san-a", "--yes").code == 0
    shown = cli("profile", "show", "fe-01", "--json").json
    lab_spare = cli("spares", "lab", "--json").json[0]["id"]
    r = cli("move", "fe-01", "--to", lab_spare, "--yes", "--json")
    assert r.code == 0, r.err
    moved = cli("profile", "show", "fe-01", "--json").json
    assert moved["group"] == "lab" and moved["bay"] == lab_spare
    assert moved["connections"] == shown["connections"] and moved["serial"] == shown["serial"]


@pytest.mark.parametrize("args, fragment", [
    (["failover", "enc-zz/1", "--yes"], "no enclosure named 'enc-zz'"),
    (["failover", "enc-w1/99", "--yes"], "out of range"),
    (["failover", "enc-w1-7", "--yes"], "not a bay"),
    (["failover", "enc-w1/x", "--yes"], "not a number"),
    (["move", "nope", "--to", "enc-w1/1", "--yes"], "no profile named 'nope'"),
    (["move", "web-001"], "--to"),
    (["spares", "no-group"], "no domain group named 'no-group'"),
    (["bays", "--health", "sick"], "invalid choice"),
    (["bays", "--group", "x"], "no domain group"),
    (["maintenance", "start", "web-dom1"], "--reason"),
    (["maintenance", "start", "nodom", "--reason", "r", "--yes"], "no domain named 'nodom'"),
    (["maintenance", "start", "web-dom1", "--reason", "r", "--hours", "-1", "--yes"], "out of range"),
    (["enclosure", "add", "lab", "enc-x", "--bays", "12", "--yes"], "invalid choice"),
    (["enclosure", "add", "lab", "enc-w1", "--yes"], "already exists"),
    (["enclosure", "add", "lab", "bad name", "--yes"], "not a valid enclosure name"),
    (["policy", "lab", "--mode", "sometimes", "--yes"], "invalid choice"),
    (["policy", "lab", "--window", "funday", "--yes"], "not a day"),
    (["policy", "lab", "--window", "sat 25:00-26:00", "--yes"], "00:00..24:00"),
    (["jobs", "show", "abc"], "'abc' is not an integer"),
    (["jobs", "show", "999"], "no job 999"),
    (["events", "--since", "-4"], "out of range 0.."),
    (["sim", "fail", "enc-w1/3", "--kind", "meteor"], "invalid choice"),
    (["sim", "fail", "enc-w1/99"], "out of range"),
    (["domain", "set", "web-dom1", "colour", "red", "--yes"], "unknown key 'colour'"),
    (["frobnicate"], "invalid choice"),
    (["profile", "create", "x y", "--group", "lab", "--yes"], "not a valid profile name"),
    (["profile", "create", "p1", "--group", "lab", "--network", "nonet", "--yes"], "no network 'nonet'"),
    (["jobs", "show", "99999999999999999999"], "out of range"),
    (["events", "--since", "99999999999999999999"], "out of range"),
    (["profile", "create", "px", "--group", "lab", "--lun", "-7", "--yes"], "out of range 0..16383"),
    (["watch", "--interval", "nan"], "out of range"),
    (["failover", "enc-l1/\udcff", "--yes"], "not valid UTF-8"),
    (["--state", "/etc/passwd/x.db", "status"], "cannot create its folder"),
    # without --yes and without a terminal: bad names still say what is wrong (exit 2)
    (["spares", "nosuch", "--add", "x"], "no domain group named 'nosuch'"),
    (["domain", "set", "nosuch", "firmware", "1"], "no domain named 'nosuch'"),
    (["maintenance", "start", "nosuch", "--reason", "r"], "no domain named 'nosuch'"),
    (["maintenance", "cancel", "nosuch"], "no domain named 'nosuch'"),
    (["policy", "nosuch", "--mode", "auto"], "no domain group named 'nosuch'"),
    (["profile", "delete", "nosuch"], "no profile named 'nosuch'"),
    (["pools", "exclude", "mac", "zz"], "is not a mac address"),
    (["enclosure", "add", "nosuch", "enc-x"], "no domain group named 'nosuch'"),
])
def test_malformed_arguments_get_one_line_exit_2_and_change_nothing(cli, args, fragment):
    cli("status")  # create the fleet first
    before = dump(cli.state)
    r = cli(*args)
    assert r.code == 2, (r.code, r.err)
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], lines
    assert r.out == ""
    assert dump(cli.state) == before


@pytest.mark.parametrize("mutation, fragment", [
    (("[bayops]", "[bayops"), "not valid TOML"),
    (('driver = "sim"', 'driver = "ipmi"'), "bayops.driver"),
    (("seed = 7", 'seed = "seven"'), "sim.seed: must be an integer, got str"),
    (("web-front = 110,", "web-front = 5000,"), "VLAN id must be an integer 1..4094"),
    (('model = "c3000"', 'model = "c9000"'), "is not one of c7000, c3000"),
    (('policy = "alert"', 'policy = "panic"'), "groups.prod-web.policy"),
    (('window = "sat,sun"', 'window = "caturday"'), "groups.lab.window"),
    (('start = "00:17:A4:77:00:00"', 'start = "00:17:A4:77"'), "pools.mac"),
    (('default = "admin"', 'default = "god"'), "roles.default"),
    (('name = "enc-d3"', 'name = "enc-w1"'), "enclosure name 'enc-w1' is used twice"),
    (("spares = 3", "spares = -1"), "groups.prod-web.spares"),
    (("[keys]", "[keys]\nfailover = 5"), "keys.failover"),
    (("lease_hours = 4", "lease_hours = 4\ncolour = 1"), "bayops.colour: unknown key"),
])
def test_malformed_config_gets_one_line_exit_2_and_changes_nothing(tmp_path, cli, mutation, fragment):
    cli("status")
    before = dump(cli.state)
    bad = write_config(tmp_path / "bad.toml", replace=dict([mutation]))
    r = Cli(bad, cli.state)("status")
    assert r.code == 2, r.err
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and fragment in lines[0], lines
    assert dump(cli.state) == before


@pytest.mark.parametrize("replace, key", [
    ({"[sim]": "[sim]\ncolour = 1"}, "sim.colour"),
    ({'driver = "sim"': 'driver = "redfish"', "[keys]": "[redfish]\nbogus = 1\n[keys]"},
     "redfish.bogus"),
    ({'driver = "sim"': 'driver = "oneview"', "[keys]": "[oneview]\nbogus = 1\n[keys]"},
     "oneview.bogus"),
])
def test_an_unknown_key_names_the_file_and_the_key_whichever_part_reads_it(tmp_path, cli,
                                                                          replace, key):
    """The core's tables and each driver's are checked by one checker, the same way."""
    bad = write_config(tmp_path / "bad.toml", replace=replace)
    r = Cli(bad, cli.state)("status")
    assert r.code == 2, r.err
    assert r.err.startswith(f"bayops: config: {bad}: {key}: unknown key (known: "), r.err
    assert r.err.count("\n") == 1


def test_missing_config_file_and_corrupt_state_are_clear_errors(tmp_path, cli):
    r = Cli(tmp_path / "nope.toml", cli.state)("status", subprocess=True)  # the real exit code
    assert r.code == 2 and "no such file" in r.err
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    r = Cli(cli.config, junk)("status")
    assert r.code == 2 and "is not a bayops state file" in r.err


def test_read_only_and_viewer_role_refuse_changes(tmp_path, cli):
    bay = san_bays(cli, "prod-web")[0]
    cli("sim", "fail", bay["id"])
    before = dump(cli.state)
    r = cli("--read-only", "failover", bay["id"], "--yes", subprocess=True)  # the real exit code
    assert r.code == 3 and "read-only" in r.err
    viewer = Cli(write_config(tmp_path / "v.toml", replace={'default = "admin"': 'default = "viewer"'}),
                 cli.state)
    r = viewer("failover", bay["id"], "--yes", user="mallory")
    assert r.code == 3 and "'mallory' is viewer" in r.err
    assert viewer("status").code == 0
    assert dump(cli.state) == before


def test_events_follow_streams_events_written_by_another_process(cli):
    cli("status")
    follower = cli.popen("events", "--follow", "--json")
    try:
        time.sleep(1.0)
        assert cli("sim", "fail", "enc-w1/2", subprocess=True).code == 0
        deadline = time.time() + 10
        seen = []
        import selectors

        sel = selectors.DefaultSelector()
        sel.register(follower.stdout, selectors.EVENT_READ)
        while time.time() < deadline and not any("enc-w1/2" in e.get("message", "") for e in seen):
            if sel.select(timeout=0.5):
                seen.append(json.loads(follower.stdout.readline()))
        assert any(e["kind"] == "health.changed" and "enc-w1/2" in e["message"] for e in seen)
    finally:
        follower.send_signal(signal.SIGTERM)
        assert follower.wait(timeout=10) == 0


def test_watch_applies_auto_policy_once_even_with_two_monitors(cli):
    assert cli("policy", "prod-web", "--mode", "auto", "--window", "", "--yes").code == 0
    bay = san_bays(cli, "prod-web", "ProLiant BL460c Gen9")[0]
    watchers = [cli.popen("watch", "--json", "--interval", "0.2") for _ in range(2)]
    try:
        time.sleep(1.5)
        cli("sim", "fail", bay["id"], "--kind", "memory-errors")
        deadline = time.time() + 20
        while time.time() < deadline and placements(cli)[bay["profile"]] == bay["id"]:
            time.sleep(0.2)
    finally:
        for w in watchers:
            w.send_signal(signal.SIGTERM)
            assert w.wait(timeout=10) == 0
    assert placements(cli)[bay["profile"]] != bay["id"]
    jobs = [j for j in cli("jobs", "--json").json if j["kind"] == "failover"]
    assert len(jobs) == 1 and jobs[0]["operator"] == "policy:auto"
    alerts = [e for e in cli("events", "--json").json if e["kind"] == "policy.alert"]
    assert len(alerts) == 1


def test_alert_policy_raises_an_alert_and_does_not_fail_over(cli):
    bay = san_bays(cli, "prod-web")[0]  # prod-web ships with policy "alert"
    cli("sim", "fail", bay["id"])
    assert cli("watch", "--count", "1", "--interval", "0.1").code == 0
    alerts = [e for e in cli("events", "--json").json if e["kind"] == "policy.alert"]
    assert len(alerts) == 1 and f"bayops failover {bay['id']}" in alerts[0]["message"]
    assert placements(cli)[bay["profile"]] == bay["id"]


def test_enclosure_add_creates_domain_with_group_baseline(cli):
    r = cli("enclosure", "add", "lab", "enc-l5", "--bays", "8", "--yes", "--json")
    assert r.code == 0, r.err
    assert [s["state"] for s in r.json["job"]["steps"]] == ["done", "done"]
    shown = cli("domain", "show", "enc-l5-dom", "--json").json
    assert shown["diff"] == [] and shown["config"]["networks"]["lab-net"] == 400
    bays = cli("bays", "--enclosure", "enc-l5", "--json").json
    assert len(bays) == 8 and sum(b["model"] is not None for b in bays) == 6  # lab: 2 empty
    assert cli("spares", "lab", "--add", "enc-l5/1", "--yes").code == 0


def test_pools_show_usage_and_an_excluded_address_is_never_allocated(cli):
    before = cli("pools", "--json").json
    assert before["mac"]["in_use"] > 0 and before["mac"]["excluded"] == []
    used = next(c["address"] for c in cli("profile", "show", "web-001", "--json").json["connections"]
                if c["kind"] == "eth")
    r = cli("pools", "exclude", "mac", used, "--yes")
    assert r.code == 3 and "in use by profile web-001" in r.err
    assert cli("pools", "exclude", "mac", "zz:17", "--yes").code == 2
    assert cli("pools", "exclude", "wwpn", "10:00:00:00:00:00:00:01", "--yes").code == 2  # outside
    # The demo fleet took MACs in order from the start: exclude the next one due.
    due = before["mac"]["in_use"]
    next_mac = f"00:17:a4:77:{due >> 8:02x}:{due & 0xff:02x}"
    assert cli("pools", "exclude", "mac", next_mac, "--yes").code == 0
    after = cli("pools", "--json").json
    assert after["mac"]["excluded"] == [next_mac.upper()]
    assert after["mac"]["free"] == before["mac"]["free"] - 1
    created = cli("profile", "create", "p1", "--group", "lab", "--yes", "--json").json
    macs = [c["address"] for c in created["connections"] if c["kind"] == "eth"]
    assert next_mac.upper() not in macs
    assert macs[0] == f"00:17:A4:77:{(due + 1) >> 8:02X}:{(due + 1) & 0xff:02X}"
    assert cli("pools", "include", "mac", next_mac, "--yes").code == 0
    events = [e for e in cli("events", "--json").json if e["kind"] == "pools.changed"]
    assert len(events) == 2 and events[0]["operator"] == "tester"


def test_bare_bayops_without_a_terminal_says_to_use_sub_commands(cli):
    r = cli()
    assert r.code == 2 and r.out == ""
    assert "needs a terminal" in r.err and len(r.err.strip().splitlines()) == 1


def restricted(tmp_path, cli, extra: str = "") -> Cli:
    """The same state under a real roles config: unnamed users are viewers."""
    return Cli(write_config(tmp_path / "roles.toml", replace={
        'default = "admin"': 'default = "viewer"\n[[roles.grant]]\nuser = "lop"\n'
                             'role = "limited-operator"\ngroups = ["*"]' + extra}), cli.state)


def test_force_needs_admin(tmp_path, cli):
    bay = san_bays(cli, "lab")[0]
    r = restricted(tmp_path, cli)("failover", bay["id"], "--force", "--yes", user="lop")
    assert r.code == 3 and "force needs admin" in r.err


def test_auto_policy_acts_under_a_real_roles_config_and_read_only_watch_does_not(tmp_path, cli):
    assert cli("policy", "prod-web", "--mode", "auto", "--window", "", "--yes").code == 0
    bay = san_bays(cli, "prod-web", "ProLiant BL460c Gen9")[0]
    strict = restricted(tmp_path, cli)
    assert cli("sim", "fail", bay["id"]).code == 0
    assert strict("--read-only", "watch", "--count", "1", "--interval", "0.1").code == 0
    assert placements(cli)[bay["profile"]] == bay["id"], "a read-only monitor never acts"
    assert strict("watch", "--count", "1", "--interval", "0.1", user="nobody").code == 0
    assert placements(cli)[bay["profile"]] != bay["id"], "the policy acted, though watch ran as a viewer"
    job = next(j for j in cli("jobs", "--json").json if j["kind"] == "failover")
    assert job["operator"] == "policy:auto"
    # Nobody becomes the policy by calling themselves so.
    other = san_bays(cli, "prod-web", "ProLiant BL460c Gen9")[0]
    r = strict("failover", other["id"], "--force", "--yes", user="policy:auto")
    assert r.code == 2 and "not a valid BAYOPS_USER operator name" in r.err


def test_failover_sees_a_hardware_fault_nobody_has_polled_yet(cli):
    """The event-handler case: the failover CLI runs before any monitor saw the fault."""
    from tui.drivers.sim import SimDriver

    bay = san_bays(cli, "prod-web", "ProLiant BL460c Gen9")[0]
    SimDriver(sim_file(cli.state), {}).inject(bay["id"], "critical")  # hardware only, no refresh
    assert cli.bay(bay["id"])["health"] == "ok"
    r = cli("failover", bay["id"], "--yes", "--json")
    assert r.code == 0, r.err


def test_processes_starting_together_on_a_new_state_build_one_fleet(fast_config, make_state):
    cli = Cli(fast_config, make_state())
    procs = [cli.popen("status", "--json") for _ in range(4)]
    results = [(p.wait(timeout=60), p.stdout.read(), p.stderr.read()) for p in procs]
    assert [code for code, _, _ in results] == [0, 0, 0, 0], [err for _, _, err in results]
    assert len({json.dumps(json.loads(out)["groups"]) for _, out, _ in results}) == 1
    created = [e for e in cli("events", "--json").json if e["kind"] == "fleet.created"]
    assert len(created) == 1


def test_a_spare_must_be_healthy(cli):
    spare = cli("spares", "prod-web", "--json").json[0]["id"]
    assert cli("spares", "prod-web", "--remove", spare, "--yes").code == 0
    cli("sim", "fail", spare)
    r = cli("spares", "prod-web", "--add", spare, "--yes")
    assert r.code == 3 and "must be healthy" in r.err


def expire_lease(state, domain: str) -> None:
    from tui.core.store import Store

    store = Store(StateRef.parse(state))
    with store.write() as db:
        db.execute("UPDATE maintenance SET expires = started WHERE domain = ?", (domain,))
    store.close()


def test_edits_reach_the_domain_and_wait_for_a_running_complete(tmp_path, make_state):
    import sqlite3

    cli = Cli(write_config(tmp_path / "c.toml", latency={"domain_config": 1.5}), make_state())
    assert cli("maintenance", "start", "lab-dom1", "--reason", "vlan", "--yes").code == 0
    assert cli("domain", "set", "lab-dom1", "network.lab-net", "401", "--yes").code == 0
    with sqlite3.connect(sim_file(cli.state)) as db:  # the simulator's VC Manager took it
        pushed = json.loads(db.execute("SELECT config FROM sim_domains WHERE domain = 'lab-dom1'")
                            .fetchone()[0])
    assert pushed["networks"]["lab-net"] == 401
    completing = cli.popen("maintenance", "complete", "lab-dom1", "--yes")
    deadline = time.time() + 30  # the other process holds the domain once its job runs
    while time.time() < deadline and not any(
            j["state"] == "running" for j in cli("jobs", "--json").json):
        time.sleep(0.05)
    r = cli("domain", "set", "lab-dom1", "network.evil", "666", "--yes")
    assert r.code == 3 and "held by job" in r.err
    r = cli("enclosure", "add", "lab", "enc-n1", "--domain", "lab-dom9", "--bays", "8", "--yes")
    assert r.code == 3 and "in maintenance" in r.err
    assert completing.wait(timeout=60) == 0
    for domain in ("lab-dom1", "lab-dom2", "lab-dom3"):
        shown = cli("domain", "show", domain, "--json").json
        assert shown["diff"] == [] and "evil" not in shown["config"]["networks"]


def test_an_expired_lease_stops_edits_and_lets_another_group_admin_finish(tmp_path, make_state):
    config = write_config(tmp_path / "c.toml", replace={
        'default = "admin"': 'default = "viewer"\n'
        '[[roles.grant]]\nuser = "alice"\nrole = "group-admin"\ngroups = ["lab"]\n'
        '[[roles.grant]]\nuser = "bob"\nrole = "group-admin"\ngroups = ["lab"]'})
    cli = Cli(config, make_state())
    assert cli("maintenance", "start", "lab-dom2", "--reason", "r", "--yes", user="alice").code == 0
    r = cli("maintenance", "cancel", "lab-dom2", "--yes", user="bob")
    assert r.code == 3 and "--force" in r.err  # not while the lease runs
    expire_lease(cli.state, "lab-dom2")
    assert cli("watch", "--count", "1", "--no-policy", "--interval", "0.1").code == 0
    assert cli("watch", "--count", "1", "--no-policy", "--interval", "0.1").code == 0
    expired = [e for e in cli("events", "--json").json if e["kind"] == "maintenance.expired"]
    assert len(expired) == 1
    r = cli("domain", "set", "lab-dom2", "firmware", "9", "--yes", user="alice")
    assert r.code == 3 and "expired" in r.err and "renew" in r.err
    assert cli("maintenance", "renew", "lab-dom2", "--hours", "1", "--yes", user="alice").code == 0
    assert cli("domain", "set", "lab-dom2", "firmware", "9", "--yes", user="alice").code == 0
    expire_lease(cli.state, "lab-dom2")
    r = cli("maintenance", "cancel", "lab-dom2", "--yes", user="bob")
    assert r.code == 0, r.err
    taken = [e for e in cli("events", "--json").json if e["kind"] == "maintenance.forced"]
    assert taken and taken[0]["operator"] == "bob" and "after its lease expired" in taken[0]["message"]
    assert cli("domain", "show", "lab-dom2", "--json").json["diff"] == []


def test_the_simulator_does_not_claim_a_graceful_deadline_it_never_waited(cli):
    bay = san_bays(cli, "prod-web")[0]
    cli("sim", "fail", bay["id"])
    assert cli("failover", bay["id"], "--yes").code == 0
    job = cli("jobs", "--json").json[0]
    power_off = next(s for s in job["steps"] if s["name"].startswith("power off"))
    assert "did not answer the graceful shutdown" in power_off["detail"]
    assert "the simulator does not" in power_off["detail"]  # the job took far less than 30 s
