"""A profile item the failover needs and the hardware refused fails that target (simulator).

The boot override of a boot-from-SAN profile is such an item: a spare left booting its
local disk must not be reported as running the profile. Items that are only informative
stay "not applied" in the report and do not fail anything.
"""
from __future__ import annotations

from test_core import failover_past_a_faulty_first_target, failover_with_every_spare_faulty

from tui.model.driver import ApplyReport


def test_a_refused_boot_override_fails_the_target_and_the_next_spare_takes_the_profile(core):
    job, first, _ = failover_past_a_faulty_first_target(core, "boot-refused")
    steps = {s.name: s for s in job.steps}
    apply = steps[f"apply profile to {first} (attempt 1)"]
    assert apply.state == "failed"
    assert "REQUIRED but not applied: boot from SAN" in apply.detail and "needs" in apply.detail
    assert steps[f"remove profile from {first} (attempt 1)"].state == "done"
    assert f"power on {first} (attempt 1)" not in steps, "a target that cannot boot SAN is never powered on"
    assert core.bay(first).power == "off" and not core.bay(first).spare
    assert core.driver.applied_profiles().get(first) is None
    assert any(e.kind == "failover.target-failed" and "boot configuration locked" in e.message
               for e in core.events())


def test_when_no_spare_takes_the_boot_override_the_failover_fails_and_says_why(core):
    failover_with_every_spare_faulty(core, "boot-refused", "boot configuration locked")
    assert all(core.bay(s.id).power == "off" for s in core.spare_bays("prod-web"))


def test_cli_failover_exit_code_and_journal_when_the_first_spare_refuses_the_boot_override(cli):
    bays = cli("bays", "--json").json
    source = next(b for b in bays if b["profile"] and b["boot_mode"] == "san"
                  and b["model"].endswith("Gen9") and b["group"] == "prod-web")
    assert cli("sim", "fail", source["id"], "--kind", "critical", "--json").code == 0
    first = cli("failover", source["id"], "--dry-run", "--json").json["plan"]["target"]
    assert cli("sim", "fail", first, "--kind", "boot-refused", "--json").code == 0
    r = cli("failover", source["id"], "--yes", "--json")
    assert r.code == 0, r.err
    steps = r.json["job"]["steps"]
    failed = [s for s in steps if s["state"] == "failed"]
    assert [s["name"] for s in failed] == [f"apply profile to {first} (attempt 1)"]
    assert "REQUIRED but not applied" in failed[0]["detail"]
    assert r.json["job"]["state"] == "done"
    assert cli.bay(first)["profile"] is None and cli.bay(first)["power"] == "off"


def test_informative_items_stay_in_the_report_and_fail_nothing():
    report = ApplyReport(("boot override Hdd",), not_applied=("networks prod (no VLANs)",))
    assert report.failed == () and "not applied: networks prod" in report.summary()
    failed = ApplyReport((), failed=("boot override Hdd (405)",))
    assert "REQUIRED but not applied: boot override Hdd (405)" in failed.summary()
