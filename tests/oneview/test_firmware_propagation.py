"""Maintenance complete with a firmware change across a group whose second domain is one
logical enclosure (and LI) over two enclosures, through the real CLI (issues 24 and 25):
one firmware update per logical enclosure, however many enclosures it spans; the baseline
set by that update and never again; stop at the first failure; a SIGKILL during the update
resumed by following the same task."""
from __future__ import annotations

import dataclasses
import signal
import time

import pytest

from .emulator import OneViewEmulator
from .inventory import small_spec
from .site import site
from .test_maintenance import NEW, baseline, firmware_tasks, versions

OLD = "2023.03.0"
# LE-enc-a2 spans enc-a2 and enc-a3 (frames linked as one logical enclosure)
SPANNING = '''
[[groups]]
name = "EG-A"
spares = 0
networks = { prod-a = 101, prod-b = 102, mgmt = 10 }
fabrics = ["fabric-a", "fabric-b"]
firmware = "2023.03.0"
[[groups.domains]]
name = "LE-enc-a1"
enclosures = [{ name = "enc-a1", model = "c3000" }]
[[groups.domains]]
name = "LE-enc-a2"
enclosures = [{ name = "enc-a2", model = "c3000" }, { name = "enc-a3", model = "c3000" }]
'''


@pytest.fixture
def spanning(tmp_path, oneview_tls):
    spec = small_spec()
    enclosures = tuple(dataclasses.replace(e, joins="enc-a2") if e.name == "enc-a3" else e
                       for e in spec.enclosures)
    emu = OneViewEmulator(tmp_path / "oneview", dataclasses.replace(spec, enclosures=enclosures),
                          task_delay=0.05, tls=oneview_tls).start()
    yield emu
    emu.stop()


def every_update(emu) -> list[str]:
    """Every firmware task the appliance ran, by the resource it was sent to."""
    return sorted(t["associatedResource"]["resourceName"] for t in emu.members("tasks")
                  if t["name"] == "Update firmware")


def test_complete_updates_each_logical_enclosure_once_and_says_which_bays_restart(tmp_path, spanning):
    bayops = site(tmp_path, spanning, groups=SPANNING)
    assert bayops("maintenance", "start", "LE-enc-a1", "--reason", "SPP", "--yes").code == 0
    assert bayops("domain", "set", "LE-enc-a1", "firmware", NEW, "--yes").code == 0
    assert every_update(spanning) == []  # a target: nothing flashed yet
    plan = bayops("maintenance", "complete", "LE-enc-a1", "--dry-run")
    assert plan.code == 0, plan.err + plan.out
    assert "stage 2024.01.0 on enc-a2 of LE-enc-a2: its Onboard Administrator and interconnects " \
           "restart, running bays lose their uplinks meanwhile: enc-a2/1, enc-a2/2" in plan.out
    r = bayops("maintenance", "complete", "LE-enc-a1", "--yes")
    assert r.code == 0, r.err + r.out
    # one update per logical enclosure: enc-a3's step found LE-enc-a2's done and read it back
    assert every_update(spanning) == ["LE-enc-a1", "LE-enc-a2"]
    for enc in ("enc-a1", "enc-a2", "enc-a3"):
        assert versions(spanning, enc) == [NEW, NEW]
    assert baseline(spanning, "enc-a1") == baseline(spanning, "enc-a2") == "SPP 2024.01.0"
    journal = bayops("jobs", "show", "3").out
    assert f"stage {NEW} on enc-a3 of LE-enc-a2 (2/2): enc-a3/ic1 {NEW}, enc-a3/ic2 {NEW}" in journal
    assert "firmware" not in journal.split("apply to LE-enc-a2")[1].split("\n")[0]  # config only
    states = bayops("firmware", "compliance", "EG-A", "--json")
    assert states.code == 0 and OLD not in states.out


def test_a_failed_update_stops_there_and_completing_again_goes_on_without_redoing(tmp_path, spanning):
    bayops = site(tmp_path, spanning, groups=SPANNING)
    assert bayops("maintenance", "start", "LE-enc-a1", "--reason", "SPP", "--yes").code == 0
    assert bayops("domain", "set", "LE-enc-a1", "firmware", NEW, "--yes").code == 0
    spanning.fail_next_task("LE-enc-a2", code="InterconnectFirmwareUpdateFailed",
                            message="Interconnect bay 1 of enc-a3 rejected the firmware image")
    r = bayops("maintenance", "complete", "LE-enc-a1", "--yes")
    assert r.code == 1 and "stays in maintenance" in r.err
    assert "rejected the firmware image" in bayops("jobs", "show", "3").out
    # what was done stays done (a1 on the new SPP), nothing flashed back, enc-a3 never reached
    assert versions(spanning, "enc-a1") == [NEW, NEW] and versions(spanning, "enc-a3") == [OLD, OLD]
    assert baseline(spanning, "enc-a1") == "SPP 2024.01.0" and baseline(spanning, "enc-a2") == "SPP 2023.03.0"
    assert [t["taskState"] for t in firmware_tasks(spanning, "LE-enc-a2")] == ["Error"]
    assert every_update(spanning) == ["LE-enc-a1", "LE-enc-a2"]

    r = bayops("maintenance", "complete", "LE-enc-a1", "--yes")
    assert r.code == 0, r.err + r.out
    assert len(firmware_tasks(spanning, "LE-enc-a1")) == 1  # read back, not updated again
    assert [t["taskState"] for t in firmware_tasks(spanning, "LE-enc-a2")] == ["Completed", "Error"]
    for enc in ("enc-a2", "enc-a3"):
        assert versions(spanning, enc) == [NEW, NEW]


def test_sigkill_during_the_update_then_resume_follows_the_same_task(tmp_path, spanning):
    bayops = site(tmp_path, spanning, groups=SPANNING)
    assert bayops("maintenance", "start", "LE-enc-a1", "--reason", "SPP", "--yes").code == 0
    assert bayops("domain", "set", "LE-enc-a1", "firmware", NEW, "--yes").code == 0
    spanning.durations["le-firmware"] = 2.0
    proc = bayops.popen("maintenance", "complete", "LE-enc-a1", "--yes")
    deadline = time.monotonic() + 30
    while not firmware_tasks(spanning, "LE-enc-a2"):
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    r = bayops("jobs", "resume")
    assert r.code == 0, r.err + r.out
    assert every_update(spanning) == ["LE-enc-a1", "LE-enc-a2"]  # followed, no second update
    assert [t["taskState"] for t in firmware_tasks(spanning, "LE-enc-a2")] == ["Completed"]
    for enc in ("enc-a2", "enc-a3"):
        assert versions(spanning, enc) == [NEW, NEW]
    assert not bayops("maintenance", "status", "--json").json  # completed


def test_cancel_stages_the_spanning_enclosure_back_in_one_update(tmp_path, spanning):
    bayops = site(tmp_path, spanning, groups=SPANNING)
    assert bayops("maintenance", "start", "LE-enc-a2", "--reason", "SPP", "--yes").code == 0
    r = bayops("firmware", "upgrade", "LE-enc-a2", "--to", NEW, "--yes")
    assert r.code == 0, r.err + r.out
    assert versions(spanning, "enc-a3") == [NEW, NEW] and len(firmware_tasks(spanning, "LE-enc-a2")) == 1
    r = bayops("maintenance", "cancel", "LE-enc-a2", "--yes")
    assert r.code == 0, r.err + r.out
    # back to the group's pinned SPP by one more update of the LE, both enclosures read back
    assert len(firmware_tasks(spanning, "LE-enc-a2")) == 2 and baseline(spanning, "enc-a2") == "SPP 2023.03.0"
    for enc in ("enc-a2", "enc-a3"):
        assert versions(spanning, enc) == [OLD, OLD]
    assert every_update(spanning) == ["LE-enc-a2", "LE-enc-a2"]
    journal = bayops("jobs", "show", "3").out
    assert f"enc-a3/ic1 {OLD}, enc-a3/ic2 {OLD}" in journal
