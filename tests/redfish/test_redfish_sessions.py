"""Session logins as real BMCs answer them (respx): absolute Locations, refusals, cleanup."""
from __future__ import annotations

import httpx
import pytest

from tui.model.driver import DriverError

from . import test_redfish_respx as respx_tests
from .test_redfish_respx import BMC, PASSWORD, SESSIONS, TOKENS, FakeBmc

router, build = respx_tests.router, respx_tests.build  # the same fixtures


def _login_answering(bmc: FakeBmc, location: str):
    def login(request: httpx.Request) -> httpx.Response:
        token = next(bmc.tokens)
        return httpx.Response(201, headers={"X-Auth-Token": token, "Location": location}, json={})
    bmc.login.mock(side_effect=login)


@pytest.mark.parametrize("location", [
    f"https://bmc-a.test:443{SESSIONS}/1/",  # iLO: absolute, default port spelled out
    f"https://BMC-A.test{SESSIONS}/1/",      # host names are case-insensitive
    f"{SESSIONS}/1/",                        # relative
    "1/",                                    # relative to the Sessions collection
])
def test_an_absolute_or_relative_location_on_this_bmc_is_accepted_and_deleted_at_close(
        router, build, location):
    bmc = FakeBmc(router, sessions=True)
    _login_answering(bmc, location if location != "1/" else "Sessions/1/")
    driver = build()
    assert driver.read(["enc-c1/1"])["enc-c1/1"].power == "on"
    assert bmc.system.calls.last.request.headers["x-auth-token"] == TOKENS[0]
    assert bmc.login.call_count == 1
    driver.close()
    assert [c.request.url.path for c in bmc.logout.calls] == [f"{SESSIONS}/1/"]


def test_a_location_naming_the_bmc_by_a_listed_alias_is_accepted(router, build):
    bmc = FakeBmc(router, sessions=True)
    _login_answering(bmc, f"https://ilo-enc-c1-1.example.net{SESSIONS}/1/")
    driver = build(systems=[{"bay": "enc-c1/1", "url": BMC, "system": "/redfish/v1/Systems/1",
                             "credentials": "lab", "aliases": ["ilo-enc-c1-1.example.net"]}])
    assert driver.read(["enc-c1/1"])["enc-c1/1"].power == "on"
    assert bmc.login.call_count == 1


def test_a_location_off_the_bmc_is_refused_yet_the_session_it_made_is_deleted(router, build):
    bmc = FakeBmc(router, sessions=True)
    _login_answering(bmc, f"https://elsewhere.invalid:8443{SESSIONS}/1")
    driver = build()
    reading = driver.read(["enc-c1/1"])["enc-c1/1"]
    assert reading.power == "unknown"
    assert "off its own origin to https://elsewhere.invalid:8443" in reading.detail
    assert TOKENS[0] not in reading.detail
    # the session exists on the BMC we logged in to: it is deleted there, at once
    assert [c.request.url.host for c in bmc.logout.calls] == ["bmc-a.test"]
    assert bmc.logout.calls.last.request.headers["x-auth-token"] == TOKENS[0]
    # the token was not kept: the next request logs in again instead of using it
    driver.read(["enc-c1/1"])
    assert bmc.login.call_count == 2
    assert all(c.request.headers.get("x-auth-token") is None for c in bmc.system.calls)


@pytest.mark.parametrize("status", [400, 403, 405])
def test_a_login_refused_with_another_4xx_falls_back_to_basic_auth(router, build, status):
    bmc = FakeBmc(router, sessions=True)
    refusal = {"error": {"code": "Base.1.0.GeneralError", "message": "see ExtendedInfo",
                         "@Message.ExtendedInfo": [{"Message": "Maximum number of sessions reached"}]}}
    bmc.login.mock(return_value=httpx.Response(status, json=refusal))
    bmc.sessions = False  # the fake accepts basic auth
    driver = build()
    assert driver.read(["enc-c1/1"])["enc-c1/1"].power == "on"
    assert bmc.system.calls.last.request.headers["authorization"].startswith("Basic ")
    # when basic auth is refused too, the BMC's words about the session come along
    bmc.system.mock(return_value=httpx.Response(401, json={"error": {"message": "no"}}))
    with pytest.raises(DriverError) as info:
        driver.power_on("enc-c1/1")
    assert "Maximum number of sessions reached; basic auth used instead" in str(info.value)
    assert PASSWORD not in str(info.value)


def test_a_wrong_password_at_login_is_not_retried_as_basic_auth(router, build):
    bmc = FakeBmc(router, sessions=True)
    bmc.login.mock(return_value=httpx.Response(401, json={"error": {"@Message.ExtendedInfo": [
        {"Message": "Invalid username or password"}]}}))
    driver = build()
    reading = driver.read(["enc-c1/1"])["enc-c1/1"]
    assert "(401: Invalid username or password)" in reading.detail
    assert not any("authorization" in c.request.headers for c in bmc.system.calls)


def test_a_boot_patch_is_not_sent_when_the_system_has_no_override_properties(router, build):
    from tui.model.entities import Profile
    bmc = FakeBmc(router)
    resource = bmc.resource()
    resource["Boot"] = {"BootOrder": ["Hdd"]}
    bmc.body_override = resource
    router.get(BMC + "/redfish/v1/Chassis/1").respond(json={"@odata.id": "/redfish/v1/Chassis/1"})
    driver = build()
    profile = Profile("p", "g", "VCX1", "san", "50:00:14:38:00:00:00:01", 1, ())
    report = driver.apply_profile("enc-c1/1", profile)
    assert report.failed and "advertises no BootSourceOverride properties" in report.failed[0]
    assert not [c for c in bmc.system.calls if c.request.method == "PATCH"]


@pytest.mark.parametrize("enabled, target, cleared", [
    ("Disabled", "Hdd", True), ("Disabled", "None", True),
    ("Continuous", "None", False), ("Once", "Hdd", False)])
def test_clearing_counts_only_a_disabled_override_as_done(router, build, enabled, target, cleared):
    from tui.model.entities import Profile
    bmc = FakeBmc(router)
    router.get(BMC + "/redfish/v1/Chassis/1").respond(json={"@odata.id": "/redfish/v1/Chassis/1"})
    bmc.boot.update(BootSourceOverrideEnabled="Continuous", BootSourceOverrideTarget="Hdd")

    def sticky(request: httpx.Request) -> httpx.Response:
        if request.method == "PATCH":  # the BMC says yes and keeps what it likes
            bmc.boot.update(BootSourceOverrideEnabled=enabled, BootSourceOverrideTarget=target)
            return httpx.Response(204)
        return httpx.Response(200, json=bmc.resource())
    bmc.system.mock(side_effect=sticky)
    driver = build()
    report = driver.apply_profile("enc-c1/1", Profile("p", "g", "VCX1", "local", None, None, ()))
    assert (report.applied == ("boot override off (local boot order)",)) is cleared
    stuck = [n for n in report.not_applied if n.startswith("boot override off")]
    assert not report.failed and bool(stuck) is not cleared
