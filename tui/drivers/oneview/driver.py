"""The HPE OneView driver: bays are the appliance's server hardware, profiles are its
server profiles (which hold the virtual MACs, WWPNs and serials). See docs/oneview.md.

Every write is a task the driver follows to its end and then reads back; every step is
idempotent: a resumed step first follows a task still running on the same resource
(tasks filtered by ``associatedResource``) instead of sending a second write.
"""

from __future__ import annotations

import datetime as dt
import pathlib
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from tui.drivers.oneview import domains, upkeep
from tui.drivers.oneview import resources as res
from tui.drivers.oneview.client import Appliance, ApplianceError, Json, TaskTimeout, one_line
from tui.drivers.oneview.config import OneViewConfig, parse_config
from tui.model.driver import (
    ApplyReport,
    BayInventory,
    DriverError,
    HardwareEvent,
    ManagedGroup,
    ManagedProfile,
    NoAnswer,
    Reading,
)
from tui.model.entities import DomainConfig, Profile, ServerInfo
from tui.model.upkeep import PortStatus

SWEEP_REUSE = 5.0  # seconds an inventory sweep answers later discover/inventory calls
ALERT_LOOKBACK = 300.0
ALERT_KIND = {"Critical": ("critical", "critical"), "Warning": ("warning", "warning")}


class OneViewDriver:
    """Driver, ProfileManager and DomainMaintenanceDriver over one OneView appliance."""

    name = "oneview"

    def __init__(self, config: OneViewConfig, api: Appliance | None = None) -> None:
        self.cfg = config
        self.api = api or Appliance(config)
        self._lock = threading.Lock()
        self._enclosures: dict[str, str] = {}  # enclosure uri -> name
        self._by_bay: dict[str, str] = {}  # bay -> server hardware uri
        self._names: dict[str, str] = {}  # network / fc network uri -> name
        self._alerts: set[str] | None = None  # active alert uris already reported
        self._labelled: set[str] = set()  # server hardware carrying spare_label
        self._labelled_known = False
        self._last_sweep: tuple[float, dict[str, Json]] | None = None

    @classmethod
    def from_config(cls, section: dict[str, Any], config_dir: pathlib.Path,
                    warn: Callable[[str], None]) -> OneViewDriver:
        """Validate the ``[oneview]`` table; BadInput("config: oneview.<key>: ...") if wrong."""
        return cls(parse_config(section, pathlib.Path(config_dir), warn))

    def __repr__(self) -> str:
        return f"<OneViewDriver {self.cfg.url}, {len(self._by_bay)} bays mapped>"

    # -- the map ------------------------------------------------------------------------------
    def _sweep(self, max_age: float = 0.0) -> dict[str, Json]:
        """Every server hardware in a known enclosure, by bay (one paged sweep); a sweep
        younger than ``max_age`` seconds is reused (a fleet build asks enclosure by
        enclosure: one sweep, not one per enclosure)."""
        with self._lock:
            if self._last_sweep is not None and time.monotonic() - self._last_sweep[0] < max_age:
                return self._last_sweep[1]
            if not self._enclosures:
                self._enclosures = {str(e["uri"]): str(e["name"]) for e in self.api.members("enclosures")}
        found: dict[str, Json] = {}
        for hw in self.api.members("server-hardware"):
            bay = res.bay_id(hw, self._enclosures)
            if bay is not None:
                found[bay] = hw
        with self._lock:
            self._by_bay = {bay: str(hw["uri"]) for bay, hw in found.items()}
            self._last_sweep = (time.monotonic(), found)
        return found

    def _hardware(self, bay: str) -> Json:
        uri = self._by_bay.get(bay)
        if uri is None:
            uri = str(self._sweep().get(bay, {}).get("uri", "")) or None
        if uri is None:
            raise DriverError(f"{bay}: the appliance has no server hardware in this bay")
        return self.api.get(uri)

    def _network_names(self, fresh: bool = False) -> dict[str, str]:
        """Network and FC network names by uri; ``fresh``: read again (a domain edit may
        name one made in OneView since this process read them)."""
        if fresh or not self._names:
            names = {str(n["uri"]): str(n["name"]) for collection in ("ethernet-networks", "fc-networks")
                     for n in self.api.members(collection)}
            self._names = names  # whole, never half-filled for another thread
        return self._names

    def _profile(self, name: str) -> Json:
        if "'" in name:
            raise DriverError(f"profile name {name!r} cannot be looked up on the appliance")
        for prof in self.api.members("server-profiles", f"name='{name}'"):
            if prof.get("name") == name:
                return prof
        raise DriverError(f"the appliance has no server profile {name!r}")

    # -- reading -------------------------------------------------------------------------------
    def discover(self, bays: list[str]) -> dict[str, ServerInfo | None]:
        found = self._sweep(max_age=SWEEP_REUSE)
        return {b: res.server_info(found[b]) if b in found else None for b in bays}

    def inventory(self, bays: list[str]) -> dict[str, BayInventory]:
        try:
            found = self._sweep(max_age=SWEEP_REUSE)
        except DriverError as exc:  # the appliance is one source for every bay
            return {b: BayInventory(None, str(exc)) for b in bays}
        return {b: BayInventory(res.server_info(found[b]) if b in found else None) for b in bays}

    def read(self, bays: list[str]) -> dict[str, Reading]:
        try:
            found = self._sweep()
        except DriverError as exc:
            return {b: Reading("unknown", "unknown", str(exc)) for b in bays}
        return {b: res.reading(found[b]) if b in found else Reading("unknown", "unknown", "no hardware")
                for b in bays}

    # -- power ---------------------------------------------------------------------------------
    def _follow_running(self, uri: str) -> str | None:
        task = self.api.running_task(uri)
        if task is not None:
            self.api.follow(task)
        return task

    def _power(self, hw: Json, state: str, control: str, timeout: float | None = None) -> None:
        body = {"powerState": state, "powerControl": control}
        task = self.api.write("PUT", f"{hw['uri']}/powerState", body)
        self.api.follow(task, timeout)

    def power_off(self, bay: str, graceful_deadline: float) -> str:
        hw = self._hardware(bay)
        if hw.get("powerState") == "Unknown":
            raise NoAnswer(f"{bay}: the appliance reports power Unknown (its iLO does not answer)")
        self._follow_running(str(hw["uri"]))  # a resumed step: the power task already sent
        hw = self.api.get(str(hw["uri"]))
        if hw.get("powerState") == "Off":
            return "already off"
        how = "graceful"
        try:
            self._power(hw, "Off", "MomentaryPress", max(graceful_deadline, 0.001))
        except TaskTimeout:
            how = "forced"
            self._power(hw, "Off", "PressAndHold")
        hw = self.api.get(str(hw["uri"]))
        if hw.get("powerState") != "Off":
            raise DriverError(f"{bay}: power still {hw.get('powerState')} after a {how} power-off")
        return how

    def fence(self, bay: str) -> str:
        """Press-and-hold through the blade's iLO. Where the iLO is gone (power Unknown),
        its device bay is E-Fused through the frame (Synergy): a power cycle of the whole
        blade, iLO included. An iLO back after it presses and holds as usual; one still
        silent leaves a blade taken as dead. A blade whose power the appliance can neither
        confirm off nor cycle keeps its profile (DriverError)."""
        hw = self._hardware(bay)
        try:
            self._follow_running(str(hw["uri"]))  # a resumed step: the press already sent
            self._power(hw, "Off", "PressAndHold")
            return f"{bay} fenced: press-and-hold power-off through the appliance"
        except DriverError as exc:
            pressed = one_line(str(exc), 200).rstrip(".")
        hw = self.api.get(str(hw["uri"]))
        if hw.get("powerState") != "Unknown":
            raise DriverError(f"{bay}: cannot fence through the appliance: {pressed}")
        try:
            self._efuse(hw)
        except DriverError as exc:
            raise DriverError(
                f"{bay}: cannot fence through the appliance: press-and-hold: {pressed}; device bay "
                f"E-Fuse: {one_line(str(exc), 200).rstrip('.')}. The appliance unassigns a profile only "
                "from hardware whose power is off or cut: restore the iLO's connection (reset it from "
                "the Onboard Administrator, or reseat the blade), then fail over again") from None
        efused = (f"{bay}: device bay {hw.get('position')} E-Fused through the frame "
                  f"(its iLO did not answer: {pressed})")
        hw = self.api.get(str(hw["uri"]))
        if hw.get("powerState") == "Unknown":
            return (f"{efused}; the blade was power-cycled and its iLO did not come back: taken as "
                    "dead, its profile leaves it with force")
        if hw.get("powerState") != "Off":
            self._power(hw, "Off", "PressAndHold")
            hw = self.api.get(str(hw["uri"]))
            if hw.get("powerState") != "Off":
                raise DriverError(f"{efused}; power {hw.get('powerState')} after press-and-hold")
        return f"{efused}; its iLO came back and the blade reads Off"
    def _efuse(self, hw: Json) -> None:
        """Cut and restore a device bay's power through its frame (``PATCH`` the enclosure,
        as oneview-ansible's ``device_bays_power_state_e_fuse`` and POSH
        ``Reset-OVEnclosureDevice -Efuse`` send); a resumed step follows a running one."""
        enclosure = str(hw.get("locationUri"))
        if self._follow_running(enclosure) is not None:
            return
        op = {"op": "replace", "path": f"/deviceBays/{hw.get('position')}/bayPowerState", "value": "E-Fuse"}
        self.api.follow(self.api.write("PATCH", enclosure, [op]))

    def power_on(self, bay: str) -> str | None:
        hw = self._hardware(bay)
        self._follow_running(str(hw["uri"]))
        hw = self.api.get(str(hw["uri"]))
        if hw.get("powerState") != "On":
            self._power(hw, "On", "MomentaryPress")
            hw = self.api.get(str(hw["uri"]))
        if hw.get("powerState") != "On":
            raise DriverError(f"{bay}: power {hw.get('powerState')} after power-on")
        return None

    # -- profiles -------------------------------------------------------------------------------
    def refusal(self, profile: str, bay: str, source: str | None = None) -> str | None:
        """Which of the appliance's assignment rules refuses ``bay`` for ``profile`` now;
        or ``source`` holding another profile there (the move would start by powering off
        a blade that runs what bayops does not mean to move)."""
        prof = self._profile(profile)
        held = self._hardware(source).get("serverProfileUri") if source else None
        if held and held != prof.get("uri"):
            other = one_line(self.api.get(str(held)).get("name"), 80)
            return (f"{source} holds server profile {other!r} on the appliance, not {profile} "
                    "(changed in OneView's console since; see `bayops adopt --dry-run`)")
        return self._refusal(prof, self._hardware(bay))

    @staticmethod
    def _refusal(profile: Json, hw: Json) -> str | None:
        if hw.get("serverProfileUri") not in (None, profile.get("uri")):
            return f"{hw.get('name')} already has a server profile"
        if hw.get("serverHardwareTypeUri") != profile.get("serverHardwareTypeUri"):
            return f"{hw.get('name')} is not of the profile's server hardware type"
        if hw.get("serverGroupUri") != profile.get("enclosureGroupUri"):
            return f"{hw.get('name')} is not in the profile's enclosure group"
        if hw.get("status") == "Critical":
            return f"{hw.get('name')} is Critical on the appliance"
        if hw.get("powerState") != "Off" and hw.get("serverProfileUri") != profile.get("uri"):
            return f"{hw.get('name')} is powered {hw.get('powerState')}, not Off"
        return None

    def _put_profile(self, prof: Json, hw: Json | None, force: bool = False) -> str:
        """PUT the profile onto ``hw`` (None: unassigned) with its eTag; a stale eTag
        (someone edited it since we read it) is read again once. ``force``: the
        appliance's ``?force=all`` (oneview-golang's ForceFlag), which lets a profile leave
        a blade whose iLO is gone."""
        uri = str(prof["uri"]) + ("?force=all" if force else "")
        for attempt in (1, 2):
            body = dict(prof)
            body.update(serverHardwareUri=hw["uri"] if hw else None,
                        enclosureUri=hw.get("locationUri") if hw else None,
                        enclosureBay=hw.get("position") if hw else None)
            try:
                task = self.api.write("PUT", uri, body, etag=str(prof.get("eTag") or ""))
            except ApplianceError as exc:
                if exc.status != 412 or attempt == 2:
                    raise
                prof = self.api.get(str(prof["uri"]))
                continue
            self.api.follow(task)
            return task
        raise AssertionError("unreachable")

    def apply_profile(self, bay: str, profile: Profile) -> ApplyReport:
        hw = self._hardware(bay)
        prof = self._profile(profile.name)
        how = f"already on {hw.get('name')}"
        if prof.get("serverHardwareUri") != hw["uri"]:
            followed = self._follow_running(str(prof["uri"]))  # resumed: no second PUT
            prof = self.api.get(str(prof["uri"]))
            how = f"task {followed} (already running) followed"
        if prof.get("serverHardwareUri") != hw["uri"]:
            rule = self._refusal(prof, hw)
            if rule:
                raise DriverError(f"{bay}: the appliance would refuse profile {profile.name}: {rule}")
            how = f"task {self._put_profile(prof, hw)} completed"
            prof = self.api.get(str(prof["uri"]))
        hw = self.api.get(str(hw["uri"]))
        if prof.get("serverHardwareUri") != hw["uri"] or hw.get("serverProfileUri") != prof["uri"]:
            raise DriverError(f"{bay}: the appliance does not show profile {profile.name} on "
                              f"{hw.get('name')} after its task")
        item = res.managed(prof, {}, bay, ())
        applied = [f"server profile {profile.name} on {hw.get('name')} ({how})"]
        if not item.virtual:
            return ApplyReport(tuple(applied), not_applied=(
                "MACs/WWPNs/serial: the profile uses the hardware's physical ones, which do not move",))
        missing = res.identity_mismatches(prof, profile)
        fc = sum(c.kind == "fc" for c in profile.connections)
        applied.append(f"virtual identities read back: {len(profile.connections) - fc} MACs, {fc} WWPNs")
        return ApplyReport(tuple(applied), failed=tuple(missing))

    def clear_profile(self, bay: str, profile: str) -> str | None:
        """Unassign bayops's ``profile`` from ``bay``. Hardware whose power reads Unknown
        (its iLO gone) is left with the appliance's force: the core clears a bay only
        after its power-off or fence step, and a fence leaves Unknown only a blade
        power-cycled by an E-Fuse whose iLO did not come back."""
        hw = self._hardware(bay)
        uri = hw.get("serverProfileUri")
        if not uri:
            return None
        self._follow_running(str(uri))
        prof = self.api.get(str(uri))
        if prof.get("name") != profile:  # e.g. assigned from OneView's console since
            raise DriverError(f"{bay}: the appliance shows profile {one_line(prof.get('name'), 80)!r} "
                              f"on {one_line(hw.get('name'), 80)}, not bayops's {profile}: left as it is")
        forced = hw.get("powerState") == "Unknown"
        if prof.get("serverHardwareUri") == hw["uri"]:
            self._put_profile(prof, None, force=forced)
        hw = self.api.get(str(hw["uri"]))
        if hw.get("serverProfileUri") == uri:
            raise DriverError(f"{bay}: profile {prof.get('name')} is still on {hw.get('name')}")
        return "unassigned with force=all: its iLO does not answer, the blade was fenced" if forced else None

    def layout(self) -> list[ManagedGroup]:
        return domains.layout(self.api, self._network_names())

    def managed_profiles(self) -> list[ManagedProfile]:
        by_uri = {uri: bay for bay, uri in self._by_bay.items()} if self._by_bay else {}
        if not by_uri:
            by_uri = {str(hw["uri"]): bay for bay, hw in self._sweep().items()}
        names = self._network_names()
        groups: dict[str, tuple[str, ...]] = {}
        for enc in self.api.members("enclosures"):
            key = str(enc.get("enclosureGroupUri"))
            groups[key] = (*groups.get(key, ()), str(enc["name"]))
        return [res.managed(p, names, by_uri.get(str(p.get("serverHardwareUri"))),
                            groups.get(str(p.get("enclosureGroupUri")), ()))
                for p in self.api.members("server-profiles")]

    def domain_edit_refusal(self, domain: str, key: str, value: str) -> str | None:
        return domains.edit_refusal(self.api, self._network_names(fresh=True), key, value)

    def mark_spares(self, spares: list[str], others: list[str]) -> dict[str, str]:
        found = self._sweep()
        label = self.cfg.spare_label
        if self._labelled_known is False:  # what carries the label now, e.g. from another process
            query = quote(f"labels='{label}'", safe="")
            self._labelled = {str(r["uri"]) for r in self.api.members(
                "index/resources", None, f"category=server-hardware&query={query}")}
            self._labelled_known = True
        for bay in spares + others:
            hw = found.get(bay)
            want = bay in spares
            if hw is None or (str(hw["uri"]) in self._labelled) == want:
                continue
            uri = str(hw["uri"])
            have = self.api.get(f"/rest/labels/resources/{uri}").get("labels") or []
            names = [str(x.get("name")) for x in have if isinstance(x, dict)]
            if (label in names) != want:
                names = [*names, label] if want else [n for n in names if n != label]
                self.api.call("PUT", f"/rest/labels/resources/{uri}",
                              {"resourceUri": uri, "labels": [{"name": n} for n in names]})
            (self._labelled.add if want else self._labelled.discard)(uri)
        taken: dict[str, str] = {}
        for bay in spares:
            hw = found.get(bay)
            if hw is not None and hw.get("serverProfileUri"):
                taken[bay] = str(self.api.get(str(hw["serverProfileUri"])).get("name", "?"))
        return taken

    # -- domains and events ------------------------------------------------------------------------
    def apply_domain_config(self, domain: str, config: DomainConfig) -> str:
        return domains.apply(self.api, self._network_names(fresh=True), domain, config)

    def make_baseline(self, domain: str, config: DomainConfig) -> str:
        return domains.make_baseline(self.api, self._network_names(fresh=True), domain, config)

    # -- domain maintenance (tui/drivers/oneview/upkeep.py) -----------------------------------
    def firmware(self, domain: str, enclosures: list[str]) -> dict[str, str]:
        return upkeep.firmware(self.api, domain, enclosures)

    def stage_firmware(self, domain: str, enclosure: str, version: str) -> dict[str, str]:
        return upkeep.stage(self.api, domain, enclosure, version)

    def ports(self, domain: str, enclosures: list[str]) -> list[PortStatus]:
        return upkeep.ports(self.api, domain, enclosures, self._network_names())

    def export_config(self, domain: str) -> dict[str, Any]:
        return upkeep.export(self.api, domain)

    def import_config(self, domain: str, payload: dict[str, Any]) -> str:
        return upkeep.restore(self.api, domain, payload)

    def events(self) -> list[HardwareEvent]:
        """Active alerts on mapped server hardware that are new since the last call; at
        the first call, those raised in the last ALERT_LOOKBACK seconds (older ones show
        in the health read, and a restarted monitor does not report them again)."""
        try:
            alerts = list(self.api.members("alerts", "alertState='Active'"))
            if not self._by_bay:
                self._sweep()
        except DriverError:
            return []  # the next poll asks again; read() reports the appliance's silence
        bays = {uri: bay for bay, uri in self._by_bay.items()}
        since = time.time() - ALERT_LOOKBACK if self._alerts is None else float("-inf")
        seen = self._alerts or set()
        out = []
        for alert in alerts:
            uri, bay = str(alert.get("uri")), bays.get(str(alert.get("resourceUri")))
            if uri in seen or bay is None:
                continue
            seen.add(uri)
            if _created(alert) < since:
                continue
            kind, severity = ALERT_KIND.get(str(alert.get("severity")), ("alert", "info"))
            text = one_line(alert.get("description"), 200)
            out.append(HardwareEvent(bay, kind, severity, f"{bay}: appliance alert: {text}"))
        self._alerts = seen & {str(a.get("uri")) for a in alerts}  # only the active: bounded
        return out

    def describe(self) -> dict[str, str]:
        version = self.api.negotiate()
        low, high = self.api.versions or (version, version)
        counts = {c: self.api.total(c) for c in ("enclosure-groups", "logical-interconnect-groups",
                                                 "logical-interconnects", "enclosures", "server-hardware",
                                                 "server-profiles")}
        return {"appliance": self.cfg.url, "api_version": f"{version} (appliance speaks {low}..{high})",
                "maps": ", ".join(f"{n} {c}" for c, n in counts.items())}

    def close(self) -> None:
        self.api.close()


def _created(alert: Json) -> float:
    """An alert's ``created`` as a POSIX time (0 if it has none the driver can read)."""
    try:
        return dt.datetime.fromisoformat(str(alert.get("created")).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0
