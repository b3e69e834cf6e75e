"""A small stateful Redfish service (stdlib http.server in a thread) with vendor quirks.

Each quirk is a behaviour seen on real BMCs, switched on by name:

- ``etag``: GETs carry an ETag; a PATCH without If-Match gets 428, and the first PATCH
  with a current one gets 412 as if someone else had just changed the resource.
- ``once``: BootSourceOverrideEnabled allows only Once (Continuous is refused with 400);
  a boot uses the override up.
- ``location``: session logins (HTTP basic refused) answer with an absolute Location
  naming the BMC by host name (``localhost``) and explicit port.
- ``settings``: the system's Boot is read-only; changes go to its ``@Redfish.Settings``
  object and take effect at the next boot.
- ``paging``: every collection answers one member per page with Members@odata.nextLink.
- ``task``: a Boot PATCH and a Reset answer 202 with a task monitor that runs once, then
  completes.
- ``busy``: the first request of each method to each path answers 429 Retry-After: 1.
- ``no-boot``: a Boot PATCH to system 3 is refused with 405 (boot configuration locked).
- ``conditions``: system 1 is Warning with Status.Conditions.
- ``drops`` (Supermicro): system 3 accepts a Continuous override and keeps it until
  power-on, then drops it at boot (Disabled, target None) and boots its local disk.
- ``pending`` (Lenovo SE450): ``@Redfish.Settings`` points at ``Pending``, which holds
  only BootOrder; an override PATCHed there is refused (400 read-only).
- ``settings-only`` (an iDRAC 10 variant): the system shows no BootSourceOverride*;
  its settings object does, and what is staged there decides the next boot.
- ``jobqueue`` (Dell, with ``settings``): the settings object advertises apply times;
  a change without ``@Redfish.SettingsApplyTime`` is queued and applied only by a
  configuration job (POST to the manager's Oem Dell Jobs with TargetSettingsURI); with
  it the PATCH answers 202 with a job. A job stays Scheduled until the boot runs it.
- ``weak-etag`` (Lenovo XCC): ETags are weak, but If-Match matches only the strong form.
- ``anonymous`` (stock OpenBMC): no Model, Manufacturer, SerialNumber or UUID.
- ``nics-system`` (older iDRAC): addresses under Systems/n/NetworkInterfaces, none
  under the chassis.
- ``hpe-base`` (HPE iLO 5): addresses only in the OEM BaseNetworkAdapters (read-only).
- ``bios-mode``: no BootSourceOverrideMode; the BIOS attribute BootMode says Uefi.
- ``sys518`` (Dell): the first Reset On answers 500 SYS518 (iDRAC reloading) yet acts.

The server records what a test asserts on: every Reset and what each system booted from
(``boots``), logins and session deletes, the 412/428/429 answers it gave.
"""

from __future__ import annotations

import copy
import itertools
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

USER, PASSWORD = "ops", "Quirk-pa55-9z"
MODEL = "ProLiant BL460c Gen10"
ROOT = "/redfish/v1"


def _merge(into: dict, patch: dict) -> None:
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


class QuirkBmc:
    def __init__(self, quirks: set[str], systems: int = 4) -> None:
        self.quirks = set(quirks)
        self.lock = threading.Lock()
        self.resources: dict[str, dict[str, Any]] = {}
        self.versions: dict[str, int] = {}
        self.boots: dict[str, list[str]] = {}  # system id -> what each boot booted from
        self.resets: list[tuple[str, str]] = []
        self.sessions: dict[str, str] = {}  # token -> session path
        self.logins = self.deletes = 0
        self.answered: list[tuple[int, str, str]] = []  # (status, method, path) of quirk answers
        self.stale_given: set[str] = set()
        self.busy_given: set[tuple[str, str]] = set()
        self.pending_settings: dict[str, dict[str, Any]] = {}
        self.tasks: dict[str, int] = {}  # task monitor -> polls so far
        self.task_words: dict[str, str] = {}  # task monitor -> its message once completed
        self.jobs: dict[str, dict[str, Any]] = {}  # Dell job -> its body
        self.queued: dict[str, dict[str, Any]] = {}  # system -> Boot waiting for a Dell job
        self.sys518_given = False
        self._ids = itertools.count(1)
        self.members: dict[str, list[str]] = {}
        self._build(systems)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # ------------------------------------------------------------------ resources
    def _build(self, systems: int) -> None:
        root: dict[str, Any] = {"@odata.id": ROOT + "/", "Systems": {"@odata.id": ROOT + "/Systems"},
                                "Chassis": {"@odata.id": ROOT + "/Chassis"}}
        if "location" in self.quirks:
            root["SessionService"] = {"@odata.id": ROOT + "/SessionService"}
            root["Links"] = {"Sessions": {"@odata.id": ROOT + "/SessionService/Sessions"}}
        self.resources[ROOT] = root
        self.members[ROOT + "/Systems"] = []
        self.members[ROOT + "/Chassis"] = []
        for n in range(1, systems + 1):
            self._system(str(n))

    def _system(self, n: str) -> None:
        path = f"{ROOT}/Systems/{n}"
        boot: dict[str, Any] = {
            "BootSourceOverrideEnabled": "Disabled", "BootSourceOverrideTarget": "None",
            "BootSourceOverrideTarget@Redfish.AllowableValues": ["None", "Pxe", "Hdd", "Cd"],
            "BootSourceOverrideMode": "UEFI",
            "BootSourceOverrideMode@Redfish.AllowableValues": ["Legacy", "UEFI"],
        }
        if "once" in self.quirks:
            boot["BootSourceOverrideEnabled@Redfish.AllowableValues"] = ["Once", "Disabled"]
        if "bios-mode" in self.quirks:
            del boot["BootSourceOverrideMode"], boot["BootSourceOverrideMode@Redfish.AllowableValues"]
        system: dict[str, Any] = {
            "@odata.id": path, "Id": n, "Name": f"Blade {n}", "Model": MODEL,
            "Manufacturer": "HPE", "SerialNumber": f"CZ300{n}", "PowerState": "Off",
            "Status": {"State": "Enabled", "Health": "OK"}, "Boot": boot,
            "Actions": {"#ComputerSystem.Reset": {
                "target": f"{path}/Actions/ComputerSystem.Reset",
                "ResetType@Redfish.AllowableValues": ["On", "ForceOff", "GracefulShutdown",
                                                      "ForceRestart"]}},
            "Links": {"Chassis": [{"@odata.id": f"{ROOT}/Chassis/{n}"}]},
        }
        if "conditions" in self.quirks and n == "1":
            system["Status"] = {"State": "Enabled", "Health": "Warning", "Conditions": [
                {"Message": "Fan 3 redundancy lost", "Severity": "Warning"}]}
        if "settings" in self.quirks or "settings-only" in self.quirks:
            system["@Redfish.Settings"] = {"SettingsObject": {"@odata.id": f"{path}/Settings"}}
            self.resources[f"{path}/Settings"] = {"@odata.id": f"{path}/Settings",
                                                  "Boot": copy.deepcopy(boot)}
        if "settings-only" in self.quirks:
            system["Boot"] = {"BootOrder": ["Disk.1", "NIC.1"]}
        if "jobqueue" in self.quirks:
            system["@Redfish.Settings"]["SupportedApplyTimes"] = ["Immediate", "OnReset"]
            system["Links"]["ManagedBy"] = [{"@odata.id": f"{ROOT}/Managers/1"}]
            self.resources[f"{ROOT}/Managers/1"] = {"@odata.id": f"{ROOT}/Managers/1", "Links": {
                "Oem": {"Dell": {"Jobs": {"@odata.id": f"{ROOT}/Managers/1/Jobs"}}}}}
        if "pending" in self.quirks:
            system["@Redfish.Settings"] = {"SettingsObject": {"@odata.id": f"{path}/Pending"}}
            self.resources[f"{path}/Pending"] = {"@odata.id": f"{path}/Pending",
                                                 "Boot": {"BootOrder": ["Disk.1", "NIC.1"]}}
        if "anonymous" in self.quirks:
            for key in ("Model", "Manufacturer", "SerialNumber", "UUID"):
                system.pop(key, None)
        if "bios-mode" in self.quirks:
            system["Bios"] = {"@odata.id": f"{path}/Bios"}
            self.resources[f"{path}/Bios"] = {"@odata.id": f"{path}/Bios",
                                              "Attributes": {"BootMode": "Uefi"}}
        self.resources[path] = system
        self.members[ROOT + "/Systems"].append(path)
        self.boots[n] = []
        chassis = f"{ROOT}/Chassis/{n}"
        self.resources[chassis] = {"@odata.id": chassis}
        self.members[ROOT + "/Chassis"].append(chassis)
        mac, wwpn = f"00:17:a4:77:00:0{n}", f"50:01:43:80:00:00:00:0{n}"
        if "hpe-base" in self.quirks:
            base = f"{path}/BaseNetworkAdapters"
            system["Oem"] = {"Hpe": {"Links": {"NetworkAdapters": {"@odata.id": base}}}}
            self.members[base] = [f"{base}/1"]
            self.resources[f"{base}/1"] = {
                "@odata.id": f"{base}/1", "Name": "HPE FlexFabric 20Gb 2-port 650FLB",
                "PhysicalPorts": [{"MacAddress": mac}], "FcPorts": [{"WWPN": wwpn}]}
            return
        if "nics-system" in self.quirks:
            adapters = f"{path}/NetworkInterfaces"
            system["NetworkInterfaces"] = {"@odata.id": adapters}
        else:
            adapters = f"{chassis}/NetworkAdapters"
            self.resources[chassis]["NetworkAdapters"] = {"@odata.id": adapters}
        functions = f"{adapters}/1/NetworkDeviceFunctions"
        self.members[adapters] = [f"{adapters}/1"]
        self.resources[f"{adapters}/1"] = {"@odata.id": f"{adapters}/1",
                                           "NetworkDeviceFunctions": {"@odata.id": functions}}
        self.resources[f"{functions}/1"] = {
            "@odata.id": f"{functions}/1", "NetDevFuncType": "Ethernet",
            "Ethernet": {"MACAddress": mac, "PermanentMACAddress": mac}}
        self.resources[f"{functions}/2"] = {
            "@odata.id": f"{functions}/2", "NetDevFuncType": "FibreChannel",
            "FibreChannel": {"WWPN": wwpn, "PermanentWWPN": wwpn, "BootTargets": []}}
        self.members[functions] = [f"{functions}/1", f"{functions}/2"]

    def system(self, n: str) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self.resources[f"{ROOT}/Systems/{n}"])

    def etag(self, path: str) -> str:
        return f'W/"{self.versions.get(path, 0)}"'

    def _match(self, path: str, if_match: str | None) -> int | None:
        """The refusal an If-Match earns under ``etag`` or ``weak-etag``, None if it passes."""
        if "weak-etag" in self.quirks:
            if if_match is None:
                return 428
            return None if if_match == self.etag(path)[2:] else 412
        if "etag" not in self.quirks:
            return None
        if if_match is None:
            self.stale_given.add(path)  # one refusal per resource is enough
            return 428
        if if_match != self.etag(path):
            return 412
        if path not in self.stale_given:
            self.stale_given.add(path)
            self.versions[path] = self.versions.get(path, 0) + 1  # someone else wrote it
            return 412
        return None

    # ------------------------------------------------------------------ behaviour
    def _boot(self, n: str) -> None:
        """The system boots: staged settings apply, the override decides where from."""
        path = f"{ROOT}/Systems/{n}"
        system = self.resources[path]
        if "settings-only" in self.quirks:
            self.pending_settings.pop(path, None)
            boot = self.resources[f"{path}/Settings"]["Boot"]  # the override lives there
        else:
            if path in self.pending_settings:
                _merge(system["Boot"], self.pending_settings.pop(path))
            boot = system["Boot"]
        for job in self.jobs.values():
            if job["JobState"] == "Scheduled":
                job.update(JobState="Completed", Message="Job completed successfully.")
        if "drops" in self.quirks and n == "3" and boot["BootSourceOverrideEnabled"] == "Continuous":
            boot.update(BootSourceOverrideEnabled="Disabled", BootSourceOverrideTarget="None")
        if boot["BootSourceOverrideEnabled"] in ("Once", "Continuous"):
            self.boots[n].append(boot["BootSourceOverrideTarget"])
            if boot["BootSourceOverrideEnabled"] == "Once":
                boot["BootSourceOverrideEnabled"] = "Disabled"
        else:
            self.boots[n].append("local")
        system["PowerState"] = "On"

    def reset(self, path: str, reset_type: str) -> int:
        n = path.split("/")[4]
        system = self.resources[f"{ROOT}/Systems/{n}"]
        self.resets.append((n, reset_type))
        if reset_type in ("On", "ForceOn"):
            if system["PowerState"] != "On":
                self._boot(n)
        elif reset_type in ("ForceOff", "GracefulShutdown"):
            system["PowerState"] = "Off"
        elif reset_type == "ForceRestart":
            self._boot(n)
        else:
            return 400
        return 204

    def patch(self, path: str, body: dict[str, Any], if_match: str | None) -> tuple[int, dict]:
        resource = self.resources.get(path)
        if resource is None:
            return 404, {}
        refusal = self._match(path, if_match)
        if refusal == 428:
            return 428, _error("If-Match header is required for this resource")
        if refusal == 412:
            return 412, _error("ETag does not match the resource")
        boot = body.get("Boot")
        if boot is not None:
            if "settings" in self.quirks and not path.endswith("/Settings"):
                return 400, _error("Boot is read-only here; PATCH the settings object")
            if path.endswith("/Pending") and set(boot) - {"BootOrder"}:
                return 400, _error("BootSourceOverrideEnabled is a read only property")
            if "no-boot" in self.quirks and path == f"{ROOT}/Systems/3":
                return 405, _error("Boot configuration is locked by the system administrator")
            allowed = resource["Boot"].get("BootSourceOverrideEnabled@Redfish.AllowableValues")
            if allowed and boot.get("BootSourceOverrideEnabled") not in (None, *allowed):
                return 400, _error(f"Value {boot['BootSourceOverrideEnabled']} is not allowed")
        apply_time = body.pop("@Redfish.SettingsApplyTime", None)
        _merge(resource, body)
        self.versions[path] = self.versions.get(path, 0) + 1
        if path.endswith("/Settings") and "jobqueue" in self.quirks:
            if apply_time is None:
                self.queued[path[: -len("/Settings")]] = copy.deepcopy(resource["Boot"])
                return 204, {}  # queued: nothing applies it without a job or an apply time
            self.pending_settings[path[: -len("/Settings")]] = copy.deepcopy(resource["Boot"])
            return 202, {"Location": self.job()}
        if path.endswith("/Settings"):
            self.pending_settings[path[: -len("/Settings")]] = copy.deepcopy(resource["Boot"])
        if boot is not None and "task" in self.quirks:
            return 202, {"Location": self._task("Boot override settings updated")}
        return 204, {}

    def job(self) -> str:
        job = f"{ROOT}/Managers/1/Jobs/JID_{next(self._ids)}"
        self.jobs[job] = {"@odata.id": job, "JobState": "Scheduled",
                          "Message": "Task successfully scheduled."}
        return job

    def _task(self, words: str) -> str:
        task = f"{ROOT}/TaskService/TaskMonitors/{next(self._ids)}"
        self.tasks[task], self.task_words[task] = 0, words
        return task

    def task(self, path: str) -> tuple[int, dict[str, Any]]:
        polls = self.tasks[path] = self.tasks[path] + 1
        body = {"@odata.id": path, "TaskState": "Running" if polls < 2 else "Completed",
                "TaskStatus": "OK", "Messages": [{"Message": "Request queued"}]}
        if polls >= 2:
            body["Messages"] = [{"Message": self.task_words[path]}]
            return 200, body
        return 202, body

    # ------------------------------------------------------------------ HTTP
    def _handler(self) -> type[BaseHTTPRequestHandler]:
        bmc = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                if body is not None:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self) -> Any:
                length = int(self.headers.get("content-length") or 0)
                return json.loads(self.rfile.read(length)) if length else {}

            def _authorized(self) -> bool:
                if "location" in bmc.quirks:
                    return self.headers.get("x-auth-token") in bmc.sessions
                return self.headers.get("authorization") == httpx.BasicAuth(USER, PASSWORD)._auth_header

            def _handle(self, method: str) -> None:
                path, _, query = self.path.partition("?")
                path = path.rstrip("/") or "/"
                skip = int(query.split("$skip=")[1]) if "$skip=" in query else 0
                body = self._body() if method in ("POST", "PATCH") else None
                with bmc.lock:
                    if "busy" in bmc.quirks and (method, path) not in bmc.busy_given \
                            and path != ROOT:
                        bmc.busy_given.add((method, path))
                        bmc.answered.append((429, method, path))
                        return self._send(429, _error("Too many requests"), {"Retry-After": "1"})
                    if path == ROOT and method == "GET":
                        return self._send(200, bmc.resources[ROOT])
                    if path == ROOT + "/SessionService/Sessions" and method == "POST":
                        if body != {"UserName": USER, "Password": PASSWORD}:
                            return self._send(401, _error("Invalid credentials"))
                        bmc.logins += 1
                        token = f"qtok-{next(bmc._ids)}"
                        where = f"{ROOT}/SessionService/Sessions/{next(bmc._ids)}"
                        bmc.sessions[token] = where
                        return self._send(201, {"@odata.id": where}, {
                            "X-Auth-Token": token,
                            "Location": f"http://localhost:{bmc.port}{where}/"})
                    if not self._authorized():
                        return self._send(401, _error("Authentication required"))
                    status, answer, headers = bmc.route(method, path, body, self.headers, skip)
                    if status in (412, 428):
                        bmc.answered.append((status, method, path))
                    return self._send(status, answer, headers)

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

            def do_PATCH(self) -> None:
                self._handle("PATCH")

            def do_DELETE(self) -> None:
                self._handle("DELETE")

        return Handler

    def route(self, method: str, path: str, body: Any, headers: Any,
              skip: int = 0) -> tuple[int, Any, dict[str, str]]:
        if method == "DELETE" and path.startswith(ROOT + "/SessionService/Sessions/"):
            token = headers.get("x-auth-token")
            if self.sessions.get(token) == path:
                del self.sessions[token]
                self.deletes += 1
                return 204, None, {}
            return 404, _error("No such session"), {}
        if method == "POST" and path.endswith("/Actions/ComputerSystem.Reset"):
            status = self.reset(path, body.get("ResetType"))
            if "sys518" in self.quirks and not self.sys518_given and body.get("ResetType") == "On":
                self.sys518_given = True  # it acted, then failed the answer
                return 500, _error("SYS518: iDRAC is not ready. The configuration values cannot "
                                   "be accessed. Please retry after a few minutes."), {}
            if status < 300 and "task" in self.quirks:
                return 202, None, {"Location": self._task(f"{body['ResetType']} completed")}
            return status, None, {}
        if method == "PATCH":
            status, extra = self.patch(path, body, headers.get("if-match"))
            return status, (extra if status >= 400 else None), (extra if status == 202 else {})
        if method == "POST" and path == f"{ROOT}/Managers/1/Jobs" and "jobqueue" in self.quirks:
            system = str(body.get("TargetSettingsURI", "")).removesuffix("/Settings")
            if system not in self.queued:
                return 400, _error("No pending data present to create a Configuration job"), {}
            self.pending_settings[system] = self.queued.pop(system)
            return 200, None, {"Location": self.job()}
        if method == "GET" and path in self.jobs:
            return 200, self.jobs[path], {}
        if method == "GET" and path in self.tasks:
            status, task = self.task(path)
            return status, task, {}
        if method == "GET" and path in self.members:
            return 200, self._page(path, skip), {}
        if method == "GET" and path in self.resources:
            tagged = "etag" in self.quirks or "weak-etag" in self.quirks
            return 200, self.resources[path], {"ETag": self.etag(path)} if tagged else {}
        return 404, _error(f"{path} not found"), {}

    def _page(self, path: str, skip: int) -> dict[str, Any]:
        members = self.members[path]
        body: dict[str, Any] = {"@odata.id": path, "Members@odata.count": len(members)}
        if "paging" not in self.quirks:
            body["Members"] = [{"@odata.id": m} for m in members]
            return body
        body["Members"] = [{"@odata.id": m} for m in members[skip:skip + 1]]
        if skip + 1 < len(members):
            body["Members@odata.nextLink"] = f"{path}?$skip={skip + 1}"
        return body

    def start(self) -> QuirkBmc:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _error(message: str) -> dict[str, Any]:
    return {"error": {"code": "Base.1.0.GeneralError", "message": message,
                      "@Message.ExtendedInfo": [{"MessageId": "Base.1.0.GeneralError",
                                                 "Message": message}]}}
