"""The emulated OneView appliance: its state and the rules it enforces, without HTTP.

``Appliance.handle(method, path, query, headers, body)`` answers one REST call the way
the appliance does (tests/oneview/emulator.py puts it behind an HTTPS server). Every
call takes one lock, so the state is consistent between calls. Asynchronous work is a
task that progresses with the clock: ``tick()`` (run before every call and every handle
look-up) moves each pending task on and applies its effect when its time is up, so
nothing runs in the background.
"""

from __future__ import annotations

import copy
import re
import secrets
import threading
import time
import uuid as uuidlib
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from .common import ApiError, Reply, dump, now_iso, task_error
from .domain import DomainMixin
from .inventory import BASE_SPP, Builder, ProfileSpec, Spec, place_profile

EMU_USER = "Administrator"
EMU_PASSWORD = "Ov-emu-pa55word-3q9z"  # tests may assert it never shows up in a message
CURRENT_VERSION = 2400  # OneView 6.60
MINIMUM_VERSION = 120
PROFILE_EDITABLE = (
    "name",
    "description",
    "boot",
    "bootMode",
    "affinity",
    "serverHardwareTypeUri",
    "enclosureGroupUri",
)
CONNECTION_EDITABLE = ("name", "networkUri", "boot", "requestedMbps", "portId")
POWER_CONTROLS = ("MomentaryPress", "PressAndHold", "ColdBoot", "Reset")


@dataclass
class Task:
    resource: dict  # what GET /rest/tasks/{id} answers
    started: float
    duration: float | None  # None: never ends on its own (a hung OS ignoring a graceful off)
    effect: Callable[[], None]  # applied when it completes
    undo: Callable[[], None]  # applied when it ends in Error or is interrupted
    error: dict | None = None  # its taskErrors entry, when it is to fail


class Appliance(DomainMixin):
    """State and rules; the attributes below are the knobs the handle exposes."""

    def __init__(
        self,
        spec: Spec,
        *,
        task_delay: float = 0.05,
        page_size: int = 50,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.builder = Builder(spec)
        self.res = self.builder.build()
        self.task_delay = task_delay  # seconds a task takes unless durations names its kind
        self.durations: dict[str, float] = {}  # task kind -> seconds (see TASK_KINDS in emulator.py)
        self.page_size = page_size  # the most members one page holds, whatever count asks
        self.session_timeout = 24 * 3600.0  # idle seconds before a session expires
        self.sessions: dict[str, float] = {}  # sessionID -> last use
        self.busy_until = 0.0
        self.hung: set[str] = set()  # server-hardware uris whose OS ignores a graceful off
        self.revives: dict[str, str] = {}  # server-hardware uri -> power its iLO reads after an E-Fuse
        self.failures: dict[str, list[dict]] = {}  # resource uri -> taskErrors for its next tasks
        self.pending: dict[str, Task] = {}  # task uri -> task not yet ended
        self.labels: dict[str, list[str]] = {}  # resource uri -> label names
        self.puts: Counter[str] = Counter()  # resource uri -> PUTs (to it or its sub-resources)
        self.requests: Counter[tuple[str, str]] = Counter()  # (method, path) -> calls
        self.versions: Counter[int] = Counter()  # X-API-Version values seen
        self.refusals: Counter[str] = Counter()  # errorCode -> error answers
        self.etag_seq = 1
        self.spans: list[tuple[str, str, float, float]] = []  # ended tasks: uri, kind, start, end
        self.alert_seq = 0
        self.backup_seq = 0
        self.li_spp = dict.fromkeys(self.res["logical-interconnects"], BASE_SPP)  # what each LI runs
        self.res["uplink-sets"] = {}
        for li in self.res["logical-interconnects"].values():
            self.publish_uplinks(li, self.group_of(li)["uplinkSets"])

    # --- lookups -------------------------------------------------------------------

    def find(self, collection: str, key: str) -> dict:
        """A resource by uri, id or name (server hardware also by 'enclosure/bay')."""
        items = self.res.get(collection, {})
        if key in items:
            return items[key]
        if f"/rest/{collection}/{key}" in items:
            return items[f"/rest/{collection}/{key}"]
        if collection == "server-hardware" and re.fullmatch(r"[^/]+/\d+", key):
            enc, bay = key.rsplit("/", 1)
            key = f"{enc}, bay {bay}"
        for item in items.values():
            if item["name"] == key:
                return item
        raise KeyError(f"no {collection} {key!r}")

    def resolve(self, key: str) -> dict:
        """A resource of any collection by uri or name."""
        if key.startswith("/rest/"):
            collection = key.split("/")[2]
            return self.find(collection, key)
        for collection in self.res:
            try:
                return self.find(collection, key)
            except KeyError:
                continue
        raise KeyError(f"no resource {key!r}")

    def touch(self, item: dict) -> None:
        self.etag_seq += 1
        item["eTag"] = str(self.etag_seq)
        item["modified"] = now_iso()

    # --- tasks ---------------------------------------------------------------------

    def duration(self, kind: str) -> float:
        return self.durations.get(kind, self.task_delay)

    def start_task(
        self,
        name: str,
        kind: str,
        target: dict,
        effect: Callable[[], None],
        undo: Callable[[], None] = lambda: None,
        *,
        duration: float | None = -1.0,
    ) -> dict:
        tid = str(uuidlib.uuid4()).upper()
        seconds = self.duration(kind) if duration == -1.0 else duration
        resource = {
            "type": "TaskResourceV2",
            "uri": f"/rest/tasks/{tid}",
            "category": "tasks",
            "name": name,
            "owner": EMU_USER,
            "taskState": "New",
            "taskStatus": f"{name}: {target['name']}",
            "percentComplete": 0,
            "computedPercentComplete": 0,
            "stateReason": None,
            "taskErrors": [],
            "progressUpdates": [],
            "taskType": "User",
            "userInitiated": True,
            "parentTaskUri": None,
            "associatedResource": {
                "resourceUri": target["uri"],
                "resourceName": target["name"],
                "resourceCategory": target["category"],
                "associationType": "MANAGED_BY",
            },
            "expectedDuration": -1 if seconds is None else seconds,
            "created": now_iso(),
            "modified": now_iso(),
            "eTag": "0",
            "data": {"kind": kind},
        }
        queued = self.failures.get(target["uri"])
        error = queued.pop(0) if queued else None
        self.res["tasks"][resource["uri"]] = resource
        self.pending[resource["uri"]] = Task(resource, self.clock(), seconds, effect, undo, error)
        return resource

    def tick(self) -> None:
        now = self.clock()
        for uri, task in list(self.pending.items()):
            elapsed = now - task.started
            res = task.resource
            if task.duration is None or elapsed < task.duration:
                share = (
                    min(0.9, elapsed / 60.0) if task.duration is None else elapsed / max(task.duration, 1e-9)
                )
                percent = max(1, min(99, int(100 * share)))
                if percent != res["percentComplete"] or res["taskState"] == "New":
                    res.update(taskState="Running", percentComplete=percent, computedPercentComplete=percent)
                    res["modified"] = now_iso()
                continue
            self.end_task(uri, task)

    def end_task(self, uri: str, task: Task, state: str | None = None) -> None:
        del self.pending[uri]
        # a task that ran its course ended at its deadline, whenever a call noticed it
        end = self.clock() if task.duration is None or state else task.started + task.duration
        self.spans.append((uri, task.resource["data"]["kind"], task.started, end))
        res = task.resource
        if state is None and task.error is not None:
            state = "Error"
            res["taskErrors"] = [task.error]
        if state is None:
            task.effect()
            res.update(taskState="Completed", percentComplete=100, computedPercentComplete=100)
        else:
            task.undo()
            res["taskState"] = state
        res["modified"] = now_iso()
        res["taskStatus"] = f"{res['name']}: {res['associatedResource']['resourceName']} ({res['taskState']})"

    def interrupt(self, target_uri: str, kinds: tuple[str, ...]) -> None:
        for uri, task in list(self.pending.items()):
            if (
                task.resource["associatedResource"]["resourceUri"] == target_uri
                and task.resource["data"]["kind"] in kinds
            ):
                self.end_task(uri, task, "Interrupted")

    # --- the REST surface ----------------------------------------------------------

    def handle(
        self, method: str, path: str, query: Mapping[str, list[str]], headers: Mapping[str, str], body: object
    ) -> Reply:
        with self.lock:
            self.requests[(method, path)] += 1
            self.tick()
            try:
                reply = self.dispatch(method, path, query, headers, body)
            except ApiError as exc:
                return self.error(exc)
            except Exception as exc:  # an emulator bug: say so rather than drop the connection
                return self.error(ApiError(500, "EMULATOR_BUG", f"{method} {path}: {exc!r}"))
            # serialized under the lock: the body is live state another call may change
            return Reply(reply.status, None if reply.body is None else dump(reply.body), reply.headers)

    def error(self, exc: ApiError) -> Reply:
        with self.lock:
            self.refusals[exc.code] += 1
        return Reply(exc.status, dump(exc.body()), exc.headers)

    def dispatch(
        self, method: str, path: str, query: Mapping[str, list[str]], headers: Mapping[str, str], body: object
    ) -> Reply:
        remaining = self.busy_until - self.clock()
        if remaining > 0:
            raise ApiError(
                503,
                "SERVICE_UNAVAILABLE",
                "The appliance is busy (backup in progress).",
                "Retry after the time in Retry-After.",
                headers={"Retry-After": str(int(remaining) + 1)},
            )
        if path == "/rest/version" and method == "GET":
            return Reply(200, {"currentVersion": CURRENT_VERSION, "minimumVersion": MINIMUM_VERSION})
        self.check_version(headers, required=path != "/rest/login-sessions")
        if path == "/rest/login-sessions":
            return self.login(method, headers, body)
        self.check_session(headers)
        for verb, pattern, name in ROUTES:
            match = pattern.fullmatch(path)
            if match and verb == method:
                handler = getattr(self, name)
                return handler(*match.groups(), query=query, headers=headers, body=body)
        if any(p.fullmatch(path) for _, p, _ in ROUTES):
            raise ApiError(405, "METHOD_NOT_ALLOWED", f"{method} is not supported on {path}.")
        raise ApiError(404, "RESOURCE_NOT_FOUND", f"The resource {path} was not found.")

    def check_version(self, headers: Mapping[str, str], *, required: bool) -> None:
        raw = headers.get("X-API-Version")
        if raw is None:
            if required:
                raise ApiError(
                    400,
                    "MISSING_API_VERSION",
                    "The X-API-Version header is required.",
                    "Read /rest/version and send a supported X-API-Version.",
                )
            return
        try:
            version = int(raw)
        except ValueError:
            raise ApiError(400, "INVALID_API_VERSION", f"X-API-Version {raw!r} is not a number.") from None
        if not MINIMUM_VERSION <= version <= CURRENT_VERSION:
            raise ApiError(
                400,
                "UNSUPPORTED_API_VERSION",
                f"API version {version} is not supported ({MINIMUM_VERSION}..{CURRENT_VERSION}).",
            )
        self.versions[version] += 1

    def login(self, method: str, headers: Mapping[str, str], body: object) -> Reply:
        if method == "DELETE":
            self.sessions.pop(headers.get("Auth", ""), None)
            return Reply(204)
        if method != "POST":
            raise ApiError(405, "METHOD_NOT_ALLOWED", f"{method} is not supported on /rest/login-sessions.")
        creds = body if isinstance(body, dict) else {}
        if creds.get("userName") != EMU_USER or creds.get("password") != EMU_PASSWORD:
            raise ApiError(
                401,
                "AUTHN_AUTH_FAIL",
                "Invalid username or password or directory.",
                "Enter correct credentials and try again.",
            )
        token = secrets.token_urlsafe(24)
        self.sessions[token] = self.clock()
        return Reply(200, {"sessionID": token, "partnerData": {}})

    def check_session(self, headers: Mapping[str, str]) -> None:
        token = headers.get("Auth")
        last = self.sessions.get(token or "")
        if last is None or self.clock() - last > self.session_timeout:
            self.sessions.pop(token or "", None)
            raise ApiError(
                401,
                "AUTHORIZATION",
                "Authorization error: user session is not valid or has expired.",
                "Log in again.",
            )
        self.sessions[token or ""] = self.clock()

    # --- collections ---------------------------------------------------------------

    def get_collection(self, collection: str, *, query: Mapping[str, list[str]], **_: object) -> Reply:
        if collection not in self.res:
            raise ApiError(404, "RESOURCE_NOT_FOUND", f"The resource /rest/{collection} was not found.")
        members = list(self.res[collection].values())
        if collection in ("tasks", "alerts"):
            members.reverse()  # newest first, as the appliance lists them
        for clause in parse_filters(query.get("filter", [])):
            members = [m for m in members if clause(m)]
        return Reply(200, self.page(members, f"/rest/{collection}", collection, query))

    def page(self, members: list[dict], path: str, category: str, query: Mapping[str, list[str]]) -> dict:
        """One page of ``members`` as the appliance lists them, linked to its neighbours."""
        for spec in query.get("sort", [])[:1]:
            key, _, order = spec.partition(":")
            members.sort(key=lambda m: str(lookup(m, key)), reverse=order.lower().startswith("desc"))
        start = int_param(query, "start", 0)
        count = int_param(query, "count", self.page_size)
        if count < 0 or count > self.page_size:
            count = self.page_size
        page = members[start : start + count]
        kept = [(k, v) for k in ("filter", "sort", "query", "category") for v in query.get(k, [])]

        def link(at: int) -> str:
            return f"{path}?" + urlencode([*kept, ("start", at), ("count", count)])

        return {
            "type": "".join(w.title() for w in category.split("-")) + "List",
            "category": category,
            "uri": link(start),
            "members": page,
            "count": len(page),
            "total": len(members),
            "start": start,
            "nextPageUri": link(start + count) if start + count < len(members) else None,
            "prevPageUri": link(max(0, start - count)) if start > 0 else None,
            "eTag": str(self.etag_seq),
            "created": now_iso(),
            "modified": now_iso(),
        }

    def get_resource(self, collection: str, rid: str, **_: object) -> Reply:
        return Reply(200, self.existing(collection, rid))

    def existing(self, collection: str, rid: str) -> dict:
        item = self.res.get(collection, {}).get(f"/rest/{collection}/{rid}")
        if item is None:
            raise ApiError(
                404,
                "RESOURCE_NOT_FOUND",
                f"The resource /rest/{collection}/{rid} was not found.",
                source=f"/rest/{collection}/{rid}",
            )
        return item

    def check_etag(self, item: dict, body: object, headers: Mapping[str, str]) -> None:
        """A stale eTag in the body or If-Match is refused; none at all is accepted (as
        the appliance does)."""
        sent = [headers.get("If-Match")]
        if isinstance(body, dict):
            sent.append(body.get("eTag"))
        for tag in sent:
            if tag not in (None, "*") and str(tag).strip('"').removeprefix("W/").strip('"') != item["eTag"]:
                raise ApiError(
                    412,
                    "PRECONDITION_FAILED",
                    f"The resource {item['name']} was changed since it was read (eTag {tag}).",
                    "Get the resource again and retry with its current eTag.",
                    source=item["uri"],
                )

    # --- power ---------------------------------------------------------------------

    def put_power(self, rid: str, *, body: object, **_: object) -> Reply:
        hw = self.existing("server-hardware", rid)
        self.puts[hw["uri"]] += 1
        req = body if isinstance(body, dict) else {}
        state, control = req.get("powerState"), req.get("powerControl", "MomentaryPress")
        if state not in ("On", "Off") or control not in POWER_CONTROLS:
            raise ApiError(
                400,
                "INVALID_POWER_REQUEST",
                f"Invalid power request {state!r}/{control!r}.",
                source=hw["uri"],
            )
        if hw["state"] in ("ApplyingProfile", "RemovingProfile"):
            raise ApiError(
                409,
                "ServerHardwareLocked",
                f"{hw['name']} is locked by a server profile task in progress.",
                source=hw["uri"],
            )
        if control != "MomentaryPress" and (state == "Off") != (control == "PressAndHold"):
            raise ApiError(
                400,
                "InvalidPowerControl",
                f"powerControl {control} cannot turn {hw['name']} {state}.",
                source=hw["uri"],
            )
        before = hw["powerState"]
        kind, transient, duration = self.power_kind(hw, state, control)
        if before == "Unknown":
            # the management processor does not answer: the task fails, like the appliance's
            self.failures.setdefault(hw["uri"], []).insert(
                0,
                task_error(
                    "PowerStateUnknown",
                    f"Unable to change the power state of {hw['name']}: its iLO does not respond.",
                ),
            )
        if kind == "power-off":
            self.interrupt(hw["uri"], ("graceful-off",))
        if before != "Unknown" and before != state:
            hw["powerState"] = transient
            self.touch(hw)

        def effect() -> None:
            hw["powerState"] = state
            self.touch(hw)

        def undo() -> None:
            hw["powerState"] = before
            self.touch(hw)

        task = self.start_task(f"Power {state.lower()}", kind, hw, effect, undo, duration=duration)
        return Reply(202, task, {"Location": task["uri"]})

    def power_kind(self, hw: dict, state: str, control: str) -> tuple[str, str, float | None]:
        if state == "On":
            kind = "reset" if control in ("ColdBoot", "Reset") else "power-on"
            return kind, "Resetting" if kind == "reset" else "PoweringOn", self.duration(kind)
        if control == "PressAndHold":
            return "power-off", "PoweringOff", self.duration("power-off")
        hung = hw["uri"] in self.hung and hw["powerState"] == "On"
        return "graceful-off", "PoweringOff", None if hung else self.duration("graceful-off")

    def patch_enclosure(self, rid: str, *, body: object, **_: object) -> Reply:
        """PATCH /rest/enclosures/{id} ``[{"op": "replace", "path":
        "/deviceBays/{n}/bayPowerState", "value": "E-Fuse"}]``: the frame cuts and restores
        the bay's power, iLO included (Synergy only: oneview-ansible ``oneview_enclosure``,
        POSH ``Reset-OVEnclosureDevice``). Simplified: the blade's iLO is back when the
        task ends and the blade reads Off (or what ``revives`` says: a host its power restore
        policy starts reads On); one whose iLO is gone for good still reads Unknown."""
        enc = self.existing("enclosures", rid)
        self.puts[enc["uri"]] += 1
        ops = body if isinstance(body, list) else []
        match = None
        if len(ops) == 1 and isinstance(ops[0], dict) and ops[0].get("op") == "replace":
            match = re.fullmatch(r"/deviceBays/(\d+)/bayPowerState", str(ops[0].get("path")))
        if match is None or ops[0].get("value") != "E-Fuse":
            raise ApiError(400, "INVALID_PATCH_REQUEST", "Only op replace of /deviceBays/{n}/bayPowerState "
                           "E-Fuse is supported.", source=enc["uri"])
        if not str(enc.get("enclosureType", "")).startswith("SY"):
            raise ApiError(400, "UNSUPPORTED_OPERATION",
                           f"Enclosure {enc['name']} ({enc.get('enclosureType')}) does not support a "
                           "device bay E-Fuse.", "This operation is supported on HPE Synergy frames only.",
                           source=enc["uri"])
        bay = int(match.group(1))
        hw = next((h for h in self.res["server-hardware"].values()
                   if h["locationUri"] == enc["uri"] and h["position"] == bay), None)
        if hw is None:
            raise ApiError(400, "INVALID_DEVICE_BAY", f"Device bay {bay} of {enc['name']} is empty.",
                           source=enc["uri"])
        self.interrupt(hw["uri"], ("graceful-off",))

        def effect() -> None:
            if hw["powerState"] != "Unknown" or hw["uri"] in self.revives:
                hw["powerState"] = self.revives.pop(hw["uri"], "Off")
                self.touch(hw)

        task = self.start_task(f"E-Fuse device bay {bay}", "efuse", enc, effect)
        return Reply(202, task, {"Location": task["uri"]})

    # --- server profiles -----------------------------------------------------------

    def create_profile(self, name: str, hw: dict) -> dict:
        if hw["serverProfileUri"] is not None:
            raise ValueError(f"{hw['name']} already has a profile")
        enclosure = self.res["enclosures"][hw["locationUri"]]
        self.builder.profile(ProfileSpec(name, enclosure["name"], hw["position"], power=hw["powerState"]))
        prof = self.find("server-profiles", name)
        self.touch(prof)
        self.touch(hw)
        return prof

    def put_profile(
        self,
        rid: str,
        *,
        query: Mapping[str, list[str]],
        headers: Mapping[str, str],
        body: object,
        **_: object,
    ) -> Reply:
        prof = self.existing("server-profiles", rid)
        self.puts[prof["uri"]] += 1
        if not isinstance(body, dict):
            raise ApiError(
                400, "INVALID_JSON", "The request body must be a server profile.", source=prof["uri"]
            )
        self.check_etag(prof, body, headers)
        if prof["inProgress"]:
            raise ApiError(
                409,
                "ProfileTaskInProgress",
                f"Server profile {prof['name']} has a task in progress ({prof['taskUri']}).",
                "Wait for the task to finish.",
                source=prof["uri"],
            )
        edits = profile_edits(prof, body)
        old_hw = self.hardware_at(prof["serverHardwareUri"])
        new_hw = self.hardware_at(body.get("serverHardwareUri", prof["serverHardwareUri"]), check=True)
        moving = old_hw is not new_hw
        if moving:
            # the SDKs send ?force=true (oneview-python) or flags (oneview-golang ForceFlag:
            # ignoreServerHealth, ignoreSANWarnings, ignoreLSWarnings, all, none)
            flags = {f.strip().lower() for f in query.get("force", ["false"])[0].split(",")}
            force = bool(flags & {"true", "all", "ignoreserverhealth"})
            self.check_move(prof, edits, old_hw, new_hw, force=force)
        before = copy.deepcopy(prof)
        prof.update(inProgress=True, state="Updating")
        self.touch(prof)
        # both blades are claimed while the task runs: no other profile lands on either
        pairs = (
            [(old_hw, None, "RemovingProfile"), (new_hw, prof["uri"], "ApplyingProfile")] if moving else []
        )
        self.mark(pairs)

        def effect() -> None:
            prof.update(edits)
            if moving:
                self.mark([(old_hw, None, "NoProfileApplied")], virtualSerialNumber=None, virtualUuid=None)
                place_profile(prof, new_hw)
                self.mark([(new_hw, prof["uri"], "ProfileApplied")])
            prof.update(inProgress=False, state="Normal")
            self.touch(prof)

        def undo() -> None:
            prof.clear()
            prof.update(before)
            self.touch(prof)
            if moving:
                self.mark([(old_hw, prof["uri"], "ProfileApplied"), (new_hw, None, "NoProfileApplied")])

        task = self.start_task("Update", "profile", prof, effect, undo)
        prof["taskUri"] = task["uri"]
        before["taskUri"] = task["uri"]
        return Reply(202, task, {"Location": task["uri"]})

    def mark(self, pairs: list[tuple[dict | None, str | None, str]], **fields: object) -> None:
        """Set each blade's serverProfileUri and state (None blades are skipped)."""
        for hw, profile_uri, state in pairs:
            if hw is not None:
                hw.update(serverProfileUri=profile_uri, state=state, **fields)
                self.touch(hw)

    def hardware_at(self, uri: object, *, check: bool = False) -> dict | None:
        if uri is None:
            return None
        hw = self.res["server-hardware"].get(str(uri))
        if hw is None and check:
            raise ApiError(
                400, "InvalidServerHardwareUri", f"Server hardware {uri} was not found.", source=str(uri)
            )
        return hw

    def check_move(
        self, prof: dict, edits: dict, old_hw: dict | None, new_hw: dict | None, *, force: bool
    ) -> None:
        if new_hw is not None:
            if new_hw["serverProfileUri"] not in (None, prof["uri"]):
                raise ApiError(
                    400,
                    "ProfileAlreadyExistsInServer",
                    f"{new_hw['name']} already has a server profile assigned.",
                    "Select server hardware without a profile.",
                    source=new_hw["uri"],
                )
            sht = edits.get("serverHardwareTypeUri", prof["serverHardwareTypeUri"])
            if new_hw["serverHardwareTypeUri"] != sht:
                raise ApiError(
                    400,
                    "InvalidServerHardwareType",
                    f"{new_hw['name']} is not of the profile's server hardware type.",
                    "Select server hardware of the profile's server hardware type.",
                    source=new_hw["uri"],
                )
            eg = edits.get("enclosureGroupUri", prof["enclosureGroupUri"])
            if new_hw["serverGroupUri"] != eg:
                raise ApiError(
                    400,
                    "InvalidEnclosureGroup",
                    f"{new_hw['name']} is not in the profile's enclosure group.",
                    "Select server hardware in the profile's enclosure group.",
                    source=new_hw["uri"],
                )
        for hw in (old_hw, new_hw):
            # force lets a profile leave a blade whose iLO no longer answers (POSH
            # New-OVServerProfileAssign -Force: despite validation failures "like server
            # hardware is in a Warning or Failed state"); never one that reads On or Off-pending
            if hw is old_hw and force and hw is not None and hw["powerState"] == "Unknown":
                continue
            if hw is not None and hw["powerState"] != "Off":
                raise ApiError(
                    400,
                    "PowerStateOnOrUnknown",
                    f"{hw['name']} must be powered off to assign or unassign a server profile "
                    f"(it is {hw['powerState']}).",
                    "Power off the server hardware and try again.",
                    source=hw["uri"],
                )


def profile_edits(prof: dict, body: dict) -> dict:
    """What a PUT may change; identities (MACs, WWPNs, serial) are the appliance's and
    stay with the profile whatever the body says."""
    edits = {k: copy.deepcopy(body[k]) for k in PROFILE_EDITABLE if k in body}
    sent = body.get("connectionSettings", {}).get("connections")
    if sent is not None:
        current = {c["id"]: c for c in prof["connectionSettings"]["connections"]}
        conns = []
        for conn in sent:
            if conn.get("id") not in current:
                raise ApiError(
                    400,
                    "InvalidConnectionId",
                    f"Connection id {conn.get('id')!r} is not one of the profile's connections "
                    "(the emulator does not add connections).",
                    source=prof["uri"],
                )
            kept = copy.deepcopy(current[conn["id"]])
            kept.update({k: copy.deepcopy(conn[k]) for k in CONNECTION_EDITABLE if k in conn})
            conns.append(kept)
        edits["connectionSettings"] = {**prof["connectionSettings"], "connections": conns}
    return edits


def int_param(query: Mapping[str, list[str]], name: str, default: int) -> int:
    raw = query.get(name, [None])[0]
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ApiError(400, "INVALID_PARAMETER", f"{name}={raw!r} is not a number.") from None


def lookup(item: object, dotted: str) -> object:
    for part in dotted.split("."):
        if not isinstance(item, dict):
            return None
        item = item.get(part)
    return item


CLAUSE = re.compile(
    r"\s*([A-Za-z][\w.]*)\s*(=|==|<>|!=|\bmatches\b)\s*(?:'([^']*)'|\"([^\"]*)\"|(\S+))\s*", re.I
)


def as_text(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_filters(raw: list[str]) -> list[Callable[[dict], bool]]:
    """OneView's filter expressions as far as the driver uses them: ``field='value'``
    (dotted fields, =, <>/!=, ``matches`` with % wildcards), clauses joined by AND, each
    ``filter`` parameter ANDed with the others; the whole may be wrapped in double quotes."""
    clauses: list[Callable[[dict], bool]] = []
    for text in raw:
        text = text.strip()
        if len(text) > 1 and text[0] == text[-1] == '"':
            text = text[1:-1]
        for part in re.split(r"\s+AND\s+", text, flags=re.I):
            m = CLAUSE.fullmatch(part)
            if m is None:
                raise ApiError(400, "INVALID_FILTER", f"Cannot parse the filter {part!r}.")
            name, op = m.group(1), m.group(2).lower()
            value = next(g for g in m.groups()[2:] if g is not None)
            clauses.append(make_clause(name, op, value))
    return clauses


def make_clause(name: str, op: str, value: str) -> Callable[[dict], bool]:
    if op == "matches":
        pattern = re.compile("^" + ".*".join(re.escape(p) for p in value.split("%")) + "$", re.I)
        return lambda item: bool(pattern.match(as_text(lookup(item, name))))
    if op in ("<>", "!="):
        return lambda item: as_text(lookup(item, name)) != value
    return lambda item: as_text(lookup(item, name)) == value


ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("GET", re.compile(r"/rest/index/resources"), "get_index"),
    ("GET", re.compile(r"/rest/appliance/nodeinfo/version"), "get_node_version"),
    ("POST", re.compile(r"/rest/backups"), "post_backup"),
    ("PUT", re.compile(r"/rest/logical-interconnects/([^/]+)/compliance"), "put_compliance"),
    ("GET", re.compile(r"/rest/logical-interconnects/([^/]+)/firmware"), "get_li_firmware"),
    ("GET", re.compile(r"/rest/interconnects/([^/]+)/statistics/([^/]+)"), "get_port_statistics"),
    ("PUT", re.compile(r"/rest/logical-interconnects/([^/]+)/([A-Za-z]+)"), "put_li_section"),
    ("PUT", re.compile(r"/rest/logical-interconnect-groups/([^/]+)"), "put_lig"),
    ("PATCH", re.compile(r"/rest/logical-enclosures/([^/]+)"), "patch_le"),
    ("POST", re.compile(r"/rest/uplink-sets"), "post_uplink_set"),
    ("PUT", re.compile(r"/rest/uplink-sets/([^/]+)"), "put_uplink_set"),
    ("DELETE", re.compile(r"/rest/uplink-sets/([^/]+)"), "delete_uplink_set"),
    ("POST", re.compile(r"/rest/labels/resources"), "post_labels"),
    ("GET", re.compile(r"/rest/labels/resources(/.+)"), "get_labels"),
    ("PUT", re.compile(r"/rest/labels/resources(/.+)"), "put_labels"),
    ("PUT", re.compile(r"/rest/alerts/([^/]+)"), "put_alert"),
    ("PUT", re.compile(r"/rest/server-hardware/([^/]+)/powerState"), "put_power"),
    ("PATCH", re.compile(r"/rest/enclosures/([^/]+)"), "patch_enclosure"),
    ("PUT", re.compile(r"/rest/server-profiles/([^/]+)"), "put_profile"),
    ("GET", re.compile(r"/rest/([a-z-]+)"), "get_collection"),
    ("GET", re.compile(r"/rest/([a-z-]+)/([^/]+)"), "get_resource"),
]
