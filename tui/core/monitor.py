"""Hardware polling and the auto-failover policy, shared by `bayops watch` and the dashboard.

This is the one place that reads the hardware on a schedule: a full health sweep every
``sweep_seconds``, rediscovery of every bay every ``[bayops] rediscover_seconds``
(blades inserted, removed, swapped; counted from the store's last one, by any process),
the driver's pushed events on every poll. What it finds lands in the store, and readers
follow the store's change feed, not the hardware.

Observation and reaction are separate. Any process may observe a change (a sweep, a
failover's pre-check, `sim fail`); the change lands once, as a ``health.changed`` event.
The policy reads the event log through a shared cursor, so whichever monitor claims an
event acts on it, once, however many monitors run.
"""
from __future__ import annotations

import platform
import time
from dataclasses import dataclass

from tui.core import autofailover as rules
from tui.core.api import Core
from tui.core.ops import failback, failover, ports
from tui.core.ops.adopt import mark_spares
from tui.core.ops.rediscover import REDISCOVERED
from tui.model.driver import DomainMaintenanceDriver, DriverError, ProfileManager, VersionedReadings
from tui.model.entities import Event
from tui.model.errors import BayopsError

POLICY_CURSOR = "policy_cursor"
FEED_KEEP = 200_000  # feed revisions kept for readers that fall behind (then: reload)
PRUNE_SECONDS = 60.0
PRUNE_BATCH = 20_000


@dataclass
class PollResult:
    changed: int  # bays whose power or health changed
    rediscovered: int  # bays whose blade was inserted, removed or swapped
    actions: list[str]  # what the policy did


def trigger_of(event: Event) -> str | None:
    """The policy trigger kind an event carries, if any."""
    if event.kind == "health.changed":
        new = event.data.get("new")
        if new in ("critical", "unknown"):
            return "critical" if new == "critical" else "no-answer"
    if event.kind == "hardware.alert":  # from the service's alert webhook (Alertmanager)
        trigger = event.data.get("trigger")
        return trigger if trigger in rules.TRIGGER_KINDS else None
    if event.kind in ("hardware.cpu-threshold", "hardware.memory-errors"):
        return event.kind.split(".", 1)[1]
    return None


def _swept_key(part: str) -> str:
    """The store's record of ``part``'s last whole read, for this host: the simulator's
    hardware (and so its version) is host-local beside a PostgreSQL store."""
    return f"swept:{part}@{platform.node()}"


def _text(mark: tuple[int, int]) -> str:
    return f"{mark[0]} {mark[1]}"


class Monitor:
    def __init__(self, core: Core, apply_policy: bool = True, sweep_seconds: float = 0.0):
        self.core = core
        # A read-only monitor watches; it neither acts nor takes events from the policy.
        self.apply_policy = apply_policy and not core.read_only
        self.sweep_seconds = sweep_seconds
        self._last_sweep = self._last_prune = self._last_rediscovery = float("-inf")
        # part -> (store revision, hardware version) when it was last read whole: while
        # both hold, the sweep has nothing to read there (an idle 64,000-bay fleet: no scan)
        self._swept: dict[str, tuple[int, int] | None] = {}
        self._marks: dict[str, tuple[int, int] | None] = {}  # taken by this sweep's _due
        # Bays whose automatic failover found no usable spare: bay -> (trigger, message).
        # Retried when one appears while the policy would still fail over (this monitor's;
        # a restarted one waits for the next trigger).
        self._waiting: dict[str, tuple[str, str]] = {}

    def poll(self, now: float | None = None) -> PollResult:
        core, store = self.core, self.core.store
        clock = time.monotonic()
        changed: list[str] = []
        if clock - self._last_sweep >= self.sweep_seconds:
            self._last_sweep = clock
            changed = self._sweep()
        rediscovered = 0
        every = core.config.rediscover_seconds
        if every > 0 and not core.read_only and clock - self._last_rediscovery >= every:
            rediscovered = self._rediscover(clock, every)
        # A bounded batch a poll; while a backlog remains, again at the next poll.
        if (not core.read_only and clock - self._last_prune >= PRUNE_SECONDS
                and store.prune_changes(FEED_KEEP, PRUNE_BATCH) < PRUNE_BATCH):
            self._last_prune = clock
        for event in core.driver.events():
            store.add_event(event.severity, f"bay:{event.bay}", f"hardware.{event.kind}",
                            event.message, "monitor", data={"bay": event.bay})
        now = time.time() if now is None else now
        for m in store.maintenance():
            if m.expired(now) and store.mark_once(f"expired:{m.domain}:{m.started}"):
                store.add_event("warning", f"domain:{m.domain}", "maintenance.expired",
                                f"maintenance lease of {m.domain} ({m.owner}: {m.reason}) expired; "
                                "edits stop until it is renewed, and any group-admin may "
                                "complete or cancel it", "monitor", data={"domain": m.domain})
        actions: list[str] = []
        if self.apply_policy:
            for logged in store.claim_events(POLICY_CURSOR):
                kind = trigger_of(logged)
                bay = logged.data.get("bay")
                if kind is not None and bay:
                    action = self._react(bay, kind, logged.message, now,
                                         alerted=logged.kind == "hardware.alert")
                    if action:
                        actions.append(action)
            actions += self._retry_waiting(now)
        self._offer_failbacks()
        return PollResult(len(changed), rediscovered, actions)

    def _rediscover(self, clock: float, every: float) -> int:
        """The whole fleet's inventory once ``every`` seconds have passed since the store's
        last whole rediscovery, whichever process did it (none yet: at once); else due
        then. Not at each process's first poll: every dashboard start read every bay
        (64,000 bays: ~1.5 s of CPU; real BMCs: each bay's inventory over the network)."""
        since = self.core.store.age(REDISCOVERED)
        if since is not None and 0 <= since < every:  # < 0: the clock was set back: now
            self._last_rediscovery = clock - since
            return 0
        self._last_rediscovery = clock
        # Observation on a schedule, like the sweep: the monitor's, whoever watches.
        core = self.core
        observer = Core(core.config, core.store, core.driver, "monitor", system=True)
        rediscovered = sum(f.change not in ("unreadable", "unidentified")
                           for f in observer.rediscover())  # stamps REDISCOVERED
        if isinstance(core.driver, ProfileManager):  # spares marked on the manager
            mark_spares(observer)
        return rediscovered

    def _sweep(self) -> list[str]:
        """Power and health of every bay, and the uplink ports, into the store; the bays
        that changed. Each part is skipped while neither the store nor that part of the
        hardware (a driver that tells its ``hardware_version``) changed since it was read."""
        core, store = self.core, self.core.store
        changed = []
        if self._due("readings"):
            changed = core.refresh()
            self._read("readings")
        if self._due("ports") and not core.read_only \
                and isinstance(core.driver, DomainMaintenanceDriver):
            # uplink ports too: a link that went down is the domain's warning event
            observer = Core(core.config, store, core.driver, "monitor", system=True)
            whole = True
            for domain in store.domains():
                try:
                    ports.observe(observer, domain.name)
                except DriverError:  # unread this sweep, not down: the poll goes on
                    whole = False
            if whole:
                self._read("ports")
        return changed

    def _due(self, part: str) -> bool:
        """Whether ``part`` may have changed since it was read; the mark is taken before
        the read (a change landing during it is read again next time)."""
        driver = self.core.driver
        version = driver.hardware_version(part) if isinstance(driver, VersionedReadings) else None
        mark = None if version is None else (self.core.store.revision(), version)
        # Whichever monitor read it last: a dashboard's first sweep of a 64,000-bay fleet
        # another process keeps in step reads nothing.
        due = mark is None or (self._swept.get(part) != mark
                               and self.core.store.meta(_swept_key(part)) != _text(mark))
        self._marks[part] = mark
        return due

    def _read(self, part: str) -> None:
        """``part`` was read whole: skipped while its mark holds (for every monitor). What
        the read wrote moved the revision, so the next sweep reads it once more and finds
        it in step."""
        mark = self._swept[part] = self._marks[part]
        if mark is not None and not self.core.read_only:
            self.core.store.set_meta(_swept_key(part), _text(mark))

    def _offer_failbacks(self) -> None:
        """For groups whose policy is failback = "offer": once a failed-over profile's home
        is healthy again, say so once (never moved automatically)."""
        core, store = self.core, self.core.store
        for name, home in store.homes().items():
            profile = store.profile(name)
            spec = core.config.group(profile.group) if profile else None
            if profile is None or spec is None or spec.failback != "offer":
                continue
            bay = store.bay(home)
            if bay is None or failback.why_not_home(profile, bay) is not None:
                continue
            if store.mark_once(f"failback-offer:{name}:{home}:{bay.serial}"):
                store.add_event("info", f"profile:{name}", "failback.offer",
                                f"{home} is healthy again: profile {name} can go home "
                                f"(now on {profile.bay or 'no bay'}): bayops failback {name}",
                                "monitor", data={"profile": name, "bay": home,
                                                 "command": f"bayops failback {name}"})

    def _retry_waiting(self, now: float) -> list[str]:
        """A refused automatic failover, again once a usable spare appears; given up (with
        an event) when the bay healed or lost its profile, or the policy would no longer
        fail over (mode changed, window closed)."""
        store, actions = self.core.store, []
        for bay_id, (kind, message) in list(self._waiting.items()):
            bay = store.bay(bay_id)
            group = store.group(bay.group) if bay is not None else None
            if bay is None or group is None or bay.profile is None or bay.health == "ok":
                why = "it is healthy or holds no profile now"
            elif rules.decide(group.policy.mode, group.policy.window, kind, now) != "failover":
                why = (f"the policy of {group.name} no longer fails over now (mode "
                       f"{group.policy.mode}, outside its window?): bayops failover {bay_id}")
            else:
                why = None
            if why is not None:
                del self._waiting[bay_id]
                store.add_event("warning", f"bay:{bay_id}", "policy.retry-dropped",
                                f"{bay_id}: no longer waiting for a spare: {why}", "policy",
                                data={"bay": bay_id, "trigger": kind})
                continue
            assert bay is not None
            spares = failover.spare_candidates(self.core, bay, set())
            if bay.job_id is not None or not spares:
                continue
            del self._waiting[bay_id]
            store.add_event("warning", f"bay:{bay_id}", "policy.retry",
                            f"{bay_id}: usable spare {spares[0][0].id} appeared inside the "
                            "window: automatic failover again", "policy",
                            data={"bay": bay_id, "trigger": kind, "target": spares[0][0].id})
            action = self._react(bay_id, kind, message, now)
            if action:
                actions.append(action)
        return actions

    def _react(self, bay_id: str, kind: str, message: str, now: float,
               alerted: bool = False) -> str | None:
        """``alerted``: the trigger is an external monitoring alert (the service's webhook),
        which knows what the BMC's health reading may not show yet: acted on even while the
        bay reads healthy (the failover is forced, and says so in its plan)."""
        store = self.core.store
        bay = store.bay(bay_id)
        if bay is None or bay.profile is None or bay.job_id is not None or (
                bay.health == "ok" and not alerted):
            return None  # gone, already handled, or healed since the event
        profile = store.profile(bay.profile)
        group = store.group(bay.group)
        if profile is None or group is None:
            return None
        policy = group.policy
        decision = rules.decide(policy.mode, policy.window, kind, now)
        if decision in ("ignore", "note") or profile.boot_mode != "san":
            return None
        if decision == "alert":
            why = " (outside the auto-failover window)" if policy.mode == "auto" else ""
            store.add_event("critical", f"bay:{bay_id}", "policy.alert",
                            f"ALERT {bay_id} ({profile.name}): {kind}: {message}; failover "
                            f"recommended{why}: bayops failover {bay_id}", "policy",
                            data={"bay": bay_id, "profile": profile.name, "trigger": kind,
                                  "command": f"bayops failover {bay_id}"})
            return f"alert {bay_id}"
        auto = Core(self.core.config, store, self.core.driver, "policy:auto", system=True,
                    epoch=self.core.epoch)
        try:
            job = auto.failover(bay_id, force=alerted and bay.health == "ok")
        except BayopsError as exc:
            waits = exc.code == "no-spare"
            if waits:
                self._waiting[bay_id] = (kind, message)
            store.add_event("critical", f"bay:{bay_id}", "policy.alert",
                            f"ALERT {bay_id} ({profile.name}): {kind}; automatic failover "
                            f"did not complete: {exc}"
                            + ("; the policy fails it over when a usable spare appears "
                               "inside its window" if waits else ""), "policy",
                            data={"bay": bay_id, "profile": profile.name, "trigger": kind,
                                  "code": exc.code})
            return f"auto failover of {bay_id} failed: {exc}"
        store.add_event("critical", f"bay:{bay_id}", "policy.alert",
                        f"ALERT {bay_id}: {kind}; profile {profile.name} failed over "
                        f"automatically (job {job.id})", "policy", job.id,
                        data={"bay": bay_id, "profile": profile.name, "trigger": kind})
        return f"auto failover {bay_id} (job {job.id})"
