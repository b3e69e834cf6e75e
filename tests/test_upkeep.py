"""Domain maintenance as VCEM did it (issue 24): firmware upgrades staged per enclosure,
configuration backups and restores, local users, uplink ports, the complete plan's impact."""
from __future__ import annotations

import json
import signal
import time

import pytest
from conftest import Cli, dump, stored_text, write_config

from tui.core.store import Store
from tui.model.errors import Refused
from tui.model.params import DomainSetParams
from tui.model.stateref import StateRef

pytestmark = pytest.mark.both_stores


def wait_for_step(cli: Cli, prefix: str, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        jobs = cli("jobs", "--json").json
        if jobs and any(s["name"].startswith(prefix) and s["state"] == "running"
                        for s in jobs[0]["steps"]):
            return
        time.sleep(0.1)
    pytest.fail(f"no step {prefix!r} ever ran")


def last_job(cli: Cli) -> tuple[str, str]:
    store = Store(StateRef.parse(cli.state))
    try:
        job = store.jobs()[0]
        return job.kind, job.state
    finally:
        store.close()


def components(cli: Cli, domain: str) -> dict[str, str]:
    rows = cli("firmware", "compliance", "--json").json
    return next(r for r in rows if r["domain"] == domain)["components"]


# -- firmware ---------------------------------------------------------------------------------
def test_firmware_upgrade_is_staged_per_enclosure_and_recorded_per_component(cli):
    r = cli("firmware", "upgrade", "web-dom1", "--to", "4.70", "--yes", "--json")
    assert r.code == 3 and r.json["code"] == "not-in-maintenance"
    assert cli("maintenance", "start", "web-dom1", "--reason", "fw", "--yes").code == 0
    plan = cli("firmware", "plan", "web-dom1", "--to", "4.70", "--json").json["plan"]
    assert [s.split(" (")[0] for s in plan["steps"][:2]] == ["stage 4.70 on enc-w1", "stage 4.70 on enc-w2"]
    assert cli("jobs", "--json").json[0]["kind"] != "firmware-upgrade", "plan changes nothing"
    r = cli("firmware", "upgrade", "web-dom1", "--to", "4.70", "--yes", "--json")
    assert r.code == 0, r.err
    names = [s["name"] for s in r.json["job"]["steps"]]
    assert names[:2] == ["stage 4.70 on enc-w1 (1/2)", "stage 4.70 on enc-w2 (2/2)"]
    assert components(cli, "web-dom1") == {f"{e}/{p}": "4.70" for e in ("enc-w1", "enc-w2")
                                           for p in ("ic1", "ic2", "oa")}
    rows = {r["domain"]: r for r in cli("firmware", "compliance", "prod-web", "--json").json}
    assert not rows["web-dom1"]["compliant"] and rows["web-dom1"]["baseline"] == "4.62"
    assert rows["web-dom2"]["compliant"] and set(rows) == {"web-dom1", "web-dom2", "web-dom3"}
    # complete makes it the baseline and takes it to the rest of the group
    assert cli("maintenance", "complete", "web-dom1", "--yes").code == 0
    assert all(r["compliant"] and r["baseline"] == "4.70"
               for r in cli("firmware", "compliance", "prod-web", "--json").json)


def test_firmware_upgrade_stops_at_the_first_failing_enclosure_with_each_component_recorded(cli):
    assert cli("maintenance", "start", "web-dom1", "--reason", "fw", "--yes").code == 0
    assert cli("sim", "firmware-refuse", "enc-w2/ic1").code == 0
    r = cli("firmware", "upgrade", "web-dom1", "--to", "4.70", "--yes", "--json")
    assert r.code == 1, r.out
    assert "stopped at enc-w2" in r.json["error"]
    running = components(cli, "web-dom1")
    assert {c: v for c, v in running.items() if c.startswith("enc-w1/")} == {
        "enc-w1/ic1": "4.70", "enc-w1/ic2": "4.70", "enc-w1/oa": "4.70"}
    assert running["enc-w2/ic1"] == "4.62", "the refusing module is recorded as it runs"
    assert cli("domain", "show", "web-dom1", "--json").json["config"]["firmware"] == "4.62"
    kinds = [e["kind"] for e in cli("events", "--json", "--limit", "5").json]
    assert "firmware.failed" in kinds
    assert cli("sim", "firmware-accept", "enc-w2/ic1").code == 0  # the retry stages what is left
    r = cli("firmware", "upgrade", "web-dom1", "--to", "4.70", "--yes", "--json")
    assert r.code == 0, r.err
    assert set(components(cli, "web-dom1").values()) == {"4.70"}


def test_a_long_upgrade_and_complete_say_each_step_on_stderr_as_it_runs(cli, tmp_path,
                                                                       monkeypatch):
    """Minutes on real hardware: each step is said on stderr as it starts and as it ends,
    while stdout (--json) stays the one document at the end."""
    from tui.cli import progress

    monkeypatch.setattr(progress, "AFTER", 0.0)  # the test's stages take a second, not minutes
    monkeypatch.setattr(progress, "EVERY", 0.05)
    slow = Cli(write_config(tmp_path / "slow.toml", latency={"firmware": 0.15}), cli.state)
    assert slow("maintenance", "start", "web-dom1", "--reason", "fw", "--yes").code == 0
    r = slow("firmware", "upgrade", "web-dom1", "--to", "4.70", "--yes", "--json")
    assert r.code == 0, r.err
    job = r.json["job"]
    said = r.err.splitlines()
    for step in job["steps"]:  # each step's end, in order, with what it read back
        done = f"bayops: job {job['id']} step {step['seq']} [done] {step['name']}"
        assert done + (f": {step['detail']}" if step["detail"] else "") in said, r.err
    first, second = (f"bayops: job {job['id']} step {n} [{state}] stage 4.70 on enc-w{n} ({n}/2)"
                     for n, state in ((1, "running"), (2, "running")))
    assert said.index(first) < said.index(second), r.err
    assert said.index(second) < next(i for i, line in enumerate(said)
                                      if line.startswith(f"bayops: job {job['id']} step 2 [done]"))
    r = slow("maintenance", "complete", "web-dom1", "--yes")
    assert r.code == 0, r.err
    assert any(line.endswith("[running] stage 4.70 on enc-w3 of web-dom2 (1/1)")
               for line in r.err.splitlines()), r.err
    assert r.out.startswith("job ") and "bayops:" not in r.out


def test_an_upgrade_plan_reads_what_runs_before_it_names_a_restart(cli, monkeypatch):
    """Firmware never read: the plan reads it first, so the version a domain runs is no
    upgrade (refused, nothing changes) and the diff names what runs, not what was
    configured; an enclosure already on the target is neither staged nor warned about;
    what cannot be read is "unknown"."""
    assert cli("maintenance", "start", "web-dom1", "--reason", "fw", "--yes").code == 0
    before = dump(cli.state)
    r = cli("firmware", "plan", "web-dom1", "--to", "4.62", "--json")
    assert r.code == 3 and r.json["code"] == "no-change", r.out
    assert dump(cli.state) == before
    plan = cli("firmware", "plan", "web-dom1", "--to", "4.70", "--json").json["plan"]
    assert plan["diff"]["changes"][0]["old"] == "4.62"
    assert cli("sim", "firmware-refuse", "enc-w2/ic1").code == 0  # enc-w1 upgrades, enc-w2 not
    assert cli("firmware", "upgrade", "web-dom1", "--to", "4.70", "--yes").code == 1
    assert cli("sim", "firmware-accept", "enc-w2/ic1").code == 0
    plan = cli("firmware", "plan", "web-dom1", "--to", "4.70", "--json").json["plan"]
    assert [s.split(" (")[0] for s in plan["steps"][:-1]] == ["stage 4.70 on enc-w2"]
    assert plan["diff"]["changes"][0]["old"] == "4.62, 4.70"  # enc-w2's oa took it
    restart = [w for w in plan["warnings"] if "restart" in w]
    assert restart and not any("enc-w1/" in w for w in restart), restart

    from tui.drivers.sim_upkeep import SimUpkeep
    from tui.model.driver import DriverError

    def silent(self, domain, enclosures):
        raise DriverError("the Onboard Administrator does not answer")
    monkeypatch.setattr(SimUpkeep, "firmware", silent)
    assert cli("maintenance", "start", "db-dom1", "--reason", "fw", "--yes").code == 0
    plan = cli("firmware", "plan", "db-dom1", "--to", "4.70", "--json").json["plan"]
    assert plan["diff"]["changes"][0]["old"] == "unknown"


def test_firmware_upgrade_is_refused_while_a_job_holds_a_bay_of_the_domain(cli):
    assert cli("maintenance", "start", "web-dom2", "--reason", "fw", "--yes").code == 0
    store = Store(StateRef.parse(cli.state))
    store.create_job("other", "a move in flight", DomainSetParams(
        group="prod-web", domain="web-dom2", key="k", value="v"), ["bay:enc-w3/1"])
    store.close()
    before = dump(cli.state)
    # another process: this test's own (alive) holds the job, as a running bayops would
    r = cli("firmware", "upgrade", "web-dom2", "--to", "4.70", "--yes", "--json", subprocess=True)
    assert r.code == 3 and r.json["code"] == "held-by-job" and "enc-w3/1" in r.json["error"]
    assert dump(cli.state) == before


def test_no_profile_is_placed_in_a_domain_a_job_holds(cli):
    """A complete propagating to web-dom1 (or an upgrade, a restore) holds the domain: its
    interconnects may restart, so its spare takes no profile until the job ends — the
    failover takes the next spare, an explicit target or a move there is refused."""
    assert cli("sim", "fail", "enc-w1/3").code == 0
    assert cli("failover", "enc-w1/3", "--dry-run", "--json").json["plan"]["target"] == "enc-w2/16"
    store = Store(StateRef.parse(cli.state))
    store.create_job("other", "maintenance complete in flight", DomainSetParams(
        group="prod-web", domain="web-dom1", key="k", value="v"), ["domain:web-dom1"])
    store.close()
    before = dump(cli.state)
    # another process: this test's own (alive) holds the job, as a running bayops would
    r = cli("failover", "enc-w1/3", "--dry-run", "--json", subprocess=True)
    assert r.code == 0 and r.json["plan"]["target"] == "enc-w5/8", r.out
    r = cli("failover", "enc-w1/3", "--to", "enc-w2/16", "--dry-run", "--json", subprocess=True)
    assert r.code == 3 and r.json["code"] == "domain-held", r.out
    assert "web-dom1" in r.json["error"] and "held by job" in r.json["error"]
    r = cli("move", "web-010", "--to", "enc-w2/16", "--dry-run", "--json", subprocess=True)
    assert r.code == 3 and r.json["code"] == "domain-held", r.out
    assert dump(cli.state) == before


def test_sigkill_during_a_firmware_upgrade_then_resume_finishes_it(tmp_path, make_state):
    cli = Cli(write_config(tmp_path / "c.toml", latency={"firmware": 30.0}), make_state())
    assert cli("maintenance", "start", "web-dom1", "--reason", "fw", "--yes").code == 0
    proc = cli.popen("firmware", "upgrade", "web-dom1", "--to", "4.80", "--yes")
    wait_for_step(cli, "stage 4.80 on enc-w1")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    # Read the store directly: any bayops process would resume the job as it starts.
    assert last_job(cli) == ("firmware-upgrade", "interrupted")  # its process is gone
    write_config(tmp_path / "c.toml")  # the resuming process runs at full speed
    r = cli("jobs", "resume", "--json")
    assert r.code == 0, r.err
    assert r.json[0]["outcome"] == "done"
    assert set(components(cli, "web-dom1").values()) == {"4.80"}
    assert cli("domain", "show", "web-dom1", "--json").json["config"]["firmware"] == "4.80"


def test_domain_set_firmware_is_a_target_that_complete_stages_per_enclosure_on_each_domain(cli):
    assert cli("maintenance", "start", "web-dom2", "--reason", "fw", "--yes").code == 0
    r = cli("domain", "set", "web-dom2", "firmware", "4.85", "--yes", "--json")
    assert r.code == 0, r.err
    assert set(components(cli, "web-dom2").values()) == {"4.62"}, "nothing staged at once"
    assert cli("domain", "show", "web-dom2", "--json").json["config"]["firmware"] == "4.85"
    plan = cli("maintenance", "complete", "web-dom2", "--dry-run", "--json").json["plan"]
    stages = [s for s in plan["steps"] if s.startswith("stage 4.85")]
    assert [s.split(":")[0] for s in stages] == [
        "stage 4.85 on enc-w3 of web-dom2", "stage 4.85 on enc-w1 of web-dom1",
        "stage 4.85 on enc-w2 of web-dom1", "stage 4.85 on enc-w4 of web-dom3",
        "stage 4.85 on enc-w5 of web-dom3"], "the domain in maintenance first"
    running = [b["id"] for b in cli("bays", "--domain", "web-dom1", "--json").json
               if b["profile"] and b["power"] == "on" and b["id"].startswith("enc-w1/")]
    assert "restart" in stages[1] and running[0] in stages[1], "which bays the restart touches"
    assert any("web-dom3 restart" in w for w in plan["warnings"])
    r = cli("maintenance", "complete", "web-dom2", "--yes", "--json")
    assert r.code == 0, r.err
    names = [s["name"] for s in r.json["job"]["steps"]]
    assert names.index("stage 4.85 on enc-w1 of web-dom1 (1/2)") > names.index("apply to web-dom1")
    assert names.index("stage 4.85 on enc-w4 of web-dom3 (1/2)") > names.index(
        "stage 4.85 on enc-w2 of web-dom1 (2/2)")
    rows = cli("firmware", "compliance", "prod-web", "--json").json
    assert all(r["compliant"] and r["read"] and r["baseline"] == "4.85" for r in rows)


def test_propagated_firmware_stops_at_the_first_failing_enclosure(cli):
    assert cli("maintenance", "start", "web-dom2", "--reason", "fw", "--yes").code == 0
    assert cli("firmware", "upgrade", "web-dom2", "--to", "4.85", "--yes").code == 0
    assert cli("sim", "firmware-refuse", "enc-w4/ic2").code == 0
    r = cli("maintenance", "complete", "web-dom2", "--yes", "--json")
    assert r.code == 1, r.out
    assert "stopped at stage 4.85 on enc-w4 of web-dom3" in r.json["error"]
    steps = {s["name"]: s["state"] for s in cli("jobs", "--json").json[0]["steps"]}
    assert steps["stage 4.85 on enc-w4 of web-dom3 (1/2)"] == "failed"
    assert "stage 4.85 on enc-w5 of web-dom3 (2/2)" not in steps, "nothing after the failure"
    web3 = components(cli, "web-dom3")
    assert web3["enc-w4/ic1"] == "4.85" and web3["enc-w4/ic2"] == "4.62" and web3["enc-w5/oa"] == "4.62"
    assert set(components(cli, "web-dom1").values()) == {"4.85"}, "staged stays as read back"
    assert cli("maintenance", "status", "--json").json[0]["domain"] == "web-dom2"
    assert cli("sim", "firmware-accept", "enc-w4/ic2").code == 0
    assert cli("maintenance", "complete", "web-dom2", "--yes").code == 0, "completing again goes on"
    assert all(r["compliant"] for r in cli("firmware", "compliance", "prod-web", "--json").json)


def test_sigkill_while_complete_stages_firmware_then_resume_finishes_it(tmp_path, make_state):
    cli = Cli(write_config(tmp_path / "c.toml"), make_state())
    assert cli("maintenance", "start", "web-dom2", "--reason", "fw", "--yes").code == 0
    assert cli("domain", "set", "web-dom2", "firmware", "4.90", "--yes").code == 0
    # slow enough to be caught in web-dom1's first stage, after web-dom2's own (3 modules)
    write_config(tmp_path / "c.toml", latency={"firmware": 1.5})
    proc = cli.popen("maintenance", "complete", "web-dom2", "--yes")
    wait_for_step(cli, "stage 4.90 on enc-w1 of web-dom1")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert last_job(cli) == ("maintenance-complete", "interrupted")
    store = Store(StateRef.parse(cli.state))  # directly: a bayops process would resume the job first
    try:
        assert set(store.firmware("web-dom2").values()) == {"4.90"}
        assert set(store.firmware("web-dom3").values()) <= {"4.62"}, "not reached yet"
    finally:
        store.close()
    write_config(tmp_path / "c.toml")
    r = cli("jobs", "resume", "--json")
    assert r.code == 0, r.err
    assert r.json[0]["outcome"] == "done"
    rows = cli("firmware", "compliance", "prod-web", "--json").json
    assert all(r["compliant"] and r["baseline"] == "4.90" for r in rows)
    assert cli("maintenance", "status", "--json").json == []


def test_cancel_stages_the_baseline_firmware_back(cli):
    assert cli("maintenance", "start", "web-dom1", "--reason", "fw", "--yes").code == 0
    assert cli("firmware", "upgrade", "web-dom1", "--to", "4.85", "--yes").code == 0
    plan = cli("maintenance", "cancel", "web-dom1", "--dry-run", "--json").json["plan"]
    assert [s.split(":")[0] for s in plan["steps"] if s.startswith("stage")] == [
        "stage 4.62 on enc-w1 of web-dom1", "stage 4.62 on enc-w2 of web-dom1"]
    assert cli("maintenance", "cancel", "web-dom1", "--yes").code == 0
    assert set(components(cli, "web-dom1").values()) == {"4.62"}


def test_a_driver_without_domain_maintenance_is_told_apart(core, monkeypatch):
    class Plain:  # a Driver with nothing of DomainMaintenanceDriver
        name = "redfish"

        def close(self) -> None:
            pass
    core.maintenance_start("web-dom2", "fw")
    monkeypatch.setattr(core, "driver", Plain())
    with pytest.raises(Refused) as refused:
        core.plan_firmware_upgrade("web-dom2", "4.70")
    assert refused.value.code == "driver-cannot" and "driver redfish cannot" in str(refused.value)
    with pytest.raises(Refused, match="cannot read uplink ports"):
        core.ports("web-dom2")


def test_firmware_and_restore_need_the_domains_admin(tmp_path, make_state):
    config = write_config(tmp_path / "c.toml", replace={
        'default = "admin"': 'default = "viewer"\n'
        '[[roles.grant]]\nuser = "alice"\nrole = "group-admin"\ngroups = ["prod-web"]\n'
        '[[roles.grant]]\nuser = "olga"\nrole = "operator"\ngroups = ["prod-web"]'})
    cli = Cli(config, make_state())
    assert cli("maintenance", "start", "web-dom2", "--reason", "fw", "--yes", user="alice").code == 0
    r = cli("firmware", "upgrade", "web-dom2", "--to", "4.70", "--yes", user="olga")
    assert r.code == 3 and "firmware needs group-admin" in r.err
    assert cli("domain", "backup", "web-dom2", "--yes", user="olga").code == 0
    r = cli("domain", "restore", "web-dom2", "1", "--yes", user="olga")
    assert r.code == 3 and "config-restore needs group-admin" in r.err
    assert cli("firmware", "upgrade", "web-dom2", "--to", "4.70", "--yes", user="alice").code == 0


# -- backups and restore ---------------------------------------------------------------------
def test_backups_are_taken_before_complete_cancel_and_each_propagated_domain(cli):
    assert cli("domain", "backup", "web-dom2", "--reason", "before the change", "--yes").code == 0
    listed = cli("domain", "backups", "web-dom2", "--json").json
    assert [(b["operator"], b["reason"]) for b in listed] == [("tester", "before the change")]
    assert len(listed[0]["hash"]) == 64 and listed[0]["taken"] > 0
    logged = next(e for e in cli("events", "--json").json if e["kind"] == "domain.backup")
    assert logged["data"]["hash"] == listed[0]["hash"], "the event (and so the archive) holds it"
    assert logged["data"]["config"] == listed[0]["config"]
    assert cli("maintenance", "start", "web-dom2", "--reason", "vlan", "--yes").code == 0
    assert cli("domain", "set", "web-dom2", "network.web-front", "111", "--yes").code == 0
    plan = cli("maintenance", "cancel", "web-dom2", "--dry-run", "--json").json["plan"]
    assert plan["steps"][0] == "back up web-dom2", "the plan says what the job does first"
    assert cli("maintenance", "cancel", "web-dom2", "--yes").code == 0
    assert len(cli("domain", "backups", "web-dom2", "--json").json) == 2
    assert cli("maintenance", "start", "web-dom2", "--reason", "vlan", "--yes").code == 0
    assert cli("domain", "set", "web-dom2", "network.web-front", "112", "--yes").code == 0
    assert cli("maintenance", "complete", "web-dom2", "--yes").code == 0
    assert len(cli("domain", "backups", "web-dom2", "--json").json) == 3
    for other in ("web-dom1", "web-dom3"):
        saved = cli("domain", "backups", other, "--json").json
        assert len(saved) == 1 and "propagation" in saved[0]["reason"]
        assert saved[0]["config"]["networks"]["web-front"] == 110, "saved before the push"


def test_restore_shows_its_diff_only_in_maintenance_and_puts_the_backup_back(cli):
    assert cli("domain", "backup", "web-dom2", "--yes").code == 0
    r = cli("domain", "restore", "web-dom2", "1", "--yes", "--json")
    assert r.code == 3 and r.json["code"] == "not-in-maintenance"
    assert cli("maintenance", "start", "web-dom2", "--reason", "x", "--yes").code == 0
    assert cli("domain", "set", "web-dom2", "network.web-front", "333", "--yes").code == 0
    r = cli("domain", "restore", "web-dom2", "9", "--dry-run", "--json")
    assert r.code == 2 and r.json["code"] == "unknown-backup"
    dry = cli("domain", "restore", "web-dom2", "1", "--dry-run", "--json").json["plan"]
    assert [c["text"] for c in dry["diff"]["changes"]] == ["~ network web-front vlan 333 -> 110"]
    r = cli("domain", "restore", "web-dom2", "1", "--yes", "--json")
    assert r.code == 0, r.err
    assert cli("domain", "show", "web-dom2", "--json").json["diff"] == []
    reasons = [b["reason"] for b in cli("domain", "backups", "web-dom2", "--json").json]
    assert reasons[0] == "before restoring backup 1", "the domain as it was is saved first"


def test_sigkill_during_a_restore_then_resume_finishes_it(tmp_path, make_state):
    cli = Cli(write_config(tmp_path / "c.toml"), make_state())
    assert cli("domain", "backup", "web-dom2", "--yes").code == 0
    assert cli("maintenance", "start", "web-dom2", "--reason", "x", "--yes").code == 0
    assert cli("domain", "set", "web-dom2", "network.web-front", "333", "--yes").code == 0
    write_config(tmp_path / "c.toml", latency={"domain_config": 30.0})
    proc = cli.popen("domain", "restore", "web-dom2", "1", "--yes")
    wait_for_step(cli, "restore backup 1")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert last_job(cli) == ("domain-restore", "interrupted")
    write_config(tmp_path / "c.toml")
    r = cli("jobs", "resume", "--json")
    assert r.code == 0, r.err
    assert r.json[0]["outcome"] == "done"
    assert cli("domain", "show", "web-dom2", "--json").json["config"]["networks"]["web-front"] == 110


def test_backups_past_retention_move_to_the_archive_and_restore_from_there(cli, monkeypatch):
    from datetime import datetime

    monkeypatch.setattr("tui.core.store.upkeep.BACKUPS_KEPT", 2)
    for why in ("first", "second", "third"):
        assert cli("domain", "backup", "web-dom2", "--reason", why, "--yes").code == 0
    taken = {b["reason"]: b for b in cli("domain", "backups", "web-dom2", "--json").json}
    assert set(taken) == {"first", "second", "third"}, "kept until an archive takes them"
    time.sleep(0.02)
    r = cli("events", "archive", "--before", datetime.now().isoformat(), "--yes", "--json")
    assert r.code == 0, r.err
    assert [b["reason"] for b in cli("domain", "backups", "web-dom2", "--json").json] == [
        "third", "second"]
    archived = cli("domain", "backups", "web-dom2", "--archived", "--json").json
    assert [(b["id"], b["reason"], b["hash"]) for b in archived] == [
        (taken["first"]["id"], "first", taken["first"]["hash"])]
    assert "first" in cli("domain", "backups", "web-dom2", "--archived").out
    assert cli("domain", "backups", "web-dom1", "--archived").out.strip() == "web-dom1: no archived backup"
    verified = cli("events", "verify", "--json")
    assert verified.code == 0 and verified.json["ok"], verified.out
    assert verified.json["files"][0]["backups"] == 1
    # a restore finds it in the archive, pinned by its hash like any other
    assert cli("maintenance", "start", "web-dom2", "--reason", "x", "--yes").code == 0
    assert cli("domain", "set", "web-dom2", "network.web-front", "333", "--yes").code == 0
    dry = cli("domain", "restore", "web-dom2", str(taken["first"]["id"]), "--dry-run", "--json")
    assert dry.code == 0, dry.err
    assert [c["text"] for c in dry.json["plan"]["diff"]["changes"]] == ["~ network web-front vlan 333 -> 110"]
    r = cli("domain", "restore", "web-dom2", str(taken["first"]["id"]), "--yes", "--json")
    assert r.code == 0, r.err
    assert cli("domain", "show", "web-dom2", "--json").json["config"]["networks"]["web-front"] == 110
    r = cli("domain", "restore", "web-dom1", str(taken["first"]["id"]), "--dry-run", "--json")
    assert r.code in (2, 3) and r.json["code"] in ("unknown-backup", "not-in-maintenance")


# -- local users, the complete plan's impact, ports --------------------------------------------
def test_the_last_local_administrator_cannot_be_removed_or_demoted(cli):
    assert cli("maintenance", "start", "web-dom2", "--reason", "users", "--yes").code == 0
    admins = [u for u, role in cli("domain", "show", "web-dom2", "--json").json["config"]["users"].items()
              if role == "admin"]
    assert len(admins) == 1
    for value in ("-", "operator"):
        r = cli("domain", "set", "web-dom2", f"user.{admins[0]}", value, "--yes", "--json")
        assert r.code == 3 and r.json["code"] == "last-admin"
    r = cli("domain", "set", "web-dom2", "user.eve", "root", "--yes", "--json")
    assert r.code == 2 and "role" in r.json["error"]
    assert cli("domain", "set", "web-dom2", "user.eve", "admin", "--yes").code == 0
    assert cli("domain", "set", "web-dom2", f"user.{admins[0]}", "-", "--yes").code == 0


def test_the_complete_plan_names_per_domain_the_profiles_and_bays_it_touches(cli):
    assert cli("maintenance", "start", "web-dom2", "--reason", "vlan", "--yes").code == 0
    assert cli("domain", "set", "web-dom2", "network.web-front", "111", "--yes").code == 0
    steps = cli("maintenance", "complete", "web-dom2", "--dry-run", "--json").json["plan"]["steps"]
    web1 = next(s for s in steps if "web-dom1" in s)
    bays = [b for b in cli("bays", "--domain", "web-dom1", "--json").json if b["profile"]]
    assert f"{len(bays)} profile(s) touched" in web1
    assert f"{bays[0]['profile']} ({bays[0]['id']})" in web1


def test_a_fabric_settings_change_touches_the_profiles_on_that_fabric(cli):
    # a SAN fabric's speed or targets change under every profile that boots from it
    assert cli("maintenance", "start", "web-dom2", "--reason", "san speed", "--yes").code == 0
    assert cli("domain", "set", "web-dom2", "storage.san-a.speed", "16", "--yes").code == 0
    steps = cli("maintenance", "complete", "web-dom2", "--dry-run", "--json").json["plan"]["steps"]
    web1 = next(s for s in steps if "web-dom1" in s)
    store = Store(StateRef.parse(cli.state))
    try:
        on_san_a = {p.name for p in store.profiles("prod-web") if "san-a" in p.fabrics}
        placed = {b.profile for b in store.bays(domain="web-dom1") if b.profile}
    finally:
        store.close()
    assert placed & on_san_a and f"{len(placed & on_san_a)} profile(s) touched" in web1, web1


def test_ports_show_uplinks_and_a_failed_port(cli):
    up = cli("ports", "web-dom1", "--json").json["ports"]
    assert len(up) == 8 and all(p["link"] == "up" and p["speed_gbps"] == 10 for p in up)
    assert "web-front" in up[0]["networks"]
    assert cli("sim", "port-down", "enc-w1/ic1").code == 2, "a module is no port"
    assert cli("sim", "port-down", "enc-w1/ic1:X1").code == 0
    down = {p["name"]: p for p in cli("ports", "web-dom1", "--json").json["ports"]}
    assert down["enc-w1/ic1:X1"]["link"] == "down" and down["enc-w1/ic1:X1"]["rx_errors"] > 0
    assert cli("ports", "web-dom1").out.splitlines()[0] == "web-dom1: 8 uplink(s), 1 down"
    event = cli("events", "--json", "--limit", "1").json[-1]
    assert (event["kind"], event["severity"], event["source"]) == ("port.down", "warning", "domain:web-dom1")
    assert "web-front" in event["message"]
    assert cli("sim", "port-up", "enc-w1/ic1:X1").code == 0
    assert all(p["link"] == "up" for p in cli("ports", "web-dom1", "--json").json["ports"])


@pytest.mark.parametrize(("action", "part", "said"), [
    ("port-up", "enc-w1/ic1:X1", "enc-w1/ic1:X1 is up already; nothing changed"),
    ("port-down", "enc-w1/ic2:X2", "enc-w1/ic2:X2 is down already; nothing changed"),
    ("firmware-accept", "enc-w1/oa", "enc-w1/oa accepts firmware already; nothing changed"),
    ("firmware-refuse", "enc-w1/ic1", "enc-w1/ic1 refuses firmware already; nothing changed")])
def test_a_sim_part_command_that_would_change_nothing_is_refused_as_sim_insert_is(
        cli, action, part, said):
    """`sim port-up` on a port that is up said "fault cleared" and wrote an event: like
    `sim insert` into a full bay, it is refused (3) and says how the part is."""
    if action in ("port-down", "firmware-refuse"):
        assert cli("sim", action, part).code == 0
    before = dump(cli.state)
    r = cli("sim", action, part, "--json")
    assert (r.code, r.json["code"], r.json["error"]) == (3, "no-change", said)
    assert cli("sim", action, part).err == f"bayops: {said}\n"
    assert dump(cli.state) == before


# -- storage configuration and credentials ------------------------------------------------------
def test_storage_settings_and_credentials_propagate_and_the_secret_is_never_kept(cli, tmp_path):
    secret = "s3cr3t-array-password-7f3a"
    creds = tmp_path / "array.cred"
    creds.write_text(secret + "\n")
    creds.chmod(0o644)
    assert cli("maintenance", "start", "web-dom2", "--reason", "storage", "--yes").code == 0
    r = cli("domain", "set", "web-dom2", "storage.san-a.credentials", f"@{creds}", "--yes", "--json")
    assert r.code == 3 and r.json["code"] == "unsafe-file"
    creds.chmod(0o600)
    for key, value in (("storage.san-a.type", "fc"), ("storage.san-a.speed", "16"),
                       ("storage.san-a.targets", "3par-a,50:01:43:80:02:a3:4b:10"),
                       ("storage.san-a.credentials", f"@{creds}")):
        r = cli("domain", "set", "web-dom2", key, value, "--yes", "--json")
        assert r.code == 0, r.err
        assert secret not in r.out + r.err
    assert cli("domain", "set", "web-dom2", "storage.san-a.speed", "9", "--yes").code == 2
    many = ",".join(f"50:01:43:80:02:a3:4b:{n:02x}" for n in range(200))
    r = cli("domain", "set", "web-dom2", "storage.san-a.targets", many, "--yes")
    assert r.code == 2 and "at most" in r.err, r.err
    assert cli("domain", "set", "web-dom2", "storage.nosuch.speed", "8", "--yes").code == 2
    plan = cli("maintenance", "complete", "web-dom2", "--dry-run", "--json")
    assert f"+ storage san-a.credentials @{creds}" in plan.out and secret not in plan.out
    done = cli("maintenance", "complete", "web-dom2", "--yes", "--json")
    assert done.code == 0, done.err
    assert "storage credentials for san-a" in done.out
    other = cli("domain", "show", "web-dom1", "--json").json["config"]["storage"]["san-a"]
    assert other == {"credentials": f"@{creds}", "speed": "16", "type": "fc",
                     "targets": "3par-a,50:01:43:80:02:a3:4b:10"}
    outputs = [cli(*args).out for args in (("events", "--json"), ("jobs", "--json"),
                                           ("domain", "backups", "web-dom1", "--json"))]
    assert all(secret not in text for text in outputs)
    assert secret not in stored_text(cli.state)


def test_a_credentials_file_may_be_named_from_the_home_folder(cli, tmp_path, monkeypatch):
    # the shell expands no "~" after "@": bayops does, as for every path it is given
    monkeypatch.setenv("HOME", str(tmp_path))
    creds = tmp_path / "array.cred"
    creds.write_text("secret\n")
    creds.chmod(0o600)
    assert cli("maintenance", "start", "web-dom2", "--reason", "storage", "--yes").code == 0
    r = cli("domain", "set", "web-dom2", "storage.san-a.credentials", "@~/array.cred", "--yes")
    assert r.code == 0, r.err
    shown = cli("domain", "show", "web-dom2", "--json").json["config"]["storage"]["san-a"]
    assert shown["credentials"] == f"@{creds}"


def test_compliance_reads_what_the_hardware_runs_not_only_what_bayops_staged(core):
    # an interconnect replaced, or upgraded on the Virtual Connect itself: bayops staged nothing
    core.driver.stage_firmware("web-dom2", "enc-w3", "4.10")
    states = {s.domain: s for s in core.firmware_compliance("prod-web")}
    assert states["web-dom2"].read and states["web-dom2"].differing == (
        "enc-w3/ic1", "enc-w3/ic2", "enc-w3/oa"), states["web-dom2"]
    assert states["web-dom1"].read and not states["web-dom1"].differing
    assert core.store.firmware_versions()["web-dom2"] == ["4.10"], "recorded: the pane shows it"


def test_compliance_of_a_silent_driver_is_the_last_record_after_one_try(core, monkeypatch):
    from tui.model.driver import NoAnswer

    core.firmware_compliance("prod-web")  # read once: recorded
    asked = []

    def silent(domain, enclosures):
        asked.append(domain)
        raise NoAnswer("the manager does not answer")
    monkeypatch.setattr(core.driver, "firmware", silent)
    states = core.firmware_compliance()
    assert len(asked) == 1, "one wait for a silent manager, not one per domain"
    assert all(s.read for s in states if s.group == "prod-web") and not any(s.differing for s in states)


def test_the_monitor_sees_a_port_go_down_and_the_domain_row_counts_it(core):
    from tui.core.monitor import Monitor
    from tui.core.view import FleetView

    core.driver.fail_part("enc-w3/ic2:X1", "port-down")  # the hardware alone, no bayops command
    Monitor(core, apply_policy=False).poll()
    event = core.events(limit=1, newest=True)[-1]
    assert (event.kind, event.severity, event.data["port"]) == ("port.down", "warning", "enc-w3/ic2:X1")
    Monitor(core, apply_policy=False).poll()
    kinds = [e.kind for e in core.events(limit=10, newest=True)]
    assert kinds.count("port.down") == 1, "once, not every sweep"
    view, _ = FleetView.load(core)
    row = next(d for g in view.groups for d in g.domains if d.name == "web-dom2")
    assert row.ports_down == 1 and not row.firmware_off
    core.driver.heal_part("enc-w3/ic2:X1")
    Monitor(core, apply_policy=False).poll()
    assert core.events(limit=1, newest=True)[-1].kind == "port.up"
    view, _ = FleetView.load(core)
    assert next(d for g in view.groups for d in g.domains if d.name == "web-dom2").ports_down == 0


def test_ports_that_cannot_be_read_do_not_stop_the_poll_or_count_as_down(core, monkeypatch):
    from tui.core.monitor import Monitor
    from tui.model.driver import DriverError

    def unreachable(domain, enclosures):
        raise DriverError("appliance busy")

    core.driver.fail_part("enc-w3/ic2:X1", "port-down")
    monkeypatch.setattr(core.driver, "ports", unreachable)
    core.driver.inject("enc-w1/4", "critical")  # the same sweep must still see this
    result = Monitor(core, apply_policy=False).poll()
    assert result.changed >= 1
    kinds = [e.kind for e in core.events(limit=20, newest=True)]
    assert "port.down" not in kinds


def test_a_failed_upgrade_leaves_the_domain_row_marked_off_its_firmware_baseline(core):
    from tui.core.view import FleetView
    from tui.model.errors import OperationFailed

    core.maintenance_start("web-dom2", "fw")
    core.driver.fail_part("enc-w3/ic2", "firmware-refused")  # after oa and ic1
    with pytest.raises(OperationFailed):
        core.firmware_upgrade("web-dom2", "4.70")
    states = {s.domain: s for s in core.firmware_compliance("prod-web")}
    assert states["web-dom2"].differing == ("enc-w3/ic1", "enc-w3/oa")
    view, _ = FleetView.load(core)
    row = next(d for g in view.groups for d in g.domains if d.name == "web-dom2")
    assert row.firmware_off and not row.drifted


# -- through bayops serve -------------------------------------------------------------------------
def test_firmware_backups_restore_and_ports_through_bayops_serve(tmp_path, state):
    import os
    import subprocess

    from tests.conftest import run_main
    from tests.serve_support import socket_path, start_server, stop_server

    config = write_config(tmp_path / "config.toml")
    sock = socket_path(tmp_path)
    env = dict(os.environ, BAYOPS_SERVER=f"unix:{sock}")
    for var in ("BAYOPS_STATE", "BAYOPS_CONFIG"):
        env.pop(var, None)

    def bayops(*args: str) -> subprocess.CompletedProcess:  # a client: its main, in this process
        done = run_main((*args, "--json"), env)
        return subprocess.CompletedProcess(args, done.code, done.out, done.err)

    proc = start_server(config, state, sock)
    try:
        assert bayops("maintenance", "start", "db-dom1", "--reason", "fw", "--yes").returncode == 0
        dry = bayops("firmware", "upgrade", "db-dom1", "--to", "4.80", "--dry-run")
        assert dry.returncode == 0 and len(json.loads(dry.stdout)["plan"]["params"]["enclosures"]) == 2
        done = bayops("firmware", "upgrade", "db-dom1", "--to", "4.80", "--yes")
        assert done.returncode == 0, done.stderr
        rows = json.loads(bayops("firmware", "compliance", "prod-db").stdout)
        assert [r["compliant"] for r in rows] == [False, True]
        assert bayops("domain", "backup", "db-dom1", "--yes").returncode == 0
        backups = json.loads(bayops("domain", "backups", "db-dom1").stdout)
        assert backups[0]["operator"] and len(backups[0]["hash"]) == 64
        refused = bayops("domain", "restore", "db-dom2", str(backups[0]["id"]), "--yes")
        assert refused.returncode in (2, 3) and json.loads(refused.stdout)["code"] in (
            "unknown-backup", "not-in-maintenance")
        ports = json.loads(bayops("ports", "db-dom1").stdout)["ports"]
        assert len(ports) == 8 and {p["link"] for p in ports} == {"up"}
        assert bayops("sim", "port-down", "enc-d2/ic2:X1").returncode == 0
        events = json.loads(bayops("events", "--limit", "500").stdout)
        assert any(e["kind"] == "port.down" and e["data"]["port"] == "enc-d2/ic2:X1" for e in events)
    finally:
        stop_server(proc)
