"""Redfish driver paths sushy does not have: sessions, SSE, broken BMCs (respx mocks).

respx patches httpx's transports process-wide, so the driver's own event-loop
thread is intercepted too. Every driver is closed before the mock router exits.
"""

from __future__ import annotations

import json
import re
import time

import httpx
import pytest
import respx

from tui.drivers.redfish import RedfishDriver
from tui.model.driver import DriverError, NoAnswer
from tui.model.entities import Connection, DomainConfig, Profile

BMC = "https://bmc-a.test"
SYSTEM = "/redfish/v1/Systems/1"
RESET = SYSTEM + "/Actions/ComputerSystem.Reset"
SESSIONS = "/redfish/v1/SessionService/Sessions"
PASSWORD = "Sup3r-secret-pw!"
TOKENS = ("tok-AAAA-1111", "tok-BBBB-2222")


def wait_for(predicate, timeout: float = 5.0, step: float = 0.02):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("condition not met in time")


class FakeBmc:
    """A tiny stateful Redfish service on respx routes."""

    def __init__(self, router: respx.MockRouter, *, sessions=False, sse=None, power="On") -> None:
        self.power = power
        self.health = "OK"
        self.body_override = None
        self.boot = {"BootSourceOverrideEnabled": "Disabled", "BootSourceOverrideTarget": "None"}
        self.resets: list[str] = []
        self.reset_takes = True
        self.expired_tokens: set[str] = set()
        self.tokens = iter(TOKENS)
        root = {"@odata.id": "/redfish/v1/", "Systems": {"@odata.id": "/redfish/v1/Systems"}}
        if sessions:
            root["SessionService"] = {"@odata.id": "/redfish/v1/SessionService"}
            root["Links"] = {"Sessions": {"@odata.id": SESSIONS}}
        if sse is not None:
            root["EventService"] = {"@odata.id": "/redfish/v1/EventService"}
            router.get(BMC + "/redfish/v1/EventService").respond(
                json={"ServiceEnabled": True, "ServerSentEventUri": "/redfish/v1/EventService/SSE"}
            )
            self.sse = router.get(BMC + "/redfish/v1/EventService/SSE").mock(side_effect=sse)
        self.root = router.get(BMC + "/redfish/v1/").respond(json=root)
        self.login = router.post(BMC + SESSIONS).mock(side_effect=self._login)
        self.logout = router.delete(url__regex=BMC + SESSIONS + "/.*").respond(204)
        self.system = router.route(url=BMC + SYSTEM).mock(side_effect=self._system)
        self.reset = router.post(BMC + RESET).mock(side_effect=self._reset)
        self.sessions = sessions

    def _authorized(self, request: httpx.Request) -> bool:
        if self.sessions:
            token = request.headers.get("x-auth-token")
            return token in TOKENS and token not in self.expired_tokens
        return request.headers.get("authorization") == httpx.BasicAuth("ops", PASSWORD)._auth_header

    def _login(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if body != {"UserName": "ops", "Password": PASSWORD}:
            return httpx.Response(401, json={"error": {"message": "bad login"}})
        token = next(self.tokens)
        n = TOKENS.index(token) + 1
        return httpx.Response(201, headers={"X-Auth-Token": token, "Location": f"{SESSIONS}/{n}"}, json={})

    def resource(self) -> dict:
        if self.body_override is not None:
            return self.body_override
        return {
            "@odata.id": SYSTEM,
            "Id": "1",
            "Model": "ProLiant BL460c Gen10",
            "SerialNumber": "CZ1234ABCD",
            "PowerState": self.power,
            "Status": {"State": "Enabled", "Health": "OK", "HealthRollup": self.health},
            "Boot": dict(
                self.boot, **{"BootSourceOverrideTarget@Redfish.AllowableValues": ["None", "Pxe", "Hdd"]}
            ),
            "Links": {"Chassis": [{"@odata.id": "/redfish/v1/Chassis/1"}]},
            "Actions": {
                "#ComputerSystem.Reset": {
                    "target": RESET,
                    "ResetType@Redfish.AllowableValues": [
                        "On",
                        "ForceOff",
                        "GracefulShutdown",
                        "ForceRestart",
                    ],
                }
            },
        }

    def _system(self, request: httpx.Request) -> httpx.Response:
        if not self._authorized(request):
            return httpx.Response(401, json={"error": {"message": "unauthorized"}})
        if request.method == "PATCH":
            self.boot.update(json.loads(request.content)["Boot"])
            return httpx.Response(204)
        return httpx.Response(200, json=self.resource())

    def _reset(self, request: httpx.Request) -> httpx.Response:
        if not self._authorized(request):
            return httpx.Response(401)
        reset_type = json.loads(request.content)["ResetType"]
        self.resets.append(reset_type)
        if self.reset_takes:
            self.power = "On" if reset_type == "On" else "Off"
        return httpx.Response(204)


@pytest.fixture
def router():
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as mock:
        yield mock


@pytest.fixture
def build(router, monkeypatch, tmp_path):
    """build(**top) -> driver for one bay enc-c1/1 on BMC; closed before respx exits."""
    monkeypatch.setenv("BAYOPS_BMC_LAB_USER", "ops")
    monkeypatch.setenv("BAYOPS_BMC_LAB_PASSWORD", PASSWORD)
    drivers: list[RedfishDriver] = []

    def make(warn=None, **top) -> RedfishDriver:
        section = {"timeout": 1.0, "retries": 0, "poll_interval": 0.02, "power_deadline": 0.3}
        section.update(top)
        section.setdefault(
            "systems", [{"bay": "enc-c1/1", "url": BMC, "system": SYSTEM, "credentials": "lab"}]
        )
        driver = RedfishDriver.from_config(section, tmp_path, warn or (lambda msg: None))
        drivers.append(driver)
        return driver

    yield make
    for driver in drivers:
        driver.close()


# ------------------------------------------------------------------------ sessions
def test_session_login_token_relogin_on_401_and_delete_on_close(router, build):
    bmc = FakeBmc(router, sessions=True)
    driver = build()
    assert driver.read(["enc-c1/1"])["enc-c1/1"].power == "on"
    first = bmc.system.calls.last.request
    assert first.headers["x-auth-token"] == TOKENS[0]
    assert "authorization" not in first.headers  # a session, not basic auth
    assert bmc.login.call_count == 1

    bmc.expired_tokens.add(TOKENS[0])  # the BMC forgets the session
    assert driver.read(["enc-c1/1"])["enc-c1/1"].power == "on"
    assert bmc.login.call_count == 2  # re-logged in once
    assert bmc.system.calls.last.request.headers["x-auth-token"] == TOKENS[1]
    statuses = [call.response.status_code for call in bmc.system.calls]
    assert statuses == [200, 401, 200]

    driver.close()
    # every session created is deleted, the one the BMC says expired included
    deleted = [(c.request.url.path, c.request.headers["x-auth-token"]) for c in bmc.logout.calls]
    assert deleted == [(f"{SESSIONS}/2", TOKENS[1]), (f"{SESSIONS}/1", TOKENS[0])]
    with pytest.raises(DriverError, match="closed"):
        driver.read(["enc-c1/1"])


def test_session_login_refused_names_bay_without_secrets(router, build, monkeypatch):
    FakeBmc(router, sessions=True)
    monkeypatch.setenv("BAYOPS_BMC_LAB_PASSWORD", "not-the-password-42")
    driver = build()
    with pytest.raises(DriverError) as info:
        driver.power_on("enc-c1/1")
    message = str(info.value)
    assert message.startswith(
        "enc-c1/1: BMC refused the session login for credentials 'lab' (401: bad login)")
    assert "not-the-password-42" not in message and PASSWORD not in message
    assert "not-the-password-42" not in repr(driver)


def test_basic_auth_when_root_offers_no_session_service(router, build):
    bmc = FakeBmc(router, sessions=False)
    driver = build()
    assert driver.read(["enc-c1/1"])["enc-c1/1"].health == "ok"
    assert bmc.login.call_count == 0
    assert bmc.system.calls.last.request.headers["authorization"].startswith("Basic ")


# -------------------------------------------------------------------------- events
SSE_BODY = (
    ": keep-alive\n\n"
    "id: 1\n"
    "data: "
    + json.dumps(
        {
            "@odata.type": "#Event.v1_7_0.Event",
            "Events": [
                {
                    "MessageId": "Processor.1.0.CpuCorrectableErrorThreshold",
                    "Message": "CPU 2 correctable error threshold exceeded",
                    "MessageSeverity": "Warning",
                    "OriginOfCondition": {"@odata.id": SYSTEM + "/Processors/2"},
                }
            ],
        }
    )
    + "\n\n"
    'data: {"Events": [{"MessageId": "Memory.1.0.CorrectableErrorStorm",\n'
    'data: "Message": "DIMM 7 correctable ECC storm", "Severity": "Warning"}]}\n\n'
)


def test_sse_events_become_hardware_events_then_polling_after_the_stream_drops(router, build):
    bmc = FakeBmc(
        router,
        sse=lambda request: httpx.Response(200, headers={"content-type": "text/event-stream"}, text=SSE_BODY),
    )
    driver = build(event_poll_interval=0.05, event_reconnect=60.0)
    assert driver.events() == []  # starts the stream; never blocks
    seen = []

    def got(kind):
        seen.extend(driver.events())
        return [e for e in seen if e.kind == kind]

    cpu = wait_for(lambda: got("cpu-threshold"))[0]
    assert (cpu.bay, cpu.severity) == ("enc-c1/1", "warning")
    assert cpu.message == "enc-c1/1: CPU 2 correctable error threshold exceeded"
    memory = wait_for(lambda: got("memory-errors"))[0]  # multi-line data, no origin: the BMC's only bay
    assert memory.bay == "enc-c1/1" and "DIMM 7" in memory.message
    dropped = wait_for(lambda: got("event-stream"))[0]
    assert dropped.message.startswith("enc-c1/1: event stream from https://bmc-a.test dropped")
    assert "polling every 0.05 s" in dropped.message
    assert bmc.sse.calls.last.request.headers["accept"] == "text/event-stream"

    # The stream is gone: a health change must still be seen, by polling.
    polls = bmc.system.call_count
    wait_for(lambda: bmc.system.call_count >= polls + 2)
    bmc.health = "Critical"
    critical = wait_for(lambda: got("critical"))[0]
    assert (critical.bay, critical.severity) == ("enc-c1/1", "critical")
    bmc.health = "OK"
    assert wait_for(lambda: got("healed"))[0].bay == "enc-c1/1"
    assert bmc.sse.call_count == 1


def test_events_fall_back_to_polling_without_an_event_service(router, build):
    bmc = FakeBmc(router)
    driver = build(event_poll_interval=0.05)
    assert driver.events() == []
    wait_for(lambda: bmc.system.call_count >= 2)
    bmc.power = "Off"
    events = wait_for(lambda: [e for e in driver.events() if e.kind == "power-off"])
    assert (events[0].bay, events[0].message) == ("enc-c1/1", "enc-c1/1: power went off")

    # a change the driver made itself (and verified) is not reported back as news
    driver.power_on("enc-c1/1")
    polls = bmc.system.call_count
    wait_for(lambda: bmc.system.call_count >= polls + 3)
    assert [e for e in driver.events() if e.kind.startswith("power")] == []


# -------------------------------------------------------------------- broken BMCs
def test_non_json_body_is_a_clear_error(router, build):
    bmc = FakeBmc(router)
    bmc.system.side_effect = lambda request: httpx.Response(
        200, text="<html>iLO is rebooting</html>", headers={"content-type": "text/html"}
    )
    driver = build()
    with pytest.raises(DriverError) as info:
        driver.power_on("enc-c1/1")
    message = str(info.value)
    assert message.startswith(f"enc-c1/1: GET {SYSTEM} answered 200 with a body that is not JSON (text/html")
    assert not isinstance(info.value, NoAnswer)
    reading = driver.read(["enc-c1/1"])["enc-c1/1"]
    assert (reading.power, reading.health) == ("unknown", "unknown") and "not JSON" in reading.detail


@pytest.mark.parametrize(
    "power, expected",
    [
        (None, "has no PowerState"),
        (1, "PowerState is not a string (got int)"),
        ({"x": 1}, "not a string (got dict)"),
    ],
)
def test_malformed_power_state(router, build, power, expected):
    bmc = FakeBmc(router)
    body = bmc.resource()
    if power is None:
        del body["PowerState"]
    else:
        body["PowerState"] = power
    bmc.body_override = body
    driver = build()
    with pytest.raises(DriverError, match="^enc-c1/1: .*" + re.escape(expected)):
        driver.power_off("enc-c1/1", 0.1)
    assert expected in driver.read(["enc-c1/1"])["enc-c1/1"].detail


def test_reset_accepted_but_power_state_never_changes(router, build):
    bmc = FakeBmc(router, power="On")
    bmc.reset_takes = False  # 204, and nothing happens
    driver = build(power_deadline=0.2)
    started = time.monotonic()
    with pytest.raises(DriverError) as info:
        driver.power_off("enc-c1/1", 0.1)
    assert time.monotonic() - started < 3
    assert str(info.value) == f"enc-c1/1: ForceOff accepted but PowerState still On after 0.2 s ({BMC})"
    assert not isinstance(info.value, NoAnswer)
    assert bmc.resets == ["GracefulShutdown", "ForceOff"]
    # The core then tries to fence: the same ForceOff through the same BMC would only wait
    # out the deadline again, so it says at once that Redfish cannot fence this bay.
    with pytest.raises(DriverError, match="cannot fence through Redfish: ForceOff already failed"):
        driver.fence("enc-c1/1")
    assert bmc.resets == ["GracefulShutdown", "ForceOff"]  # no second ForceOff, no second wait

    bmc.power = "Off"
    with pytest.raises(DriverError, match=r"^enc-c1/1: On accepted but PowerState still Off after 0\.2 s"):
        driver.power_on("enc-c1/1")


def test_graceful_then_forced_off(router, build):
    bmc = FakeBmc(router, power="On")
    driver = build()

    def reset(request):
        reset_type = json.loads(request.content)["ResetType"]
        bmc.resets.append(reset_type)
        if reset_type == "ForceOff":  # the OS ignores the ACPI shutdown
            bmc.power = "Off"
        return httpx.Response(204)

    bmc.reset.side_effect = reset
    assert driver.power_off("enc-c1/1", 0.1) == "forced"
    assert bmc.resets == ["GracefulShutdown", "ForceOff"]


def test_get_retried_on_503_with_backoff(router, build):
    bmc = FakeBmc(router)
    ok = bmc._system
    answers = iter([httpx.Response(503), httpx.Response(503, headers={"Retry-After": "0"})])
    bmc.system.side_effect = lambda request: next(answers, None) or ok(request)
    driver = build(retries=3)
    assert driver.read(["enc-c1/1"])["enc-c1/1"].power == "on"
    assert bmc.system.call_count == 3


def test_get_gives_up_after_retries(router, build):
    bmc = FakeBmc(router)
    bmc.system.side_effect = lambda request: httpx.Response(503)
    driver = build(retries=2)
    with pytest.raises(DriverError, match=f"^enc-c1/1: GET {SYSTEM} answered 503"):
        driver.power_on("enc-c1/1")
    assert bmc.system.call_count == 3


def test_post_reset_is_never_retried_on_connection_error(router, build):
    bmc = FakeBmc(router, power="On")
    bmc.reset.side_effect = httpx.ReadError("connection reset by peer")
    driver = build(retries=3, power_deadline=0.2)
    with pytest.raises(DriverError) as info:
        driver.power_off("enc-c1/1", 0)
    assert bmc.reset.call_count == 1  # no retry of a POST whose outcome is unknown
    assert "ForceOff got no answer" in str(info.value) and "PowerState is still On" in str(info.value)
    # PowerState was re-read instead: polled repeatedly until the deadline
    assert bmc.system.call_count >= 3

    # The answer was lost but the BMC did act: re-reading PowerState finds it off.
    def lost_answer(request):
        bmc.power = "Off"
        raise httpx.ReadError("connection reset by peer")

    bmc.reset.side_effect = lost_answer
    assert driver.power_off("enc-c1/1", 0) == "forced"
    assert bmc.reset.call_count == 2


def test_unreachable_bmc_no_answer_and_cannot_fence(router, build):
    router.route(url__startswith=BMC).mock(side_effect=httpx.ConnectError("Connection refused"))
    driver = build(retries=1)
    reading = driver.read(["enc-c1/1"])["enc-c1/1"]
    assert (reading.power, reading.health) == ("unknown", "unknown")
    with pytest.raises(NoAnswer, match=rf"^enc-c1/1: BMC at {BMC} did not answer: connection failed"):
        driver.power_off("enc-c1/1", 1.0)
    with pytest.raises(DriverError) as info:
        driver.fence("enc-c1/1")
    assert not isinstance(info.value, NoAnswer)
    assert str(info.value).startswith(
        f"enc-c1/1: cannot fence through Redfish: the BMC at {BMC} does not answer"
    )
    with pytest.raises(NoAnswer):
        driver.discover(["enc-c1/1"])


def test_slow_bmc_times_out(router, build):
    router.route(url__startswith=BMC).mock(side_effect=httpx.ReadTimeout("timed out"))
    driver = build(timeout=0.2, retries=1)
    with pytest.raises(NoAnswer) as info:
        driver.power_on("enc-c1/1")
    assert str(info.value) == f"enc-c1/1: BMC at {BMC} did not answer: no answer within 0.2 s (2 tries)"


def test_redirect_followed_on_same_origin_only(router, build):
    bmc = FakeBmc(router)
    router.get(BMC + "/redfish/v1/Systems/blade7").respond(307, headers={"Location": SYSTEM})
    router.get(BMC + "/redfish/v1/Systems/evil").respond(
        307, headers={"Location": "https://elsewhere.test/x"}
    )
    systems = [
        {"bay": "enc-c1/7", "url": BMC, "system": "/redfish/v1/Systems/blade7", "credentials": "lab"},
        {"bay": "enc-c1/8", "url": BMC, "system": "/redfish/v1/Systems/evil", "credentials": "lab"},
    ]
    driver = build(systems=systems)
    assert driver.read(["enc-c1/7"])["enc-c1/7"].power == "on"
    calls = bmc.system.call_count
    driver.read(["enc-c1/7"])  # the answering path is remembered: no second redirect
    assert bmc.system.call_count == calls + 1
    with pytest.raises(
        DriverError, match=r"^enc-c1/8: BMC pointed us off its own origin to https://elsewhere\.test"
    ):
        driver.power_on("enc-c1/8")
    assert not any(call.request.url.host == "elsewhere.test" for call in router.calls)


# -------------------------------------------------------------------- profiles
def test_apply_profile_writes_network_device_functions_where_offered(router, build):
    bmc = FakeBmc(router)
    functions = {
        "/redfish/v1/Chassis/1/NetworkAdapters/A/NetworkDeviceFunctions/1": {
            "NetDevFuncType": "Ethernet",
            "Ethernet": {"MACAddress": "aa:aa:aa:00:00:01", "PermanentMACAddress": "aa:aa:aa:00:00:01"},
        },
        "/redfish/v1/Chassis/1/NetworkAdapters/A/NetworkDeviceFunctions/2": {
            "NetDevFuncType": "FibreChannel",
            "FibreChannel": {"WWPN": "10:00:00:00:00:00:00:01", "PermanentWWPN": "10:00:00:00:00:00:00:01"},
        },
    }
    router.get(BMC + "/redfish/v1/Chassis/1").respond(
        json={"NetworkAdapters": {"@odata.id": "/redfish/v1/Chassis/1/NetworkAdapters"}}
    )
    router.get(BMC + "/redfish/v1/Chassis/1/NetworkAdapters").respond(
        json={"Members": [{"@odata.id": "/redfish/v1/Chassis/1/NetworkAdapters/A"}]}
    )
    router.get(BMC + "/redfish/v1/Chassis/1/NetworkAdapters/A").respond(
        json={
            "NetworkDeviceFunctions": {
                "@odata.id": "/redfish/v1/Chassis/1/NetworkAdapters/A/NetworkDeviceFunctions"
            }
        }
    )
    router.get(BMC + "/redfish/v1/Chassis/1/NetworkAdapters/A/NetworkDeviceFunctions").respond(
        json={"Members": [{"@odata.id": path} for path in functions]}
    )

    def function(request: httpx.Request) -> httpx.Response:
        body = functions[request.url.path]
        if request.method == "PATCH":
            patch = json.loads(request.content)
            for key, value in patch.items():
                if isinstance(value, dict):
                    body[key].update(value)
                else:
                    body[key] = value
            return httpx.Response(204)
        return httpx.Response(200, json=body)

    fn_route = router.route(
        url__regex=BMC + r"/redfish/v1/Chassis/1/NetworkAdapters/A/NetworkDeviceFunctions/\d"
    ).mock(side_effect=function)
    profile = Profile(
        name="db-01",
        group="prod",
        serial="VCX0000202",
        boot_mode="san",
        san_target="50:06:01:60:3b:20:11:22",
        san_lun=0,
        connections=(
            Connection("eth", 1, "00:17:A4:77:00:10", "prod-vlan110"),
            Connection("eth", 2, "00:17:A4:77:00:12", "backup"),
            Connection("fc", 1, "50:06:0B:00:00:C2:62:10", "san-a"),
        ),
    )
    driver = build()
    report = driver.apply_profile("enc-c1/1", profile)
    assert report.applied == (
        "boot override Hdd (continuous) for boot-from-SAN",
        "eth1 MAC 00:17:A4:77:00:10",
        "fc1 WWPN 50:06:0B:00:00:C2:62:10",
        "fc1 SAN boot target 50:06:01:60:3b:20:11:22 LUN 0",
    )
    assert report.not_applied[0] == "eth2 MAC 00:17:A4:77:00:12 (no Ethernet NetworkDeviceFunction offered)"
    assert any(s.startswith("networks backup, prod-vlan110") for s in report.not_applied)
    assert bmc.boot["BootSourceOverrideTarget"] == "Hdd"
    fc = functions["/redfish/v1/Chassis/1/NetworkAdapters/A/NetworkDeviceFunctions/2"]
    assert fc["FibreChannel"]["BootTargets"] == [
        {"WWPN": "50:06:01:60:3b:20:11:22", "LUNID": "0", "BootPriority": 0}
    ]
    assert fc["BootMode"] == "FibreChannel"

    patches = len([c for c in fn_route.calls if c.request.method == "PATCH"])
    driver.clear_profile("enc-c1/1", profile.name)
    eth = functions["/redfish/v1/Chassis/1/NetworkAdapters/A/NetworkDeviceFunctions/1"]
    assert eth["Ethernet"]["MACAddress"] == "aa:aa:aa:00:00:01"
    assert fc["FibreChannel"]["WWPN"] == "10:00:00:00:00:00:00:01" and fc["FibreChannel"]["BootTargets"] == []
    assert bmc.boot["BootSourceOverrideEnabled"] == "Disabled"
    assert len([c for c in fn_route.calls if c.request.method == "PATCH"]) == patches + 2


def test_discover_reads_model_generation_serial(router, build):
    FakeBmc(router)
    info = build().discover(["enc-c1/1"])["enc-c1/1"]
    assert (info.model, info.generation, info.serial, info.power, info.health) == (
        "ProLiant BL460c Gen10",
        "Gen10",
        "CZ1234ABCD",
        "on",
        "ok",
    )


def test_system_path_defaults_to_the_bmcs_only_system(router, build):
    FakeBmc(router)
    members = router.get(BMC + "/redfish/v1/Systems").respond(json={"Members": [{"@odata.id": SYSTEM}]})
    driver = build(systems=[{"bay": "enc-c1/1", "url": BMC, "credentials": "lab"}])
    assert driver.discover(["enc-c1/1"])["enc-c1/1"].serial == "CZ1234ABCD"
    driver.read(["enc-c1/1"])
    assert members.call_count == 1  # resolved once, then remembered
    members.respond(json={"Members": [{"@odata.id": SYSTEM}, {"@odata.id": "/redfish/v1/Systems/2"}]})
    other = build(systems=[{"bay": "enc-c1/2", "url": BMC, "credentials": "lab"}])
    with pytest.raises(
        DriverError, match=r"^enc-c1/2: no system path configured and the BMC offers 2 systems: "
        r"/redfish/v1/Systems/1, /redfish/v1/Systems/2; set system"
    ):
        other.power_on("enc-c1/2")


def test_apply_domain_config_says_redfish_cannot(build):
    text = build().apply_domain_config("dom-a", DomainConfig(networks={"web": 110}))
    assert "Redfish cannot express" in text and "dom-a" in text


# -- hostile or broken BMCs: bounded, one line, never the whole sweep --------------------------
def test_a_huge_or_absurdly_nested_answer_is_one_line_and_spares_the_rest(router, build):
    bmc = FakeBmc(router)
    driver = build()
    bmc.system.mock(side_effect=lambda request: httpx.Response(
        200, content=b"[" * 200_000, headers={"content-type": "application/json"}))
    reading = driver.read(["enc-c1/1"])["enc-c1/1"]
    assert reading.health == "unknown" and "not JSON" in reading.detail
    bmc.system.mock(side_effect=lambda request: httpx.Response(
        200, content=b" " * (5 * 2**20), headers={"content-type": "application/json"}))
    reading = driver.read(["enc-c1/1"])["enc-c1/1"]
    assert "more than 4 MiB" in reading.detail and "\n" not in reading.detail


def test_a_reset_target_with_a_broken_port_is_a_driver_error(router, build):
    bmc = FakeBmc(router, power="On")
    driver = build()
    body = {"@odata.id": SYSTEM, "PowerState": "On", "Status": {"State": "Enabled", "Health": "OK"},
            "Actions": {"#ComputerSystem.Reset": {"target": "https://bmc-a.test:99999/x"}}}
    bmc.system.mock(side_effect=lambda request: httpx.Response(200, json=body))
    with pytest.raises(DriverError, match="malformed address"):
        driver.power_off("enc-c1/1", 0.1)


def test_the_password_is_scrubbed_before_a_long_bmc_message_is_shortened(router, build):
    FakeBmc(router)
    driver = build()
    router.route(url=BMC + SYSTEM).respond(401, json={"error": {
        "message": "x" * 125 + " login rejected for password " + PASSWORD}})
    detail = driver.read(["enc-c1/1"])["enc-c1/1"].detail
    assert PASSWORD[:5] not in detail


def test_a_bmc_that_trickles_its_answer_is_given_up_on(tmp_path):
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    stop = threading.Event()

    def trickle():
        while not stop.is_set():
            server.settimeout(0.2)
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: 100000\r\n\r\n")
                while not stop.is_set():
                    try:
                        conn.sendall(b" ")
                    except OSError:
                        break
                    stop.wait(0.1)
    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    port = server.getsockname()[1]
    driver = RedfishDriver.from_config(
        {"timeout": 0.3, "retries": 0, "systems": [
            {"bay": "enc-c1/1", "url": f"http://127.0.0.1:{port}", "system": SYSTEM}]},
        tmp_path, lambda message: None)
    try:
        started = time.monotonic()
        reading = driver.read(["enc-c1/1"])["enc-c1/1"]
        assert time.monotonic() - started < 5
        assert reading.health == "unknown" and "did not answer" in reading.detail
    finally:
        driver.close()
        stop.set()
        server.close()
        thread.join(timeout=5)
