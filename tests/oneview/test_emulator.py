"""The OneView emulator's own rules, checked with plain httpx over HTTPS on loopback.

What a driver relies on: sessions and API versions, paging and filters, tasks that
progress and end, power control, and the appliance's refusals around server profiles.
"""

from __future__ import annotations

import ssl
import time

import httpx
import pytest

from .appliance import CURRENT_VERSION, MINIMUM_VERSION
from .emulator import OneViewEmulator
from .inventory import large_spec


class Ov:
    """A bare OneView REST client: log in, send Auth and X-API-Version."""

    def __init__(self, emu: OneViewEmulator, *, version: int = CURRENT_VERSION, login: bool = True) -> None:
        self.emu = emu
        self.http = httpx.Client(
            base_url=emu.url,
            verify=ssl.create_default_context(cafile=str(emu.ca_file)),
            trust_env=False,
            timeout=10.0,
        )
        self.headers = {"X-API-Version": str(version)}
        if login:
            self.login()

    def login(self, password: str | None = None) -> httpx.Response:
        r = self.http.post(
            "/rest/login-sessions",
            headers=self.headers,
            json={"userName": self.emu.user, "password": password or self.emu.password},
        )
        if r.status_code == 200:
            self.headers["Auth"] = r.json()["sessionID"]
        return r

    def call(self, method: str, path: str, **kw) -> httpx.Response:
        headers = {**self.headers, **kw.pop("headers", {})}
        return self.http.request(method, path, headers=headers, **kw)

    def get(self, path: str, **kw) -> httpx.Response:
        return self.call("GET", path, **kw)

    def put(self, path: str, body: object, **kw) -> httpx.Response:
        return self.call("PUT", path, json=body, **kw)

    def all(self, path: str, **params) -> list[dict]:
        """Every member, following nextPageUri."""
        members: list[dict] = []
        r = self.get(path, params=params)
        while True:
            assert r.status_code == 200, r.text
            page = r.json()
            members += page["members"]
            if not page["nextPageUri"]:
                return members
            r = self.get(page["nextPageUri"])

    def wait(self, task_uri: str, timeout: float = 5.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            task = self.get(task_uri).json()
            if task["taskState"] not in ("New", "Running"):
                return task
            time.sleep(0.01)
        raise AssertionError(f"{task_uri} still {task['taskState']} after {timeout} s")

    def power(self, hw_uri: str, state: str, control: str = "MomentaryPress") -> httpx.Response:
        return self.put(f"{hw_uri}/powerState", {"powerState": state, "powerControl": control})

    def move(self, profile: dict, hw_uri: str | None, **kw) -> httpx.Response:
        return self.put(profile["uri"], {**profile, "serverHardwareUri": hw_uri}, **kw)


@pytest.fixture
def ov(oneview):
    client = Ov(oneview)
    yield client
    client.http.close()


# --- sessions, versions, TLS ---------------------------------------------------------


def test_version_needs_no_session_and_login_refuses_a_wrong_password(oneview):
    client = Ov(oneview, login=False)
    assert client.get("/rest/version").json() == {
        "currentVersion": CURRENT_VERSION,
        "minimumVersion": MINIMUM_VERSION,
    }
    r = client.login(password="wrong")
    assert r.status_code == 401 and r.json()["errorCode"] == "AUTHN_AUTH_FAIL"
    assert oneview.password not in r.text
    r = client.get("/rest/server-hardware")
    assert r.status_code == 401 and r.json()["errorCode"] == "AUTHORIZATION"


def test_every_call_needs_a_supported_api_version(ov):
    assert ov.get("/rest/enclosures", headers={"X-API-Version": ""}).status_code == 400
    r = ov.http.get("/rest/enclosures", headers={"Auth": ov.headers["Auth"]})
    assert r.status_code == 400 and r.json()["errorCode"] == "MISSING_API_VERSION"
    r = ov.get("/rest/enclosures", headers={"X-API-Version": str(CURRENT_VERSION + 200)})
    assert r.status_code == 400 and r.json()["errorCode"] == "UNSUPPORTED_API_VERSION"
    assert ov.get("/rest/enclosures", headers={"X-API-Version": "800"}).status_code == 200
    assert ov.emu.versions[800] == 1


def test_sessions_expire_idle_on_demand_and_at_logout(ov):
    assert ov.get("/rest/enclosures").status_code == 200
    ov.emu.expire_sessions()
    r = ov.get("/rest/enclosures")
    assert r.status_code == 401 and r.json()["errorCode"] == "AUTHORIZATION"
    ov.login()
    ov.emu.session_timeout = 0.1
    time.sleep(0.2)
    assert ov.get("/rest/enclosures").status_code == 401
    ov.emu.session_timeout = 3600
    ov.login()
    assert ov.call("DELETE", "/rest/login-sessions").status_code == 204
    assert ov.get("/rest/enclosures").status_code == 401
    assert ov.emu.logins == 3


def test_the_certificate_is_only_trusted_with_its_ca_file(oneview):
    with pytest.raises(httpx.ConnectError), httpx.Client(trust_env=False) as plain:
        plain.get(f"{oneview.url}/rest/version")


def test_a_busy_appliance_answers_503_with_retry_after_until_it_is_done(ov):
    ov.emu.set_busy(30)
    r = ov.get("/rest/server-hardware")
    assert r.status_code == 503 and 29 <= int(r.headers["Retry-After"]) <= 31
    assert ov.emu.refusals["SERVICE_UNAVAILABLE"] == 1
    ov.emu.set_busy(0)
    assert ov.get("/rest/server-hardware").status_code == 200


def test_a_restart_keeps_the_state_and_drops_the_sessions(ov):
    hw = ov.emu.hardware("enc-a1/5")
    ov.emu.restart()
    assert ov.get(hw["uri"]).status_code == 401
    ov.login()
    assert ov.get(hw["uri"]).json()["eTag"] == hw["eTag"]


# --- collections: paging and filters --------------------------------------------------


def test_pages_are_capped_and_linked_so_a_client_following_next_gets_all(ov):
    ov.emu.page_size = 3
    r = ov.get("/rest/server-hardware", params={"count": 100})
    page = r.json()
    assert (page["count"], page["total"], page["start"], page["prevPageUri"]) == (3, 20, 0, None)
    assert page["type"].endswith("List") and page["nextPageUri"].startswith("/rest/server-hardware?")
    everything = ov.all("/rest/server-hardware")
    assert len({m["uri"] for m in everything}) == 20
    second = ov.get(page["nextPageUri"]).json()
    assert second["start"] == 3 and second["prevPageUri"] is not None


def test_filters_select_what_the_driver_asks_for_and_survive_paging(ov):
    ov.emu.page_size = 2
    [hw] = ov.all("/rest/server-hardware", filter="name='enc-a1, bay 1'")
    [prof] = ov.all("/rest/server-profiles", filter=f"serverHardwareUri='{hw['uri']}'")
    assert prof["name"] == "web-001" and hw["serverProfileUri"] == prof["uri"]
    group = hw["serverGroupUri"]
    both = ov.all("/rest/server-hardware", filter=f"\"serverGroupUri='{group}' AND powerState='Off'\"")
    assert len(both) == 16 - 4 and all(m["powerState"] == "Off" for m in both)
    assert len(ov.all("/rest/server-hardware", filter=["powerState='On'", "name matches 'enc-a1%'"])) == 2
    assert len(ov.all("/rest/server-profiles", filter="serverHardwareUri=null")) == 1
    r = ov.get("/rest/server-hardware", params={"filter": "name is enc-a1"})
    assert r.status_code == 400 and r.json()["errorCode"] == "INVALID_FILTER"


def test_a_thousand_bays_are_cheap_to_build_and_to_page_through(tmp_path, oneview_tls):
    started = time.perf_counter()
    with OneViewEmulator(tmp_path, large_spec(1000), page_size=500, tls=oneview_tls) as emu:
        client = Ov(emu)
        hardware = client.all("/rest/server-hardware", count=500)
        profiles = client.all("/rest/server-profiles", count=500)
        client.http.close()
    assert (len(hardware), len(profiles)) == (1000, 750)
    assert time.perf_counter() - started < 10


# --- tasks and power ----------------------------------------------------------------


def test_a_power_task_progresses_over_time_then_completes(ov):
    ov.emu.durations["graceful-off"] = 1.0
    hw = ov.emu.hardware("enc-a1/1")
    r = ov.power(hw["uri"], "Off")
    assert r.status_code == 202 and r.json()["taskState"] == "New"
    task_uri = r.headers["Location"]
    assert r.json()["uri"] == task_uri
    seen = []
    while True:
        power = ov.emu.hardware(hw["uri"])["powerState"]  # read before the task: if the
        task = ov.get(task_uri).json()  # task still runs after it, the blade was not off yet
        if task["taskState"] != "Running" and seen:
            break
        seen.append(task["percentComplete"])
        if task["taskState"] in ("New", "Running"):
            assert power in ("On", "PoweringOff")
        time.sleep(0.05)
    assert task["taskState"] == "Completed" and task["percentComplete"] == 100
    assert len(set(seen)) > 2 and seen == sorted(seen) and seen[-1] < 100
    assert task["associatedResource"]["resourceUri"] == hw["uri"]
    assert ov.get(hw["uri"]).json()["powerState"] == "Off"
    [listed] = ov.all("/rest/tasks", filter=f"associatedResource.resourceUri='{hw['uri']}'")
    assert listed["uri"] == task_uri


def test_a_hung_os_never_finishes_a_graceful_off_and_press_and_hold_forces_it(ov):
    hw = ov.emu.hardware("enc-a1/2")
    ov.emu.hang_os(hw["name"])
    graceful = ov.power(hw["uri"], "Off").headers["Location"]
    time.sleep(0.3)
    assert ov.get(graceful).json()["taskState"] == "Running"
    forced = ov.wait(ov.power(hw["uri"], "Off", "PressAndHold").headers["Location"])
    assert forced["taskState"] == "Completed"
    assert ov.get(graceful).json()["taskState"] == "Interrupted"
    assert ov.emu.hardware(hw["uri"])["powerState"] == "Off"
    on = ov.wait(ov.power(hw["uri"], "On").headers["Location"])
    assert on["taskState"] == "Completed" and ov.emu.hardware(hw["uri"])["powerState"] == "On"


def test_power_requests_the_appliance_refuses_or_fails(ov):
    hw = ov.emu.hardware("enc-a1/3")
    assert ov.power(hw["uri"], "Sideways").status_code == 400
    assert ov.power(hw["uri"], "On", "PressAndHold").json()["errorCode"] == "InvalidPowerControl"
    ov.emu.set_power(hw["uri"], "Unknown")
    task = ov.wait(ov.power(hw["uri"], "On").headers["Location"])
    assert task["taskState"] == "Error" and task["taskErrors"][0]["errorCode"] == "PowerStateUnknown"
    assert ov.emu.hardware(hw["uri"])["powerState"] == "Unknown"
    ov.emu.set_power(hw["uri"], "Off")
    ov.emu.fail_next_task(hw["name"], "PowerOnFailed", "The blade did not power on.")
    task = ov.wait(ov.power(hw["uri"], "On").headers["Location"])
    assert task["taskErrors"][0]["message"] == "The blade did not power on."
    assert ov.wait(ov.power(hw["uri"], "On").headers["Location"])["taskState"] == "Completed"
    assert ov.emu.puts_to(hw["name"]) == 5


# --- server profiles ----------------------------------------------------------------


def identities(profile: dict) -> list[tuple]:
    return [profile["serialNumber"]] + [
        (c["id"], c["mac"], c["wwpn"], c["wwnn"]) for c in profile["connectionSettings"]["connections"]
    ]


def power_off(ov: Ov, *names: str) -> None:
    for name in names:
        uri = ov.emu.hardware(name)["uri"]
        assert ov.wait(ov.power(uri, "Off", "PressAndHold").headers["Location"])["taskState"] == "Completed"


def test_a_profile_moves_only_when_both_blades_are_off_and_keeps_its_identities(ov):
    prof = ov.get(ov.emu.profile("web-001")["uri"]).json()
    source, target = ov.emu.hardware("enc-a1/1"), ov.emu.hardware("enc-a1/3")
    ov.wait(ov.power(target["uri"], "On").headers["Location"])
    r = ov.move(prof, target["uri"])
    assert r.status_code == 400 and r.json()["errorCode"] == "PowerStateOnOrUnknown"
    assert source["name"] in r.json()["message"]
    power_off(ov, "enc-a1/1")
    assert ov.move(prof, target["uri"]).json()["errorCode"] == "PowerStateOnOrUnknown"
    power_off(ov, "enc-a1/3")
    prof = ov.get(prof["uri"]).json()
    ov.emu.durations["profile"] = 1.0
    r = ov.move(prof, target["uri"])
    assert r.status_code == 202
    assert ov.move(prof, target["uri"]).status_code in (409, 412)  # no second task while one runs
    assert ov.power(target["uri"], "On").status_code == 409
    task = ov.wait(r.headers["Location"])
    assert task["taskState"] == "Completed" and task["associatedResource"]["resourceUri"] == prof["uri"]
    moved = ov.get(prof["uri"]).json()
    assert moved["serverHardwareUri"] == target["uri"] and moved["enclosureBay"] == 3
    assert identities(moved) == identities(prof) and moved["eTag"] != prof["eTag"]
    assert ov.get(target["uri"]).json()["serverProfileUri"] == prof["uri"]
    assert ov.get(target["uri"]).json()["virtualSerialNumber"] == prof["serialNumber"]
    assert ov.get(source["uri"]).json()["serverProfileUri"] is None
    assert len(ov.emu.tasks_for("web-001")) == 1


def test_the_target_must_be_free_of_the_same_type_and_enclosure_group(ov):
    power_off(ov, "enc-a1/1", "enc-a1/2")
    prof = ov.emu.profile("web-001")
    cases = {
        "enc-a1/2": "ProfileAlreadyExistsInServer",
        "enc-a1/8": "InvalidServerHardwareType",
        "enc-b1/4": "InvalidEnclosureGroup",
    }
    for bay, code in cases.items():
        r = ov.move(prof, ov.emu.hardware(bay)["uri"])
        assert (r.status_code, r.json()["errorCode"]) == (400, code), bay
    assert ov.move(prof, "/rest/server-hardware/NOPE").json()["errorCode"] == "InvalidServerHardwareUri"
    assert ov.emu.tasks_for("web-001") == [] and ov.emu.profile("web-001") == prof


def test_a_stale_etag_is_refused_with_412(ov):
    power_off(ov, "enc-a1/1")
    prof = ov.emu.profile("web-001")
    ov.emu.change_profile_outside("web-001", description="edited in the OneView console")
    target = ov.emu.hardware("enc-a1/4")["uri"]
    r = ov.move(prof, target)
    assert r.status_code == 412 and r.json()["errorCode"] == "PRECONDITION_FAILED"
    fresh = ov.emu.profile("web-001")
    assert ov.move(fresh, target, headers={"If-Match": prof["eTag"]}).status_code == 412
    assert ov.move(fresh, target, headers={"If-Match": fresh["eTag"]}).status_code == 202


def test_a_failed_profile_task_leaves_the_profile_where_it_was(ov):
    power_off(ov, "enc-a1/1")
    ov.emu.fail_next_task("web-001", "ProfileApplyFailed", "Unable to apply the profile to the blade.")
    prof = ov.emu.profile("web-001")
    source, target = ov.emu.hardware("enc-a1/1"), ov.emu.hardware("enc-a1/4")
    task = ov.wait(ov.move(prof, target["uri"]).headers["Location"])
    assert task["taskState"] == "Error"
    assert task["taskErrors"][0]["errorCode"] == "ProfileApplyFailed"
    after = ov.emu.profile("web-001")
    assert after["serverHardwareUri"] == source["uri"] and after["inProgress"] is False
    assert ov.emu.hardware(source["uri"])["serverProfileUri"] == prof["uri"]
    assert ov.emu.hardware(target["uri"])["serverProfileUri"] is None
    again = ov.wait(ov.move(after, target["uri"]).headers["Location"])
    assert again["taskState"] == "Completed" and len(ov.emu.tasks_for("web-001")) == 2


def test_unassigning_needs_the_blade_off_and_physical_identities_follow_the_blade(ov):
    legacy = ov.emu.profile("legacy-001")
    assert ov.move(legacy, None).json()["errorCode"] == "PowerStateOnOrUnknown"
    power_off(ov, "enc-a2/2")
    assert ov.wait(ov.move(legacy, None).headers["Location"])["taskState"] == "Completed"
    parked = ov.emu.profile("legacy-001")
    assert parked["serverHardwareUri"] is None and parked["serialNumber"] is None
    assert ov.emu.hardware("enc-a2/2")["serverProfileUri"] is None
    target = ov.emu.hardware("enc-a2/3")
    assert ov.wait(ov.move(parked, target["uri"]).headers["Location"])["taskState"] == "Completed"
    placed = ov.emu.profile("legacy-001")
    assert placed["serialNumber"] == target["serialNumber"]
    macs = [p["mac"] for p in target["portMap"]["deviceSlots"][0]["physicalPorts"] if "mac" in p]
    assert placed["connectionSettings"]["connections"][0]["mac"] == macs[0]
    assert identities(placed) != identities(legacy)


def test_a_put_edits_what_it_may_and_never_the_identities(ov):
    prof = ov.emu.profile("db-001")
    body = {**prof, "name": "db-001-renamed"}
    body["connectionSettings"] = {
        "connections": [
            {**c, "mac": "00:00:00:00:00:01", "networkUri": ov.emu.find("mgmt")["uri"]} if c["id"] == 1 else c
            for c in prof["connectionSettings"]["connections"]
        ]
    }
    assert ov.wait(ov.put(prof["uri"], body).headers["Location"])["taskState"] == "Completed"
    after = ov.get(prof["uri"]).json()
    assert after["name"] == "db-001-renamed" and identities(after) == identities(prof)
    assert after["connectionSettings"]["connections"][0]["networkUri"] == ov.emu.find("mgmt")["uri"]


def test_a_profile_changed_or_made_in_the_console_shows_on_the_api(ov):
    before = ov.get(ov.emu.profile("web-002")["uri"]).json()
    ov.emu.change_profile_outside("web-002", mutate=lambda p: p["boot"].update(order=["PXE"]))
    after = ov.get(before["uri"]).json()
    assert after["boot"]["order"] == ["PXE"] and after["eTag"] != before["eTag"]
    spare = ov.emu.hardware("enc-a3/4")
    made = ov.emu.create_profile_outside("console-made", "enc-a3/4")
    assert ov.get(spare["uri"]).json()["serverProfileUri"] == made["uri"]
    assert made["connectionSettings"]["connections"][0]["mac"] not in {
        c["mac"]
        for p in ov.all("/rest/server-profiles")
        if p["name"] != "console-made"
        for c in p["connectionSettings"]["connections"]
    }
    ov.emu.change_profile_outside("console-made", serverHardwareUri=None)
    assert ov.get(spare["uri"]).json()["serverProfileUri"] is None


# --- labels, alerts, backups -----------------------------------------------------------


def test_labels_mark_a_resource_and_find_it_again(ov):
    spare = ov.emu.hardware("enc-a3/2")
    r = ov.call(
        "POST",
        "/rest/labels/resources",
        json={"resourceUri": spare["uri"], "labels": [{"name": "bayops-spare"}]},
    )
    assert r.status_code == 200 and [lab["name"] for lab in r.json()["labels"]] == ["bayops-spare"]
    got = ov.get(f"/rest/labels/resources/{spare['uri']}").json()  # the SDK's double slash
    assert got["resourceUri"] == spare["uri"] and got["labels"][0]["uri"].startswith("/rest/labels/")
    found = ov.all("/rest/index/resources", category="server-hardware", query="labels='bayops-spare'")
    assert [f["uri"] for f in found] == [spare["uri"]]
    ov.put(f"/rest/labels/resources{spare['uri']}", {"resourceUri": spare["uri"], "labels": []})
    assert ov.emu.labels_of(spare["name"]) == []
    assert ov.all("/rest/index/resources", query="labels='bayops-spare'") == []


def test_an_alert_raised_on_a_blade_is_listed_active_and_sets_its_status(ov):
    hw = ov.emu.hardware("enc-a1/1")
    uri = ov.emu.raise_alert(hw["name"], "Critical", "Uncorrectable memory error in DIMM 4.")
    [alert] = ov.all("/rest/alerts", filter="\"alertState='Active'\"")
    assert (alert["uri"], alert["resourceUri"], alert["severity"]) == (uri, hw["uri"], "Critical")
    assert ov.get(hw["uri"]).json()["status"] == "Critical"
    alert = ov.get(uri).json()
    assert ov.put(uri, {"alertState": "Cleared", "eTag": alert["eTag"]}).status_code == 200
    assert ov.all("/rest/alerts", filter="alertState='Active'") == []
    assert ov.get(hw["uri"]).json()["status"] == "OK"


def test_a_backup_is_a_task_that_leaves_the_one_backup_the_appliance_keeps(ov):
    for _ in range(2):
        r = ov.call("POST", "/rest/backups")
        assert r.status_code == 202 and ov.wait(r.headers["Location"])["taskState"] == "Completed"
    [backup] = ov.all("/rest/backups")
    assert backup["status"] == "Succeeded" and backup["uri"] == r.json()["associatedResource"]["resourceUri"]
    assert ov.get("/rest/appliance/nodeinfo/version").json()["softwareVersion"].startswith("6.60")


# --- logical interconnects and their group --------------------------------------------


def li_named(ov: Ov, enclosure: str) -> dict:
    [li] = ov.all("/rest/logical-interconnects", filter=f"name='LE-{enclosure}-LIG-A'")
    return li


def test_an_edit_on_one_li_makes_it_inconsistent_until_it_is_updated_from_its_group(ov):
    li = li_named(ov, "enc-a1")
    assert li["consistencyStatus"] == "CONSISTENT"
    mgmt = ov.emu.find("mgmt")["uri"]
    prod = ov.emu.find("prod-a")["uri"]
    done = ov.wait(ov.put(f"{li['uri']}/internalNetworks", [mgmt, prod]).headers["Location"])
    assert done["taskState"] == "Completed"
    edited = ov.get(li["uri"]).json()
    assert edited["internalNetworkUris"] == [mgmt, prod] and edited["consistencyStatus"] == "NOT_CONSISTENT"
    assert li_named(ov, "enc-a2")["consistencyStatus"] == "CONSISTENT"
    spp = ov.emu.find("SPP 2024.01.0")["uri"]
    ov.wait(ov.put(f"{li['uri']}/firmware", {"command": "Update", "sppUri": spp}).headers["Location"])
    assert ov.get(f"{li['uri']}/firmware").json()["sppName"] == "SPP 2024.01.0"
    assert ov.put(f"{li['uri']}/internalNetworks", ["/rest/ethernet-networks/nope"]).status_code == 400
    ov.wait(ov.put(f"{li['uri']}/compliance", None).headers["Location"])
    back = ov.get(li["uri"]).json()
    assert (
        back["consistencyStatus"] == "CONSISTENT" and back["internalNetworkUris"] == li["internalNetworkUris"]
    )


def test_a_group_update_needs_its_etag_and_leaves_members_to_be_brought_to_it(ov):
    lig = ov.get(ov.emu.find("LIG-A")["uri"]).json()
    settings = {**lig["ethernetSettings"], "igmpSnooping": True}
    stale = {**lig, "eTag": "0", "ethernetSettings": settings}
    assert ov.put(lig["uri"], stale).status_code == 412
    task = ov.wait(ov.put(lig["uri"], {**lig, "ethernetSettings": settings}).headers["Location"])
    assert task["taskState"] == "Completed"
    members = [li_named(ov, enc) for enc in ("enc-a1", "enc-a2", "enc-a3")]
    assert {m["consistencyStatus"] for m in members} == {"NOT_CONSISTENT"}
    assert li_named(ov, "enc-a1")["ethernetSettings"]["igmpSnooping"] is False
    ov.emu.fail_next_task(members[1]["name"], "InterconnectUpdateFailed", "Interconnect 2 did not answer.")
    results = [ov.wait(ov.put(f"{m['uri']}/compliance", None).headers["Location"]) for m in members]
    assert [r["taskState"] for r in results] == ["Completed", "Error", "Completed"]
    assert results[1]["taskErrors"][0]["message"] == "Interconnect 2 did not answer."
    statuses = [li_named(ov, enc)["consistencyStatus"] for enc in ("enc-a1", "enc-a2", "enc-a3")]
    assert statuses == ["CONSISTENT", "NOT_CONSISTENT", "CONSISTENT"]
    assert ov.emu.puts_to(members[1]["name"]) == 1


def test_a_profile_leaves_a_blade_whose_ilo_is_gone_only_when_forced(ov):
    ov.emu.set_power("enc-a1/1", "Unknown")
    prof = ov.emu.profile("web-001")
    target = ov.emu.hardware("enc-a1/5")["uri"]
    assert ov.move(prof, target).json()["errorCode"] == "PowerStateOnOrUnknown"
    r = ov.move(prof, target, params={"force": "true"})
    assert ov.wait(r.headers["Location"])["taskState"] == "Completed"
    moved = ov.emu.profile("web-001")
    assert moved["serverHardwareUri"] == target and identities(moved) == identities(prof)


def test_a_synergy_frame_e_fuses_a_device_bay_and_a_c7000_refuses_to(ov):
    def efuse(enclosure: str, bay: int) -> httpx.Response:
        op = {"op": "replace", "path": f"/deviceBays/{bay}/bayPowerState", "value": "E-Fuse"}
        return ov.call("PATCH", ov.emu.resource("enclosures", enclosure)["uri"], json=[op])

    r = efuse("enc-a1", 1)
    assert r.status_code == 400 and r.json()["errorCode"] == "UNSUPPORTED_OPERATION"
    assert ov.emu.hardware("enc-a1/1")["powerState"] == "On"
    assert ov.wait(efuse("enc-b1", 1).headers["Location"])["taskState"] == "Completed"
    assert ov.emu.hardware("enc-b1/1")["powerState"] == "Off"  # power cut, the iLO back
    ov.emu.set_power("enc-b1/3", "Unknown")
    assert ov.wait(efuse("enc-b1", 3).headers["Location"])["taskState"] == "Completed"
    assert ov.emu.hardware("enc-b1/3")["powerState"] == "Unknown"  # a dead iLO stays silent


def test_force_never_lets_a_profile_leave_a_blade_that_reads_on(ov):
    prof = ov.emu.profile("web-001")
    for flags in ("true", "all", "ignoreServerHealth,ignoreSANWarnings"):
        r = ov.move(prof, None, params={"force": flags})
        assert r.json()["errorCode"] == "PowerStateOnOrUnknown"
    assert ov.emu.profile("web-001")["serverHardwareUri"] == ov.emu.hardware("enc-a1/1")["uri"]


def test_task_seconds_sum_what_the_appliance_spent(ov):
    ov.emu.durations.update({"power-off": 0.2, "power-on": 0.1})
    uri = ov.emu.hardware("enc-a3/1")["uri"]
    ov.wait(ov.power(uri, "On").headers["Location"])
    ov.wait(ov.power(uri, "Off", "PressAndHold").headers["Location"])
    assert ov.emu.task_seconds() == pytest.approx(0.3)
    assert ov.emu.task_seconds(("power-off",)) == pytest.approx(0.2)


def test_an_lis_uplink_sets_are_resources_whose_fc_networks_must_exist(ov):
    li = li_named(ov, "enc-a1")
    mine = ov.all("/rest/uplink-sets", filter=f"logicalInterconnectUri='{li['uri']}'")
    fc = [s for s in mine if s["networkType"] == "FibreChannel"]
    assert sorted(ov.emu.find(s["fcNetworkUris"][0])["name"] for s in fc) == ["fabric-a", "fabric-b"]
    assert all(s["networkUris"] == [] for s in fc)
    body = {"name": "san-x", "logicalInterconnectUri": li["uri"], "networkType": "FibreChannel",
            "networkUris": [], "fcNetworkUris": ["/rest/fc-networks/nope"]}
    r = ov.call("POST", "/rest/uplink-sets", json=body)
    assert r.status_code == 400 and r.json()["errorCode"] == "INVALID_FC_NETWORK_URI"
    two = [ov.emu.find("fabric-a")["uri"], ov.emu.find("fabric-b")["uri"]]
    r = ov.call("POST", "/rest/uplink-sets", json={**body, "fcNetworkUris": two})
    assert r.status_code == 400 and r.json()["errorCode"] == "INVALID_FC_UPLINK_SET"
    new = ov.emu.create_fc_network("fabric-c")
    made = ov.call("POST", "/rest/uplink-sets", json={**body, "fcNetworkUris": [new]})
    task = ov.wait(made.headers["Location"])
    assert task["taskState"] == "Completed"
    assert li_named(ov, "enc-a1")["consistencyStatus"] == "NOT_CONSISTENT"  # its group has no fabric-c
    made = next(s for s in ov.all("/rest/uplink-sets") if s["name"] == "san-x")
    assert ov.put(made["uri"], {**made, "eTag": "0"}).status_code == 412
    ov.wait(ov.call("DELETE", made["uri"]).headers["Location"])
    assert ov.get(made["uri"]).status_code == 404
    assert li_named(ov, "enc-a1")["consistencyStatus"] == "CONSISTENT"
    lig = ov.get(ov.emu.find("LIG-A")["uri"]).json()
    bad = [*lig["uplinkSets"], {"name": "san-y", "networkType": "FibreChannel",
                                "networkUris": ["/rest/fc-networks/nope"], "logicalPortConfigInfos": []}]
    r = ov.put(lig["uri"], {**lig, "uplinkSets": bad})
    assert r.status_code == 400 and r.json()["errorCode"] == "INVALID_FC_NETWORK_URI"


def test_the_firmware_baseline_is_the_logical_enclosures_and_neither_lig_nor_li_lists_invented_parts(ov):
    lig = ov.get(ov.emu.find("LIG-A")["uri"]).json()
    li = li_named(ov, "enc-a1")
    assert "firmware" not in lig and "firmware" not in li and "uplinkSets" not in li
    spp = ov.emu.find("SPP 2024.01.0")["uri"]
    # a LIG PUT carrying a firmware baseline: the field is not the LIG's and is not kept
    body = {**lig, "firmware": {"firmwareBaselineUri": spp}}
    assert ov.wait(ov.put(lig["uri"], body).headers["Location"])["taskState"] == "Completed"
    assert "firmware" not in ov.get(lig["uri"]).json()
    assert li_named(ov, "enc-a1")["consistencyStatus"] == "CONSISTENT"
    assert ov.put(f"{li['uri']}/uplinkSets", []).status_code == 404  # restore goes to /rest/uplink-sets

    le = ov.get(ov.emu.find("LE-enc-a1")["uri"]).json()
    assert le["firmware"]["firmwareBaselineUri"] == ov.emu.find("SPP 2023.03.0")["uri"]
    value = {"firmwareBaselineUri": spp, "firmwareUpdateOn": "SharedInfrastructureOnly",
             "forceInstallFirmware": False}
    patch = [{"op": "replace", "path": "/firmware", "value": value}]
    assert ov.call("PATCH", le["uri"], json=patch, headers={"If-Match": "0"}).status_code == 412
    wrong = [{"op": "replace", "path": "/name", "value": "x"}]
    assert ov.call("PATCH", le["uri"], json=wrong).json()["errorCode"] == "INVALID_PATCH_REQUEST"
    r = ov.call("PATCH", le["uri"], json=patch, headers={"If-Match": le["eTag"]})
    task = ov.wait(r.headers["Location"])
    assert task["taskState"] == "Completed" and task["associatedResource"]["resourceUri"] == le["uri"]
    assert ov.get(le["uri"]).json()["firmware"]["firmwareBaselineUri"] == spp
    assert ov.get(f"{li['uri']}/firmware").json()["sppName"] == "SPP 2024.01.0"
    assert {ov.emu.resource("interconnects", f"enc-a1, interconnect {b}")["firmwareVersion"]
            for b in (1, 2)} == {"2024.01.0"}
    # EnclosureOnly sets the baseline and leaves the interconnects as they are
    other = ov.emu.find("LE-enc-a2")
    only = [{"op": "replace", "path": "/firmware", "value": {**value, "firmwareUpdateOn": "EnclosureOnly"}}]
    ov.wait(ov.call("PATCH", other["uri"], json=only).headers["Location"])
    assert ov.get(other["uri"]).json()["firmware"]["firmwareBaselineUri"] == spp
    assert ov.get(f"{li_named(ov, 'enc-a2')['uri']}/firmware").json()["sppName"] == "SPP 2023.03.0"
