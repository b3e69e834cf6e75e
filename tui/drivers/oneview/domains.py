"""Domains on the appliance: the fleet's layout (enclosure groups, their logical
interconnect groups, logical enclosures) and domain configuration with VCEM's meaning
on logical interconnects. See docs/oneview.md ("Domain maintenance")."""

from __future__ import annotations

from dataclasses import dataclass

from tui.drivers.oneview.client import Appliance, Json, one_line
from tui.model.driver import DriverError, ManagedGroup
from tui.model.entities import DomainConfig


def layout(api: Appliance, names: dict[str, str]) -> list[ManagedGroup]:
    """Enclosure groups (+ their LIG's networks, fabrics and firmware baseline) as
    groups, logical enclosures as domains; an enclosure in no logical enclosure is a
    domain of its own."""
    enclosures = {str(e["uri"]): e for e in api.members("enclosures")}
    in_le: dict[str, list[tuple[str, tuple[tuple[str, int], ...]]]] = {}
    placed: set[str] = set()
    for le in api.members("logical-enclosures"):
        uris = [u for u in le.get("enclosureUris") or [] if u in enclosures]
        placed.update(uris)
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
            spp_uri = str((lig.get("firmware") or {}).get("firmwareBaselineUri"))
            out.append(ManagedGroup(str(eg["name"]), networks, fabrics, domains, spps.get(spp_uri, "")))
    return out


# The parts of a domain bayops edits, as they live on a logical interconnect (and its group)
@dataclass(frozen=True)
class Parts:
    internal: frozenset[str]  # internal networks: Ethernet networks in no uplink set of the LIG
    fabrics: frozenset[str]  # the FC networks of its FibreChannel uplink sets (SAN fabrics)
    firmware: str | None  # its firmware baseline (SPP uri); None where a config pins none

    def matches(self, want: Parts) -> bool:
        return (self.internal, self.fabrics) == (want.internal, want.fabrics) and \
            want.firmware in (None, self.firmware)


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


def _wanted(api: Appliance, names: dict[str, str], lig: Json, config: DomainConfig) -> tuple[Parts, str]:
    """The parts ``config`` asks for, and what of it the appliance cannot take (a note)."""
    fc = {n: u for u, n in names.items() if u.startswith("/rest/fc-networks/")}
    by_name = {n: u for u, n in names.items() if not u.startswith("/rest/fc-networks/")}  # Ethernet
    uplinks = {u for s in lig.get("uplinkSets") or [] for u in s.get("networkUris") or []}
    missing = sorted(n for n in config.networks if n not in by_name) + \
        sorted(f"fabric {f}" for f in config.fabrics if f not in fc)
    note = f"; not on the appliance, not applied: {', '.join(missing)}" if missing else ""
    firmware = None
    if config.firmware:
        try:
            firmware = str(spp(api, config.firmware)["uri"])
        except DriverError:
            note += f"; firmware {one_line(config.firmware, 40)}: no such SPP in the repository, not applied"
    if config.users:
        note += "; local users: " + USERS + ", not applied"
    if config.storage:
        note += "; storage settings: " + STORAGE + ", not applied"
    internal = frozenset(by_name[n] for n in config.networks if n in by_name and by_name[n] not in uplinks)
    return Parts(internal, frozenset(fc[f] for f in config.fabrics if f in fc), firmware), note


def _fc(uplink: Json) -> list[str]:
    """The FC networks of an uplink set: ``fcNetworkUris`` on an LI's (/rest/uplink-sets),
    ``networkUris`` in a LIG's list."""
    if uplink.get("networkType") != "FibreChannel":
        return []
    return [str(u) for u in uplink.get("fcNetworkUris") or uplink.get("networkUris") or []]


def _uplink_sets(api: Appliance, li: Json) -> list[Json]:
    return list(api.members("uplink-sets", f"logicalInterconnectUri='{li['uri']}'"))


def _li_parts(api: Appliance, li: Json) -> Parts:
    firmware = li.get("firmware") or api.get(f"{li['uri']}/firmware")
    return Parts(frozenset(li.get("internalNetworkUris") or []),
                 frozenset(u for s in _uplink_sets(api, li) for u in _fc(s)),
                 firmware.get("sppUri") or firmware.get("firmwareBaselineUri"))


def _lig_parts(lig: Json) -> Parts:
    return Parts(frozenset(lig.get("internalNetworkUris") or []),
                 frozenset(u for s in lig.get("uplinkSets") or [] for u in _fc(s)),
                 (lig.get("firmware") or {}).get("firmwareBaselineUri"))


def _settle(api: Appliance, uri: str) -> None:
    """Follow a task still running on ``uri`` (a resumed step) before reading it again."""
    task = api.running_task(uri)
    if task is not None:
        api.follow(task)


def apply(api: Appliance, names: dict[str, str], domain: str, config: DomainConfig) -> str:
    """The domain's networks, fabrics and firmware baseline on its logical interconnect,
    with VCEM's meaning: while the LI is the only one that differs from its group (LIG),
    the edit applies to that LI alone (maintenance); once another member that left the
    group already has it, the group is updated from it (the change becomes the baseline)
    and this LI is brought to it (update from group); an LI asked for what its group has
    is brought back to the group."""
    li = logical_interconnect(api, domain)
    _settle(api, str(li["uri"]))
    li = api.get(str(li["uri"]))
    lig = api.get(str(li["logicalInterconnectGroupUri"]))
    want, note = _wanted(api, names, lig, config)
    if _lig_parts(lig).matches(want):
        return _bring_to_group(api, domain, li, lig, want) + note
    peer = _peer(api, lig, li, want)
    if peer is None:  # this LI alone differs: an edit in maintenance
        return _edit_alone(api, names, li, lig, want) + note
    task = _update_group(api, lig, want, peer)
    try:
        done = _bring_to_group(api, domain, li, lig, want)
    except DriverError as exc:
        # the first member failed: the group goes back to what it was, so it never
        # holds a baseline no member has
        fresh = api.get(str(lig["uri"]))
        body: Json = {**fresh, **{k: lig[k] for k in ("internalNetworkUris", "uplinkSets", "firmware")
                                  if k in lig}}
        api.follow(api.write("PUT", str(lig["uri"]), body, etag=str(fresh.get("eTag") or "")))
        raise DriverError(f"{exc}; group {lig.get('name')} set back as it was") from None
    return done + f"; group {lig.get('name')} updated from {peer[0].get('name')} (task {task})" + note


def _bring_to_group(api: Appliance, domain: str, li: Json, lig: Json, want: Parts) -> str:
    """Update from group, then read back that the LI has what was asked for."""
    done = _update_from_group(api, domain, api.get(str(li["uri"])))
    if not _li_parts(api, api.get(str(li["uri"]))).matches(want):  # read back, not assumed
        raise DriverError(f"domain {domain}: {li.get('name')} does not have the configuration asked "
                          f"for after update from group {lig.get('name')}")
    return done


def _peer(api: Appliance, lig: Json, li: Json, want: Parts) -> tuple[Json, Parts] | None:
    """Another member that left the group (NOT_CONSISTENT) and has what ``want`` asks:
    the domain edited in maintenance, or when a propagation is undone, one still on the
    old baseline."""
    for other in api.members("logical-interconnects", f"logicalInterconnectGroupUri='{lig['uri']}'"):
        if other["uri"] == li["uri"] or other.get("consistencyStatus") == "CONSISTENT":
            continue
        parts = _li_parts(api, other)
        if parts.matches(want):
            return other, parts
    return None


def _edit_alone(api: Appliance, names: dict[str, str], li: Json, lig: Json, want: Parts) -> str:
    """Networks, fabrics (FibreChannel uplink sets) and firmware of this one LI."""
    have = _li_parts(api, li)
    done = []
    if have.internal != want.internal:
        api.follow(api.write("PUT", f"{li['uri']}/internalNetworks", sorted(want.internal)))
        done.append("internal networks")
    sets = _uplink_sets(api, li)
    for uplink in sets:
        fc = _fc(uplink)
        if fc and not set(fc) & want.fabrics:
            api.follow(api.write("DELETE", str(uplink["uri"]), None, etag=str(uplink.get("eTag") or "")))
            done.append(f"fabric {names.get(fc[0], fc[0])} removed")
    for fabric in sorted(want.fabrics - have.fabrics):
        api.follow(api.write("POST", "/rest/uplink-sets", _fc_uplink_set(li, lig, fabric, names)))
        done.append(f"fabric {names.get(fabric, fabric)} added")
    if want.firmware is not None and have.firmware != want.firmware:
        body = {"command": "Update", "sppUri": want.firmware, "force": False}
        api.follow(api.write("PUT", f"{li['uri']}/firmware", body))
        done.append("firmware baseline")
    if not done:
        return f"logical interconnect {li.get('name')} already has this configuration"
    return f"logical interconnect {li.get('name')} alone changed: {', '.join(done)}"


def _fc_uplink_set(li: Json, lig: Json, fabric: str, names: dict[str, str]) -> Json:
    """A FibreChannel uplink set carrying ``fabric`` on this LI: as its group has it
    (name, ports) if the group carries that fabric, else named after the FC network and
    without uplink ports (which are chosen in OneView)."""
    theirs: Json = next((s for s in lig.get("uplinkSets") or [] if fabric in _fc(s)), {})
    return {"type": "uplink-setV7", "name": theirs.get("name") or names.get(fabric, fabric),
            "logicalInterconnectUri": li["uri"], "networkType": "FibreChannel",
            "ethernetNetworkType": "NotApplicable", "networkUris": [], "fcNetworkUris": [fabric],
            "fcoeNetworkUris": [], "portConfigInfos": [],
            "logicalPortConfigInfos": theirs.get("logicalPortConfigInfos") or [],
            "connectionMode": "Auto", "manualLoginRedistributionState": "Supported"}


def _update_group(api: Appliance, lig: Json, want: Parts, peer: tuple[Json, Parts]) -> str:
    """The LIG set to ``want`` (PUT with its eTag): its internal networks, its FibreChannel
    uplink sets as the peer has them, and the firmware baseline (the peer's where the
    configuration pins none)."""
    other, parts = peer
    kept = [s for s in lig.get("uplinkSets") or [] if not _fc(s) or set(_fc(s)) <= want.fabrics]
    carried = {u for s in kept for u in _fc(s)}
    added = [{"name": s.get("name"), "networkType": "FibreChannel", "networkUris": _fc(s),
              "logicalPortConfigInfos": s.get("logicalPortConfigInfos") or []}
             for s in _uplink_sets(api, other) if _fc(s) and not set(_fc(s)) <= carried]
    body = {**lig, "internalNetworkUris": sorted(want.internal), "uplinkSets": kept + added}
    firmware = want.firmware or parts.firmware
    if firmware and firmware != _lig_parts(lig).firmware:
        bundle = api.get(firmware)
        body["firmware"] = {**(lig.get("firmware") or {}), "sppName": bundle.get("name"),
                            "firmwareBaselineUri": firmware}
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
