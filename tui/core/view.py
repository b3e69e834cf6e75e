"""FleetView: an in-memory copy of what a reader shows, kept current by the change feed.

A reader loads the view once, then asks the store what changed since the revision it
has seen and re-reads only those rows: a poll costs the fleet's changes, not its size.
Group, domain and enclosure figures are kept as counters adjusted per changed bay. The
dashboard uses it (``fetch`` in a worker thread, ``apply`` on the UI thread); a remote
client of a future service would apply the same updates.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Protocol, Self

from tui.core.ops import coverage, placement
from tui.core.store import ChangeSet
from tui.model.entities import (
    Bay,
    DomainConfig,
    DomainRecord,
    DomainSummary,
    EnclosureRecord,
    EnclosureSummary,
    Event,
    GroupRecord,
    GroupSummary,
    Job,
    Maintenance,
)
from tui.model.upkeep import group_firmware, off_baseline

JOBS_SHOWN = 50
# A fleet over this many bays is shown first as an outline (``FleetView.load(outline=True)``)
OUTLINE_OVER = 4000
OUTLINE_ROWS = 200  # an outline's bays: the fleet's first enclosures, a screenful or more


class FleetReads(Protocol):
    """The store reads a FleetView makes: the Store's own, or a client's over the service
    (each member is a route, /v1/read/<name>: tui.model.api)."""

    def revision(self) -> int: ...
    def last_event_seq(self) -> int: ...
    def group_names(self) -> list[str]: ...
    def group(self, name: str) -> GroupRecord | None: ...
    def domains(self, group: str | None = None) -> list[DomainRecord]: ...
    def enclosures(self, domain: str | None = None) -> list[EnclosureRecord]: ...
    def jobs(self, limit: int = 200, running_only: bool = False) -> list[Job]: ...
    def maintenance(self, domain: str | None = None) -> list[Maintenance]: ...
    def bays(self, group: str | None = None, domain: str | None = None,
             enclosure: str | None = None, ids: list[str] | None = None,
             spares_only: bool = False) -> list[Bay]: ...
    def events(self, since: int = 0, limit: int = 1000, newest: bool = False) -> list[Event]: ...
    def changes_since(self, rev: int, limit: int = 20_000) -> ChangeSet: ...
    def firmware_versions(self) -> dict[str, list[str]]: ...
    def ports_down(self) -> dict[str, list[str]]: ...
    def homes(self, enclosure: str | None = None) -> dict[str, str]: ...


class Reader(Protocol):
    """What a FleetView reads through: the Core, or a client of the service."""

    @property
    def store(self) -> FleetReads: ...
EVENT_BATCH = 500
# servers, profiles, critical, warning, spares, spares ready
_FIGURES = 6
_BITS = 24  # of a position in FleetView._where's packed ints: lists of up to 16M bays
_MASK = (1 << _BITS) - 1


def figures(bay: Bay) -> tuple[int, ...]:
    """What one bay adds to its group's, domain's and enclosure's figures."""
    if bay.empty:
        return (0, 0, 0, 0, 0, 0)
    ready = bay.spare and bay.unready_reason() is None
    return (1, bay.profile is not None, bay.health == "critical", bay.health == "warning",
            bay.spare, ready)


@dataclass
class Structure:
    """The few rows that shape the fleet: groups, domains, enclosures, locks, jobs."""

    groups: list[GroupRecord]
    domains: dict[str, list[DomainRecord]]  # by group
    enclosures: dict[str, list[EnclosureRecord]]  # by domain
    maintenance: dict[str, Maintenance]  # by domain
    running: dict[str, int]  # running jobs by group
    firmware: dict[str, list[str]] = field(default_factory=dict)  # versions read, by domain
    ports_down: dict[str, list[str]] = field(default_factory=dict)  # by domain

    def running_firmware(self, domain: str, config: DomainConfig) -> list[str]:
        """The versions ``domain`` runs: as read from its components, else as configured
        (``ops/firmware.compliance``'s rule)."""
        return self.firmware.get(domain) or [config.firmware]

    @classmethod
    def read(cls, ctx: Reader) -> Structure:
        store = ctx.store
        groups = [g for name in store.group_names() if (g := store.group(name)) is not None]
        domains: dict[str, list[DomainRecord]] = {}
        for d in store.domains():
            domains.setdefault(d.group, []).append(d)
        enclosures: dict[str, list[EnclosureRecord]] = {}
        for e in store.enclosures():
            enclosures.setdefault(e.domain, []).append(e)
        running: dict[str, int] = {}
        for job in store.jobs(running_only=True):
            running[job.group] = running.get(job.group, 0) + 1
        return cls(groups, domains, enclosures, {m.domain: m for m in store.maintenance()},
                   running, store.firmware_versions(), store.ports_down())

    def bay_slots(self) -> int:
        """How many bays the fleet has (every enclosure's, empty ones too)."""
        return sum(e.bay_count for encs in self.enclosures.values() for e in encs)


@dataclass
class ViewUpdate:
    """What a worker read for ``apply``: changed rows only, or a whole new view."""

    rev: int
    bays: list[Bay] = field(default_factory=list)
    structure: Structure | None = None
    jobs: list[Job] | None = None
    events: list[Event] = field(default_factory=list)
    reload: FleetView | None = None  # too far behind, or the fleet's shape changed
    homes: dict[str, str] | None = None  # profile -> home bay, when a profile changed
    more: bool = False  # more changes wait: fetch again soon
    changed: bool = False  # anything to apply (rows, or only a newer revision)
    last: bool = True  # False: a slice of a batch (``slices``) that more slices follow

    def slices(self, size: int) -> list[ViewUpdate]:
        """This update as updates of at most ``size`` bays, to apply in turn (the reader
        handles its keys between them). The first carries the homes (the bays' attention
        reads them); the last the rest and the revision, and only it summarises the groups
        the batch touched: a slice costs its bays, not the summaries again."""
        if self.reload is not None or len(self.bays) <= size:
            return [self]
        parts = [ViewUpdate(0, self.bays[at:at + size], changed=True, last=False)
                 for at in range(0, len(self.bays), size)]
        parts[0].homes = self.homes
        parts[-1] = dataclasses.replace(self, bays=parts[-1].bays, homes=None)
        return parts


class FleetView:
    def __init__(self) -> None:
        self.rev = 0
        self.last_event = 0
        self.applied = 0  # bay changes applied since load (the benchmarks read it)
        self.bays: list[Bay] = []
        self.by_id: dict[str, Bay] = {}
        self.by_group: dict[str, list[Bay]] = {}
        self.by_domain: dict[str, list[Bay]] = {}
        self.by_enclosure: dict[str, list[Bay]] = {}
        # id -> its positions in the four lists, packed in one int (``_positions``): a
        # tuple of four ints per bay cost a 64,000-bay view ~6 MB more
        self._where: dict[str, int] = {}
        self._counts: dict[str, list[int]] = {}  # "g:", "d:", "e:" + name -> figures
        # (group, model, generation) -> ready spares
        self._ready_models: dict[tuple[str, str | None, str | None], int] = {}
        self._failed: dict[str, Bay] = {}  # critical bays whose profile a failover would move
        # (group, model, generation) -> profiles a failover would move (SAN boot)
        self._san_models: dict[tuple[str, str | None, str | None], int] = {}
        self.structure = Structure([], {}, {}, {}, {})
        self.groups: list[GroupSummary] = []
        self.domains: dict[str, DomainSummary] = {}
        self.jobs: list[Job] = []
        self.homes: dict[str, str] = {}  # profile -> its home bay, for profiles away from it
        self.touched: set[str] | None = None  # groups the last apply changed (None: all)
        # groups and domains whose bays a batch's slices changed, summarised by its last
        self._pending: tuple[set[str], set[str]] = (set(), set())
        # group -> its coverage badge's counts, kept per changed bay like the figures
        self._covers: dict[str, coverage.GroupCover] = {}
        # An outline: the fleet's shape, jobs and first bays, and no figure; the reader
        # loads the whole view off its UI thread and applies it as a reload (``partial``)
        self.partial = False

    # -- loading and following --------------------------------------------------------------
    @classmethod
    def load(cls, ctx: Reader, events: int = 0, outline: bool = False) -> tuple[Self, list[Event]]:
        """A whole view, and the newest ``events`` events. The revision is read first, so
        a change landing during the load is applied again by the next fetch. ``outline``:
        a fleet of more than OUTLINE_OVER bays gets a ``partial`` view, its bays only the
        first enclosures' (milliseconds, where the whole view of 64,000 bays takes seconds)."""
        view = cls()
        store = ctx.store
        view.rev = store.revision()
        view.last_event = store.last_event_seq()
        view.structure = Structure.read(ctx)
        view.homes = store.homes()
        view.partial = outline and view.structure.bay_slots() > OUTLINE_OVER
        for bay in view._first_bays(ctx) if view.partial else store.bays():
            view._add(bay)
        view.jobs = store.jobs(JOBS_SHOWN)
        view._summarise({g.name for g in view.structure.groups})
        return view, (store.events(0, events, newest=True) if events else [])

    def _first_bays(self, ctx: Reader) -> list[Bay]:
        """The bays of the fleet's first enclosures (the fleet's order), OUTLINE_ROWS or more,
        in one read (a served dashboard's ~13 round trips were a tenth of its first paint)."""
        ids: list[str] = []
        for e in sorted((e for encs in self.structure.enclosures.values() for e in encs),
                        key=lambda e: e.name):
            if len(ids) >= OUTLINE_ROWS:
                break
            ids += [f"{e.name}/{n}" for n in range(1, e.bay_count + 1)]  # every slot has its row
        return ctx.store.bays(ids=ids)

    def size(self) -> int:
        """The fleet's bays: those loaded, or an outline's count of them."""
        return self.structure.bay_slots() if self.partial else len(self.bays)

    def fetch(self, ctx: Reader) -> ViewUpdate:
        """Read what changed since this view's revision (any thread; changes nothing here)."""
        store = ctx.store
        changes = store.changes_since(self.rev)
        if changes.resync or self._reshaped(changes):
            view, _ = type(self).load(ctx)
            return ViewUpdate(view.rev, reload=view, changed=True,
                              events=store.events(self.last_event, EVENT_BATCH))
        update = ViewUpdate(changes.rev, more=changes.more, changed=changes.rev != self.rev)
        if not changes:
            return update
        ids = set(changes.of("bay"))
        for domain in changes.of("domain"):  # maintenance shows on every bay of the domain
            ids.update(b.id for b in self.by_domain.get(domain, ()))
        if ids:
            update.bays = store.bays(ids=sorted(ids))
        if changes.of("job") or changes.of("domain") or changes.of("group"):
            update.structure = Structure.read(ctx)
        if changes.of("job"):
            update.jobs = store.jobs(JOBS_SHOWN)
        if changes.of("profile"):
            update.homes = store.homes()
        if changes.of("event"):
            update.events = store.events(self.last_event, EVENT_BATCH)
            update.more = update.more or len(update.events) == EVENT_BATCH
        return update

    def _reshaped(self, changes: ChangeSet) -> bool:
        """A new enclosure or domain: bays appear; load the whole view again (rare)."""
        return bool(changes.of("enclosure")) or any(
            d not in self.by_domain and not self._domain_known(d) for d in changes.of("domain"))

    def _domain_known(self, name: str) -> bool:
        return any(d.name == name for ds in self.structure.domains.values() for d in ds)

    def apply(self, update: ViewUpdate) -> FleetView:
        """Bring the view up to ``update`` (the UI thread); returns the view to use from now
        on (a new one after a reload)."""
        if update.reload is not None:
            update.reload.applied = self.applied + len(update.reload.bays)
            update.reload.last_event = max(self.last_event, update.reload.last_event,
                                           update.events[-1].seq if update.events else 0)
            return update.reload
        touched, domains = self._pending  # those of the batch's slices before this one
        if update.homes is not None:  # before the bays: their attention reads it
            self.homes = update.homes
        for bay in update.bays:
            old = self.by_id.get(bay.id)
            if old is None or old == bay:
                continue
            self._replace(old, bay)
            touched.add(bay.group)
            domains.add(bay.domain)
            self.applied += 1
        if not update.last:
            self.touched = set()
            return self
        self._pending = (set(), set())
        if update.structure is not None:
            self.structure = update.structure
            touched.update(g.name for g in self.structure.groups)
        if update.jobs is not None:
            self.jobs = update.jobs
        if update.events:
            self.last_event = max(self.last_event, update.events[-1].seq)
        if touched:
            self._summarise(touched, None if update.structure is not None else domains)
        self.touched = None if update.structure is not None else touched
        self.rev = max(self.rev, update.rev)
        return self

    # -- bays and figures ---------------------------------------------------------------------
    def _add(self, bay: Bay) -> None:
        lists = (self.bays, self.by_group.setdefault(bay.group, []),
                 self.by_domain.setdefault(bay.domain, []),
                 self.by_enclosure.setdefault(bay.enclosure, []))
        where = 0
        for i, items in enumerate(lists):
            where |= len(items) << i * _BITS
            items.append(bay)
        self._where[bay.id] = where
        self.by_id[bay.id] = bay
        self._count(bay, 1)
        self.bay_changed(None, bay)

    def _replace(self, old: Bay, new: Bay) -> None:
        lists = (self.bays, self.by_group[old.group], self.by_domain[old.domain],
                 self.by_enclosure[old.enclosure])
        for items, at in zip(lists, self._positions(old.id), strict=True):
            items[at] = new
        self.by_id[new.id] = new
        self._recount(old, new)
        self.bay_changed(old, new)

    def bay_changed(self, old: Bay | None, new: Bay) -> None:
        """A hook for readers that keep views of their own over the bays."""

    def position(self, bay_id: str) -> int:
        """Where the bay stands in ``bays`` (the fleet's order)."""
        return self._where[bay_id] & _MASK

    def _positions(self, bay_id: str) -> tuple[int, int, int, int]:
        """Where the bay stands in ``bays``, its group's, domain's and enclosure's lists."""
        where = self._where[bay_id]
        return (where & _MASK, where >> _BITS & _MASK, where >> 2 * _BITS & _MASK,
                where >> 3 * _BITS)

    def _recount(self, old: Bay, new: Bay) -> None:
        """``_count(old, -1)`` then ``_count(new, 1)``, doing only what differs: most of a
        busy feed is a bay's power or health, which moves a figure or two and no cover."""
        if (old.group, old.domain, old.enclosure) != (new.group, new.domain, new.enclosure):
            self._count(old, -1)
            self._count(new, 1)
            return
        before, after = figures(old), figures(new)
        self._count_spares(old, before, -1)
        self._count_spares(new, after, 1)
        self._cover(new.group).replace(old, new)
        if before != after:
            for key in (f"g:{new.group}", f"d:{new.domain}", f"e:{new.enclosure}"):
                counts = self._counts[key]  # the old bay was counted there
                for i in range(_FIGURES):
                    counts[i] += after[i] - before[i]

    def _cover(self, group: str) -> coverage.GroupCover:
        cover = self._covers.get(group)
        if cover is None:
            cover = self._covers[group] = coverage.GroupCover()
        return cover

    def _count(self, bay: Bay, sign: int) -> None:
        add = figures(bay)
        self._count_spares(bay, add, sign)
        self._cover(bay.group).add(bay, sign)
        for key in (f"g:{bay.group}", f"d:{bay.domain}", f"e:{bay.enclosure}"):
            counts = self._counts.setdefault(key, [0] * _FIGURES)
            for i, value in enumerate(add):
                counts[i] += sign * value

    def _count_spares(self, bay: Bay, add: tuple[int, ...], sign: int) -> None:
        """The ready spares and SAN profiles per model, and the failures a failover would move."""
        if add[5]:
            model = (bay.group, bay.model, bay.generation)
            self._ready_models[model] = self._ready_models.get(model, 0) + sign
        if bay.profile is not None and bay.boot_mode == "san":
            model = (bay.group, bay.model, bay.generation)
            self._san_models[model] = self._san_models.get(model, 0) + sign
        if bay.health == "critical" and bay.profile is not None and bay.boot_mode == "san":
            if sign > 0:
                self._failed[bay.id] = bay
            else:
                self._failed.pop(bay.id, None)

    def _figures(self, key: str) -> list[int]:
        return self._counts.get(key, [0] * _FIGURES)

    def cover(self, group: str) -> tuple[str, bool]:
        """The group's coverage badge (text, ok): the what-if of losing each of its
        enclosures, from counts kept as bays change; none for an outline's partial bays."""
        counts = self._covers.get(group)
        if counts is None or self.partial:
            return "", True
        return counts.badge(lambda enclosure: self.by_enclosure[enclosure])

    def _summarise(self, groups: set[str], domains: set[str] | None = None) -> None:
        """The summaries of ``groups``; of their domains only ``domains`` (None: all) are
        built again, the others kept (their bays did not change)."""
        s = self.structure
        summaries = {g.name: g for g in self.groups}
        for record in s.groups:
            if record.name not in groups and record.name in summaries:
                continue
            kept = []
            for d in s.domains.get(record.name, []):
                if domains is not None and d.name not in domains and d.name in self.domains:
                    kept.append(self.domains[d.name])
                    continue
                encs = []
                for e in s.enclosures.get(d.name, []):
                    servers, _, crit, warn, _, _ = self._figures(f"e:{e.name}")
                    encs.append(EnclosureSummary(e.name, e.model, e.bay_count, servers, crit, warn))
                _, _, crit, warn, spares, _ = self._figures(f"d:{d.name}")
                summary = DomainSummary(d.name, record.name, tuple(encs),
                                        len(self.by_domain.get(d.name, ())), crit, warn, spares,
                                        s.maintenance.get(d.name), d.config != record.baseline,
                                        off_baseline(record.baseline.firmware,
                                                     s.running_firmware(d.name, d.config)),
                                        len(s.ports_down.get(d.name, ())))
                self.domains[d.name] = summary
                kept.append(summary)
            servers, profiles, crit, warn, spares, ready = self._figures(f"g:{record.name}")
            summaries[record.name] = GroupSummary(
                record.name, record.policy, tuple(kept),
                len(self.by_group.get(record.name, ())), servers, profiles, crit, warn, ready,
                spares, s.running.get(record.name, 0), record.baseline,
                *self.cover(record.name),
                group_firmware(record.baseline.firmware,
                               (s.running_firmware(d.name, d.config)
                                for d in s.domains.get(record.name, []))))
        self.groups = [summaries[g.name] for g in s.groups]

    # -- what the panes ask ---------------------------------------------------------------------
    def group(self, name: str) -> GroupSummary | None:
        return next((g for g in self.groups if g.name == name), None)

    def critical(self) -> int:
        return sum(g.critical for g in self.groups)

    def empty_spare_pools(self) -> int:
        return sum(1 for g in self.groups if g.spares_ready == 0)

    def unspared(self) -> list[tuple[str, str | None, str | None]]:
        """(group, model, generation) of the profiles that a failure now would leave with
        no ready spare (a spare of another generation is none): the header's "spares ok"
        is said only when there are none."""
        ready = self._ready_models
        return sorted((k for k, n in self._san_models.items() if n > 0 and not ready.get(k)),
                      key=lambda k: (k[0], k[1] or "", k[2] or ""))

    def uncovered_failures(self) -> list[Bay]:
        """Critical bays whose profile a failover would move but whose group has no ready
        spare of their model (the failover would be refused with no-spare)."""
        return sorted((b for b in self._failed.values()
                       if b.job_id is None
                       and not self._ready_models.get((b.group, b.model, b.generation))),
                      key=lambda b: b.id)

    def next_action(self, bay: Bay) -> str:
        """What the triage queue says to do about ``bay`` next: the spare a failover would
        take (``rank_spares``, the failover's own choice), or why there is none, or what
        holds it. Asked for the rows on screen only."""
        if bay.job_id is not None:
            return f"job {bay.job_id} running"
        if bay.flag is not None:
            return "FLAGGED: check, then clear"
        if bay.drained:
            live = sum(1 for b in self.by_enclosure.get(bay.enclosure, ()) if b.profile)
            return f"DRAINED, {live} live" if live else "DRAINED"
        if bay.health != "critical" or bay.profile is None:
            return self._home_action(bay) or ("acked" if bay.acked_by else "")
        if bay.boot_mode != "san":
            return "local boot: move by hand"
        spares = [b for b in self.by_group.get(bay.group, ()) if b.spare]
        ranked = placement.rank_spares(bay, spares, ())
        if ranked:
            return f"fail over → {ranked[0][0].id}"
        return f"NO SPARE {bay.generation or bay.model or ''}".rstrip()

    def _home_action(self, bay: Bay) -> str:
        """For a failed-over profile's bay: its home is fit to take it back, or where it is."""
        home_id = self.homes.get(bay.profile or "")
        if home_id is None or home_id == bay.id:
            return ""
        home = self.by_id.get(home_id)
        if home is not None and home.health == "ok" and home.profile is None \
                and placement.unfit_state(home) is None and home.job_id is None:
            return "home healthy: fail back"
        return f"away from {home_id}"

    def running_jobs(self) -> list[Job]:
        return [j for j in self.jobs if j.unfinished]  # interrupted ones hold locks too
