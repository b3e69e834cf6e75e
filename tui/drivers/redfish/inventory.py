"""What is in a bay and how it is: ServerInfo for discover, Reading for read."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from tui.drivers.redfish import odata
from tui.drivers.redfish.bmc import Bmc
from tui.drivers.redfish.config import SystemSpec
from tui.drivers.redfish.errors import BadBody, HttpStatus, one_line
from tui.drivers.redfish.events import Observation
from tui.drivers.redfish.fleet import Fleet, power_state
from tui.model.driver import BayInventory, DriverError, NoAnswer, Reading
from tui.model.entities import IDENTITY_UNKNOWN, ServerInfo

POWER_MAP = {"On": "on", "Off": "off", "PoweringOn": "on", "PoweringOff": "on", "Paused": "on"}
HEALTH_RANK = {"OK": 0, "Warning": 1, "Critical": 2}
HEALTH_MAP = {"OK": "ok", "Warning": "warning", "Critical": "critical"}
GEN_RE = re.compile(r"\bGen\s?(\d+)\b|\bG(\d+)\b", re.I)
# Vendors whose model names carry their generation in another form: (pattern, how the
# generation reads from its groups). A name none matches has no generation (not compared).
GENERATIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bPowerEdge\s+[A-Z]{1,3}\d(\d)\d{1,2}\b", re.I), "{0}G+10"),  # R640: 14G
    (re.compile(r"\bThinkSystem\s+[A-Z]{2}\d{3}\b(?:\s+V(\d))?", re.I), "V{0}"),  # SR650 V2
    (re.compile(r"\b(?:UCS[A-Z]*-)?[BC]\d{3}-?M(\d)", re.I), "M{0}"),  # Cisco UCSC-C220-M5
    (re.compile(r"\bPRIMERGY\s+[A-Z]{2}\d{4}\s+M(\d)\b", re.I), "M{0}"),  # Fujitsu RX2540 M5
    (re.compile(r"\b([XH]1\d)[A-Z]{2,}", re.I), "{0}"),  # Supermicro boards: X11DPi-N, H12SSL
)


def _health(body: dict[str, Any]) -> str:
    status = body.get("Status")
    if not isinstance(status, dict):
        return "unknown"
    values = [status.get(k) for k in ("Health", "HealthRollup", "HealthRollUp")]
    known = [v for v in values if isinstance(v, str) and v in HEALTH_RANK]
    if not known:
        return "unknown"
    return HEALTH_MAP[max(known, key=HEALTH_RANK.__getitem__)]


QUIET_STATES = ("Enabled", "", None)


def health_detail(body: dict[str, Any]) -> str:
    """Why a system is as it is, in the BMC's words: ``Status.Conditions`` messages
    (worst first) and a ``Status.State`` other than Enabled (StandbyOffline, ...)."""
    status = body.get("Status")
    if not isinstance(status, dict):
        return ""
    parts = []
    state = status.get("State")
    if state not in QUIET_STATES:
        parts.append(f"State {one_line(str(state), 40)}")
    conditions = status.get("Conditions")
    found = [c for c in conditions if isinstance(c, dict) and isinstance(c.get("Message"), str)
             and c["Message"].strip()] if isinstance(conditions, list) else []
    found.sort(key=lambda c: -HEALTH_RANK.get(str(c.get("Severity")), 0))
    for cond in found[:3]:
        severity = cond.get("Severity")
        prefix = f"{severity}: " if isinstance(severity, str) and severity else ""
        parts.append(prefix + one_line(cond["Message"], 160))
    if len(found) > 3:
        parts.append(f"and {len(found) - 3} more conditions")
    return "; ".join(parts)


def _text(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else ""


def _generation(*texts: str) -> str:
    """HPE's GenN; else the generation a known vendor's model name implies; else unknown."""
    for text in texts:
        m = GEN_RE.search(text or "")
        if m:
            return f"Gen{m.group(1)}" if m.group(1) else f"G{m.group(2)}"
    for text in texts:
        for pattern, form in GENERATIONS:
            m = pattern.search(text or "")
            if m:
                return _form(form, m.group(1))
    return "unknown"


def _form(form: str, found: str | None) -> str:
    if form == "{0}G+10":  # Dell: the second digit of the model number, from 10
        return f"{10 + int(found or 0)}G"
    return form.format((found or "1").upper())  # Lenovo's first ThinkSystems have no V


class Inventory:
    def __init__(self, fleet: Fleet) -> None:
        self._fleet = fleet

    async def _discover_one(self, bay: str) -> ServerInfo | None:
        if bay not in self._fleet.specs:
            return None
        _, _, _, body = await self._fleet.system(bay)
        status = body.get("Status")
        if isinstance(status, dict) and status.get("State") == "Absent":
            return None
        power = POWER_MAP.get(power_state(body), "unknown")
        model = _text(body, "Model") or _text(body, "Manufacturer") or "unknown"
        serial = _text(body, "SerialNumber") or _text(body, "UUID") or \
            await self._identity(bay, body) or IDENTITY_UNKNOWN
        generation = _generation(_text(body, "Model"), _text(body, "SKU"))
        return ServerInfo(
            model=model, generation=generation, serial=serial, power=power, health=_health(body)
        )

    async def _identity(self, bay: str, body: dict[str, Any]) -> str:
        """A system that names neither serial nor UUID (stock OpenBMC): its chassis's
        serial, else the BMC's own UUID (its manager's, else the service root's) when
        that BMC serves this bay alone (a shared one names no server)."""
        spec = self._fleet.spec(bay)
        bmc = self._fleet.bmc(spec)
        chassis = await self._linked_text(bmc, spec, bay, body, "Chassis", "SerialNumber")
        if chassis:
            return chassis
        if sum(s.url == spec.url for s in self._fleet.specs.values()) > 1:
            return ""
        own = await self._linked_text(bmc, spec, bay, body, "ManagedBy", "UUID") or \
            _text(await bmc.root(spec.credentials), "UUID")
        return f"BMC {own}" if own else ""

    async def _linked_text(self, bmc: Bmc, spec: SystemSpec, bay: str, body: dict[str, Any],
                           key: str, field: str) -> str:
        """``field`` of the first resource ``Links[key]`` names; empty if none or unreadable."""
        first = odata.obj(body, "Links").get(key)
        target = odata.link({key: first[0]}, key) if isinstance(first, list) and first else None
        if not target:
            return ""
        base = self._fleet.paths.get(bay) or "/redfish/v1/Systems"
        try:
            found, _ = await bmc.get_json(bmc.same_origin_path(target, base), spec.credentials)
        except (HttpStatus, BadBody):
            return ""
        return _text(found, field)

    async def discover(self, bays: list[str]) -> dict[str, ServerInfo | None]:
        """All bays at once; one DriverError naming the first failure if any bay failed."""
        results = await asyncio.gather(
            *(self._fleet.guard(bay, self._discover_one(bay)) for bay in bays), return_exceptions=True
        )
        found: dict[str, ServerInfo | None] = {}
        failures: list[BaseException] = []
        for bay, result in zip(bays, results, strict=True):
            if isinstance(result, BaseException):
                failures.append(result)
            else:
                found[bay] = result
        if failures:
            first = failures[0]
            if not isinstance(first, DriverError):
                raise first
            more = f" (and {len(failures) - 1} more bays failed)" if len(failures) > 1 else ""
            kind = NoAnswer if all(isinstance(f, NoAnswer) for f in failures) else DriverError
            raise kind(f"discover: {first}{more}")
        return found

    async def inventory(self, bays: list[str]) -> dict[str, BayInventory]:
        """Every bay at once, each on its own: a bay whose BMC fails carries its error and
        the other bays still answer (rediscovery)."""
        results = await asyncio.gather(
            *(self._fleet.guard(bay, self._discover_one(bay)) for bay in bays), return_exceptions=True
        )
        out: dict[str, BayInventory] = {}
        for bay, result in zip(bays, results, strict=True):
            if isinstance(result, DriverError):
                out[bay] = BayInventory(None, str(result))
            elif isinstance(result, BaseException):
                raise result
            else:
                out[bay] = BayInventory(result)
        return out

    async def read_one(self, bay: str) -> tuple[Reading, Observation]:
        """The bay's Reading and the Observation the watcher diffs; a failure is the detail."""
        if bay not in self._fleet.specs:
            reading = Reading("unknown", "unknown", "no BMC configured for this bay")
            return reading, Observation("unknown", "unknown", True)
        try:
            _, _, _, body = await self._fleet.guard(bay, self._fleet.system(bay))
            state = power_state(body)
        except NoAnswer as exc:
            return Reading("unknown", "unknown", str(exc)), Observation("unknown", "unknown", False)
        except DriverError as exc:
            return Reading("unknown", "unknown", str(exc)), Observation("unknown", "unknown", True)
        except BadBody as exc:
            msg = str(self._fleet.error(bay, exc))
            return Reading("unknown", "unknown", msg), Observation("unknown", "unknown", True)
        power = POWER_MAP.get(state, "unknown")
        detail = "" if state in ("On", "Off") else f"PowerState {one_line(state, 40)}"
        detail = "; ".join(d for d in (detail, health_detail(body)) if d)
        health = _health(body)
        return Reading(power, health, detail), Observation(power, health, True)
