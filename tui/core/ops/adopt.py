"""Adoption: profiles that live in a manager (HPE OneView) recorded as they are.

VCEM's import of existing domains: the manager allocated the identities, bayops records
them (name, connections, MACs/WWPNs, serial, boot) and writes nothing to the manager.
Like rediscovery it is observation, not a job: the manager is read outside any
transaction, then what is new is recorded in one. Re-running records nothing twice; a
profile edited on the manager since it was adopted is reported as drift (an event per
edit), never overwritten on either side. Spares: each is marked on the manager, and
one that gained a profile there outside bayops leaves the pool with an event.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from tui.core.context import OpContext
from tui.model.driver import DriverError, ManagedProfile, ProfileManager
from tui.model.entities import Bay, Profile
from tui.model.errors import OperationFailed, Refused


@dataclass(frozen=True)
class Adoption:
    profile: str
    state: str  # adopted, new (dry run), same, drift, skipped, gone, refresh(ed)
    bay: str  # where the manager has it ("" unassigned)
    group: str
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def manager(ctx: OpContext) -> ProfileManager:
    if not isinstance(ctx.driver, ProfileManager):
        raise Refused(f"the {ctx.driver.name} driver keeps no profiles in a manager: nothing to "
                      "adopt (adoption is for [bayops] driver = \"oneview\")", code="not-managed")
    return ctx.driver


def managed_now(driver: ProfileManager) -> list[ManagedProfile]:
    """The manager's profiles; a manager that cannot be read (unreachable, login refused,
    TLS) is the operator's to fix: OperationFailed with its words, not an internal error."""
    try:
        return driver.managed_profiles()
    except DriverError as exc:
        raise OperationFailed(f"cannot read the profiles on the manager: {exc}",
                              code="manager-unreachable") from None


def differences(recorded: Profile, seen: Profile) -> list[str]:
    """What the manager's profile has that bayops's record of it does not."""
    out = [f"{what} {old!r} -> {new!r}" for what, old, new in (
        ("serial", recorded.serial, seen.serial), ("boot", recorded.boot_mode, seen.boot_mode),
        ("SAN target", recorded.san_target, seen.san_target), ("LUN", recorded.san_lun, seen.san_lun))
        if old != new]
    had = {(c.kind, c.address, c.target) for c in recorded.connections}
    has = {(c.kind, c.address, c.target) for c in seen.connections}
    out += [f"connection {k} {a} ({t}) gone" for k, a, t in sorted(had - has)]
    out += [f"connection {k} {a} ({t}) added" for k, a, t in sorted(has - had)]
    if recorded.job_id is None and recorded.bay != seen.bay:
        out.append(f"bayops has it on {recorded.bay or 'no bay'}, the manager on {seen.bay or 'no bay'}")
    return out


def _hardware_identities_only(recorded: Profile, seen: Profile) -> bool:
    """Do the two differ only in addresses and serial, on the same bay and connections?
    (What a profile with physical identities shows after it moved: the hardware's.)"""
    def shape(p: Profile) -> tuple[object, ...]:
        return (p.bay, p.boot_mode, p.san_target, p.san_lun,
                sorted((c.kind, c.index, c.target) for c in p.connections))
    return shape(recorded) == shape(seen)


def _clash(p: Profile, owners: dict[str, str]) -> list[str]:
    """``p``'s identities that bayops records as another profile's."""
    clash = [f"{c.address} is profile {owners[c.address]}'s" for c in p.connections
             if owners.get(c.address) not in (None, p.name)]
    if owners.get(p.serial) not in (None, p.name):
        clash.append(f"serial {p.serial} is profile {owners[p.serial]}'s")
    return clash


def _group(item: ManagedProfile, bays: dict[str, Bay], enclosures: dict[str, str]) -> str | None:
    if item.profile.bay is not None:
        bay = bays.get(item.profile.bay)
        return bay.group if bay else None
    return next((enclosures[e] for e in item.enclosures if e in enclosures), None)


def _classify(item: ManagedProfile, group: str | None, recorded: Profile | None,
              bays: dict[str, Bay], owners: dict[str, str]) -> Adoption:
    p = item.profile
    where = p.bay or ""
    if recorded is not None:
        diff = differences(recorded, p)
        if diff and not item.virtual and _hardware_identities_only(recorded, p) and not _clash(p, owners):
            # physical MACs/WWPNs/serial are the blade's: they follow it, not an edit
            return Adoption(p.name, "refresh", where, recorded.group,
                            f"physical identities of the hardware in {where}: " + "; ".join(diff))
        return Adoption(p.name, "drift" if diff else "same", where, recorded.group, "; ".join(diff))
    if group is None:
        why = (f"{p.bay} is not in bayops's fleet" if p.bay else
               "its enclosure group holds no enclosure of bayops's fleet")
        return Adoption(p.name, "skipped", where, "", why)
    bay = bays.get(p.bay) if p.bay else None
    if bay is not None and bay.profile not in (None, p.name):
        return Adoption(p.name, "skipped", where, group, f"bayops records profile {bay.profile} on {p.bay}")
    clash = _clash(p, owners)
    if clash:
        return Adoption(p.name, "skipped", where, group, "identity in use: " + "; ".join(clash))
    return Adoption(p.name, "new", where, group, f"{len(p.connections)} connections, {p.boot_mode} boot"
                    + ("" if item.virtual else ", physical identities (they stay with the hardware)"))


def compare(ctx: OpContext, managed: list[ManagedProfile]) -> list[Adoption]:
    store = ctx.store
    bays = {b.id: b for b in store.bays()}
    enclosures = {b.enclosure: b.group for b in bays.values()}
    recorded = {p.name: p for p in store.profiles()}
    owners: dict[str, str] = {}
    for p in recorded.values():
        owners[p.serial] = p.name
        owners.update({c.address: p.name for c in p.connections})
    found = []
    for item in sorted(managed, key=lambda m: m.profile.name):
        group = _group(item, bays, enclosures)
        finding = _classify(item, group, recorded.get(item.profile.name), bays, owners)
        if finding.state == "new":  # two new ones must not claim one address either
            owners[item.profile.serial] = item.profile.name
            owners.update({c.address: item.profile.name for c in item.profile.connections})
        found.append(finding)
    seen = {m.profile.name for m in managed}
    found += [Adoption(name, "gone", p.bay or "", p.group, "no longer on the manager")
              for name, p in sorted(recorded.items()) if name not in seen]
    return found


def adopt(ctx: OpContext, record: bool = True, managed: list[ManagedProfile] | None = None) -> list[Adoption]:
    """Compare the manager's profiles with the store; ``record``: adopt the new ones."""
    items = managed_now(manager(ctx)) if managed is None else managed  # outside the lock
    found = compare(ctx, items)
    if record:
        for group in sorted({f.group for f in found if f.state == "new"}):
            ctx.require(group, "profile")
    if not record:
        return found
    by_name = {m.profile.name: m for m in items}
    out: list[Adoption] = []
    with ctx.store.write():
        for finding in compare(ctx, items):  # again under the lock: another may have adopted
            out.append(_record(ctx, finding, by_name.get(finding.profile)))
    return out


def _record(ctx: OpContext, finding: Adoption, item: ManagedProfile | None) -> Adoption:
    store = ctx.store
    if finding.state == "drift" and item is not None and store.mark_once(
            f"drift:{finding.profile}:{item.version}:{finding.detail}"):
        ctx.event("warning", f"profile:{finding.profile}", "profile.drift",
                  f"profile {finding.profile} was changed on the manager since bayops adopted it "
                  f"({finding.detail}); bayops overwrites neither side", None,
                  profile=finding.profile, bay=finding.bay or None)
    if finding.state == "refresh" and item is not None:
        store.set_identities(finding.profile, item.profile.serial, item.profile.connections)
        ctx.event("info", f"profile:{finding.profile}", "profile.identities",
                  f"profile {finding.profile}: {finding.detail}", None,
                  profile=finding.profile, bay=finding.bay or None)
        return dataclasses.replace(finding, state="refreshed")
    if finding.state != "new" or item is None:
        return finding
    profile = dataclasses.replace(item.profile, group=finding.group)
    bay = store.bay(profile.bay) if profile.bay else None
    if bay is not None and bay.spare:
        store.set_spare(bay.id, False)
        ctx.event("warning", f"bay:{profile.bay}", "spare.taken-outside",
                  f"spare {profile.bay} holds profile {profile.name} on the manager: it leaves the "
                  "spare pool", None, bay=profile.bay, profile=profile.name)
    store.add_profile(profile)
    ctx.event("info", f"profile:{profile.name}", "profile.adopted",
              f"profile {profile.name} adopted from the manager as it is"
              + (f" on {profile.bay}" if profile.bay else " (unassigned)"), None,
              profile=profile.name, bay=profile.bay, group=profile.group)
    return dataclasses.replace(finding, state="adopted")


def mark_spares(ctx: OpContext) -> list[str]:
    """Mark the pools' spares on the manager; a spare that holds a profile there now
    leaves the pool with an event (it was given one outside bayops). Returns those bays."""
    store = ctx.store
    bays = store.bays()
    spares = [b.id for b in bays if b.spare]
    others = [b.id for b in bays if not b.spare and b.model is not None]
    try:
        taken = manager(ctx).mark_spares(spares, others)
    except DriverError:
        return []  # the manager did not answer: marked at the next rediscovery
    if not taken:
        return []
    with store.write():
        for bay_id, name in sorted(taken.items()):
            bay = store.bay(bay_id)
            if bay is None or not bay.spare:
                continue
            store.set_spare(bay_id, False)
            ctx.event("warning", f"bay:{bay_id}", "spare.taken-outside",
                      f"spare {bay_id} was given profile {name} outside bayops: it leaves the spare "
                      "pool (adopt the profile with `bayops adopt`)", None, bay=bay_id, profile=name)
    return sorted(taken)
