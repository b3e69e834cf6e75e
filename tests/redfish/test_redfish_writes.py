"""Writes real BMCs make asynchronous or throttle (respx): failed tasks, 429, busy waits."""
from __future__ import annotations

import json

import httpx

from tui.model.entities import Profile

from . import test_redfish_respx as respx_tests
from .test_redfish_respx import BMC, RESET, FakeBmc

router, build = respx_tests.router, respx_tests.build  # the same fixtures
SAN = Profile("p", "g", "VCX1", "san", "50:00:14:38:00:00:00:01", 1, ())
MONITOR = "/redfish/v1/TaskService/TaskMonitors/7"


def test_a_boot_patch_whose_task_fails_is_a_required_item_not_applied_with_the_tasks_words(router, build):
    bmc = FakeBmc(router, power="Off")
    router.get(BMC + "/redfish/v1/Chassis/1").respond(json={"@odata.id": "/redfish/v1/Chassis/1"})

    def system(request: httpx.Request) -> httpx.Response:
        if request.method == "PATCH":
            return httpx.Response(202, headers={"Location": MONITOR})
        return httpx.Response(200, json=bmc.resource())
    bmc.system.mock(side_effect=system)
    monitor = router.get(BMC + MONITOR).mock(side_effect=[
        httpx.Response(202, json={"TaskState": "Running"}),
        httpx.Response(200, json={"TaskState": "Exception", "TaskStatus": "Critical",
                                  "Messages": [{"Message": "Boot device RemoteDrive not found"}]})])
    report = build().apply_profile("enc-c1/1", SAN)
    assert monitor.call_count == 2
    assert len(report.failed) == 1
    assert "task Exception (Boot device RemoteDrive not found)" in report.failed[0]


def test_a_reset_answered_429_is_asked_again_after_retry_after(router, build):
    bmc = FakeBmc(router, power="Off")
    answers = iter([httpx.Response(429, headers={"Retry-After": "0"})])

    def reset(request: httpx.Request) -> httpx.Response:
        return next(answers, None) or bmc._reset(request)
    router.post(BMC + RESET).mock(side_effect=reset)
    build().power_on("enc-c1/1")
    assert bmc.resets == ["On"] and bmc.power == "On"


def test_the_power_wait_rides_out_a_busy_bmc(router, build):
    bmc = FakeBmc(router, power="Off")
    busy = iter([httpx.Response(503, json={"error": {"message": "busy"}})] * 4)

    def system(request: httpx.Request) -> httpx.Response:
        if bmc.resets:  # once the reset is in, the BMC is busy for a few reads
            answer = next(busy, None)
            if answer is not None:
                return answer
        return httpx.Response(200, json=bmc.resource())
    bmc.system.mock(side_effect=system)
    driver = build(power_deadline=5.0)
    driver.power_on("enc-c1/1")
    assert bmc.power == "On"


def test_the_boot_mode_the_system_reports_is_kept_never_flipped(router, build):
    """A SAN LUN installed for Legacy boot does not boot in UEFI: bayops writes the mode
    the spare already has (BMCs that want the mode in the PATCH get it)."""
    bmc = FakeBmc(router, power="Off")
    router.get(BMC + "/redfish/v1/Chassis/1").respond(json={"@odata.id": "/redfish/v1/Chassis/1"})
    bmc.boot.update({"BootSourceOverrideMode": "Legacy",
                     "BootSourceOverrideMode@Redfish.AllowableValues": ["Legacy", "UEFI"]})
    report = build().apply_profile("enc-c1/1", SAN)
    assert not report.failed
    assert bmc.boot["BootSourceOverrideMode"] == "Legacy"
    assert "Legacy" in report.applied[0]


def weak_etag_bmc(router, final: int) -> tuple[FakeBmc, list[str | None]]:
    """A BMC that hands out a weak ETag and refuses every If-Match (412); a PATCH without
    If-Match gets ``final``. Returns it and the If-Match of every Boot PATCH."""
    bmc = FakeBmc(router, power="Off")
    router.get(BMC + "/redfish/v1/Chassis/1").respond(json={"@odata.id": "/redfish/v1/Chassis/1"})
    sent: list[str | None] = []

    def system(request: httpx.Request) -> httpx.Response:
        if request.method != "PATCH":
            return httpx.Response(200, json=bmc.resource(), headers={"ETag": 'W/"7"'})
        sent.append(request.headers.get("if-match"))
        status = 412 if sent[-1] else final
        if status < 300:
            bmc.boot.update(json.loads(request.content)["Boot"])
        return httpx.Response(status, json={"error": {"message": f"answered {status}"}})
    bmc.system.mock(side_effect=system)
    return bmc, sent


def test_a_weak_etag_refused_is_sent_strong_then_without_if_match_each_attempt_journaled(router, build):
    bmc, sent = weak_etag_bmc(router, 204)
    report = build().apply_profile("enc-c1/1", SAN)
    assert sent == ['W/"7"', 'W/"7"', '"7"', None]
    assert not report.failed and bmc.boot["BootSourceOverrideTarget"] == "Hdd"
    assert ('ETag: 412: re-read the resource and sent again; 412 for the BMC\'s weak ETag W/"7": '
            "sent its strong form; 412 again: sent without If-Match") in report.applied[0]


def test_a_bmc_that_requires_if_match_is_not_written_without_it(router, build):
    bmc, sent = weak_etag_bmc(router, 428)
    report = build().apply_profile("enc-c1/1", SAN)
    assert sent == ['W/"7"', 'W/"7"', '"7"', None]
    assert len(report.failed) == 1 and "428: the BMC requires If-Match" in report.failed[0]
    assert bmc.boot["BootSourceOverrideTarget"] == "None"
