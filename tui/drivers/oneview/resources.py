"""OneView resources read as bayops nouns: server hardware as bays, server profiles
as :class:`Profile` with the identities the appliance allocated.

Pure functions over the appliance's JSON, so they are tested without an appliance.
"""

from __future__ import annotations

import re
from typing import Any

from tui.model.driver import ManagedProfile, Reading
from tui.model.entities import Connection, Profile, ServerInfo

Json = dict[str, Any]
HEALTH = {"OK": "ok", "Warning": "warning", "Critical": "critical"}
POWER = {"On": "on", "Off": "off"}


def bay_id(hardware: Json, enclosures: dict[str, str]) -> str | None:
    """``<enclosure name>/<bay>`` for blade hardware in a known enclosure, else None."""
    name = enclosures.get(str(hardware.get("locationUri")))
    position = hardware.get("position")
    if name is None or isinstance(position, bool) or not isinstance(position, int):
        return None
    return f"{name}/{position}"


def server_info(hardware: Json) -> ServerInfo:
    model = str(hardware.get("model") or "unknown")
    match = re.search(r"\bGen\d+\b", model)
    return ServerInfo(model, match.group(0) if match else "", str(hardware.get("serialNumber") or "unknown"),
                      *reading_parts(hardware))


def reading_parts(hardware: Json) -> tuple[str, str]:
    return (POWER.get(str(hardware.get("powerState")), "unknown"),
            HEALTH.get(str(hardware.get("status")), "unknown"))


def reading(hardware: Json) -> Reading:
    power, health = reading_parts(hardware)
    detail = "" if power != "unknown" else f"appliance reports power {hardware.get('powerState')}"
    return Reading(power, health, detail)


def _address(conn: Json) -> str:
    value = conn.get("wwpn") if conn.get("functionType") == "FibreChannel" else conn.get("mac")
    return str(value or "").upper()


def _is_virtual(conn: Json) -> bool:
    key = "wwpnType" if conn.get("functionType") == "FibreChannel" else "macType"
    return conn.get(key) == "Virtual"


def connections(profile: Json) -> list[Json]:
    settings = profile.get("connectionSettings") or {}
    conns = settings.get("connections") if isinstance(settings, dict) else None
    return [c for c in conns or [] if isinstance(c, dict)]


def as_profile(profile: Json, names: dict[str, str], bay: str | None) -> Profile:
    """The profile as bayops records it: ``names`` maps network/fabric uris to names.
    Group is left empty (the fleet's mapping decides it)."""
    conns: list[Connection] = []
    san_target, san_lun = None, None
    counters = {"eth": 0, "fc": 0}
    for conn in sorted(connections(profile), key=lambda c: int(c.get("id") or 0)):
        kind = "fc" if conn.get("functionType") == "FibreChannel" else "eth"
        counters[kind] += 1
        conns.append(Connection(kind, counters[kind], _address(conn),
                                names.get(str(conn.get("networkUri")), str(conn.get("name") or "?"))))
        boot = conn.get("boot") or {}
        if kind == "fc" and boot.get("priority") in ("Primary", "Secondary") and san_target is None:
            targets = boot.get("targets") or [{}]
            san_target = str(targets[0].get("arrayWwpn") or "").upper() or None
            san_lun = int(str(targets[0].get("lun") or "0")) if san_target else None
    serial = str(profile.get("serialNumber") or f"ov-{profile.get('uri', '').rsplit('/', 1)[-1]}")
    return Profile(name=str(profile["name"]), group="", serial=serial,
                   boot_mode="san" if san_target else "local", san_target=san_target,
                   san_lun=san_lun, connections=tuple(conns), bay=bay)


def managed(profile: Json, names: dict[str, str], bay: str | None,
            enclosures: tuple[str, ...]) -> ManagedProfile:
    virtual = bool(connections(profile)) and all(_is_virtual(c) for c in connections(profile))
    return ManagedProfile(as_profile(profile, names, bay), enclosures, virtual, str(profile.get("eTag", "")))


def identity_mismatches(profile: Json, wanted: Profile) -> list[str]:
    """What of ``wanted``'s identities the appliance's profile does not carry now."""
    have = {(c.kind, c.address) for c in as_profile(profile, {}, None).connections}
    missing = [f"{'MAC' if c.kind == 'eth' else 'WWPN'} {c.address}"
               for c in wanted.connections if (c.kind, c.address) not in have]
    serial = profile.get("serialNumber")
    if profile.get("serialNumberType") == "Virtual" and serial and serial != wanted.serial:
        missing.append(f"serial {wanted.serial} (appliance has {serial})")
    return missing
