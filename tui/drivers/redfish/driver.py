"""The Redfish driver: real BMCs over DMTF Redfish (DSP0266) with httpx.

Shape: one asyncio event loop in a background thread owns one pooled
``httpx.AsyncClient`` per BMC origin; the synchronous :class:`Driver` methods
submit coroutines to it with ``asyncio.run_coroutine_threadsafe`` and block on the
result. A fleet-wide semaphore bounds the requests in flight. See docs/redfish.md
for the configuration and for how bayops concepts map onto Redfish resources.

Messages: every error is one line, starts with the bay, and passes through a
scrubber that removes every password and session token the driver knows.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import pathlib
import re
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, TypeVar

import httpx

from tui.drivers.redfish.bmc import Bmc
from tui.drivers.redfish.config import RedfishConfig, SystemSpec, parse_config
from tui.drivers.redfish.errors import (
    AuthRefused,
    BadBody,
    BmcError,
    HttpStatus,
    Unreachable,
    one_line,
    redfish_message,
)
from tui.drivers.redfish.events import Observation, SseParser, diff, parse_payload, to_hardware_events
from tui.model.driver import ApplyReport, DriverError, HardwareEvent, NoAnswer, Reading
from tui.model.entities import DomainConfig, Profile, ServerInfo

T = TypeVar("T")

POWER_MAP = {"On": "on", "Off": "off", "PoweringOn": "on", "PoweringOff": "on", "Paused": "on"}
HEALTH_RANK = {"OK": 0, "Warning": 1, "Critical": 2}
HEALTH_MAP = {"OK": "ok", "Warning": "warning", "Critical": "critical"}
GEN_RE = re.compile(r"\bGen\s?(\d+)\b|\bG(\d+)\b", re.I)
SSE_IDLE = 300.0  # seconds without a byte before an event stream is considered dead


class _PowerPhase:
    """How a reset POST went: accepted, or why its outcome is unknown."""

    def __init__(self, reset_type: str, status: str, why: str = "") -> None:
        self.reset_type = reset_type
        self.status = status  # accepted, no-answer, error
        self.why = why


def _power_state(body: dict) -> str:
    if "PowerState" not in body or body["PowerState"] is None:
        raise BadBody("ComputerSystem answer has no PowerState")
    value = body["PowerState"]
    if not isinstance(value, str):
        raise BadBody(f"ComputerSystem PowerState is not a string (got {type(value).__name__})")
    return value


def _health(body: dict) -> str:
    status = body.get("Status")
    if not isinstance(status, dict):
        return "unknown"
    values = [status.get(k) for k in ("Health", "HealthRollup", "HealthRollUp")]
    known = [v for v in values if isinstance(v, str) and v in HEALTH_RANK]
    if not known:
        return "unknown"
    return HEALTH_MAP[max(known, key=HEALTH_RANK.__getitem__)]


def _text(body: dict, key: str) -> str:
    value = body.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else ""


def _generation(*texts: str) -> str:
    for text in texts:
        m = GEN_RE.search(text or "")
        if m:
            return f"Gen{m.group(1)}" if m.group(1) else f"G{m.group(2)}"
    return "unknown"


def _norm_addr(value: Any) -> str:
    return re.sub(r"[^0-9a-f]", "", str(value).lower()) if value else ""


# A ForceOff that failed this recently is not worth repeating as a fence.
FENCE_MEMORY = 600.0


class RedfishDriver:
    """Driver protocol over Redfish. Build it with :meth:`from_config`."""

    name = "redfish"

    def __init__(self, config: RedfishConfig) -> None:
        self._cfg = config
        self._specs: dict[str, SystemSpec] = config.by_bay()
        self._secrets: set[str] = set()
        for spec in config.systems:
            if spec.credentials is not None:
                self._secrets.update(spec.credentials.secrets())
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._sem: asyncio.Semaphore | None = None
        self._bmcs: dict[str, Bmc] = {}
        self._ssl: dict[bool, Any] = {}
        self._paths: dict[str, str] = {}  # bay -> the ComputerSystem path that answered
        self._closed = False
        # events
        self._queue: deque[HardwareEvent] = deque(maxlen=10_000)
        self._observed: dict[str, Observation] = {}
        self._observed_at: dict[str, float] = {}
        self._events_started = False
        self._live: set[str] = set()  # origins whose event stream is open
        self._power_ops: dict[str, int] = {}  # bay -> power operations of ours in progress
        self._force_off_failed: dict[str, float] = {}  # bay -> when its last ForceOff failed
        self._tasks: list[asyncio.Task] = []  # strong references: asyncio keeps weak ones
        self._events_future: concurrent.futures.Future | None = None

    @classmethod
    def from_config(
        cls, section: dict, config_dir: pathlib.Path, warn: Callable[[str], None]
    ) -> RedfishDriver:
        """Validate the ``[redfish]`` table; BadInput("config: redfish.<key>: ...") if wrong."""
        return cls(parse_config(section, pathlib.Path(config_dir), warn))

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<RedfishDriver {len(self._specs)} bays, {len(self._bmcs)} BMC clients, {state}>"

    # ------------------------------------------------------------- loop plumbing
    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._closed:
                raise DriverError("redfish driver is closed")
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(
                    target=self._run_loop, args=(loop,), name="bayops-redfish", daemon=True
                )
                self._sem = asyncio.Semaphore(self._cfg.concurrency)
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    @staticmethod
    def _run_loop(loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        loop.run_forever()

    def _run(self, coro: Awaitable[T], what: str) -> T:
        try:
            loop = self._ensure_loop()
        except DriverError:
            coro.close()  # type: ignore[attr-defined]
            raise
        future = asyncio.run_coroutine_threadsafe(coro, loop)  # type: ignore[arg-type]
        try:
            return future.result()
        except concurrent.futures.CancelledError:
            raise DriverError(f"redfish driver was closed while {what} was running") from None

    def _scrub(self, text: str) -> str:
        """Remove every known secret, then shorten: never cut a secret in half first."""
        text = " ".join(str(text).split())
        for secret in self._secrets:
            for form in {secret, " ".join(secret.split())}:
                if form and form in text:
                    text = text.replace(form, "***")
        return one_line(text, 400)

    def _remember_secret(self, secret: str) -> None:
        self._secrets.add(secret)

    def _bmc(self, spec: SystemSpec) -> Bmc:
        bmc = self._bmcs.get(spec.url)
        if bmc is None:
            assert self._sem is not None
            bmc = Bmc(
                spec.url,
                self._ssl_context(spec.verify),
                timeout=self._cfg.timeout,
                retries=self._cfg.retries,
                connections=self._cfg.connections_per_bmc,
                semaphore=self._sem,
                on_secret=self._remember_secret,
            )
            self._bmcs[spec.url] = bmc
        return bmc

    def _ssl_context(self, verify: bool):
        """One context per verify setting: loading the trust store costs milliseconds."""
        ctx = self._ssl.get(verify)
        if ctx is None:
            ctx = self._ssl[verify] = self._cfg.ssl_context(verify)
        return ctx

    def _spec(self, bay: str) -> SystemSpec:
        spec = self._specs.get(bay)
        if spec is None:
            raise DriverError(f"{bay}: no [[redfish.systems]] entry maps this bay to a BMC")
        return spec

    def _error(self, bay: str, exc: BmcError) -> DriverError:
        spec = self._specs.get(bay)
        where = spec.url if spec else "its BMC"
        if isinstance(exc, Unreachable):
            return NoAnswer(self._scrub(f"{bay}: BMC at {where} did not answer: {exc.text}"))
        if isinstance(exc, AuthRefused):
            return DriverError(self._scrub(f"{bay}: {exc.text} at {where}"))
        return DriverError(self._scrub(f"{bay}: {exc.text} ({where})"))

    async def _guard(self, bay: str, coro: Awaitable[T]) -> T:
        """Run one bay's coroutine; turn BMC failures into one-line DriverErrors."""
        try:
            return await coro
        except BmcError as exc:
            raise self._error(bay, exc) from None
        except httpx.HTTPError as exc:  # e.g. a malformed Location header
            raise DriverError(self._scrub(f"{bay}: HTTP failure ({type(exc).__name__}: {exc})")) from None
        except (TypeError, ValueError, KeyError, AttributeError, RecursionError) as exc:
            # A BMC answer of the wrong shape that slipped past the checks: one line, not a
            # traceback, and never the whole sweep.
            raise DriverError(self._scrub(f"{bay}: malformed answer from the BMC "
                                          f"({type(exc).__name__}: {exc})")) from None

    # ---------------------------------------------------------------- resources
    async def _system(self, bay: str) -> tuple[Bmc, SystemSpec, str, dict]:
        """GET the bay's ComputerSystem; returns (bmc, spec, path that answered, body)."""
        spec = self._spec(bay)
        bmc = self._bmc(spec)
        path = self._paths.get(bay) or spec.system
        if path is None:
            collection, _ = await bmc.get_json("/redfish/v1/Systems", spec.credentials)
            members = collection.get("Members")
            ids = [
                m.get("@odata.id")
                for m in (members if isinstance(members, list) else [])
                if isinstance(m, dict) and isinstance(m.get("@odata.id"), str)
            ]
            if len(ids) != 1:
                raise BmcError(
                    f"no system path configured and /redfish/v1/Systems lists {len(ids)} systems; "
                    'set system = "/redfish/v1/Systems/<id>"'
                )
            path = bmc.same_origin_path(ids[0], "/redfish/v1/Systems")
        try:
            body, final = await bmc.get_json(path, spec.credentials)
        except HttpStatus as exc:
            if isinstance(exc, AuthRefused):
                raise
            self._paths.pop(bay, None)
            if exc.status == 404:
                raise HttpStatus(404, f"system {path} not found on the BMC (404)") from None
            raise
        self._paths[bay] = final
        return bmc, spec, final, body

    async def _get_power(self, bmc: Bmc, spec: SystemSpec, path: str) -> str:
        body, _ = await bmc.get_json(path, spec.credentials)
        return _power_state(body)

    async def _reset_info(
        self, bmc: Bmc, spec: SystemSpec, path: str, body: dict
    ) -> tuple[str, list[str] | None]:
        actions = body.get("Actions")
        reset = actions.get("#ComputerSystem.Reset") if isinstance(actions, dict) else None
        if not isinstance(reset, dict) or not isinstance(reset.get("target"), str):
            raise BmcError("the BMC offers no ComputerSystem.Reset action for this system")
        target = bmc.same_origin_path(reset["target"], path)
        allowed = reset.get("ResetType@Redfish.AllowableValues")
        if allowed is None and isinstance(reset.get("@Redfish.ActionInfo"), str):
            try:
                info, _ = await bmc.get_json(
                    bmc.same_origin_path(reset["@Redfish.ActionInfo"], path), spec.credentials
                )
                for param in info.get("Parameters") or []:
                    if isinstance(param, dict) and param.get("Name") == "ResetType":
                        allowed = param.get("AllowableValues")
            except (HttpStatus, BadBody):
                allowed = None
        if not (isinstance(allowed, list) and all(isinstance(v, str) for v in allowed)):
            allowed = None  # not advertised: assume the standard set
        return target, allowed

    async def _post_reset(self, bmc: Bmc, spec: SystemSpec, target: str, reset_type: str) -> _PowerPhase:
        """POST a Reset once. Never retried: an unknown outcome is settled by re-reading PowerState."""
        try:
            resp, _ = await bmc.request(
                "POST", target, spec.credentials, json_body={"ResetType": reset_type}, retry=False
            )
        except Unreachable as exc:
            return _PowerPhase(reset_type, "no-answer", f"{reset_type} got no answer ({exc.text})")
        if resp.status_code < 300:
            return _PowerPhase(reset_type, "accepted")
        msg = redfish_message(resp)
        detail = f"{resp.status_code}{': ' + msg if msg else ''}"
        if resp.status_code >= 500:
            return _PowerPhase(reset_type, "error", f"BMC answered {detail} to {reset_type}")
        raise HttpStatus(resp.status_code, f"BMC refused {reset_type} ({detail})")

    async def _wait_power(
        self, bmc: Bmc, spec: SystemSpec, path: str, want: str, deadline: float
    ) -> tuple[bool, str]:
        """Poll PowerState until ``want`` or the deadline. (reached, last state seen)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + deadline
        last, answered, last_error = "unknown", False, None
        while True:
            try:
                last = await self._get_power(bmc, spec, path)
                answered = True
                if last == want:
                    return True, last
            except Unreachable as exc:
                last_error = exc
            left = end - loop.time()
            if left <= 0:
                break
            await asyncio.sleep(min(self._cfg.poll_interval, left))
        if not answered and last_error is not None:
            raise Unreachable(f"stopped answering while waiting for PowerState {want} ({last_error.text})")
        return False, last

    # ------------------------------------------------------------------ inventory
    async def _discover_one(self, bay: str) -> ServerInfo | None:
        if bay not in self._specs:
            return None
        _, _, _, body = await self._system(bay)
        status = body.get("Status")
        if isinstance(status, dict) and status.get("State") == "Absent":
            return None
        power = POWER_MAP.get(_power_state(body), "unknown")
        model = _text(body, "Model") or _text(body, "Manufacturer") or "unknown"
        serial = _text(body, "SerialNumber") or _text(body, "UUID") or "unknown"
        generation = _generation(_text(body, "Model"), _text(body, "SKU"))
        return ServerInfo(
            model=model, generation=generation, serial=serial, power=power, health=_health(body)
        )

    def discover(self, bays: list[str]) -> dict[str, ServerInfo | None]:
        async def run() -> dict[str, ServerInfo | None]:
            results = await asyncio.gather(
                *(self._guard(bay, self._discover_one(bay)) for bay in bays), return_exceptions=True
            )
            failures = [r for r in results if isinstance(r, BaseException)]
            if failures:
                first = failures[0]
                if not isinstance(first, DriverError):
                    raise first
                more = f" (and {len(failures) - 1} more bays failed)" if len(failures) > 1 else ""
                kind = NoAnswer if all(isinstance(f, NoAnswer) for f in failures) else DriverError
                raise kind(f"discover: {first}{more}")
            return dict(zip(bays, results, strict=True))  # type: ignore[arg-type]

        return self._run(run(), "discover")

    async def _read_one(self, bay: str) -> tuple[Reading, Observation]:
        if bay not in self._specs:
            reading = Reading("unknown", "unknown", "no BMC configured for this bay")
            return reading, Observation("unknown", "unknown", True)
        try:
            _, _, _, body = await self._guard(bay, self._system(bay))
            state = _power_state(body)
        except NoAnswer as exc:
            return Reading("unknown", "unknown", str(exc)), Observation("unknown", "unknown", False)
        except DriverError as exc:
            return Reading("unknown", "unknown", str(exc)), Observation("unknown", "unknown", True)
        except BadBody as exc:
            msg = str(self._error(bay, exc))
            return Reading("unknown", "unknown", msg), Observation("unknown", "unknown", True)
        power = POWER_MAP.get(state, "unknown")
        detail = "" if state in ("On", "Off") else f"PowerState {one_line(state, 40)}"
        health = _health(body)
        return Reading(power, health, detail), Observation(power, health, True)

    async def _sweep(self, bays: list[str]) -> dict[str, Reading]:
        results = await asyncio.gather(*(self._read_one(bay) for bay in bays))
        loop = asyncio.get_running_loop()
        now = loop.time()
        out: dict[str, Reading] = {}
        for bay, (reading, obs) in zip(bays, results, strict=True):
            out[bay] = reading
            self._observe(bay, obs, now)
        return out

    def read(self, bays: list[str]) -> dict[str, Reading]:
        return self._run(self._sweep(list(bays)), "read")

    # ---------------------------------------------------------------------- power
    async def _power_off(self, bay: str, graceful_deadline: float) -> str:
        bmc, spec, path, body = await self._system(bay)
        state = _power_state(body)
        if state == "Off":
            return "already off"
        target, allowed = await self._reset_info(bmc, spec, path, body)

        def offers(reset_type: str) -> bool:
            return allowed is None or reset_type in allowed

        if graceful_deadline > 0 and offers("GracefulShutdown"):
            try:
                phase = await self._post_reset(bmc, spec, target, "GracefulShutdown")
            except HttpStatus:
                phase = None  # refused: go straight to ForceOff
            if phase is not None and phase.status != "error":
                reached, state = await self._wait_power(bmc, spec, path, "Off", graceful_deadline)
                if reached:
                    self._note_power(bay, "off")
                    return "graceful"
        if not offers("ForceOff"):
            raise BmcError(
                f"PowerState {state} and the BMC does not offer ForceOff (offers: {', '.join(allowed or [])})"
            )
        return await self._force_off(bay, bmc, spec, path, target)

    async def _force_off(self, bay: str, bmc: Bmc, spec: SystemSpec, path: str, target: str) -> str:
        deadline = self._cfg.power_deadline
        phase = await self._post_reset(bmc, spec, target, "ForceOff")
        wait = 0.0 if phase.status == "error" else deadline
        reached, state = await self._wait_power(bmc, spec, path, "Off", wait)
        if reached:
            self._note_power(bay, "off")
            self._force_off_failed.pop(bay, None)
            return "forced"
        self._force_off_failed[bay] = time.monotonic()
        if phase.status == "accepted":
            raise BmcError(f"ForceOff accepted but PowerState still {state} after {deadline:g} s")
        if phase.status == "error":
            raise BmcError(f"{phase.why}; PowerState is {state}")
        raise BmcError(f"{phase.why} and PowerState is still {state} after {deadline:g} s")

    def power_off(self, bay: str, graceful_deadline: float) -> str:
        """'graceful', 'forced' or 'already off'; NoAnswer if unreachable; DriverError if it stays on."""
        return self._run(
            self._guard(bay, self._owning_power(bay, self._power_off(bay, graceful_deadline))), "power off"
        )

    async def _fence(self, bay: str) -> str:
        spec = self._spec(bay)
        try:
            bmc, spec, path, body = await self._system(bay)
        except Unreachable as exc:
            raise BmcError(
                f"cannot fence through Redfish: the BMC at {spec.url} does not answer ({exc.text}); "
                "the server may still run with this profile's identities, so power it off by hand "
                "(or pull it) before moving the profile"
            ) from None
        state = _power_state(body)
        if state == "Off":
            return f"{bay}: fenced through Redfish at {spec.url}: the BMC reports PowerState Off"
        failed = self._force_off_failed.get(bay)
        if failed is not None and time.monotonic() - failed < FENCE_MEMORY:
            # Fencing through Redfish is the same ForceOff through the same BMC: repeating
            # it would only wait out the deadline again.
            raise BmcError(f"cannot fence through Redfish: ForceOff already failed moments ago and "
                           f"PowerState is {state}; Redfish has no path around the server's own "
                           "BMC, so power it off at the enclosure (or pull it) before moving the profile")
        target, allowed = await self._reset_info(bmc, spec, path, body)
        if allowed is not None and "ForceOff" not in allowed:
            raise BmcError(f"cannot fence: the BMC does not offer ForceOff (offers: {', '.join(allowed)})")
        await self._force_off(bay, bmc, spec, path, target)
        return f"{bay}: fenced through Redfish at {spec.url}: ForceOff, PowerState Off verified"

    def fence(self, bay: str) -> str:
        try:
            return self._run(self._guard(bay, self._owning_power(bay, self._fence(bay))), "fence")
        except NoAnswer as exc:
            # the BMC answered the fence check but went away while we waited for Off
            raise DriverError(f"{exc}; cannot confirm the bay is fenced") from None

    async def _power_on(self, bay: str) -> None:
        bmc, spec, path, body = await self._system(bay)
        if _power_state(body) == "On":
            return
        target, allowed = await self._reset_info(bmc, spec, path, body)
        if allowed is None or "On" in allowed:
            reset_type = "On"
        elif "ForceOn" in allowed:
            reset_type = "ForceOn"
        else:
            raise BmcError(f"the BMC offers neither On nor ForceOn (offers: {', '.join(allowed)})")
        deadline = self._cfg.power_deadline
        phase = await self._post_reset(bmc, spec, target, reset_type)
        reached, state = await self._wait_power(
            bmc, spec, path, "On", 0.0 if phase.status == "error" else deadline
        )
        if reached:
            self._note_power(bay, "on")
            return
        if phase.status == "accepted":
            raise BmcError(f"{reset_type} accepted but PowerState still {state} after {deadline:g} s")
        if phase.status == "error":
            raise BmcError(f"{phase.why}; PowerState is {state}")
        raise BmcError(f"{phase.why} and PowerState is still {state} after {deadline:g} s")

    def power_on(self, bay: str) -> None:
        self._run(self._guard(bay, self._owning_power(bay, self._power_on(bay))), "power on")

    # -------------------------------------------------------------------- profiles
    async def _patch(self, bmc: Bmc, spec: SystemSpec, path: str, body: dict) -> str | None:
        """PATCH (idempotent: retried on 5xx/transport). None on 2xx, else the refusal."""
        resp, _ = await bmc.request("PATCH", path, spec.credentials, json_body=body, retry=True)
        if resp.status_code < 300:
            return None
        msg = redfish_message(resp)
        return f"BMC refused: {resp.status_code}{': ' + msg if msg else ''}"

    async def _set_boot(
        self, bmc: Bmc, spec: SystemSpec, path: str, body: dict, san: bool
    ) -> tuple[bool, str]:
        boot = body.get("Boot") if isinstance(body.get("Boot"), dict) else {}
        allowed = boot.get("BootSourceOverrideTarget@Redfish.AllowableValues")
        allowed = allowed if isinstance(allowed, list) else None
        if san:
            target = "RemoteDrive" if allowed and "RemoteDrive" in allowed else "Hdd"
            if allowed is not None and target not in allowed:
                return False, f"boot override to disk (BMC offers only {', '.join(map(str, allowed))})"
            attempts = [{"BootSourceOverrideEnabled": "Continuous", "BootSourceOverrideTarget": target}]
            label = f"boot override {target} (continuous) for boot-from-SAN"
        else:
            target = "None"
            attempts = [
                {"BootSourceOverrideEnabled": "Disabled", "BootSourceOverrideTarget": "None"},
                {"BootSourceOverrideEnabled": "Disabled"},
            ]
            label = "boot override off (local boot order)"
        refusal = None
        for patch in attempts:
            refusal = await self._patch(bmc, spec, path, {"Boot": patch})
            if refusal is None:
                break
        if refusal is not None:
            return False, f"{label}: {refusal}"
        after, _ = await bmc.get_json(path, spec.credentials)
        boot_after = after.get("Boot") if isinstance(after.get("Boot"), dict) else {}
        got_target = boot_after.get("BootSourceOverrideTarget")
        got_enabled = boot_after.get("BootSourceOverrideEnabled")
        if san:
            ok = got_target == target and got_enabled != "Disabled"
        else:
            ok = got_enabled == "Disabled" or got_target in ("None", None)
        if not ok:
            return False, f"{label}: BMC reports target {got_target}, enabled {got_enabled}"
        return True, label

    async def _linked_members(self, bmc: Bmc, spec: SystemSpec, body: dict, key: str,
                              base: str) -> list[str]:
        """Members of the collection ``body[key]`` links to; none if there is no such link."""
        link = body.get(key)
        if not isinstance(link, dict) or not isinstance(link.get("@odata.id"), str):
            return []
        return await self._members(bmc, spec, bmc.same_origin_path(link["@odata.id"], base))

    async def _members(self, bmc: Bmc, spec: SystemSpec, path: str) -> list[str]:
        body, final = await bmc.get_json(path, spec.credentials)
        members = body.get("Members")
        return [
            bmc.same_origin_path(m["@odata.id"], final)
            for m in (members if isinstance(members, list) else [])
            if isinstance(m, dict) and isinstance(m.get("@odata.id"), str)
        ]

    async def _network_functions(
        self, bmc: Bmc, spec: SystemSpec, path: str, body: dict
    ) -> list[tuple[str, dict]]:
        """(path, body) of every NetworkDeviceFunction of the system's chassis, in BMC order."""
        links = body.get("Links") if isinstance(body.get("Links"), dict) else {}
        chassis = [
            c["@odata.id"]
            for c in links.get("Chassis") or []
            if isinstance(c, dict) and isinstance(c.get("@odata.id"), str)
        ]
        found: list[tuple[str, dict]] = []
        for chassis_path in chassis:
            try:
                chassis_body, chassis_final = await bmc.get_json(
                    bmc.same_origin_path(chassis_path, path), spec.credentials
                )
                for adapter_path in await self._linked_members(
                    bmc, spec, chassis_body, "NetworkAdapters", chassis_final
                ):
                    adapter, adapter_final = await bmc.get_json(adapter_path, spec.credentials)
                    for fn_path in await self._linked_members(
                        bmc, spec, adapter, "NetworkDeviceFunctions", adapter_final
                    ):
                        fn, fn_final = await bmc.get_json(fn_path, spec.credentials)
                        found.append((fn_final, fn))
            except (HttpStatus, BadBody):
                continue  # a chassis without (readable) adapters offers nothing to write
        return found

    async def _set_address(
        self,
        bmc: Bmc,
        spec: SystemSpec,
        fn_path: str,
        section: str,
        key: str,
        value: str,
        extra: dict | None = None,
    ) -> str | None:
        """PATCH one address and read it back. None when it took, else why not."""
        patch: dict[str, Any] = {section: {key: value}}
        if extra:
            patch[section].update(extra.get(section, {}))
            patch.update({k: v for k, v in extra.items() if k != section})
        refusal = await self._patch(bmc, spec, fn_path, patch)
        if refusal:
            return refusal
        after, _ = await bmc.get_json(fn_path, spec.credentials)
        got = after.get(section, {}).get(key) if isinstance(after.get(section), dict) else None
        if _norm_addr(got) != _norm_addr(value):
            return f"BMC still reports {got}"
        return None

    async def _apply(self, bay: str, profile: Profile) -> ApplyReport:
        bmc, spec, path, body = await self._system(bay)
        applied: list[str] = []
        not_applied: list[str] = []
        san = profile.boot_mode == "san"

        ok, label = await self._set_boot(bmc, spec, path, body, san)
        (applied if ok else not_applied).append(label)

        eth = sorted((c for c in profile.connections if c.kind == "eth"), key=lambda c: c.index)
        fc = sorted((c for c in profile.connections if c.kind == "fc"), key=lambda c: c.index)
        functions = await self._network_functions(bmc, spec, path, body) if (eth or fc or san) else []
        eth_fns = [(p, f) for p, f in functions if f.get("NetDevFuncType") == "Ethernet"]
        fc_fns = [(p, f) for p, f in functions if f.get("NetDevFuncType") == "FibreChannel"]

        for i, conn in enumerate(eth):
            label = f"eth{conn.index} MAC {conn.address}"
            if i >= len(eth_fns):
                not_applied.append(f"{label} (no Ethernet NetworkDeviceFunction offered)")
                continue
            why = await self._set_address(bmc, spec, eth_fns[i][0], "Ethernet", "MACAddress", conn.address)
            (not_applied.append(f"{label} ({why})") if why else applied.append(label))

        boot_target = san and profile.san_target
        for i, conn in enumerate(fc):
            label = f"fc{conn.index} WWPN {conn.address}"
            if i >= len(fc_fns):
                not_applied.append(f"{label} (no FibreChannel NetworkDeviceFunction offered)")
                continue
            extra = None
            if boot_target:
                extra = {
                    "FibreChannel": {
                        "BootTargets": [
                            {
                                "WWPN": profile.san_target,
                                "LUNID": str(profile.san_lun or 0),
                                "BootPriority": 0,
                            }
                        ]
                    },
                    "BootMode": "FibreChannel",
                }
            why = await self._set_address(
                bmc, spec, fc_fns[i][0], "FibreChannel", "WWPN", conn.address, extra
            )
            if why:
                not_applied.append(f"{label} ({why})")
            else:
                applied.append(label)
                if boot_target:
                    applied.append(
                        f"fc{conn.index} SAN boot target {profile.san_target} LUN {profile.san_lun or 0}"
                    )
        san_label = f"SAN boot target {profile.san_target} LUN {profile.san_lun or 0}"
        if boot_target and not fc:
            not_applied.append(f"{san_label} (profile has no FC connection)")
        elif boot_target and not fc_fns:
            not_applied.append(f"{san_label} (no FibreChannel NetworkDeviceFunction offered)")

        if profile.networks:
            not_applied.append(
                f"networks {', '.join(profile.networks)} (VLAN mapping is Virtual Connect's; Redfish has none)"
            )
        if profile.fabrics:
            not_applied.append(f"fabrics {', '.join(profile.fabrics)} (SAN zoning is outside Redfish)")
        if profile.serial:
            not_applied.append(f"virtual serial {profile.serial} (SerialNumber is read-only in Redfish)")
        return ApplyReport(tuple(applied), tuple(not_applied))

    def apply_profile(self, bay: str, profile: Profile) -> ApplyReport:
        return self._run(self._guard(bay, self._apply(bay, profile)), "apply profile")

    async def _clear(self, bay: str) -> None:
        bmc, spec, path, body = await self._system(bay)
        await self._set_boot(bmc, spec, path, body, san=False)  # best effort: boot order is not identity
        stuck: list[str] = []
        for fn_path, fn in await self._network_functions(bmc, spec, path, body):
            kind = fn.get("NetDevFuncType")
            if kind == "Ethernet" and isinstance(fn.get("Ethernet"), dict):
                section, key, permanent = "Ethernet", "MACAddress", "PermanentMACAddress"
            elif kind == "FibreChannel" and isinstance(fn.get("FibreChannel"), dict):
                section, key, permanent = "FibreChannel", "WWPN", "PermanentWWPN"
            else:
                continue
            data = fn[section]
            current, original = data.get(key), data.get(permanent)
            extra = (
                {"FibreChannel": {"BootTargets": []}}
                if section == "FibreChannel" and data.get("BootTargets")
                else None
            )
            if original and (_norm_addr(current) != _norm_addr(original) or extra):
                why = await self._set_address(bmc, spec, fn_path, section, key, original, extra)
                if why:
                    stuck.append(f"{fn_path} {key} {current} ({why})")
        if stuck:
            raise BmcError("could not restore factory addresses: " + "; ".join(stuck))

    def clear_profile(self, bay: str) -> None:
        """Boot override off; MACs/WWPNs back to the Permanent ones. DriverError if an address stays."""
        self._run(self._guard(bay, self._clear(bay)), "clear profile")

    def apply_domain_config(self, domain: str, config: DomainConfig) -> str:
        return (
            f"Redfish cannot express Virtual Connect domain configuration: nothing was pushed for "
            f"domain {domain} (networks, fabrics, firmware baseline and users stay as configured "
            "on the interconnects)"
        )

    # ---------------------------------------------------------------------- events
    def _observe(self, bay: str, obs: Observation, now: float) -> None:
        old = self._observed.get(bay)
        self._observed[bay] = obs
        self._observed_at[bay] = now
        if not self._events_started:
            return
        spec = self._specs.get(bay)
        if spec is not None and spec.url in self._live:
            return  # the stream speaks for this bay
        ours = self._power_ops.get(bay, 0) > 0
        for event in diff(bay, old, obs):
            if ours and event.kind in ("power-on", "power-off"):
                continue  # our own reset, not news
            self._queue.append(event)

    async def _owning_power(self, bay: str, coro: Awaitable[T]) -> T:
        """Run a power operation of ours; the poller does not report its change as news."""
        self._power_ops[bay] = self._power_ops.get(bay, 0) + 1
        try:
            return await coro
        finally:
            self._power_ops[bay] -= 1
            if not self._power_ops[bay]:
                del self._power_ops[bay]

    def _note_power(self, bay: str, power: str) -> None:
        """A power change this driver made and verified: not news for the poller."""
        old = self._observed.get(bay)
        if old is not None:
            self._observed[bay] = Observation(power, old.health, True)

    def events(self) -> list[HardwareEvent]:
        """Events since the last call. The first call starts the streams and the poller."""
        if self._closed:
            return []
        if not self._events_started:
            loop = self._ensure_loop()
            self._events_started = True
            self._events_future = asyncio.run_coroutine_threadsafe(self._start_events(), loop)
        out: list[HardwareEvent] = []
        while True:
            try:
                out.append(self._queue.popleft())
            except IndexError:
                return out

    async def _start_events(self) -> None:
        by_origin: dict[str, list[SystemSpec]] = {}
        for spec in self._specs.values():
            by_origin.setdefault(spec.url, []).append(spec)
        for specs in by_origin.values():
            self._tasks.append(asyncio.create_task(self._stream_loop(specs)))
        # the baseline (no events for a first look); then poll whatever has no stream
        await self._sweep(list(self._specs))
        self._tasks.append(asyncio.create_task(self._poll_loop()))

    async def _sse_uri(self, bmc: Bmc, spec: SystemSpec) -> str | None:
        root = await bmc.root(spec.credentials)
        link = root.get("EventService")
        if not isinstance(link, dict) or not isinstance(link.get("@odata.id"), str):
            return None
        try:
            service, final = await bmc.get_json(
                bmc.same_origin_path(link["@odata.id"], "/redfish/v1/"), spec.credentials
            )
        except HttpStatus as exc:
            if exc.status in (404, 405, 501):
                return None
            raise
        if service.get("ServiceEnabled") is False:
            return None
        uri = service.get("ServerSentEventUri")
        return bmc.same_origin_path(uri, final) if isinstance(uri, str) and uri else None

    async def _stream_loop(self, specs: list[SystemSpec]) -> None:
        spec = specs[0]
        bmc = self._bmc(spec)

        def systems() -> dict[str, str]:
            """ComputerSystem path -> bay, configured and as the BMC answered (redirects)."""
            paths = {s.system: s.bay for s in specs if s.system}
            paths.update({self._paths[s.bay]: s.bay for s in specs if s.bay in self._paths})
            return paths

        fallback = specs[0].bay if len(specs) == 1 else None
        interval = self._cfg.event_poll_interval
        while True:
            reason = ""
            try:
                uri = await self._sse_uri(bmc, spec)
            except BmcError as exc:
                uri, reason = "", exc.text
            if uri is None:
                return  # no EventService / no SSE: polling covers these bays for good
            if uri:
                resp = None
                try:
                    resp = await bmc.stream(uri, spec.credentials, SSE_IDLE)
                    self._live.add(spec.url)
                    parser = SseParser()
                    async for line in resp.aiter_lines():
                        done = parser.feed(line.rstrip("\r"))
                        if done is None:
                            continue
                        for event in to_hardware_events(parse_payload(done[1]), systems(), fallback):
                            self._queue.append(replace(event, message=self._scrub(event.message)))
                    reason = "the BMC closed it"
                except BmcError as exc:
                    reason = exc.text
                except httpx.HTTPError as exc:
                    reason = f"{type(exc).__name__}"
                finally:
                    if resp is not None:
                        await resp.aclose()
                    was_live = spec.url in self._live
                    self._live.discard(spec.url)
                if was_live:
                    for s in specs:
                        self._queue.append(
                            HardwareEvent(
                                s.bay,
                                "event-stream",
                                "info",
                                self._scrub(
                                    f"{s.bay}: event stream from {spec.url} dropped ({reason}); "
                                    f"watching by polling every {interval:g} s"
                                ),
                            )
                        )
            await asyncio.sleep(self._cfg.event_reconnect)

    async def _poll_loop(self) -> None:
        interval = self._cfg.event_poll_interval
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(interval)
            now = loop.time()
            due = [
                bay
                for bay, spec in self._specs.items()
                if spec.url not in self._live and now - self._observed_at.get(bay, -1e9) >= interval * 0.9
            ]
            if due:
                await self._sweep(due)

    # ----------------------------------------------------------------------- close
    async def _aclose(self) -> None:
        me = asyncio.current_task()
        others = [t for t in asyncio.all_tasks() if t is not me]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)
        # All BMCs at once: one slow session DELETE must not use up the others' time.
        await asyncio.gather(*(bmc.aclose() for bmc in self._bmcs.values()),
                             return_exceptions=True)

    def close(self) -> None:
        """Cancel streams, DELETE Redfish sessions, close every client, stop the loop."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        future = asyncio.run_coroutine_threadsafe(self._aclose(), loop)
        try:
            future.result(timeout=self._cfg.timeout + 10)
        except Exception:
            pass
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        if not thread.is_alive():
            loop.close()
