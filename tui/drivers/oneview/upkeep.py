"""Domain maintenance on the appliance (``DomainMaintenanceDriver``): a domain's
components are its logical interconnect's modules (``<enclosure>/ic<bay>``), their
firmware is the LI's SPP (one update task per LI), its uplinks are the modules' Uplink
ports, and its configuration is the LI's (and its group's) settings. See docs/oneview.md
("Domain maintenance")."""

from __future__ import annotations

from typing import Any

from tui.drivers.oneview.client import Appliance, ApplianceError, Json, one_line
from tui.drivers.oneview.domains import (
    NoLogicalInterconnect,
    logical_enclosure_of,
    logical_interconnect,
    port_location,
    spp,
    update_firmware,
    uplink_sets,
)
from tui.model.driver import DriverError
from tui.model.upkeep import PortStatus

# the LI's parts an export holds and an import puts back (PUT .../{section}); its uplink
# sets are /rest/uplink-sets resources; firmware is exported but never re-flashed by an
# import (that is `bayops firmware upgrade`)
SECTIONS = {"ethernetSettings": "ethernetSettings", "internalNetworks": "internalNetworkUris"}
# what of an uplink set a restore puts back (the rest is the appliance's: uri, eTag, state...)
UPLINK_FIELDS = ("name", "networkType", "ethernetNetworkType", "networkUris", "fcNetworkUris",
                 "fcoeNetworkUris", "portConfigInfos", "connectionMode", "manualLoginRedistributionState")
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
    """The enclosure on the SPP of ``version``, read back per module.
    The update is the logical enclosure's (its baseline set and its shared infrastructure
    updated: one task for all its enclosures and LIs; an LI in no LE gets the LI's own
    ``PUT .../firmware``). A task already running there (a resumed job, or the update an
    earlier enclosure of the same LE sent) is followed, never a second one sent; an
    enclosure whose LE is already on that baseline and runs it is only read back."""
    li, found = modules(api, domain, [enclosure])
    if not found:
        raise DriverError(f"{enclosure}: the appliance shows no interconnect of {domain} there")
    le = logical_enclosure_of(api, li)
    owner, name = (le or li), (le or li).get("name")
    bundle = spp(api, version)
    try:
        task = api.running_task(str(owner["uri"]), "Update firmware") or \
            api.running_task(str(li["uri"]), "Update firmware")
        if task is not None:
            api.follow(task)
        elif _on(api, domain, enclosure, le, version, str(bundle["uri"])):
            return firmware(api, domain, [enclosure])
        else:
            body = {"command": "Update", "sppUri": bundle["uri"], "force": False}
            task = update_firmware(api, le, str(bundle["uri"])) if le is not None else \
                api.write("PUT", f"{li['uri']}/firmware", body)
            api.follow(task)
    except ApplianceError as exc:
        raise DriverError(f"{enclosure}: firmware update of {name} to {version}: {exc}") from None
    read = firmware(api, domain, [enclosure])
    off = sorted(c for c, v in read.items() if v != version)
    if off:
        raise DriverError(f"{enclosure}: {', '.join(off)} not on {version} after the update task {task}")
    return read


def _on(api: Appliance, domain: str, enclosure: str, le: Json | None, version: str, spp_uri: str) -> bool:
    """Every module of the enclosure runs ``version`` and its LE (if any) pins that SPP."""
    pinned = (api.get(str(le["uri"])).get("firmware") or {}).get("firmwareBaselineUri") if le else spp_uri
    if pinned != spp_uri:
        return False
    return set(firmware(api, domain, [enclosure]).values()) == {version}


def _carried(sets: list[Json], bay: str, port: str, names: dict[str, str]) -> tuple[str, ...]:
    """Networks of the LI's uplink sets (/rest/uplink-sets) that use this module's port
    (``portConfigInfos[].location.locationEntries`` Bay and Port)."""
    nets: set[str] = set()
    for uplink in sets:
        for info in uplink.get("portConfigInfos") or []:
            where = port_location(info)
            if where.get("Bay") == bay and where.get("Port") == port:
                uris = [*(uplink.get("networkUris") or []), *(uplink.get("fcNetworkUris") or [])]
                nets.update(names.get(str(u), str(u)) for u in uris)
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
    sets = uplink_sets(api, li)
    out = []
    for name, ic in found:
        bay = _location(ic)[1]
        for port in ic.get("ports") or []:
            if port.get("portType") != "Uplink":
                continue
            pname = str(port.get("portName"))
            carried = _carried(sets, bay, pname, names)
            linked = port.get("portStatus") == "Linked"
            if not linked and not carried:
                continue  # no cable and in no uplink set: unused, not a port that is down
            up = linked and port.get("portHealthStatus") != "Critical"
            rx, tx = _errors(api, ic, pname)
            out.append(PortStatus(f"{name}:{one_line(pname, 12)}", "up" if up else "down",
                                  SPEEDS.get(str(port.get("operationalSpeed")), 0.0) if up else 0.0,
                                  carried, rx_errors=rx, tx_errors=tx))
    return out


def _firmware_of(api: Appliance, li: Json) -> Json:
    """The SPP the LI runs (GET .../firmware) and its logical enclosure's baseline."""
    running = api.get(f"{li['uri']}/firmware")
    le = logical_enclosure_of(api, li) or {}
    return {"sppUri": running.get("sppUri"), "sppName": running.get("sppName"),
            "logicalEnclosureBaselineUri": (le.get("firmware") or {}).get("firmwareBaselineUri")}


def export(api: Appliance, domain: str) -> dict[str, Any]:
    """The LI's settings (its uplink sets as /rest/uplink-sets has them, its firmware)
    and its group's, as the appliance holds them (only the parts listed: no SNMP
    communities or other secrets)."""
    li = logical_interconnect(api, domain)
    lig = api.get(str(li["logicalInterconnectGroupUri"]))
    return {"appliance": "oneview",
            "logical_interconnect": {
                "name": li.get("name"), "uri": li["uri"], "consistencyStatus": li.get("consistencyStatus"),
                **{k: li.get(k) for k in SECTIONS.values()},
                "uplink_sets": [{k: s.get(k) for k in UPLINK_FIELDS} for s in uplink_sets(api, li)],
                "firmware": _firmware_of(api, li)},
            "group": {"name": lig.get("name"), "uri": lig["uri"],
                      **{k: lig.get(k) for k in (*SECTIONS.values(), "uplinkSets")}}}


def _saved_sets(saved: dict[str, Any]) -> list[Json] | None:
    """The uplink sets a backup holds: ``uplink_sets`` (resources); a backup from before
    has ``uplinkSets`` in its group's shape (FC networks in ``networkUris``)."""
    if isinstance(saved.get("uplink_sets"), list):
        return [s for s in saved["uplink_sets"] if isinstance(s, dict)]
    if not isinstance(saved.get("uplinkSets"), list):
        return None
    out = []
    for s in saved["uplinkSets"]:
        fc = s.get("networkType") == "FibreChannel"
        nets = list(s.get("networkUris") or [])
        out.append({"name": s.get("name"), "networkType": s.get("networkType"),
                    "networkUris": [] if fc else nets, "fcNetworkUris": nets if fc else []})
    return out


def _restore_uplinks(api: Appliance, li: Json, saved: list[Json]) -> list[str]:
    """The LI's /rest/uplink-sets made as saved: one missing created (POST), one that
    differs replaced (PUT with its eTag), one not in the backup deleted."""
    have = {str(s.get("name")): s for s in uplink_sets(api, li)}
    done = []
    for want in saved:
        fields = {k: want[k] for k in UPLINK_FIELDS if k in want}
        current = have.pop(str(want.get("name")), None)
        if current is None:
            api.follow(api.write("POST", "/rest/uplink-sets", {
                "type": "uplink-setV7", "logicalInterconnectUri": li["uri"], "fcoeNetworkUris": [],
                "portConfigInfos": [], "connectionMode": "Auto", **fields}))
            done.append(f"uplink set {want.get('name')} created")
        elif any(current.get(k) != v for k, v in fields.items()):
            api.follow(api.write("PUT", str(current["uri"]), {**current, **fields},
                                 etag=str(current.get("eTag") or "")))
            done.append(f"uplink set {want.get('name')} put back")
    for extra in have.values():
        api.follow(api.write("DELETE", str(extra["uri"]), None, etag=str(extra.get("eTag") or "")))
        done.append(f"uplink set {extra.get('name')} deleted")
    return done


def restore(api: Appliance, domain: str, payload: dict[str, Any]) -> str:
    """Put the exported LI's settings back on the domain's LI, section by section and
    uplink set by uplink set (what is already as saved is left alone); say whether it
    now differs from its group."""
    saved = payload.get("logical_interconnect")
    if payload.get("appliance") != "oneview" or not isinstance(saved, dict):
        raise DriverError(f"domain {domain}: the backup holds no OneView logical interconnect export")
    li = logical_interconnect(api, domain)
    done = []
    try:
        for section, key in SECTIONS.items():
            if key in saved and li.get(key) != saved[key]:
                api.follow(api.running_task(str(li["uri"])) or
                           api.write("PUT", f"{li['uri']}/{section}", saved[key]))
                done.append(section)
        sets = _saved_sets(saved)
        if sets is not None:
            done += _restore_uplinks(api, li, sets)
    except ApplianceError as exc:
        raise DriverError(f"domain {domain}: restoring {li.get('name')} ({', '.join(done) or 'nothing'} "
                          f"done): {exc}") from None
    li = api.get(str(li["uri"]))
    what = f"restored {', '.join(done)}" if done else "already as saved"
    was = saved.get("firmware") or {}
    firmware_note = ("" if not isinstance(was, dict) or was.get("sppUri") in (
        None, api.get(f"{li['uri']}/firmware").get("sppUri"))
        else "; firmware not re-flashed (bayops firmware upgrade)")
    group = "consistent with its group" if li.get("consistencyStatus") == "CONSISTENT" else \
        "differs from its group (update from group, or complete the maintenance, to align it)"
    return f"logical interconnect {li.get('name')}: {what}; {group}{firmware_note}"
