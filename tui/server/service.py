"""The service: one process that owns the config, the store, the driver, the monitor
(hardware polling and the auto-failover policy) and the jobs.

Each request runs as a ``Core`` for the caller (the identity the transport proved, never
a name the client sent) over the one store and driver, in a thread pool: a job keeps
running when its client goes away, and a restarted service resumes interrupted jobs.
"""
from __future__ import annotations

import contextlib
import os
import socket
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from tui.core.api import Core
from tui.core.config import Config
from tui.core.monitor import Monitor
from tui.core.process import process_identity
from tui.core.store import Store
from tui.model.driver import Driver
from tui.model.text import quoted
from tui.server.feed import Feed
from tui.server.settings import ServeSettings

SERVICE_OPERATOR = "server"  # what the service itself writes events as (reserved)
REQUEST_THREADS = 64


@dataclass
class Stats:
    """What the service counts for /metrics (since it started)."""

    started: float = field(default_factory=time.time)
    decisions: Counter[str] = field(default_factory=Counter)  # auto-failover outcomes
    polls: int = 0
    poll_seconds: float = 0.0  # summed: hardware sweeps and pushed events
    poll_failures: int = 0
    refused: int = 0
    auth_failures: int = 0
    requests: int = 0
    feed_rev: int = 0  # the newest revision the feed has sent
    driver_calls: dict[str, list[float]] = field(default_factory=dict)  # op -> [count, seconds]


DRIVER_CALLS = ("discover", "read", "power_off", "fence", "power_on", "apply_profile",
                "clear_profile", "apply_domain_config", "events")


class TimedDriver:
    """``driver`` with its hardware calls (``DRIVER_CALLS``) timed into ``calls`` (op ->
    [count, seconds]); anything else is the driver's own, so the protocols it offers
    (``ProfileManager``, ``SimulatedHardware``, ...) are still told by isinstance. The
    driver itself is left as it is."""

    def __init__(self, driver: Driver, calls: dict[str, list[float]]) -> None:
        self._driver = driver
        self._calls = calls
        self._lock = threading.Lock()
        for name in DRIVER_CALLS:
            setattr(self, name, self._timed(name, getattr(driver, name)))

    def _timed(self, name: str, method: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            began = time.monotonic()
            try:
                return method(*args, **kwargs)
            finally:
                with self._lock:
                    figures = self._calls.setdefault(name, [0, 0.0])
                    figures[0] += 1
                    figures[1] += time.monotonic() - began
        return call

    def __getattr__(self, name: str) -> Any:
        return getattr(self._driver, name)


class Service:
    def __init__(self, config: Config, state: str | None, settings: ServeSettings) -> None:
        self.config = config
        self.settings = settings
        self.opened = Core.open(config, state, operator=SERVICE_OPERATOR, resume=False,
                                patience=settings.database_wait)
        self.store = self.opened.store
        self.stats = Stats()
        # read name -> (store revision, the encoded answer): app._whole_table
        self.tables: dict[str, tuple[int, bytes]] = {}
        self.driver: Driver = TimedDriver(self.opened.driver, self.stats.driver_calls)
        self.pool = ThreadPoolExecutor(REQUEST_THREADS, thread_name_prefix="bayops-request")
        self.stopping = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []
        # The streamed change feed (tui.server.feed); the app runs it while serving.
        self.feed = Feed(self.store, self.pool, settings.feed_queue, sent=self._feed_sent)
        # Active/standby: only the lease holder polls, runs the policy and jobs. Without
        # [serve] ha this service always leads (it is the only one).
        self.leading = threading.Event()
        # The lease is kept over a connection of its own that never waits for the database:
        # a leader that cannot renew must know at once (jobs' writes wait; see Store).
        # Its statements have a deadline too, and the loop waits for each on a monotonic
        # clock (``_lease_call``): a connection that hangs without an error (a stopped
        # backend, a silent network) cannot keep a leader leading past its lease.
        self.lease_store = Store(self.store.state, patience=0.0,
                                 deadline=settings.lease_seconds / 4) if settings.ha else self.store
        self._lease_pool = ThreadPoolExecutor(1, thread_name_prefix="bayops-lease-db")
        self._lease_pool_lock = threading.Lock()
        self.holder = f"{socket.gethostname()} {os.getpid()} {process_identity() or ''}".strip()
        self._monitor = True

    def _feed_sent(self, rev: int) -> None:
        self.stats.feed_rev = rev

    def feed_clients(self) -> int:
        return len(self.feed.subscribers)

    # -- who acts ---------------------------------------------------------------------------
    def core_for(self, operator: str) -> Core:
        """A Core acting as ``operator`` over the service's store and driver; the jobs it
        starts are written under the lease epoch this service leads with now."""
        core = Core(self.config, self.store, self.driver, operator, epoch=self.led_epoch())
        core.serving = True
        return core

    def led_epoch(self) -> int | None:
        """The epoch of the lease this service took last (None: no lease, [serve] ha off)."""
        return self.lease_store.epoch

    def audit_refusal(self, who: str, what: str, why: str, code: str, **data: Any) -> None:
        """Every refusal is an event: who, what, why."""
        self.stats.refused += 1
        self.store.add_event("warning", "server", "access.refused",
                             f"refused {quoted(who)}: {what}: {why}", SERVICE_OPERATOR,
                             data={"who": who, "what": what, "why": why, "code": code, **data})

    # -- the background work ------------------------------------------------------------------
    def start(self, monitor: bool = True) -> None:
        """Resume interrupted jobs, and poll the hardware unless ``monitor`` is False (tests
        that drive every change themselves)."""
        self._monitor = monitor
        if self.settings.ha:
            self._spawn("bayops-lease", self._lease_loop)
            return
        self.leading.set()
        self._lead()

    def _spawn(self, name: str, target: Any) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _lead(self) -> None:
        """Resume and poll as the service itself, under the epoch just taken: this term's
        Core and monitor (a monitor's memory, such as failovers waiting for a spare, ends
        with the term, as it would with the process)."""
        core = Core(self.config, self.store, self.driver, SERVICE_OPERATOR,
                    epoch=self.led_epoch())
        work: list[tuple[str, Any]] = [("bayops-resume", lambda: self._resume(core))]
        if self._monitor:
            monitor = Monitor(core, apply_policy=True, sweep_seconds=self.settings.sweep_seconds)
            work.append(("bayops-monitor", lambda: self._poll_loop(monitor)))
        for name, target in work:
            self._spawn(name, target)

    def _resume(self, core: Core) -> None:
        """Resume the jobs nobody runs. A runner of this process from an epoch it led
        before (it stepped down and took the lease back) is stopped, not doubled: its
        job is resumed here once that runner has ended (one runner per job)."""
        if self.settings.ha:
            self._record("info", "server.leader", f"{self.holder} leads (lease epoch "
                         f"{core.epoch}) at {self.settings.address()}")
        while not self.stopping.is_set() and self.leading.is_set():
            settled = self.store.wait_for_stale_runners(core.epoch, self.settings.lease_seconds)
            for job, outcome in core.resume_interrupted():
                self.store.add_event("info", f"job:{job.id}", "server.resumed",
                                     f"the service resumed job {job.id}: {outcome}",
                                     SERVICE_OPERATOR, job.id)
            if settled:
                return

    # -- the lease (active/standby) -----------------------------------------------------------
    def _lease_loop(self) -> None:
        """Take the lease when it is free, renew it while leading; stop acting the moment
        it cannot be renewed in time (the database is out of reach or hangs, or another
        took it): 0.8 of the lease after the last renewal, by this host's monotonic clock."""
        seconds = self.settings.lease_seconds
        renewed = 0.0
        while not self.stopping.is_set():
            try:
                if self.leading.is_set():
                    left = renewed + seconds * 0.8 - time.monotonic()
                    if self._lease_call(lambda: self.lease_store.renew_lease(seconds), left):
                        renewed = time.monotonic()
                    else:
                        self._step_down("the lease was lost")
                elif self._lease_call(lambda: self.lease_store.take_lease(
                        self.holder, self.settings.address(), seconds), seconds / 2):
                    renewed = time.monotonic()
                    self._take_over()
            except Exception:  # the database is out of reach or hangs: the lease runs out
                if self.leading.is_set() and time.monotonic() - renewed > seconds * 0.8:
                    self._step_down("the lease could not be renewed in time")
            self.stopping.wait(seconds / 4)

    def _lease_call(self, call: Any, seconds: float) -> Any:
        """``call`` (a lease statement) on the lease's own thread, waiting ``seconds`` at
        most; TimeoutError past that. A thread left hanging keeps its connection: the
        next call runs on a new thread, so over a new connection (they are per thread)."""
        with self._lease_pool_lock:
            future = self._lease_pool.submit(call)
        try:
            return future.result(timeout=max(seconds, 0.05))
        except TimeoutError:
            with self._lease_pool_lock:
                self._lease_pool.shutdown(wait=False, cancel_futures=True)
                self._lease_pool = ThreadPoolExecutor(1, thread_name_prefix="bayops-lease-db")
            raise

    def _take_over(self) -> None:
        self.leading.set()
        sys.stderr.write(f"bayops serve: leads (lease epoch {self.led_epoch()}) at "
                         f"{self.settings.address()}\n")  # the journal shows each lease change
        sys.stderr.flush()
        self._lead()

    def _step_down(self, why: str) -> None:
        """Stop polling and starting jobs and steps; a job running here stops before its
        next step (or is refused its next write: its epoch is stale), and the leader
        resumes it."""
        self.leading.clear()
        self.store.stop_runners()
        sys.stderr.write(f"bayops serve: stopped leading: {why}\n")
        sys.stderr.flush()
        # The event is written by a thread of its own: this thread's connection may hang.
        threading.Thread(target=self._record, daemon=True, name="bayops-standby-event", args=(
            "warning", "server.standby", f"{self.holder} stopped leading: {why}")).start()

    def _record(self, severity: str, kind: str, message: str) -> None:
        with contextlib.suppress(Exception):  # the database may be out of reach
            self.store.add_event(severity, "server", kind, message, SERVICE_OPERATOR)

    def leader_address(self) -> str | None:
        """Where the leader is (for a standby's answer to a write)."""
        try:
            lease = self._lease_call(self.lease_store.lease, self.settings.lease_seconds / 2)
        except Exception:  # the database is out of reach: nobody is known to lead
            return None
        return lease.address if lease is not None and lease.live else None

    def lease_epoch(self) -> int | None:
        """The live lease's epoch, this service's or the leader's (`bayops info`)."""
        try:
            lease = self.lease_store.lease()
        except Exception:  # the database is out of reach: no lease is known
            return None
        return lease.epoch if lease is not None and lease.live else None

    def _poll_loop(self, monitor: Monitor) -> None:
        while not self.stopping.is_set() and self.leading.is_set():
            self.poll(monitor)
            self._wake.wait(self.settings.poll_seconds)
            self._wake.clear()

    def wake_monitor(self) -> None:
        """Poll now (an alert arrived), without making its sender wait for what follows."""
        self._wake.set()

    def poll(self, monitor: Monitor) -> None:
        began = time.monotonic()
        try:
            result = monitor.poll()
        except Exception:  # one bad poll must not end polling; the next one tries again
            self.stats.poll_failures += 1
            return
        finally:
            self.stats.polls += 1
            self.stats.poll_seconds += time.monotonic() - began
        for action in result.actions:
            self.stats.decisions[decision_of(action)] += 1

    def stop(self) -> None:
        self.stopping.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout=30)
        # Jobs in request threads finish (they are journaled; a kill leaves them for resume).
        self.pool.shutdown(wait=True, cancel_futures=True)
        if self.settings.ha and self.leading.is_set():
            with contextlib.suppress(Exception):  # the standby need not wait for it to run out
                self._lease_call(self.lease_store.release_lease, self.settings.lease_seconds / 2)
        self._lease_pool.shutdown(wait=False, cancel_futures=True)
        if self.lease_store is not self.store:
            self.lease_store.close()
        self.opened.close()


def decision_of(action: str) -> str:
    """The metric label of a policy action ('alert X', 'auto failover X (job N)', ...)."""
    if action.startswith("alert"):
        return "alert"
    return "failover-failed" if "failed" in action else "failover"
