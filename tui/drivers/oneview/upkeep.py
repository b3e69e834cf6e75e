"""Domain maintenance on the appliance (``DomainMaintenanceDriver``): a domain's
components are its logical interconnect's modules (``<enclosure>/ic<bay>``), their
firmware is the LI's SPP (one update task per LI), its uplinks are the modules' Uplink
ports, and its configuration is the LI's (and its group's) settings. See docs/oneview.md
("Domain maintenance")."""

from __future__ import annotations

from typing import Any

from tui.drivers.oneview.client import Appliance, ApplianceError, Json, one_line
from tui.drivers.oneview.domains import NoLogicalInterconnect, logical_interconnect, spp
from tui.model.driver import DriverError
from tui.model.upkeep import PortStatus

# the LI's parts an export holds and an import puts back (PUT .../{section}); firmware is
# exported but never re-flashed by an import (that is `bayops firmware upgrade`)
SECTIONS = {"ethernetSettings": "ethernetSettings", "internalNetworks": "internalNetworkUris",
            "uplinkSets": "uplinkSets"}
SETTINGS = (*SECTIONS.values(), "firmware")
SPEEDS = {"Speed1G": 1.0, "Speed10G": 10.0, "Speed20G": 20.0, "Speed25G": 25.0, "Speed40G": 40.0,
          "Speed50G": 50.0, "Speed100G": 100.0}


def _location(ic: Json) -> tuple[str, str]:
    """(enclosure uri, bay) from the module's interconnectLocation."""
    entries = {str(e.get("type")): str(e.get("value"))
               for e in (ic.get("interconnectLocation") or {}).get("locationEntries") or []}
    return entries.get("Enclosure", ""), entries.get("Bay", "?")


def modules(api: Appliance, domain: str, enclosures: list[str]) -> tuple[Json, list[tuple[str, Json]]]:
    """The domain's LI and its modules in these enclosures, as (``<enclosure>/ic<bay>``, module)."""
    li = logical_interconnect(api, domain)
    names = {str(e["uri"]): str(e["name"]) for e in api.members("enclosures")}
    out = []
    for ic in api.members("interconnects", f"logicalInterconnectUri='{li['uri']}'"):
        enc_uri, bay = _location(ic)
        enclosure = names.get(enc_uri) or str(ic.get("enclosureName"))
        if enclosure in enclosures:
            out.append((f"{enclosure}/ic{bay}", ic))
    return li, sorted(out, key=lambda x: x[0])


def firmware(api: Appliance, domain: str, enclosures: list[str]) -> dict[str, str]:
    return {name: str(ic.get("firmwareVersion") or "unknown")
            for name, ic in modules(api, domain, enclosures)[1]}


def stage(api: Appliance, domain: str, enclosure: str, version: str) -> dict[str, str]:
    """The LI's firmware update to the SPP of ``version`` (it updates every module of the
    LI: one task per LI, and a later enclosure of the same LI finds it done)."""
    li, found = modules(api, domain, [enclosure])
    if not found:
        raise DriverError(f"{enclosure}: the appliance shows no interconnect of {domain} there")
    versions = {name: str(ic.get("firmwareVersion")) for name, ic in found}
    if set(versions.values()) == {version}:
        return versions
    body = {"command": "Update", "sppUri": spp(api, version)["uri"], "force": False}
    try:
        api.follow(api.running_task(str(li["uri"])) or api.write("PUT", f"{li['uri']}/firmware", body))
    except ApplianceError as exc:
        raise DriverError(f"{enclosure}: firmware update of {li.get('name')} to {version}: {exc}") from None
    read = firmware(api, domain, [enclosure])
    off = sorted(c for c, v in read.items() if v != version)
    if off:
        raise DriverError(f"{enclosure}: {', '.join(off)} not on {version} after the update task")
    return read


def _carried(li: Json, bay: str, port: str, names: dict[str, str]) -> tuple[str, ...]:
    """Networks of the LI's uplink sets that use this module's port."""
    nets: set[str] = set()
    for uplink in li.get("uplinkSets") or []:
        for info in uplink.get("logicalPortConfigInfos") or []:
            where = info.get("logicalLocation") or {}
            if str(where.get("bay")) == bay and where.get("port") == port:
                nets.update(names.get(str(u), str(u)) for u in uplink.get("networkUris") or [])
    return tuple(sorted(nets))


def _errors(api: Appliance, ic: Json, port: str) -> tuple[int, int]:
    """A port's receive and transmit error counters; (0, 0) where the module keeps none."""
    try:
        stats = api.get(f"{ic['uri']}/statistics/{port}").get("commonStatistics") or {}
    except ApplianceError as exc:
        if exc.status == 404:
            return 0, 0
        raise
    try:
        return int(stats.get("rfc1213IfInErrors") or 0), int(stats.get("rfc1213IfOutErrors") or 0)
    except ValueError:
        return 0, 0


def ports(api: Appliance, domain: str, enclosures: list[str], names: dict[str, str]) -> list[PortStatus]:
    """The LI's uplinks; none for a domain with no LI (the monitor reads every domain's
    ports at each sweep: such a domain must not stop it)."""
    try:
        li, found = modules(api, domain, enclosures)
    except NoLogicalInterconnect:
        return []
    out = []
    for name, ic in found:
        bay = _location(ic)[1]
        for port in ic.get("ports") or []:
            if port.get("portType") != "Uplink":
                continue
            pname = str(port.get("portName"))
            carried = _carried(li, bay, pname, names)
            linked = port.get("portStatus") == "Linked"
            if not linked and not carried:
                continue  # no cable and in no uplink set: unused, not a port that is down
            up = linked and port.get("portHealthStatus") != "Critical"
            rx, tx = _errors(api, ic, pname)
            out.append(PortStatus(f"{name}:{one_line(pname, 12)}", "up" if up else "down",
                                  SPEEDS.get(str(port.get("operationalSpeed")), 0.0) if up else 0.0,
                                  carried, rx_errors=rx, tx_errors=tx))
    return out


def export(api: Appliance, domain: str) -> dict[str, Any]:
    """The LI's settings and its group's, as the appliance holds them (only the parts
    listed: no SNMP communities or other secrets)."""
    li = logical_interconnect(api, domain)
    lig = api.get(str(li["logicalInterconnectGroupUri"]))
    return {"appliance": "oneview",
            "logical_interconnect": {"name": li.get("name"), "uri": li["uri"],
                                     "consistencyStatus": li.get("consistencyStatus"),
                                     **{k: li.get(k) for k in SETTINGS}},
            "group": {"name": lig.get("name"), "uri": lig["uri"], **{k: lig.get(k) for k in SETTINGS}}}


def restore(api: Appliance, domain: str, payload: dict[str, Any]) -> str:
    """Put the exported LI's settings back on the domain's LI, section by section (a
    section already as saved is left alone); say whether it now differs from its group."""
    saved = payload.get("logical_interconnect")
    if payload.get("appliance") != "oneview" or not isinstance(saved, dict):
        raise DriverError(f"domain {domain}: the backup holds no OneView logical interconnect export")
    li = logical_interconnect(api, domain)
    done = []
    for section, key in SECTIONS.items():
        if key in saved and li.get(key) != saved[key]:
            try:
                api.follow(api.running_task(str(li["uri"])) or
                           api.write("PUT", f"{li['uri']}/{section}", saved[key]))
            except ApplianceError as exc:
                raise DriverError(f"domain {domain}: restoring {section} of {li.get('name')}: "
                                  f"{exc}") from None
            done.append(section)
    li = api.get(str(li["uri"]))
    what = f"restored {', '.join(done)}" if done else "already as saved"
    firmware_note = ("" if li.get("firmware") == saved.get("firmware")
                     else "; firmware not re-flashed (bayops firmware upgrade)")
    group = "consistent with its group" if li.get("consistencyStatus") == "CONSISTENT" else \
        "differs from its group (update from group, or complete the maintenance, to align it)"
    return f"logical interconnect {li.get('name')}: {what}; {group}{firmware_note}"
