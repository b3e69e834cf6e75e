"""Domains on the appliance: the fleet's layout (enclosure groups, their logical
interconnect groups, logical enclosures) and domain configuration with VCEM's meaning
on logical interconnects. See docs/oneview.md ("Domain maintenance")."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from tui.drivers.oneview.client import Appliance, Json, one_line
from tui.model.driver import DriverError, ManagedGroup
from tui.model.entities import DomainConfig


def layout(api: Appliance, names: dict[str, str]) -> list[ManagedGroup]:
    """Enclosure groups (+ their LIG's networks and fabrics, and the firmware baseline
    most of their logical enclosures have) as groups, logical enclosures as domains; an
    enclosure in no logical enclosure is a domain of its own."""
    enclosures = {str(e["uri"]): e for e in api.members("enclosures")}
    in_le: dict[str, list[tuple[str, tuple[tuple[str, int], ...]]]] = {}
    baselines: dict[str, Counter[str]] = {}  # enclosure group -> its LEs' firmware baselines
    placed: set[str] = set()
    for le in api.members("logical-enclosures"):
        uris = [u for u in le.get("enclosureUris") or [] if u in enclosures]
        placed.update(uris)
        baselines.setdefault(str(le.get("enclosureGroupUri")), Counter()).update(
            [str((le.get("firmware") or {}).get("firmwareBaselineUri"))])
        in_le.setdefault(str(le.get("enclosureGroupUri")), []).append((str(le["name"]), tuple(
            (str(enclosures[u]["name"]), int(enclosures[u].get("deviceBayCount") or 16)) for u in uris)))
    for uri, enc in enclosures.items():
        if uri not in placed:
            in_le.setdefault(str(enc.get("enclosureGroupUri")), []).append(
                (str(enc["name"]), ((str(enc["name"]), int(enc.get("deviceBayCount") or 16)),)))
    vlans: dict[str, tuple[str, int]] = {}
    for net in api.members("ethernet-networks"):
        vlan = net.get("vlanId")
        if isinstance(vlan, int) and 1 <= vlan <= 4094:  # untagged ones have no VLAN here
            vlans[str(net["uri"])] = (str(net["name"]), vlan)
    spps = {str(b["uri"]): str(b.get("version") or b.get("name")) for b in api.members("firmware-drivers")}
    out = []
    for eg in api.members("enclosure-groups"):
        ligs = eg.get("associatedLogicalInterconnectGroups") or []
        lig = api.get(str(ligs[0])) if ligs else {}
        nets = {str(u) for s in lig.get("uplinkSets") or [] for u in s.get("networkUris") or []}
        nets |= {str(u) for u in lig.get("internalNetworkUris") or []}
        networks = dict(vlans[u] for u in nets if u in vlans)
        fabrics = tuple(sorted(names[u] for u in nets
                               if u.startswith("/rest/fc-networks/") and u in names))
        domains = tuple(sorted(d for d in in_le.get(str(eg["uri"]), []) if d[1]))
        if domains:
            # OneView pins firmware per logical enclosure, not per group: the group's
            # baseline is the one most of its LEs have (compliance shows the others)
            common = baselines.get(str(eg["uri"]), Counter()).most_common(1)
            out.append(ManagedGroup(str(eg["name"]), networks, fabrics, domains,
                                    spps.get(common[0][0], "") if common else ""))
    return out


# The parts of a domain bayops edits that live on a logical interconnect and its group
# (LIG); its firmware baseline is its logical enclosure's (``_firmware``)
@dataclass(frozen=True)
class Parts:
    internal: frozenset[str]  # internal networks: Ethernet networks in no uplink set of the LIG
    fabrics: frozenset[str]  # the FC networks of its FibreChannel uplink sets (SAN fabrics)


USERS = ("local users are not per domain under HPE OneView: a VC domain's local accounts become "
         "the appliance's own users (/rest/users, roles and scopes), which reach every logical "
         "interconnect; manage them in OneView (Settings > Users and Groups)")
STORAGE = ("a fabric's settings are its FC network's on HPE OneView (/rest/fc-networks: type, "
           "link stability, bandwidth); change them in OneView, where every domain sees them")


def edit_refusal(api: Appliance, names: dict[str, str], key: str, value: str) -> str | None:
    """Why the appliance has no place for this ``domain set`` edit, or None."""
    kind, _, name = key.partition(".")
    if kind == "user":
        return USERS
    if kind == "storage":
        return STORAGE
    if kind == "fabric" and value == "present" and not any(
            n == name and u.startswith("/rest/fc-networks/") for u, n in names.items()):
        return (f"the appliance has no FC network {one_line(name, 60)!r}, so no fabric of that name "
                "can reach a logical interconnect; create it in OneView (Networks) first")
    if key == "firmware" and value not in ("", "-"):
        try:
            spp(api, value)
        except DriverError as exc:
            return str(exc)
    return None


def spp(api: Appliance, version: str) -> Json:
    """The firmware repository's bundle (SPP) of that version or name."""
    for bundle in api.members("firmware-drivers"):
        if version in (bundle.get("version"), bundle.get("name")):
            return bundle
    raise DriverError(f"the appliance has no firmware bundle (SPP) of version {one_line(version, 40)!r}; "
                      "upload it to OneView's firmware repository first")


def _wanted(api: Appliance, names: dict[str, str], lig: Json,
            config: DomainConfig) -> tuple[Parts, str]:
    """The parts ``config`` asks for and what of it the appliance cannot take (a note).
    Its firmware is a target that staging flashes (``upkeep.stage``), never pushed here."""
    fc = {n: u for u, n in names.items() if u.startswith("/rest/fc-networks/")}
    by_name = {n: u for u, n in names.items() if not u.startswith("/rest/fc-networks/")}  # Ethernet
    uplinks = {u for s in lig.get("uplinkSets") or [] for u in s.get("networkUris") or []}
    missing = sorted(n for n in config.networks if n not in by_name) + \
        sorted(f"fabric {f}" for f in config.fabrics if f not in fc)
    note = f"; not on the appliance, not applied: {', '.join(missing)}" if missing else ""
    if config.firmware:
        try:
            spp(api, config.firmware)
        except DriverError:
            note += f"; firmware {one_line(config.firmware, 40)}: no such SPP in the repository, not applied"
    if config.users:
        note += "; local users: " + USERS + ", not applied"
    if config.storage:
        note += "; storage settings: " + STORAGE + ", not applied"
    internal = frozenset(by_name[n] for n in config.networks if n in by_name and by_name[n] not in uplinks)
    return Parts(internal, frozenset(fc[f] for f in config.fabrics if f in fc)), note


def _fc(uplink: Json) -> list[str]:
    """The FC networks of an uplink set: ``fcNetworkUris`` on an LI's (/rest/uplink-sets),
    ``networkUris`` in a LIG's list."""
    if uplink.get("networkType") != "FibreChannel":
        return []
    return [str(u) for u in uplink.get("fcNetworkUris") or uplink.get("networkUris") or []]


def uplink_sets(api: Appliance, li: Json) -> list[Json]:
    return list(api.members("uplink-sets", f"logicalInterconnectUri='{li['uri']}'"))


def _li_parts(api: Appliance, li: Json) -> Parts:
    return Parts(frozenset(li.get("internalNetworkUris") or []),
                 frozenset(u for s in uplink_sets(api, li) for u in _fc(s)))


def _lig_parts(lig: Json) -> Parts:
    return Parts(frozenset(lig.get("internalNetworkUris") or []),
                 frozenset(u for s in lig.get("uplinkSets") or [] for u in _fc(s)))


def _settle(api: Appliance, uri: str) -> None:
    """Follow a task still running on ``uri`` (a resumed step) before reading it again."""
    task = api.running_task(uri)
    if task is not None:
        api.follow(task)


def _current(api: Appliance, names: dict[str, str], domain: str,
             config: DomainConfig) -> tuple[Json, Json, Parts, str]:
    """The domain's LI (a task still running on it followed first), its LIG, and what
    ``config`` asks of them (see ``_wanted``)."""
    li = logical_interconnect(api, domain)
    _settle(api, str(li["uri"]))
    li = api.get(str(li["uri"]))
    lig = api.get(str(li["logicalInterconnectGroupUri"]))
    return (li, lig, *_wanted(api, names, lig, config))


def apply(api: Appliance, names: dict[str, str], domain: str, config: DomainConfig) -> str:
    """The domain's networks and fabrics on its logical interconnect, with VCEM's
    meaning: while the LI is the only one that differs from its group (LIG), the edit
    applies to that LI alone (maintenance); once another member that left the group
    already has it, the group is updated from it (the change becomes the baseline) and
    this LI is brought to it (update from group); an LI asked for what its group has is
    brought back to the group. Its firmware is staged, not pushed (``upkeep.stage``)."""
    li, lig, want, note = _current(api, names, domain, config)
    return _networks(api, names, domain, li, lig, want) + note


def make_baseline(api: Appliance, names: dict[str, str], domain: str, config: DomainConfig) -> str:
    """The LIG updated from the domain's LI (when it differs), the LI brought to it and
    read back CONSISTENT: the end of a maintenance, also in a group with no other member
    (its firmware baseline was set by staging, once per logical enclosure)."""
    li, lig, want, note = _current(api, names, domain, config)
    updated = ""
    if _lig_parts(lig) != want:
        task = _update_group(api, lig, want, li)
        updated = f"group {lig.get('name')} updated from {li.get('name')} (task {task}); "
    done = _bring_to_group(api, domain, li, lig, want)
    return updated + done + note


def _networks(api: Appliance, names: dict[str, str], domain: str, li: Json, lig: Json, want: Parts) -> str:
    if _lig_parts(lig) == want:
        return _bring_to_group(api, domain, li, lig, want)
    peer = _peer(api, lig, li, want)
    if peer is None:  # this LI alone differs: an edit in maintenance
        return _edit_alone(api, names, li, lig, want)
    task = _update_group(api, lig, want, peer)
    try:
        done = _bring_to_group(api, domain, li, lig, want)
    except DriverError as exc:
        # the first member failed: the group goes back to what it was, so it never
        # holds a baseline no member has
        fresh = api.get(str(lig["uri"]))
        body: Json = {**fresh, **{k: lig[k] for k in ("internalNetworkUris", "uplinkSets") if k in lig}}
        api.follow(api.write("PUT", str(lig["uri"]), body, etag=str(fresh.get("eTag") or "")))
        raise DriverError(f"{exc}; group {lig.get('name')} set back as it was") from None
    return done + f"; group {lig.get('name')} updated from {peer.get('name')} (task {task})"


def logical_enclosure_of(api: Appliance, li: Json) -> Json | None:
    return next((le for le in api.members("logical-enclosures")
                 if li["uri"] in (le.get("logicalInterconnectUris") or [])), None)


def update_firmware(api: Appliance, le: Json, spp_uri: str) -> str:
    """The logical enclosure's firmware baseline set to ``spp_uri`` and applied to its
    shared infrastructure (every interconnect of every LI of the LE: one task, whatever
    the number of enclosures), by ``PATCH`` op replace ``/firmware`` with its eTag; the
    task's uri. Only staging calls it: the baseline and the flash are one change."""
    value = {**(le.get("firmware") or {}), "firmwareBaselineUri": spp_uri,
             "firmwareUpdateOn": "SharedInfrastructureOnly", "forceInstallFirmware": False}
    return api.write("PATCH", str(le["uri"]), [{"op": "replace", "path": "/firmware", "value": value}],
                     etag=str(le.get("eTag") or ""))


def _bring_to_group(api: Appliance, domain: str, li: Json, lig: Json, want: Parts) -> str:
    """Update from group, then read back that the LI has what was asked for."""
    done = _update_from_group(api, domain, api.get(str(li["uri"])))
    if _li_parts(api, api.get(str(li["uri"]))) != want:  # read back, not assumed
        raise DriverError(f"domain {domain}: {li.get('name')} does not have the configuration asked "
                          f"for after update from group {lig.get('name')}")
    return done


def _peer(api: Appliance, lig: Json, li: Json, want: Parts) -> Json | None:
    """Another member that left the group (NOT_CONSISTENT) and has what ``want`` asks:
    the domain edited in maintenance, or when a propagation is undone, one still on the
    old baseline."""
    for other in api.members("logical-interconnects", f"logicalInterconnectGroupUri='{lig['uri']}'"):
        if other["uri"] == li["uri"] or other.get("consistencyStatus") == "CONSISTENT":
            continue
        if _li_parts(api, other) == want:
            return other
    return None


def _edit_alone(api: Appliance, names: dict[str, str], li: Json, lig: Json, want: Parts) -> str:
    """Networks and fabrics (FibreChannel uplink sets) of this one LI."""
    have = _li_parts(api, li)
    done = []
    if have.internal != want.internal:
        api.follow(api.write("PUT", f"{li['uri']}/internalNetworks", sorted(want.internal)))
        done.append("internal networks")
    sets = uplink_sets(api, li)
    for uplink in sets:
        fc = _fc(uplink)
        if fc and not set(fc) & want.fabrics:
            api.follow(api.write("DELETE", str(uplink["uri"]), None, etag=str(uplink.get("eTag") or "")))
            done.append(f"fabric {names.get(fc[0], fc[0])} removed")
    for fabric in sorted(want.fabrics - have.fabrics):
        api.follow(api.write("POST", "/rest/uplink-sets", _fc_uplink_set(li, lig, fabric, names)))
        done.append(f"fabric {names.get(fabric, fabric)} added")
    if not done:
        return f"logical interconnect {li.get('name')} already has this configuration"
    return f"logical interconnect {li.get('name')} alone changed: {', '.join(done)}"


def _fc_uplink_set(li: Json, lig: Json, fabric: str, names: dict[str, str]) -> Json:
    """A FibreChannel uplink set carrying ``fabric`` on this LI: as its group has it
    (name, and its logical ports located in each of the LI's enclosures) if the group
    carries that fabric, else named after the FC network and without uplink ports
    (which are chosen in OneView)."""
    theirs: Json = next((s for s in lig.get("uplinkSets") or [] if fabric in _fc(s)), {})
    ports = [{"desiredSpeed": info.get("desiredSpeed", "Auto"), "location": {"locationEntries": [
        {"type": "Enclosure", "value": enclosure},
        {"type": "Bay", "value": str((info.get("logicalLocation") or {}).get("bay"))},
        {"type": "Port", "value": str((info.get("logicalLocation") or {}).get("port"))}]}}
        for enclosure in li.get("enclosureUris") or [] for info in theirs.get("logicalPortConfigInfos") or []]
    return {"type": "uplink-setV7", "name": theirs.get("name") or names.get(fabric, fabric),
            "logicalInterconnectUri": li["uri"], "networkType": "FibreChannel",
            "ethernetNetworkType": "NotApplicable", "networkUris": [], "fcNetworkUris": [fabric],
            "fcoeNetworkUris": [], "portConfigInfos": ports,
            "connectionMode": "Auto", "manualLoginRedistributionState": "Supported"}


def port_location(info: Json) -> dict[str, str]:
    """An uplink set's port (``portConfigInfos[]``) located: Enclosure, Bay, Port."""
    return {str(e.get("type")): str(e.get("value"))
            for e in (info.get("location") or {}).get("locationEntries") or []}


def _logical_ports(uplink: Json) -> list[Json]:
    """An LI's uplink set's ports as its group lists them: by bay and port, once."""
    out: list[Json] = []
    for info in uplink.get("portConfigInfos") or []:
        where = port_location(info)
        port = {"logicalLocation": {"bay": int(where.get("Bay", "0")), "port": where.get("Port")},
                "desiredSpeed": info.get("desiredSpeed", "Auto")}
        if port not in out:
            out.append(port)
    return out


def _update_group(api: Appliance, lig: Json, want: Parts, other: Json) -> str:
    """The LIG set to ``want`` (PUT with its eTag): its internal networks and its
    FibreChannel uplink sets as ``other`` (an LI that has them) has them."""
    kept = [s for s in lig.get("uplinkSets") or [] if not _fc(s) or set(_fc(s)) <= want.fabrics]
    carried = {u for s in kept for u in _fc(s)}
    added = [{"name": s.get("name"), "networkType": "FibreChannel", "networkUris": _fc(s),
              "logicalPortConfigInfos": _logical_ports(s)}
             for s in uplink_sets(api, other) if _fc(s) and not set(_fc(s)) <= carried]
    body = {**lig, "internalNetworkUris": sorted(want.internal), "uplinkSets": kept + added}
    task = api.running_task(str(lig["uri"])) or api.write("PUT", str(lig["uri"]), body,
                                                            etag=str(lig.get("eTag") or ""))
    api.follow(task)
    return task


def _update_from_group(api: Appliance, domain: str, li: Json) -> str:
    if li.get("consistencyStatus") == "CONSISTENT":
        return f"logical interconnect {li.get('name')} consistent with its group"
    task = api.running_task(str(li["uri"])) or api.write(
        "PUT", f"{li['uri']}/compliance", {"type": "li-compliance", "uri": li["uri"]})
    api.follow(task)
    li = api.get(str(li["uri"]))
    if li.get("consistencyStatus") != "CONSISTENT":
        raise DriverError(f"domain {domain}: {li.get('name')} is {li.get('consistencyStatus')} "
                          "after update from group")
    return f"logical interconnect {li.get('name')} updated from its group (task {task})"


class NoLogicalInterconnect(DriverError):
    """The domain is an enclosure the appliance manages without a logical interconnect."""


def logical_interconnect(api: Appliance, domain: str) -> Json:
    """The domain's logical interconnect: named so, or the one of the logical enclosure
    named so."""
    for li in api.members("logical-interconnects"):
        if li.get("name") == domain:
            return li
    for le in api.members("logical-enclosures"):
        if le.get("name") == domain and le.get("logicalInterconnectUris"):
            return api.get(str(le["logicalInterconnectUris"][0]))
    raise NoLogicalInterconnect(f"domain {domain}: no logical interconnect or logical enclosure of that name")
