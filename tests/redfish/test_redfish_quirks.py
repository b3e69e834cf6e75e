"""End-to-end failovers through the CLI against BMCs with real vendors' quirks.

Each test runs ``bayops failover ... --yes --json`` (a subprocess, as an operator or a
script would) against :class:`QuirkBmc`, and asserts what the operator sees: the exit
code, the job's state and journal, and which system booted from what.
"""
from __future__ import annotations

import pytest
from conftest import Cli

from .fleetconfig import systems_toml, write_fleet_config
from .quirks import PASSWORD, USER, QuirkBmc

SOURCE = "enc-q1/1"


def quirk_cli(bmc: QuirkBmc, tmp_path, monkeypatch, extra_bays: str = "") -> Cli:
    monkeypatch.setenv("BAYOPS_BMC_QUIRK_USER", USER)
    monkeypatch.setenv("BAYOPS_BMC_QUIRK_PASSWORD", PASSWORD)
    systems = systems_toml(bmc.url, {n: f"/redfish/v1/Systems/{n}" for n in range(1, 5)},
                           "enc-q1", "quirk") + "\n" + extra_bays.replace("{url}", bmc.url)
    config = write_fleet_config(tmp_path / "quirk.toml", systems, group="q", enclosure="enc-q1",
                                spares=2, graceful=2, power_deadline=10.0)
    return Cli(config, tmp_path / "state.db")


@pytest.fixture
def quirk(tmp_path, monkeypatch):
    """quirk(*names) -> (bmc, cli); the server is stopped at teardown."""
    servers: list[QuirkBmc] = []

    def make(*names: str, extra_bays: str = "") -> tuple[QuirkBmc, Cli]:
        bmc = QuirkBmc(set(names)).start()
        servers.append(bmc)
        # the source runs its profile; the spares are off
        with bmc.lock:
            bmc.resources["/redfish/v1/Systems/1"]["PowerState"] = "On"
            bmc.resources["/redfish/v1/Systems/2"]["PowerState"] = "On"
        return bmc, quirk_cli(bmc, tmp_path, monkeypatch, extra_bays)
    yield make
    for bmc in servers:
        bmc.stop()


def failover(cli: Cli, *extra: str) -> tuple[dict, dict[str, dict]]:
    r = cli("failover", SOURCE, "--force", "--yes", "--json", *extra)
    assert r.code == 0, r.err + r.out
    job = r.json["job"]
    return r.json, {s["name"]: s for s in job["steps"]}


def failed_job(cli: Cli, *args: str) -> dict[str, dict]:
    """Run a job that must fail (exit 1); its steps by name."""
    r = cli(*args, "--yes", "--json")
    assert r.code == 1, r.err + r.out
    job = cli("jobs", "show", str(cli("jobs", "--json").json[0]["id"]), "--json").json
    assert job["state"] == "failed"
    return {s["name"]: s for s in job["steps"]}


def step(steps: dict[str, dict], prefix: str) -> dict:
    return next(s for name, s in steps.items() if name.startswith(prefix))


@pytest.mark.parametrize("names", [("etag",), ("once",), ("location",), ("settings",),
                                   ("paging",), ("task",), ("busy",), ("etag", "settings"),
                                   ("weak-etag",), ("pending",), ("settings-only",),
                                   ("settings", "jobqueue"), ("bios-mode",), ("sys518",),
                                   ("nics-system",), ("hpe-base",)])
def test_failover_onto_a_bmc_with_a_quirk_boots_the_spare_from_san(quirk, names, monkeypatch):
    bmc, cli = quirk(*names)
    if "busy" in names:  # its Retry-After: 1 on ~20 first requests, honoured up to the cap
        monkeypatch.setattr("tui.drivers.redfish.transport.BUSY_WAIT_CAP", 0.05)
    out, steps = failover(cli)
    target = out["plan"]["target"]
    n = target.split("/")[1]
    assert out["job"]["state"] == "done"
    assert bmc.boots[n] == ["Hdd"], "the spare booted from the SAN LUN's disk, not its own"
    assert bmc.system("1")["PowerState"] == "Off"
    assert cli.bay(target)["profile"] is not None and cli.bay(SOURCE)["profile"] is None
    apply, power = step(steps, f"apply profile to {target}"), step(steps, f"power on {target}")
    assert "REQUIRED" not in apply["detail"] and "boot override Hdd" in apply["detail"]
    if "etag" in names:
        assert any(a[0] == 412 and a[1] == "PATCH" for a in bmc.answered), "a stale ETag was retried"
        assert "ETag: 412: re-read the resource and sent again" in apply["detail"]
    if "once" in names:
        assert "allows only Once: re-applied before each power-on bayops performs" in apply["detail"]
        assert "re-applied before power-on" in power["detail"]
        assert bmc.system(n)["Boot"]["BootSourceOverrideEnabled"] == "Disabled"  # used by the boot
    if "settings" in names:
        assert "staged in the BMC's settings object, applies at next boot" in apply["detail"]
        assert "staged boot override Hdd verified after the boot (read from the system)" in power["detail"]
    if "task" in names:
        assert "task: Boot override settings updated" in apply["detail"]
        assert "task: On completed" in power["detail"]  # the Reset's task
    if "busy" in names:
        assert {a[1] for a in bmc.answered if a[0] == 429} >= {"GET", "PATCH", "POST"}
    if "paging" in names:
        # the FC function is on the second page of NetworkDeviceFunctions
        assert "WWPN" in apply["detail"].split("; not applied")[0]
    if "location" in names:
        cli("status", "--json")
        assert bmc.logins > 0 and bmc.deletes == bmc.logins and not bmc.sessions
    if "weak-etag" in names:  # Lenovo XCC: the weak tag it gave is matched only strong
        assert "412 for the BMC's weak ETag W/\"0\": sent its strong form" in apply["detail"]
    if "pending" in names:  # Lenovo SE450: Pending holds only BootOrder
        assert "the settings object carries no boot override, so the system itself is written" \
            in apply["detail"]
    if "settings-only" in names:  # iDRAC 10: only the settings object shows the override
        assert "staged in the BMC's settings object" in apply["detail"]
        assert "verified after the boot (read from its settings object" in power["detail"]
    if "jobqueue" in names:  # Dell: queued unless an apply time or a job says when
        assert "(apply time OnReset)" in apply["detail"]
        assert "the BMC queued it as /redfish/v1/Managers/1/Jobs/JID_" in apply["detail"]
        assert "for the boot override completed: Job completed successfully." in power["detail"]
    if "bios-mode" in names:
        assert "boot mode UEFI (BIOS attribute BootMode Uefi; kept)" in apply["detail"]
    if "sys518" in names:
        assert "BMC answered 500: SYS518: iDRAC is not ready" in power["detail"]
        assert "not retried: a Reset is not idempotent; PowerState re-read" in power["detail"]
        assert [r for r in bmc.resets if r == (n, "On")] == [(n, "On")], "the Reset was sent once"
    if "hpe-base" in names:  # iLO 5: addresses only in the OEM BaseNetworkAdapters, read-only
        assert (f"(HPE BaseNetworkAdapters port 1 of HPE FlexFabric 20Gb 2-port 650FLB holds "
                f"00:17:a4:77:00:0{n}; it is read-only through Redfish") in apply["detail"]
        assert f"holds 50:01:43:80:00:00:00:0{n}; it is read-only" in apply["detail"]
    if "nics-system" in names:  # older iDRAC: Systems/n/NetworkInterfaces
        assert "MAC" in apply["detail"].split("; not applied")[0]
        assert "WWPN" in apply["detail"].split("; not applied")[0]


def test_a_bay_without_system_on_a_paged_multi_system_bmc_is_refused_listing_the_systems(quirk):
    extra = '[[redfish.systems]]\nbay = "enc-q1/5"\nurl = "{url}"\ncredentials = "quirk"\n'
    _, cli = quirk("paging", extra_bays=extra)
    assert cli("status", "--json").code == 0
    problems = [e["message"] for e in cli("events", "--json").json if e["kind"] == "fleet.discovery"]
    assert len(problems) == 1 and "enc-q1/5" in problems[0]
    assert "offers 4 systems: /redfish/v1/Systems/1, /redfish/v1/Systems/2, " \
           "/redfish/v1/Systems/3, /redfish/v1/Systems/4" in problems[0]


def test_a_spare_that_refuses_the_boot_override_is_dropped_and_the_next_one_boots_san(quirk):
    bmc, cli = quirk("no-boot")
    plan = cli("failover", SOURCE, "--force", "--dry-run", "--json").json["plan"]
    assert plan["target"] == "enc-q1/3", "the test needs the refusing system to be the first choice"
    out, _ = failover(cli)
    failed = [s for s in out["job"]["steps"] if s["state"] == "failed"]
    assert [s["name"] for s in failed] == ["apply profile to enc-q1/3 (attempt 1)"]
    assert "REQUIRED but not applied" in failed[0]["detail"]
    assert "Boot configuration is locked by the system administrator" in failed[0]["detail"]
    assert bmc.boots["3"] == [] and ("3", "On") not in bmc.resets, "never powered on"
    assert bmc.boots["4"] == ["Hdd"]
    assert cli.bay("enc-q1/4")["profile"] is not None and cli.bay("enc-q1/3")["profile"] is None
    assert any(e["kind"] == "failover.target-failed" and "locked" in e["message"]
               for e in cli("events", "--json").json)


def test_a_target_already_on_is_restarted_so_its_new_boot_settings_take_effect(quirk):
    bmc, cli = quirk()
    with bmc.lock:
        bmc.resources["/redfish/v1/Systems/4"]["PowerState"] = "On"
    out, steps = failover(cli, "--to", "enc-q1/4")
    assert out["job"]["state"] == "done"
    assert ("4", "ForceRestart") in bmc.resets and bmc.boots["4"] == ["Hdd"]
    assert "restarted (ForceRestart) so the new boot settings take effect" in \
        step(steps, "power on enc-q1/4")["detail"]


def test_status_conditions_are_the_health_detail_an_operator_reads(quirk):
    bmc, cli = quirk()
    assert cli("status", "--json").code == 0
    with bmc.lock:
        bmc.resources["/redfish/v1/Systems/2"]["Status"] = {
            "State": "Enabled", "Health": "Warning",
            "Conditions": [{"Message": "Fan 3 redundancy lost", "Severity": "Warning"}]}
    assert cli("watch", "--count", "1", "--interval", "0.1").code == 0
    changed = [e["message"] for e in cli("events", "--json").json if e["kind"] == "health.changed"]
    assert any("enc-q1/2" in m and "Warning: Fan 3 redundancy lost" in m for m in changed), changed


def test_a_spare_that_drops_the_override_at_boot_fails_is_powered_off_and_the_next_boots_san(quirk):
    """Supermicro: the override is accepted and read back, then dropped at the boot."""
    bmc, cli = quirk("drops")
    out, steps = failover(cli)
    assert out["job"]["state"] == "done" and out["plan"]["target"] == "enc-q1/3"
    power = steps["power on enc-q1/3 (attempt 1)"]
    assert power["state"] == "failed"
    assert "boot override Hdd not in force after the power-on" in power["detail"]
    assert "the system reports target None, enabled Disabled" in power["detail"]
    taken = steps["remove profile from enc-q1/3 (attempt 1)"]["detail"]
    assert "enc-q1/3 powered off again (graceful)" in taken
    assert bmc.boots["3"] == ["local"] and bmc.system("3")["PowerState"] == "Off"
    assert bmc.boots["4"] == ["Hdd"] and cli.bay("enc-q1/4")["profile"] is not None
    assert cli.bay("enc-q1/3")["profile"] is None and cli.bay("enc-q1/3")["power"] == "off"


def no_apply_time(bmc: QuirkBmc, job_queue: bool) -> None:
    with bmc.lock:
        for n in ("3", "4"):
            system = bmc.resources[f"/redfish/v1/Systems/{n}"]
            del system["@Redfish.Settings"]["SupportedApplyTimes"]
            if not job_queue:
                del system["Links"]["ManagedBy"]


def test_a_dell_without_apply_time_gets_a_configuration_job_followed_to_its_end(quirk):
    bmc, cli = quirk("settings", "jobqueue")
    no_apply_time(bmc, job_queue=True)
    out, steps = failover(cli)
    n = out["plan"]["target"].split("/")[1]
    assert out["job"]["state"] == "done" and bmc.boots[n] == ["Hdd"]
    apply = step(steps, "apply profile to")["detail"]
    power = step(steps, "power on")["detail"]
    assert "configuration job /redfish/v1/Managers/1/Jobs/JID_" in apply
    assert "created for it, followed after the boot" in apply
    assert "for the boot override completed: Job completed successfully." in power


def test_a_dell_queue_without_apply_time_or_job_fails_the_spare_and_powers_it_off(quirk):
    """Neither an apply time nor a job queue: the change sits in Dell's queue, the spare
    boots its own disk; bayops says so, powers it off, and the job fails."""
    bmc, cli = quirk("settings", "jobqueue")
    no_apply_time(bmc, job_queue=False)
    steps = failed_job(cli, "failover", SOURCE, "--force")
    failed = [name for name, s in steps.items() if s["state"] == "failed"]
    assert failed[:2] == ["power on enc-q1/3 (attempt 1)", "power on enc-q1/4 (attempt 2)"]
    assert "staged boot override Hdd not in force after the power-on" in \
        steps["power on enc-q1/3 (attempt 1)"]["detail"]
    assert bmc.boots["3"] == ["local"] and bmc.boots["4"] == ["local"]
    assert bmc.system("3")["PowerState"] == "Off" and bmc.system("4")["PowerState"] == "Off"
    assert "enc-q1/4 powered off again" in steps["remove profile from enc-q1/4 (attempt 2)"]["detail"]


def test_a_move_onto_a_bay_that_drops_the_override_goes_back_home(quirk):
    bmc, cli = quirk("drops")
    profile = cli.bay(SOURCE)["profile"]
    steps = failed_job(cli, "move", profile, "--to", "enc-q1/3")
    assert "not in force after the power-on" in steps["power on enc-q1/3 (attempt 1)"]["detail"]
    assert "enc-q1/3 powered off again" in steps["remove profile from enc-q1/3 (attempt 1)"]["detail"]
    assert bmc.system("3")["PowerState"] == "Off" and cli.bay(SOURCE)["profile"] == profile


def test_servers_that_do_not_say_what_they_are_read_identity_unknown_and_are_never_the_same(quirk):
    """Stock OpenBMC: no Model, Manufacturer, SerialNumber or UUID. The bay says so,
    rediscovery never takes it for the same server (nor records a swap), and the spare
    rule compares the model only, saying why."""
    bmc, cli = quirk("anonymous")
    with bmc.lock:  # one of them has a chassis that knows its serial
        bmc.resources["/redfish/v1/Chassis/4"]["SerialNumber"] = "CHS-0004"
    bays = {b["id"]: b for b in cli("bays", "--json").json}
    assert bays["enc-q1/3"]["serial"] == "identity unknown"
    assert bays["enc-q1/4"]["serial"] == "CHS-0004"
    assert bays["enc-q1/3"]["generation"] == "unknown"
    found = cli("rediscover", "--json").json["findings"]
    assert {f["bay"]: f["change"] for f in found} == {
        "enc-q1/1": "unidentified", "enc-q1/2": "unidentified", "enc-q1/3": "unidentified"}
    assert not any(f["flagged"] for f in found)
    assert "exposes no identity" in found[0]["detail"]
    plan = cli("failover", SOURCE, "--force", "--dry-run", "--json").json["plan"]
    assert "model unknown (generation unknown: model compared only)" in plan["reason"]
