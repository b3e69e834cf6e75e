"""Builds the fleet a config describes: the demo fleet for the sim, the real one otherwise."""
from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from tui.core.config import Config, DomainSpec, EnclosureSpec, GroupSpec
from tui.core.pools import Allocator
from tui.core.store import Store
from tui.model.driver import Driver, DriverError, ManagedGroup, ManagedProfile, SimulatedHardware
from tui.model.entities import Connection, DomainConfig, Policy, Profile, ServerInfo
from tui.model.errors import BadInput
from tui.model.params import ProfileCreateParams
from tui.model.text import quoted


def split_model(model: str) -> tuple[str, str]:
    """'ProLiant BL460c Gen10' -> ('ProLiant BL460c Gen10', 'Gen10')."""
    match = re.search(r"\bGen\d+\b", model)
    return model, match.group(0) if match else ""


def simulated_servers(group: GroupSpec, enclosure: EnclosureSpec, seed: int,
                      first_serial: int) -> dict[int, ServerInfo | None]:
    """Deterministic servers for an enclosure: mostly one model, some of another,
    and ``empty_per_enclosure`` empty bays."""
    rng = random.Random(f"{seed}:{enclosure.name}")
    primary = rng.choice(group.models)
    empty = set(rng.sample(range(1, enclosure.bays + 1),
                           min(group.empty_per_enclosure, enclosure.bays)))
    servers: dict[int, ServerInfo | None] = {}
    for n in range(1, enclosure.bays + 1):
        if n in empty:
            servers[n] = None
            continue
        model = primary if rng.random() < 0.8 else rng.choice(group.models)
        name, generation = split_model(model)
        servers[n] = ServerInfo(name, generation, f"CZ{first_serial + n:08d}", "off", "ok")
    return servers


UNKNOWN_SERVER = ServerInfo("unknown", "", "unknown", "unknown", "unknown")


def discover_tolerant(driver: Driver, bays: list[str],
                      problems: list[str]) -> dict[str, ServerInfo | None]:
    """Discover ``bays``; when that fails, bay by bay, so one dead BMC does not keep the
    rest of the fleet out. A bay whose BMC fails is present with an unknown server (not
    empty: something is in there), and the reason goes to ``problems``."""
    try:
        return driver.discover(bays)
    except DriverError:
        found: dict[str, ServerInfo | None] = {}
        for bay in bays:
            try:
                found.update(driver.discover([bay]))
            except DriverError as exc:
                found[bay] = UNKNOWN_SERVER
                problems.append(f"discovery failed, server unknown: {exc}")
        return found


@dataclass
class _Fleet:
    """The fleet planned in memory, before the simulator racks it and the store gets it."""
    problems: list[str] = field(default_factory=list)  # bays whose discovery failed
    hardware: dict[str, tuple[ServerInfo | None, str | None]] = field(default_factory=dict)
    enclosures: list[tuple[str, str, str, int, dict[int, ServerInfo | None]]] = field(
        default_factory=list)
    profiles: list[Profile] = field(default_factory=list)
    spare_bays: list[str] = field(default_factory=list)
    serial_base: int = 0  # the simulator's next enclosure's serial numbers


def build_fleet(store: Store, config: Config, driver: Driver,
                managed: list[ManagedProfile] | None = None) -> list[str]:
    """Create groups, domains, enclosures, bays, profiles and spares.

    Planned in memory first; the simulator's hardware is racked before the store is
    written (a driver never runs inside a store transaction), and the store is written
    in one transaction, so a crash leaves either no fleet or the whole fleet. Returns
    the problems met (bays whose discovery failed).
    """
    all_bays = {f"{e.name}/{n}" for g in config.groups for d in g.domains
                for e in d.enclosures for n in range(1, e.bays + 1)}
    for bay in config.sim.warning_bays:
        if bay not in all_bays:
            raise BadInput(f"config: sim.warning_bays: no bay {quoted(bay)} in the fleet")
    fleet = _Fleet()
    rng = random.Random(config.sim.seed)
    alloc = Allocator(config.pools, {k: store.used_addresses(k) for k in ("mac", "wwpn", "serial")})
    # A manager's profiles (``managed``, read once by the caller) exist already: adopted
    # afterwards (ops/adopt.py), never made here; the spares come from bays that hold none.
    taken = {m.profile.bay for m in managed if m.profile.bay} if managed is not None else None
    for group in config.groups:
        populated = _rack(fleet, group, config, driver)
        spares = _pick_spares(group, [p for p in populated if not taken or p[1] not in taken])
        fleet.spare_bays += spares
        width = max(3, len(str(len(populated))))
        count = 0
        for _, bay, server in populated:
            if bay in spares or taken is not None:
                fleet.hardware[bay] = (server, None)
                continue
            count += 1
            wanted = ProfileCreateParams(
                group=group.name, profile=f"{group.profile_prefix}-{count:0{width}d}",
                networks=tuple(group.baseline.networks), fabrics=tuple(group.baseline.fabrics),
                boot="local" if rng.random() < group.local_boot else "san", lun=count)
            profile = new_profile(alloc, wanted, group.san_target, bay)
            fleet.profiles.append(profile)
            if driver.name == "sim":  # the simulator racks its servers running their profiles
                health = "warning" if bay in config.sim.warning_bays else "ok"
                server = ServerInfo(server.model, server.generation, server.serial, "on", health)
            fleet.hardware[bay] = (server, profile.name)
    if isinstance(driver, SimulatedHardware):
        driver.install(fleet.hardware, {d.name: g.baseline for g in config.groups for d in g.domains})
    _record(store, config, driver.name, fleet)
    return fleet.problems


def _rack(fleet: _Fleet, group: GroupSpec, config: Config,
          driver: Driver) -> list[tuple[str, str, ServerInfo]]:
    """The group's enclosures into ``fleet``, their servers simulated or discovered;
    returns the populated bays as (domain, bay, server)."""
    populated: list[tuple[str, str, ServerInfo]] = []
    for domain in group.domains:
        for enc in domain.enclosures:
            if driver.name == "sim":
                servers = simulated_servers(group, enc, config.sim.seed, fleet.serial_base)
                fleet.serial_base += 100
            else:
                found = discover_tolerant(
                    driver, [f"{enc.name}/{n}" for n in range(1, enc.bays + 1)], fleet.problems)
                servers = {n: found.get(f"{enc.name}/{n}") for n in range(1, enc.bays + 1)}
            fleet.enclosures.append((enc.name, domain.name, enc.model, enc.bays, servers))
            populated += [(domain.name, f"{enc.name}/{n}", s)
                          for n, s in servers.items() if s is not None]
    return populated


def _record(store: Store, config: Config, driver_name: str, fleet: _Fleet) -> None:
    """The planned fleet into the store, in one transaction."""
    with store.write():
        for group in config.groups:
            store.add_group(group.name, group.baseline, Policy(group.policy, group.window))
            for domain in group.domains:
                store.add_domain(domain.name, group.name, group.baseline)
        for name, domain_name, model, count, servers in fleet.enclosures:
            store.add_enclosure(name, domain_name, model, count, servers)
        for profile in fleet.profiles:
            store.add_profile(profile)
        store.set_readings({bay: (s.power, s.health) for bay, (s, _) in fleet.hardware.items() if s})
        for bay in fleet.spare_bays:
            store.set_spare(bay, True)
        store.set_meta("created", "1")
        store.set_meta("driver", driver_name)


def _pick_spares(group: GroupSpec, populated: list[tuple[str, str, ServerInfo]]) -> list[str]:
    """The last server of each domain in turn, until the group's spare count is met,
    preferring models not yet covered so that failovers find a match."""
    by_domain: dict[str, list[tuple[str, ServerInfo]]] = {}
    for domain, bay, server in populated:
        by_domain.setdefault(domain, []).append((bay, server))
    spares: list[str] = []
    covered: set[str] = set()
    while len(spares) < group.spares and any(by_domain.values()):
        for domain in list(by_domain):
            candidates = by_domain[domain]
            if not candidates or len(spares) >= group.spares:
                continue
            pick = next((c for c in reversed(candidates) if c[1].model not in covered),
                        candidates[-1])
            candidates.remove(pick)
            spares.append(pick[0])
            covered.add(pick[1].model)
    return spares


def groups_from(layout: list[ManagedGroup]) -> tuple[GroupSpec, ...]:
    """Group specs for a manager's own layout (a config that names no groups): manual
    policy, no spares until the operator adds them, the models the hardware has."""
    return tuple(GroupSpec(
        name=g.name, policy="manual", window="",
        baseline=DomainConfig(networks=dict(g.networks), fabrics=g.fabrics, firmware=g.firmware),
        domains=tuple(DomainSpec(name, tuple(EnclosureSpec(enc, "c7000" if bays > 8 else "c3000")
                                             for enc, bays in encs[:4]))
                      for name, encs in g.domains),
        models=(), spares=0, local_boot=0.0, empty_per_enclosure=0, profile_prefix=g.name,
        san_target="50:00:14:38:00:00:00:01") for g in layout)


def new_profile(alloc: Allocator, wanted: ProfileCreateParams, san_target: str,
                bay: str | None = None) -> Profile:
    """The profile ``wanted`` describes (as ``bayops profile create`` or the fleet's first
    build asks for it), its identities all from the pools; ``san_target``: its group's."""
    networks, fabrics, boot_mode = sorted(wanted.networks), sorted(wanted.fabrics), wanted.boot
    connections = [Connection("eth", i + 1, alloc.take("mac"), net) for i, net in enumerate(networks)]
    if boot_mode == "san":
        connections += [Connection("fc", i + 1, alloc.take("wwpn"), fab) for i, fab in enumerate(fabrics)]
    return Profile(
        name=wanted.profile,
        group=wanted.group,
        serial=alloc.take("serial"),
        boot_mode=boot_mode,
        san_target=san_target if boot_mode == "san" else None,
        san_lun=wanted.lun if boot_mode == "san" else None,
        connections=tuple(connections),
        bay=bay,
    )
