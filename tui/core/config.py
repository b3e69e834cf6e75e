"""Reads config.toml with tomllib and validates it into typed objects.

Lookup order (README, "Configuration"): --config, $BAYOPS_CONFIG, $XDG_CONFIG_HOME/bayops/config.toml,
the site's /etc/bayops/config.toml when readable, the packaged default. Every problem is a
one-line BadInput naming the key.
"""
from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui.core.addresses import parse_address
from tui.core.validate import (
    FIRMWARE_LIMIT,
    LOCAL_USER_ROLES,
    NAME_RE,
    TableReader,
    check_name,
    check_text,
)
from tui.model.entities import POLICY_MODES, DomainConfig
from tui.model.errors import BadInput
from tui.model.stateref import StateRef
from tui.model.text import quoted
from tui.resources import data_path

ENCLOSURE_MODELS = {"c7000": 16, "c3000": 8}
MAX_CONFIG_BYTES = 1024 * 1024  # a fleet of 64,000 bays needs a fraction of this
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


def site_config_path() -> Path:
    """The site's config on a server host (docs/deploy.md), which also marks the host as a
    site (tui.client); $BAYOPS_SITE_MARKER moves it, for tests."""
    return Path(os.environ.get("BAYOPS_SITE_MARKER", "/etc/bayops/config.toml"))


def find_config(explicit: str | None) -> Path:
    """--config, $BAYOPS_CONFIG, the user's config, the site's config where this user may
    read it (root and the service user on the server host), else the packaged demo."""
    if explicit or os.environ.get("BAYOPS_CONFIG"):
        return Path(explicit or os.environ["BAYOPS_CONFIG"])
    user, site = user_config_path(), site_config_path()
    if user.exists():
        return user
    return site if os.access(site, os.R_OK) else data_path("config.toml")


def user_config_path() -> Path:
    """The user's own config (read, never written by bayops)."""
    xdg = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(xdg) / "bayops" / "config.toml"


def load_config(path: Path) -> Config:
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
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"config: {path}: not valid TOML: {exc}") from None
    except RecursionError:
        raise BadInput(f"config: {path}: nested too deeply; not a config") from None
    if "groups" not in raw and _same_file(path, user_config_path()):
        raw = _overlay(_packaged_default(), raw)
    try:
        return _parse(raw, path)
    except BadInput as exc:
        raise BadInput(f"config: {path}: {exc}") from None


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def _packaged_default() -> dict[str, Any]:
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


def _parse(raw: dict[str, Any], path: Path) -> Config:
    top = TableReader(raw, "", ("bayops", "sim", "roles", "pools", "keys", "groups", "redfish",
                                "oneview", "serve"))  # [serve]: read by tui.server.settings
    main = TableReader(top.get("bayops", dict, {}), "bayops",
                   ("driver", "theme", "bell", "state", "lease_hours", "graceful_deadline",
                    "rediscover_seconds", "evacuate_parallel", "server", "server_ca", "token_file"))
    driver = main.get("driver", str, "sim")
    if driver not in ("sim", "redfish", "oneview"):
        raise BadInput(f"bayops.driver: {quoted(driver)} is not one of sim, redfish, oneview")
    state = main.get("state", str, "")
    groups = tuple(_group(g, i) for i, g in enumerate(top.get("groups", list, [])))
    if not groups and driver != "oneview":  # OneView: the appliance's groups (fleet.py)
        raise BadInput("groups: at least one [[groups]] table is needed")
    _check_unique_names(groups)
    keys = top.get("keys", dict, {})
    for action, key in keys.items():
        if not isinstance(key, str) or not key:
            raise BadInput(f"keys.{action}: expected a key name such as \"f\" or \"ctrl+r\"")
    return Config(
        path=path,
        driver=driver,
        theme=main.get("theme", str, "dark"),
        bell=main.get("bell", bool, False),
        state=StateRef.parse(os.path.expanduser(state), relative_to=path.parent) if state else None,
        lease_hours=main.number("lease_hours", 4, 0.01, 24 * 14),
        graceful_deadline=main.number("graceful_deadline", 30, 0, 3600),
        groups=groups,
        pools=_pools(top.get("pools", dict, {})),
        sim=_sim(top.get("sim", dict, {})),
        default_role=_roles_default(top.get("roles", dict, {})),
        grants=_grants(top.get("roles", dict, {}), {g.name for g in groups} if groups else None),
        keys=dict(keys),
        server=main.get("server", str, ""),
        raw=raw,
        rediscover_seconds=main.number("rediscover_seconds", 600, 0, 7 * 86400),
        evacuate_parallel=int(main.number("evacuate_parallel", 4, 1, 64)),
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


def _group(table: Any, index: int) -> GroupSpec:
    where = f"groups[{index}]"
    r = TableReader(table, where, ("name", "policy", "window", "networks", "fabrics", "firmware",
                               "users", "domains", "models", "spares", "local_boot",
                               "empty_per_enclosure", "profile_prefix", "san_target", "failback"))
    name = r.name("name")
    where = r.where = f"groups.{name}"
    policy = r.get("policy", str, "manual")
    if policy not in POLICY_MODES:
        raise BadInput(f"{where}.policy: {quoted(policy)} is not one of {', '.join(POLICY_MODES)}")
    window = r.get("window", str, "")
    if window:
        from tui.core.autofailover import parse_window  # autofailover depends on config for nothing else

        try:
            parse_window(window)
        except BadInput as exc:
            raise BadInput(f"{where}.window: {exc}") from None
    networks = r.get("networks", dict, {})
    for net, vlan in networks.items():
        if not NAME_RE.fullmatch(net):
            raise BadInput(f"{where}.networks: {quoted(net)} is not a valid network name")
        if isinstance(vlan, bool) or not isinstance(vlan, int) or not 1 <= vlan <= 4094:
            raise BadInput(f"{where}.networks.{net}: VLAN id must be an integer 1..4094, got {quoted(vlan)}")
    fabrics = r.get("fabrics", list, [])
    for fabric in fabrics:
        if not isinstance(fabric, str) or not NAME_RE.fullmatch(fabric):
            raise BadInput(f"{where}.fabrics: {quoted(fabric)} is not a valid fabric name")
    users = r.get("users", dict, {})
    for user, role in users.items():
        check_name(user, f"{where}.users: local user")
        if role not in LOCAL_USER_ROLES:
            raise BadInput(f"{where}.users.{user}: {quoted(role)} is not one of "
                           f"{', '.join(LOCAL_USER_ROLES)}")
    firmware = check_text(r.get("firmware", str, ""), f"{where}.firmware", FIRMWARE_LIMIT)
    domains = tuple(_domain(d, f"{where}.domains[{i}]")
                    for i, d in enumerate(r.get("domains", list, [])))
    if not domains:
        raise BadInput(f"{where}.domains: a group needs at least one domain")
    models = r.get("models", list, ["ProLiant BL460c Gen10"])
    for model in models:
        if not isinstance(model, str) or not re.search(r"\bGen\d+\b", model):
            raise BadInput(f"{where}.models: {quoted(model)} must name a generation, "
                           "e.g. 'ProLiant BL460c Gen10'")
    failback = r.get("failback", str, "manual")
    if failback not in ("manual", "offer"):  # never automatic: a person moves it home
        raise BadInput(f"{where}.failback: {quoted(failback)} is not one of manual, offer")
    san_target = r.get("san_target", str, "50:00:14:38:00:00:00:01")
    parse_address(san_target, "wwpn")
    return GroupSpec(
        name=name,
        policy=policy,
        window=window,
        baseline=DomainConfig(networks=dict(networks), fabrics=tuple(sorted(fabrics)),
                              firmware=firmware, users=dict(users)),
        domains=domains,
        models=tuple(models),
        spares=int(r.number("spares", 1, 0, 64)),
        local_boot=r.number("local_boot", 0.1, 0, 1),
        empty_per_enclosure=int(r.number("empty_per_enclosure", 0, 0, 16)),
        profile_prefix=r.get("profile_prefix", str, name),
        san_target=san_target.upper(),
        failback=failback,
    )


def _domain(table: Any, where: str) -> DomainSpec:
    r = TableReader(table, where, ("name", "enclosures"))
    name = r.name("name")
    enclosures = []
    for i, enc in enumerate(r.get("enclosures", list)):
        er = TableReader(enc, f"domains.{name}.enclosures[{i}]", ("name", "model"))
        model = er.get("model", str, "c7000")
        if model not in ENCLOSURE_MODELS:
            raise BadInput(f"domains.{name}.enclosures[{i}].model: {quoted(model)} is not one of "
                           f"{', '.join(ENCLOSURE_MODELS)}")
        enclosures.append(EnclosureSpec(er.name("name"), model))
    if not 1 <= len(enclosures) <= 4:
        raise BadInput(f"domains.{name}.enclosures: a VC domain has 1 to 4 enclosures, got {len(enclosures)}")
    return DomainSpec(name, tuple(enclosures))


def _pools(table: Any) -> PoolsSpec:
    r = TableReader(table, "pools", ("mac", "wwpn", "serial"))

    def address_range(key: str, kind: str, start: str, end: str) -> RangeSpec:
        rr = TableReader(r.get(key, dict, {}), f"pools.{key}", ("start", "end"))
        try:
            low = parse_address(rr.get("start", str, start), kind)
            high = parse_address(rr.get("end", str, end), kind)
        except BadInput as exc:
            raise BadInput(f"pools.{key}: {exc}") from None
        if high < low:
            raise BadInput(f"pools.{key}: end is below start")
        return RangeSpec(low, high)

    serial = TableReader(r.get("serial", dict, {}), "pools.serial", ("prefix", "start", "end"))
    prefix = serial.get("prefix", str, "VCX")
    if not re.match(r"^[A-Z0-9]{1,6}$", prefix):
        raise BadInput("pools.serial.prefix: 1-6 upper-case letters or digits")
    low = int(serial.number("start", 1, 0, 10**9))
    high = int(serial.number("end", 9_999_999, 0, 10**9))
    if high < low:
        raise BadInput("pools.serial: end is below start")
    return PoolsSpec(
        mac=address_range("mac", "mac", "00:17:A4:77:00:00", "00:17:A4:77:FF:FF"),
        wwpn=address_range("wwpn", "wwpn", "50:06:0B:00:00:C2:00:00", "50:06:0B:00:00:C2:FF:FF"),
        serial_prefix=prefix,
        serial=RangeSpec(low, high),
    )


def _sim(table: Any) -> SimSpec:
    r = TableReader(table, "sim", ("seed", "latency", "warning_bays"))
    latency = dict(DEFAULT_LATENCY)
    lr = TableReader(r.get("latency", dict, {}), "sim.latency", SIM_LATENCY_KEYS)
    for key in SIM_LATENCY_KEYS:
        latency[key] = lr.number(key, latency[key], 0, 600)
    warning = r.get("warning_bays", list, [])
    for bay in warning:
        if not isinstance(bay, str):
            raise BadInput(f"sim.warning_bays: {quoted(bay)} is not a bay id")
    return SimSpec(seed=int(r.number("seed", 7, 0, 2**31)), latency=latency,
                   warning_bays=tuple(warning))


def _roles_default(table: Any) -> str:
    r = TableReader(table, "roles", ("default", "grant"))
    default = r.get("default", str, "viewer")
    if default not in ROLES:
        raise BadInput(f"roles.default: {quoted(default)} is not one of {', '.join(ROLES)}")
    return default


def _grants(table: dict[str, Any], group_names: set[str] | None) -> tuple[Grant, ...]:
    """``group_names`` None: the groups come from the driver, names are not checked here."""
    grants = []
    entries = table.get("grant", [])
    if not isinstance(entries, list):
        raise BadInput(f"roles.grant: expected a list of tables ([[roles.grant]]), got {quoted(entries)}")
    for i, entry in enumerate(entries):
        r = TableReader(entry, f"roles.grant[{i}]", ("user", "role", "groups"))
        role = r.get("role", str)
        if role not in ROLES:
            raise BadInput(f"roles.grant[{i}].role: {quoted(role)} is not one of {', '.join(ROLES)}")
        groups = tuple(r.get("groups", list, ["*"]))
        for g in groups:
            if not isinstance(g, str) or (g != "*" and group_names is not None
                                          and g not in group_names):
                raise BadInput(f"roles.grant[{i}].groups: no group named {quoted(g)}")
        grants.append(Grant(check_name(r.get("user", str), f"roles.grant[{i}].user: user"),
                            role, groups))
    return tuple(grants)
