"""Reads config.toml with tomllib and validates it into typed objects.

Lookup order (README, "Configuration"): --config, $BAYOPS_CONFIG, $XDG_CONFIG_HOME/bayops/config.toml,
the site's /etc/bayops/config.toml when readable, the packaged default. Every problem is a
one-line BadInput naming the key.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui.core.addresses import parse_address
from tui.core.configpath import (  # find_config, site_config_path: re-exported
    MAX_CONFIG_BYTES,
    parsed,
    user_config_path,
    vouch,
)
from tui.core.configpath import find_config as find_config
from tui.core.configpath import site_config_path as site_config_path
from tui.core.statepath import configured_state
from tui.core.validate import (
    FIRMWARE_LIMIT,
    LOCAL_USER_ROLES,
    NAME_RE,
    NAME_RULE,
    check_name,
    check_text,
)
from tui.model.entities import POLICY_MODES, DomainConfig
from tui.model.errors import BadConfig, BadInput
from tui.model.stateref import StateRef
from tui.model.tables import Key, Table
from tui.model.text import quoted
from tui.resources import data_path

ENCLOSURE_MODELS = {"c7000": 16, "c3000": 8}
ROLES = ("viewer", "limited-operator", "operator", "group-admin", "admin")
SIM_LATENCY_KEYS = ("power_off", "power_on", "apply_profile", "clear_profile", "domain_config",
                    "firmware")
DEFAULT_LATENCY = {"power_off": 2.0, "power_on": 3.0, "apply_profile": 1.5,
                   "clear_profile": 1.0, "domain_config": 2.0, "firmware": 4.0}


@dataclass(frozen=True)
class EnclosureSpec:
    name: str
    model: str

    @property
    def bays(self) -> int:
        return ENCLOSURE_MODELS[self.model]


@dataclass(frozen=True)
class DomainSpec:
    name: str
    enclosures: tuple[EnclosureSpec, ...]


@dataclass(frozen=True)
class GroupSpec:
    name: str
    policy: str
    window: str
    baseline: DomainConfig
    domains: tuple[DomainSpec, ...]
    models: tuple[str, ...]
    spares: int
    local_boot: float
    empty_per_enclosure: int
    profile_prefix: str
    san_target: str
    failback: str = "manual"  # manual: on request; offer: also proposed once home is healthy


@dataclass(frozen=True)
class Grant:
    user: str
    role: str
    groups: tuple[str, ...]  # ("*",) = every group


@dataclass(frozen=True)
class RangeSpec:
    start: int
    end: int


@dataclass(frozen=True)
class PoolsSpec:
    mac: RangeSpec
    wwpn: RangeSpec
    serial_prefix: str
    serial: RangeSpec


@dataclass(frozen=True)
class SimSpec:
    seed: int
    latency: dict[str, float]
    warning_bays: tuple[str, ...]


@dataclass(frozen=True)
class Config:
    path: Path
    driver: str
    theme: str
    bell: bool  # the dashboard rings the terminal bell on a new critical bay
    state: StateRef | None
    lease_hours: float
    graceful_deadline: float
    groups: tuple[GroupSpec, ...]
    pools: PoolsSpec
    sim: SimSpec
    default_role: str
    grants: tuple[Grant, ...]
    keys: dict[str, str]
    server: str = ""  # a bayops service to be the client of (tui.client.find_server)
    raw: dict[str, Any] = field(repr=False, default_factory=dict)
    rediscover_seconds: float = 600.0  # bays rediscovered by the monitor (0: never)
    evacuate_parallel: int = 4  # profiles an evacuation or restore moves at once

    def group(self, name: str) -> GroupSpec | None:
        return next((g for g in self.groups if g.name == name), None)


def load_config(path: Path, remember: bool = False) -> Config:
    """``remember``: record the file as valid (``configpath.vouch``) for the next
    ``bayops status`` to skip this reading, and the next command the TOML parse: the
    parse of bytes recorded so is taken from the record, and validated all the same."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
        text = data.decode("utf-8")
    except FileNotFoundError:
        raise BadInput(f"config: {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"config: {path}: cannot read: {exc}") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise BadInput(f"config: {path}: larger than {MAX_CONFIG_BYTES // 1024} KiB; not a config")
    toml = parsed(path, data)
    recorded = toml is not None
    if toml is None:
        toml = _read_toml(text, path)
    raw = toml
    if "groups" not in raw and _same_file(path, user_config_path()):
        raw = _overlay(_packaged_default(), raw)
    try:
        config = _parse(raw, path)
    except BadConfig as exc:
        raise exc.in_file(path) from None
    except BadInput as exc:
        raise BadInput(f"config: {path}: {exc}") from None
    # (an overlay's validity is also the packaged file's: one of the judges)
    if remember and not recorded:
        from tui.core.store.schema import SCHEMA_VERSION

        bayops = raw.get("bayops", {})
        vouch(path, data, {"driver": config.driver, "server": config.server,
                           "state": bayops.get("state", ""), "schema": SCHEMA_VERSION,
                           # a served status's client files (tui.client.connect's)
                           "server_ca": bayops.get("server_ca", ""),
                           "token_file": bayops.get("token_file", ""),
                           "server_timeout": bayops.get("server_timeout", "")}, toml)
    return config


def _read_toml(text: str, path: Path) -> dict[str, Any]:
    import tomllib  # a config found valid before is read from its record: no tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"config: {path}: not valid TOML: {exc}") from None
    except RecursionError:
        raise BadInput(f"config: {path}: nested too deeply; not a config") from None


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def _packaged_default() -> dict[str, Any]:
    import tomllib

    return tomllib.loads(data_path("config.toml").read_text(encoding="utf-8"))


def _overlay(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    """``top`` over ``base``, table by table: a user config that names no fleet keeps
    the packaged one and changes only what it sets (a theme, a key binding)."""
    merged = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _overlay(merged[key], value)
        else:
            merged[key] = value
    return merged


# The file's tables; [serve] is read by tui.server.settings, [redfish] and [oneview] by
# their drivers.
_TOP = Table({**{k: Key(dict, {}) for k in ("bayops", "sim", "roles", "pools", "keys", "redfish",
                                             "oneview", "serve")}, "groups": Key(list, [])})
_MAIN = Table({
    "driver": Key(str, "sim"), "theme": Key(str, "dark"), "bell": Key(bool, False),
    "state": Key(str, ""), "lease_hours": Key(float, 4, 0.01, 24 * 14),
    "graceful_deadline": Key(float, 30, 0, 3600),
    "rediscover_seconds": Key(float, 600, 0, 7 * 86400),
    "evacuate_parallel": Key(int, 4, 1, 64), "server": Key(str, ""),
    "server_ca": Key(str, ""), "token_file": Key(str, ""),  # read by tui.client
    "server_timeout": Key(float, 30, 0.1, 3600),  # read by tui.client
})


def _parse(raw: dict[str, Any], path: Path) -> Config:
    top = _TOP.read(raw, "")
    main = _MAIN.read(top["bayops"], "bayops")
    driver = main["driver"]
    if driver not in ("sim", "redfish", "oneview"):
        raise BadConfig("bayops.driver", f"{quoted(driver)} is not one of sim, redfish, oneview")
    state = main["state"]
    groups = tuple(_group(g, i) for i, g in enumerate(top["groups"]))
    if not groups and driver != "oneview":  # OneView: the appliance's groups (fleet.py)
        raise BadInput("groups: at least one [[groups]] table is needed")
    _check_unique_names(groups)
    roles = _ROLES.read(top["roles"], "roles")
    if roles["default"] not in ROLES:
        raise BadConfig("roles.default", f"{quoted(roles['default'])} is not one of {', '.join(ROLES)}")
    keys = top["keys"]
    for action, key in keys.items():
        if not isinstance(key, str) or not key:
            raise BadConfig(f"keys.{action}", "expected a key name such as \"f\" or \"ctrl+r\"")
    return Config(
        path=path,
        driver=driver,
        theme=main["theme"],
        bell=main["bell"],
        state=configured_state(state, path),
        lease_hours=main["lease_hours"],
        graceful_deadline=main["graceful_deadline"],
        groups=groups,
        pools=_pools(top["pools"]),
        sim=_sim(top["sim"]),
        default_role=roles["default"],
        grants=_grants(roles["grant"], {g.name for g in groups} if groups else None),
        keys=dict(keys),
        server=main["server"],
        raw=raw,
        rediscover_seconds=main["rediscover_seconds"],
        evacuate_parallel=main["evacuate_parallel"],
    )


def _check_unique_names(groups: tuple[GroupSpec, ...]) -> None:
    seen: dict[str, str] = {}
    for group in groups:
        for kind, name in [("group", group.name)] + [
            ("domain", d.name) for d in group.domains
        ] + [("enclosure", e.name) for d in group.domains for e in d.enclosures]:
            key = f"{kind}:{name}"
            if key in seen:
                raise BadInput(f"groups: {kind} name {quoted(name)} is used twice")
            seen[key] = group.name


def _name(value: Any, key: str) -> str:
    if not isinstance(value, str) or not NAME_RE.fullmatch(value):
        raise BadConfig(key, f"{quoted(value)} is not a valid name ({NAME_RULE})")
    return value


def _named(table: Any, where: str) -> str:
    """Where a table that has a valid name is: e.g. groups.web rather than groups[0]."""
    if isinstance(table, dict) and "name" in table:
        return where.rsplit("[", 1)[0] + "." + _name(table["name"], f"{where}.name")
    return where


_GROUP = Table({
    "name": Key(str), "policy": Key(str, "manual"), "window": Key(str, ""),
    "networks": Key(dict, {}), "fabrics": Key(list, []), "firmware": Key(str, ""),
    "users": Key(dict, {}), "domains": Key(list, []),
    "models": Key(list, ["ProLiant BL460c Gen10"]), "spares": Key(int, 1, 0, 64),
    "local_boot": Key(float, 0.1, 0, 1), "empty_per_enclosure": Key(int, 0, 0, 16),
    "profile_prefix": Key(str, None), "san_target": Key(str, "50:00:14:38:00:00:00:01"),
    "failback": Key(str, "manual"),
})


def _group(table: Any, index: int) -> GroupSpec:
    where = _named(table, f"groups[{index}]")
    v = _GROUP.read(table, where)
    name, policy, window, failback = v["name"], v["policy"], v["window"], v["failback"]
    if policy not in POLICY_MODES:
        raise BadConfig(f"{where}.policy", f"{quoted(policy)} is not one of {', '.join(POLICY_MODES)}")
    if window:
        from tui.core.autofailover import parse_window  # autofailover depends on config for nothing else

        try:
            parse_window(window)
        except BadInput as exc:
            raise BadConfig(f"{where}.window", str(exc)) from None
    _check_baseline(v, where)
    firmware = check_text(v["firmware"], f"{where}.firmware", FIRMWARE_LIMIT)
    domains = tuple(_domain(d, f"{where}.domains[{i}]") for i, d in enumerate(v["domains"]))
    if not domains:
        raise BadConfig(f"{where}.domains", "a group needs at least one domain")
    for model in v["models"]:
        if not isinstance(model, str) or not re.search(r"\bGen\d+\b", model):
            raise BadConfig(f"{where}.models", f"{quoted(model)} must name a generation, "
                            "e.g. 'ProLiant BL460c Gen10'")
    if failback not in ("manual", "offer"):  # never automatic: a person moves it home
        raise BadConfig(f"{where}.failback", f"{quoted(failback)} is not one of manual, offer")
    parse_address(v["san_target"], "wwpn")
    return GroupSpec(
        name=name,
        policy=policy,
        window=window,
        baseline=DomainConfig(networks=dict(v["networks"]), fabrics=tuple(sorted(v["fabrics"])),
                              firmware=firmware, users=dict(v["users"])),
        domains=domains,
        models=tuple(v["models"]),
        spares=v["spares"],
        local_boot=v["local_boot"],
        empty_per_enclosure=v["empty_per_enclosure"],
        profile_prefix=name if v["profile_prefix"] is None else v["profile_prefix"],
        san_target=v["san_target"].upper(),
        failback=failback,
    )


def _check_baseline(v: dict[str, Any], where: str) -> None:
    """A group's networks (name = VLAN id), fabrics and local users (name = role)."""
    for net, vlan in v["networks"].items():
        if not NAME_RE.fullmatch(net):
            raise BadConfig(f"{where}.networks", f"{quoted(net)} is not a valid network name")
        if isinstance(vlan, bool) or not isinstance(vlan, int) or not 1 <= vlan <= 4094:
            raise BadConfig(f"{where}.networks.{net}",
                            f"VLAN id must be an integer 1..4094, got {quoted(vlan)}")
    for fabric in v["fabrics"]:
        if not isinstance(fabric, str) or not NAME_RE.fullmatch(fabric):
            raise BadConfig(f"{where}.fabrics", f"{quoted(fabric)} is not a valid fabric name")
    for user, role in v["users"].items():
        check_name(user, f"{where}.users: local user")
        if role not in LOCAL_USER_ROLES:
            raise BadConfig(f"{where}.users.{user}", f"{quoted(role)} is not one of "
                            f"{', '.join(LOCAL_USER_ROLES)}")


_DOMAIN = Table({"name": Key(str), "enclosures": Key(list)})
_ENCLOSURE = Table({"name": Key(str), "model": Key(str, "c7000")})


def _domain(table: Any, where: str) -> DomainSpec:
    v = _DOMAIN.read(table, where)
    name = _name(v["name"], f"{where}.name")
    enclosures = []
    for i, enc in enumerate(v["enclosures"]):
        at = f"domains.{name}.enclosures[{i}]"
        e = _ENCLOSURE.read(enc, at)
        if e["model"] not in ENCLOSURE_MODELS:
            raise BadConfig(f"{at}.model", f"{quoted(e['model'])} is not one of "
                            f"{', '.join(ENCLOSURE_MODELS)}")
        enclosures.append(EnclosureSpec(_name(e["name"], f"{at}.name"), e["model"]))
    if not 1 <= len(enclosures) <= 4:
        raise BadConfig(f"domains.{name}.enclosures",
                        f"a VC domain has 1 to 4 enclosures, got {len(enclosures)}")
    return DomainSpec(name, tuple(enclosures))


_POOLS = Table({"mac": Key(dict, {}), "wwpn": Key(dict, {}), "serial": Key(dict, {})})
_SERIALS = Table({"prefix": Key(str, "VCX"), "start": Key(int, 1, 0, 10**9),
                  "end": Key(int, 9_999_999, 0, 10**9)})


def _pools(table: Any) -> PoolsSpec:
    v = _POOLS.read(table, "pools")

    def address_range(key: str, kind: str, start: str, end: str) -> RangeSpec:
        r = Table({"start": Key(str, start), "end": Key(str, end)}).read(v[key], f"pools.{key}")
        try:
            low = parse_address(r["start"], kind)
            high = parse_address(r["end"], kind)
        except BadInput as exc:
            raise BadConfig(f"pools.{key}", str(exc)) from None
        if high < low:
            raise BadConfig(f"pools.{key}", "end is below start")
        return RangeSpec(low, high)

    serial = _SERIALS.read(v["serial"], "pools.serial")
    if not re.match(r"^[A-Z0-9]{1,6}$", serial["prefix"]):
        raise BadConfig("pools.serial.prefix", "1-6 upper-case letters or digits")
    low, high = serial["start"], serial["end"]
    if high < low:
        raise BadConfig("pools.serial", "end is below start")
    return PoolsSpec(
        mac=address_range("mac", "mac", "00:17:A4:77:00:00", "00:17:A4:77:FF:FF"),
        wwpn=address_range("wwpn", "wwpn", "50:06:0B:00:00:C2:00:00", "50:06:0B:00:00:C2:FF:FF"),
        serial_prefix=serial["prefix"],
        serial=RangeSpec(low, high),
    )


_SIM = Table({"seed": Key(int, 7, 0, 2**31), "latency": Key(dict, {}),
              "warning_bays": Key(list, [])})
_LATENCY = Table({key: Key(float, DEFAULT_LATENCY[key], 0, 600) for key in SIM_LATENCY_KEYS})


def _sim(table: Any) -> SimSpec:
    v = _SIM.read(table, "sim")
    for bay in v["warning_bays"]:
        if not isinstance(bay, str):
            raise BadConfig("sim.warning_bays", f"{quoted(bay)} is not a bay id")
    return SimSpec(seed=v["seed"], latency=_LATENCY.read(v["latency"], "sim.latency"),
                   warning_bays=tuple(v["warning_bays"]))


_ROLES = Table({"default": Key(str, "viewer"), "grant": Key(list, [], what="a list of tables "
                                                            "([[roles.grant]])")})
_GRANT = Table({"user": Key(str), "role": Key(str), "groups": Key(list, ["*"])})


def _grants(entries: list[Any], group_names: set[str] | None) -> tuple[Grant, ...]:
    """``group_names`` None: the groups come from the driver, names are not checked here."""
    grants = []
    for i, entry in enumerate(entries):
        v = _GRANT.read(entry, f"roles.grant[{i}]")
        if v["role"] not in ROLES:
            raise BadConfig(f"roles.grant[{i}].role",
                            f"{quoted(v['role'])} is not one of {', '.join(ROLES)}")
        groups = tuple(v["groups"])
        for g in groups:
            if not isinstance(g, str) or (g != "*" and group_names is not None
                                          and g not in group_names):
                raise BadConfig(f"roles.grant[{i}].groups", f"no group named {quoted(g)}")
        grants.append(Grant(check_name(v["user"], f"roles.grant[{i}].user: user"), v["role"],
                            groups))
    return tuple(grants)
