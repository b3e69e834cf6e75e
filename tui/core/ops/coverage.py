"""The what-if: which profiles would find a spare if a bay, an enclosure or a domain died now.

The loss is simulated on a copy of the bays (the live state is not touched) with the
choice a failover makes, ``placement.rank_spares``: each lost profile in fleet order
takes the best usable spare left, which then holds it and is out of the pool. A group
*covers* a loss when no lost profile is left without a spare; profiles that could never
fail over (local boot, maintenance, held by a job) are no shortfall of the spare pool,
but they are lost all the same: the answer counts them ("covered (3 not recoverable by
failover: 3 in maintenance)").
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from tui.core.context import OpContext
from tui.core.ops.placement import rank_spares, why_unusable
from tui.core.store.glance import cover_badge
from tui.model.entities import Bay
from tui.model.errors import BadInput
from tui.model.text import quoted


@dataclass(frozen=True)
class Placed:
    profile: str
    bay: str
    target: str
    reason: str


@dataclass(frozen=True)
class Unplaced:
    profile: str
    bay: str
    code: str  # no-spare, local-boot, maintenance, held
    why: str
    model: str | None = None  # the bay's model, for a no-spare


NOT_RECOVERABLE = {"maintenance": "in maintenance", "local-boot": "boot from local disk",
                   "held": "held by a job"}


def not_recoverable(unplaced: Iterable[Unplaced]) -> dict[str, int]:
    """Profiles no failover could save, counted by reason (the Unplaced codes)."""
    counts: dict[str, int] = {}
    for u in unplaced:
        if u.code != "no-spare":
            counts[u.code] = counts.get(u.code, 0) + 1
    return counts


UNPLACED = {"no-spare": "no usable spare", **NOT_RECOVERABLE}


def verdict(covered: bool, placed: int, unplaced: Iterable[Unplaced]) -> str:
    """'covered: 5 of 5 profiles placed', or 'NOT covered: 3 of 16 profiles placed, 13
    unplaced (12 no usable spare, 1 boot from local disk)': every unplaced profile counted,
    whatever keeps it from a spare."""
    word = "covered" if covered else "NOT covered"
    counts: dict[str, int] = {}
    for u in unplaced:
        counts[u.code] = counts.get(u.code, 0) + 1
    lost = sum(counts.values())
    if not placed and not lost:
        return word
    text = f"{word}: {placed} of {placed + lost} profiles placed"
    if lost:
        why = ", ".join(f"{n} {UNPLACED.get(code, code)}" for code, n in counts.items())
        text += f", {lost} unplaced ({why})"
    return text


@dataclass(frozen=True)
class GroupCoverage:
    group: str
    placed: tuple[Placed, ...]
    unplaced: tuple[Unplaced, ...]
    spares_before: tuple[str, ...]  # usable spares before the loss
    spares_left: tuple[str, ...]  # usable spares after the simulated failovers

    @property
    def covered(self) -> bool:
        return not any(u.code == "no-spare" for u in self.unplaced)

    @property
    def short(self) -> tuple[str, ...]:
        """The models that ran out of spares, in the order met."""
        return tuple(dict.fromkeys(u.model or "?" for u in self.unplaced
                                   if u.code == "no-spare"))

    @property
    def not_recoverable(self) -> dict[str, int]:
        return not_recoverable(self.unplaced)

    def to_dict(self) -> dict[str, Any]:
        return {"group": self.group, "covered": self.covered,
                "not_recoverable": self.not_recoverable,
                "placed": [vars(p) for p in self.placed],
                "unplaced": [vars(u) for u in self.unplaced],
                "spares_before": list(self.spares_before), "spares_left": list(self.spares_left)}


@dataclass(frozen=True)
class Coverage:
    kind: str  # bay, enclosure, domain
    name: str
    lost: tuple[str, ...]  # the bays lost
    groups: tuple[GroupCoverage, ...]

    @property
    def not_recoverable(self) -> dict[str, int]:
        return not_recoverable(u for g in self.groups for u in g.unplaced)

    def to_dict(self) -> dict[str, Any]:
        return {"lose": {"kind": self.kind, "name": self.name, "bays": list(self.lost)},
                "covered": all(g.covered for g in self.groups),
                "not_recoverable": self.not_recoverable,
                "groups": [g.to_dict() for g in self.groups]}

    def text(self) -> str:
        """The what-if as lines, for the CLI and the dashboard."""
        covered = all(g.covered for g in self.groups)
        n = len(self.lost)
        placed = sum(len(g.placed) for g in self.groups)
        lines = [f"lose {self.kind} {self.name} ({n} bay{'s' if n != 1 else ''}): "
                 + verdict(covered, placed, (u for g in self.groups for u in g.unplaced))]
        for g in self.groups:
            lines.append(f"group {g.group}: {len(g.placed)} placed, {len(g.unplaced)} unplaced, "
                         f"usable spares {len(g.spares_before)} -> {len(g.spares_left)}")
            lines += [f"  placed    {p.profile} {p.bay} -> {p.target} ({p.reason})"
                      for p in g.placed]
            lines += [f"  unplaced  {u.profile} {u.bay}: {u.code}: {u.why}" for u in g.unplaced]
            lines.append("  spares left: " + (", ".join(g.spares_left) or "none"))
        if not self.groups:
            lines.append("no profile is on what would be lost")
        return "\n".join(lines)


@dataclass(frozen=True)
class EnclosureCover:
    enclosure: str
    group: str
    profiles: int  # profiles on it
    placed: int
    covered: bool
    short: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {**vars(self), "short": list(self.short)}

    def line(self) -> str:
        if not self.profiles:
            return f"{self.enclosure}: no profile, nothing to cover"
        if self.covered:
            return f"{self.enclosure}: covered ({self.placed} of {self.profiles} profiles placed)"
        return (f"{self.enclosure}: NOT covered ({self.placed} of {self.profiles} placed; "
                f"no spare for {', '.join(self.short)})")


def ready(bay: Bay) -> bool:
    """A spare any failover of its model could use now."""
    return bay.spare and why_unusable(bay, bay) is None


def simulate(bays: Iterable[Bay], lost: set[str]) -> list[GroupCoverage]:
    """The loss of ``lost`` for every group that loses a bay; ``bays`` are all the bays of
    those groups (their spares take the profiles)."""
    members: dict[str, list[Bay]] = {}
    for bay in bays:
        members.setdefault(bay.group, []).append(bay)
    out = []
    for group, group_bays in members.items():
        gone = [b for b in group_bays if b.id in lost]
        if gone:
            out.append(_simulate_group(group, group_bays, gone))
    return out


def _simulate_group(group: str, group_bays: Sequence[Bay], gone: Sequence[Bay]) -> GroupCoverage:
    # The copy: the lost bays are dead (a lost spare is no spare any more).
    dead = {b.id for b in gone}
    spares = {b.id: (dataclasses.replace(b, health="critical", power="unknown")
                     if b.id in dead else b) for b in group_bays if b.spare}
    before = tuple(b.id for b in group_bays if b.spare and ready(b))
    models = {(b.model, b.generation) for b in spares.values()}
    placed: list[Placed] = []
    unplaced: list[Unplaced] = []
    for source in sorted(gone, key=lambda b: (b.enclosure, b.number)):
        name = source.profile
        if name is None:
            continue
        if (stays := _no_failover(source)) is not None:
            unplaced.append(stays)
        elif ranked := rank_spares(source, spares.values(), ()):
            target, reason = ranked[0]
            placed.append(Placed(name, source.id, target.id, reason))
            del spares[target.id]  # it holds the profile now: out of the pool
        else:
            why = (f"the spares of model {source.model} in group {group} are used up or unusable"
                   if (source.model, source.generation) in models
                   else f"no spare of model {source.model} in group {group}")
            unplaced.append(Unplaced(name, source.id, "no-spare", why,
                                     source.model))
    left = tuple(b.id for b in spares.values() if ready(b))
    return GroupCoverage(group, tuple(placed), tuple(unplaced), before, left)


def _no_failover(source: Bay) -> Unplaced | None:
    """Why no failover would move the profile on ``source``, whatever the spares."""
    name = source.profile or ""
    if source.maintenance:
        return Unplaced(name, source.id, "maintenance",
                        f"domain {source.domain} is in maintenance: failover waits")
    if source.boot_mode != "san":
        return Unplaced(name, source.id, "local-boot",
                        "boots from local disk: failover needs boot-from-SAN")
    if source.job_id is not None:
        return Unplaced(name, source.id, "held", f"held by job {source.job_id}")
    return None


Model = tuple[str, str | None, str | None]  # (group, model, generation)


def _counts_as(bay: Bay) -> tuple[bool, bool, Model | None]:
    """What ``bay`` adds to its group's cover: a profile a failover would move, a ready
    spare, and of which model (None: it adds nothing)."""
    moves = bay.profile is not None and _no_failover(bay) is None
    spare = ready(bay)
    return moves, spare, _model(bay) if moves or spare else None


def _model(bay: Bay) -> Model:
    return bay.group, bay.model, bay.generation


def sweep(bays: Sequence[Bay]) -> list[EnclosureCover]:
    """For each enclosure of ``bays`` (whole groups): does its group cover its loss?

    The same answer as ``_simulate_group`` for each enclosure, by counting: a failover
    takes any ready spare of the profile's model and generation (``rank_spares`` only
    orders them), so a loss is covered when, for each model, its profiles that a
    failover would move number no more than its ready spares outside the enclosure.
    That is linear in the bays; ``GroupCover`` keeps the same answer as bays change."""
    ready_spares: dict[Model, int] = {}
    enclosures: dict[str, list[Bay]] = {}
    for bay in bays:
        enclosures.setdefault(bay.enclosure, []).append(bay)
        if ready(bay):
            key = _model(bay)
            ready_spares[key] = ready_spares.get(key, 0) + 1
    return [_enclosure_cover(lost, ready_spares) for lost in enclosures.values()]


def _enclosure_cover(lost: Sequence[Bay], ready_spares: dict[Model, int]) -> EnclosureCover:
    """The loss of one enclosure's bays ``lost``, its group having ``ready_spares``."""
    left = dict(ready_spares)
    for bay in lost:  # a lost spare is no spare any more
        if ready(bay):
            left[_model(bay)] -= 1
    profiles = placed = 0
    short: dict[str, None] = {}
    for source in sorted(lost, key=lambda b: b.number):
        if source.profile is None:
            continue
        profiles += 1
        if _no_failover(source) is not None:
            continue
        key = _model(source)
        if left.get(key, 0) > 0:
            left[key] -= 1
            placed += 1
        else:
            short[source.model or "?"] = None
    return EnclosureCover(lost[0].enclosure, lost[0].group, profiles, placed, not short,
                          tuple(short))


class GroupCover:
    """One group's coverage badge kept by counting: ``badge(sweep(bays))`` updated per
    changed bay (``add``), so a feed batch costs its changes, never a pass over the group.

    Per model: the group's ready spares R, and per enclosure e the profiles a failover
    would move off it m_e and its ready spares r_e. Losing e leaves R - r_e spares, so e
    is short when m_e + r_e > R; a histogram of m_e + r_e over the enclosures says at
    once whether any is. Only then are the enclosures walked, in the group's order, to
    the first short one, whose bays name the model the badge shows."""

    def __init__(self) -> None:
        self.ready: dict[Model, int] = {}
        # enclosure -> model -> [m_e, r_e]; enclosures in the order their bays were added
        self.enclosures: dict[str, dict[Model, list[int]]] = {}
        self.loads: dict[Model, dict[int, int]] = {}  # model -> {m_e + r_e: enclosures}

    def add(self, bay: Bay, sign: int) -> None:
        """Count ``bay`` in (1) or out (-1)."""
        models = self.enclosures.setdefault(bay.enclosure, {})
        moves, spare, key = _counts_as(bay)
        if key is None:
            return
        counts = models.setdefault(key, [0, 0])
        loads = self.loads.setdefault(key, {})
        before = counts[0] + counts[1]
        counts[0] += sign * moves
        counts[1] += sign * spare
        after = counts[0] + counts[1]
        if before:
            loads[before] -= 1
            if not loads[before]:
                del loads[before]
        if after:
            loads[after] = loads.get(after, 0) + 1
        if spare:
            self.ready[key] = self.ready.get(key, 0) + sign

    def replace(self, old: Bay, new: Bay) -> None:
        """``add(old, -1)`` then ``add(new, 1)``; nothing when the bay counts the same (a
        change of power or health, most of a busy feed, mostly does)."""
        if old.enclosure != new.enclosure or _counts_as(old) != _counts_as(new):
            self.add(old, -1)
            self.add(new, 1)

    def badge(self, bays_of: Callable[[str], Sequence[Bay]]) -> tuple[str, bool]:
        """``badge(sweep(...))`` of the group; ``bays_of``: an enclosure's bays."""
        ready_spares = self.ready
        short = {key for key, loads in self.loads.items()
                 if loads and max(loads) > ready_spares.get(key, 0)}
        if short:
            for enclosure, models in self.enclosures.items():
                if any(sum(models.get(key, ())) > ready_spares.get(key, 0) for key in short):
                    return badge([_enclosure_cover(bays_of(enclosure), ready_spares)])
        return badge([])


def badge(covers: Sequence[EnclosureCover]) -> tuple[str, bool]:
    """The groups pane's words: 'covers 1 enc' when the loss of any one enclosure is
    covered, else 'no cover for Gen9' (the generation of the first model short)."""
    return cover_badge([m for c in covers for m in c.short])


def resolve(ctx: OpContext, name: str) -> tuple[str, list[Bay]]:
    """(kind, bays) of a bay id, an enclosure or a domain name."""
    if "/" in name:
        return "bay", [ctx.bay(name)]
    if ctx.store.enclosure_exists(name):
        return "enclosure", ctx.store.bays(enclosure=name)
    if ctx.store.domain(name) is not None:
        return "domain", ctx.store.bays(domain=name)
    raise BadInput(f"--lose {quoted(name)}: no bay, enclosure or domain of that name",
                   code="unknown-name")


def what_if(ctx: OpContext, lose: str, group: str | None = None) -> Coverage:
    if group is not None:
        ctx.group(group)
    kind, lost = resolve(ctx, lose)
    if group is not None and not any(b.group == group for b in lost):
        raise BadInput(f"{lose} is not in group {group}", code="not-in-group")
    groups = {b.group for b in lost} if group is None else {group}
    bays = [b for g in sorted(groups) for b in ctx.store.bays(group=g)]
    return Coverage(kind, lose, tuple(b.id for b in lost),
                    tuple(simulate(bays, {b.id for b in lost})))


def enclosures(ctx: OpContext, group: str | None = None) -> list[EnclosureCover]:
    if group is not None:
        ctx.group(group)
    return sweep(ctx.store.bays(group=group))
