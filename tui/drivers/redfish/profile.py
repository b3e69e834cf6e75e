"""Apply and clear a server profile: boot override, MACs and WWPNs, SAN boot target.

Only what Redfish can express is written, and every write is read back; the rest of
a profile is reported as not applied, with why.
"""

from __future__ import annotations

import re
from typing import Any

from tui.drivers.redfish import odata
from tui.drivers.redfish.bmc import Bmc
from tui.drivers.redfish.boot import Boot
from tui.drivers.redfish.config import SystemSpec
from tui.drivers.redfish.errors import BadBody, BmcError, HttpStatus, one_line
from tui.drivers.redfish.fleet import Fleet
from tui.drivers.redfish.writes import patch
from tui.model.driver import ApplyReport
from tui.model.entities import Profile


def _norm_addr(value: Any) -> str:
    return re.sub(r"[^0-9a-f]", "", str(value).lower()) if value else ""


async def _linked_members(bmc: Bmc, spec: SystemSpec, body: dict[str, Any], key: str, base: str) -> list[str]:
    """Members of the collection ``body[key]`` links to; none if there is no such link."""
    collection = odata.link(body, key)
    if collection is None:
        return []
    return await odata.members(bmc, spec.credentials, bmc.same_origin_path(collection, base))


async def _network_functions(
    bmc: Bmc, spec: SystemSpec, path: str, body: dict[str, Any]
) -> list[tuple[str, dict[str, Any]]]:
    """(path, body) of every NetworkDeviceFunction of the system's chassis adapters and
    of the system's own NetworkInterfaces (where older iDRACs put them), in BMC order."""
    links = odata.obj(body, "Links")
    holders: list[tuple[str, str]] = [
        (bmc.same_origin_path(c["@odata.id"], path), "NetworkAdapters")
        for c in links.get("Chassis") or []
        if isinstance(c, dict) and isinstance(c.get("@odata.id"), str)
    ]
    holders.append((path, "NetworkInterfaces"))
    found: list[tuple[str, dict[str, Any]]] = []
    seen: set[str] = set()
    for holder_path, key in holders:
        try:
            holder, holder_final = (body, path) if holder_path == path else \
                await bmc.get_json(holder_path, spec.credentials)
            for adapter_path in await _linked_members(bmc, spec, holder, key, holder_final):
                adapter, adapter_final = await bmc.get_json(adapter_path, spec.credentials)
                for fn_path in await _linked_members(
                    bmc, spec, adapter, "NetworkDeviceFunctions", adapter_final
                ):
                    fn, fn_final = await bmc.get_json(fn_path, spec.credentials)
                    if fn_final not in seen:  # a NetworkInterface links its adapter's functions
                        seen.add(fn_final)
                        found.append((fn_final, fn))
        except (HttpStatus, BadBody):
            continue  # a holder without (readable) adapters offers nothing to write
    return found


async def _hpe_base_ports(bmc: Bmc, spec: SystemSpec, path: str,
                          body: dict[str, Any]) -> dict[str, list[str]]:
    """HPE iLO's OEM BaseNetworkAdapters: per kind ("Ethernet", "FibreChannel") where each
    port's address is and what it holds. Read-only through Redfish: reported, never written."""
    link = odata.link(odata.obj(odata.obj(odata.obj(body, "Oem"), "Hpe"), "Links"), "NetworkAdapters")
    ports: dict[str, list[str]] = {"Ethernet": [], "FibreChannel": []}
    if not link:
        return ports
    try:
        for adapter_path in await odata.members(bmc, spec.credentials, bmc.same_origin_path(link, path)):
            adapter, _ = await bmc.get_json(adapter_path, spec.credentials)
            name = one_line(str(adapter.get("Name") or adapter_path), 60)
            for kind, key, field in (("Ethernet", "PhysicalPorts", "MacAddress"),
                                     ("FibreChannel", "FcPorts", "WWPN")):
                for i, port in enumerate(adapter.get(key) or [], 1):
                    if isinstance(port, dict) and isinstance(port.get(field), str):
                        ports[kind].append(f"port {i} of {name} holds {one_line(port[field], 40)}")
    except (HttpStatus, BadBody):
        pass  # unreadable: nothing to report
    return ports


def _unoffered(kind: str, index: int, hpe: dict[str, list[str]]) -> str:
    """Why connection ``index`` (0-based) of ``kind`` has nowhere to be written."""
    ports = hpe.get(kind) or []
    if index < len(ports):
        return (f"HPE BaseNetworkAdapters {ports[index]}; it is read-only through Redfish "
                "(set it in the adapter's own configuration)")
    return f"no {kind} NetworkDeviceFunction offered"


def _outside_redfish(profile: Profile) -> list[str]:
    """What a profile holds that Redfish has no place for: never applied, always said."""
    out = []
    if profile.networks:
        out.append(f"networks {', '.join(profile.networks)} "
                   "(VLAN mapping is Virtual Connect's; Redfish has none)")
    if profile.fabrics:
        out.append(f"fabrics {', '.join(profile.fabrics)} (SAN zoning is outside Redfish)")
    if profile.serial:
        out.append(f"virtual serial {profile.serial} (SerialNumber is read-only in Redfish)")
    return out


class Profiles:
    def __init__(self, fleet: Fleet, boot: Boot) -> None:
        self._fleet = fleet
        self._boot = boot

    async def _set_address(self, bmc: Bmc, spec: SystemSpec, fn_path: str, section: str, key: str,
                           value: str, extra: dict[str, Any] | None = None) -> str | None:
        """PATCH one address and read it back. None when it took, else why not."""
        body: dict[str, Any] = {section: {key: value}}
        if extra:
            body[section].update(extra.get(section, {}))
            body.update({k: v for k, v in extra.items() if k != section})
        cfg = self._fleet.cfg
        outcome = await patch(bmc, spec.credentials, fn_path, body, cfg.power_deadline,
                              cfg.poll_interval)
        if not outcome.ok:
            return outcome.why + (f" ({outcome.words()})" if outcome.messages else "")
        after, _ = await bmc.get_json(fn_path, spec.credentials)
        got = odata.obj(after, section).get(key)
        if _norm_addr(got) != _norm_addr(value):
            return f"BMC still reports {got}"
        return None

    async def apply(self, bay: str, profile: Profile) -> ApplyReport:
        bmc, spec, path, body = await self._fleet.system(bay)
        applied: list[str] = []
        not_applied: list[str] = []
        failed: list[str] = []
        san = profile.boot_mode == "san"

        if san:  # without it the server boots its local disk: the failover needs it
            ok, label = await self._boot.set_san(bay, bmc, spec, path, body)
            (applied if ok else failed).append(label)
        else:
            ok, label = await self._boot.clear(bay, bmc, spec, path, body)
            (applied if ok else not_applied).append(label)

        eth = sorted((c for c in profile.connections if c.kind == "eth"), key=lambda c: c.index)
        fc = sorted((c for c in profile.connections if c.kind == "fc"), key=lambda c: c.index)
        functions = await _network_functions(bmc, spec, path, body) if (eth or fc or san) else []
        eth_fns = [(p, f) for p, f in functions if f.get("NetDevFuncType") == "Ethernet"]
        fc_fns = [(p, f) for p, f in functions if f.get("NetDevFuncType") == "FibreChannel"]
        hpe = await _hpe_base_ports(bmc, spec, path, body) if len(eth_fns) < len(eth) or \
            len(fc_fns) < len(fc) else {}

        for i, conn in enumerate(eth):
            label = f"eth{conn.index} MAC {conn.address}"
            if i >= len(eth_fns):
                not_applied.append(f"{label} ({_unoffered('Ethernet', i, hpe)})")
                continue
            why = await self._set_address(bmc, spec, eth_fns[i][0], "Ethernet", "MACAddress",
                                          conn.address)
            (not_applied.append(f"{label} ({why})") if why else applied.append(label))

        boot_target = san and profile.san_target
        for i, conn in enumerate(fc):
            label = f"fc{conn.index} WWPN {conn.address}"
            if i >= len(fc_fns):
                not_applied.append(f"{label} ({_unoffered('FibreChannel', i, hpe)})")
                continue
            extra: dict[str, Any] | None = None
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
            why = await self._set_address(bmc, spec, fc_fns[i][0], "FibreChannel", "WWPN",
                                          conn.address, extra)
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
        not_applied += _outside_redfish(profile)
        return ApplyReport(tuple(applied), tuple(not_applied), tuple(failed))

    async def clear(self, bay: str) -> None:
        """Boot override off; MACs/WWPNs back to the Permanent ones. BmcError if an address stays."""
        bmc, spec, path, body = await self._fleet.system(bay)
        await self._boot.clear(bay, bmc, spec, path, body)  # best effort: boot order is not identity
        stuck: list[str] = []
        for fn_path, fn in await _network_functions(bmc, spec, path, body):
            kind = fn.get("NetDevFuncType")
            if kind == "Ethernet" and isinstance(fn.get("Ethernet"), dict):
                section, key, permanent = "Ethernet", "MACAddress", "PermanentMACAddress"
            elif kind == "FibreChannel" and isinstance(fn.get("FibreChannel"), dict):
                section, key, permanent = "FibreChannel", "WWPN", "PermanentWWPN"
            else:
                continue
            data = fn[section]
            current, original = data.get(key), data.get(permanent)
            extra: dict[str, Any] | None = (
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
