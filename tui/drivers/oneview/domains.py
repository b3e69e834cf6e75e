"""Domains on the appliance: the fleet's layout (enclosure groups, their logical
interconnect groups, logical enclosures) and domain configuration with VCEM's meaning
on logical interconnects. See docs/oneview.md ("Domain maintenance")."""

from __future__ import annotations

from tui.drivers.oneview.client import Appliance, Json
from tui.model.driver import DriverError, ManagedGroup
from tui.model.entities import DomainConfig


def layout(api: Appliance, names: dict[str, str]) -> list[ManagedGroup]:
    """Enclosure groups (+ their LIG's networks) as groups, logical enclosures as
    domains; an enclosure in no logical enclosure is a domain of its own."""
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
            out.append(ManagedGroup(str(eg["name"]), networks, fabrics, domains))
    return out


def apply(api: Appliance, names: dict[str, str], domain: str, config: DomainConfig) -> str:
    """The domain's networks on its logical interconnect, with VCEM's meaning: while
    the LI is the only one that differs from its group (LIG), the edit applies to that
    LI alone (maintenance); once another LI of the group already has it, the group is
    updated (the change becomes the baseline) and this LI is brought to it (update
    from group); an LI asked for what its group has is brought back to the group."""
    li = logical_interconnect(api, domain)
    lig = api.get(str(li["logicalInterconnectGroupUri"]))
    by_name = {name: uri for uri, name in names.items()}
    missing = sorted(n for n in config.networks if n not in by_name)
    uplinks = {u for s in lig.get("uplinkSets") or [] for u in s.get("networkUris") or []}
    internal = sorted(by_name[n] for n in config.networks if n in by_name and by_name[n] not in uplinks)
    note = (f"; not on the appliance, not applied: {', '.join(missing)}" if missing else "") + \
        "; fabrics and users are kept as OneView has them (firmware: bayops firmware upgrade)"
    if sorted(lig.get("internalNetworkUris") or []) != internal:
        peers = [x for x in api.members("logical-interconnects",
                                             f"logicalInterconnectGroupUri='{lig['uri']}'")
                 if x["uri"] != li["uri"] and sorted(x.get("internalNetworkUris") or []) == internal]
        if not peers:  # this LI alone differs: an edit in maintenance
            if sorted(li.get("internalNetworkUris") or []) == internal:
                return f"logical interconnect {li.get('name')} already has these networks" + note
            task = api.running_task(str(li["uri"])) or api.write(
                "PUT", f"{li['uri']}/internalNetworks", internal)
            api.follow(task)
            return f"logical interconnect {li.get('name')} alone changed (task {task})" + note
        body = {**lig, "internalNetworkUris": internal}
        task = api.running_task(str(lig["uri"])) or api.write(
            "PUT", str(lig["uri"]), body, etag=str(lig.get("eTag") or ""))
        api.follow(task)
        note = f"; group {lig.get('name')} updated from {peers[0].get('name')} (task {task})" + note
    return _update_from_group(api, domain, api.get(str(li["uri"]))) + note

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
