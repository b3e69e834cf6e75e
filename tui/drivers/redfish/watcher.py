"""HardwareEvents for the core: from each BMC's event stream (SSE) while it is open,
else from the difference between successive reads of a bay.

Every read (the core's and the poller's) is an observation; once watching has
started, a change between two observations is news unless a stream already speaks
for the bay or the change is a power operation of our own.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections import deque
from collections.abc import Awaitable
from dataclasses import replace
from typing import TypeVar

import httpx

from tui.drivers.redfish import odata
from tui.drivers.redfish.bmc import Bmc
from tui.drivers.redfish.config import SystemSpec
from tui.drivers.redfish.errors import BmcError, HttpStatus
from tui.drivers.redfish.events import Observation, SseParser, diff, parse_payload, to_hardware_events
from tui.drivers.redfish.fleet import Fleet
from tui.drivers.redfish.inventory import Inventory
from tui.drivers.redfish.loop import LoopThread
from tui.model.driver import HardwareEvent, Reading

T = TypeVar("T")

SSE_IDLE = 300.0  # seconds without a byte before an event stream is considered dead


class Watcher:
    def __init__(self, fleet: Fleet, inventory: Inventory) -> None:
        self._fleet = fleet
        self._inventory = inventory
        self._queue: deque[HardwareEvent] = deque(maxlen=10_000)
        self._observed: dict[str, Observation] = {}
        self._observed_at: dict[str, float] = {}
        self._started = False
        self._live: set[str] = set()  # origins whose event stream is open
        self._power_ops: dict[str, int] = {}  # bay -> power operations of ours in progress
        # strong references: asyncio keeps only weak ones to tasks
        self._tasks: list[asyncio.Task[None]] = []
        # the one strong reference to the watch task (the loop keeps only a weak one)
        self._watching: concurrent.futures.Future[None] | None = None

    # ------------------------------------------------------------ observations
    async def sweep(self, bays: list[str]) -> dict[str, Reading]:
        """Read the bays, all at once, and remember what was seen."""
        results = await asyncio.gather(*(self._inventory.read_one(bay) for bay in bays))
        now = asyncio.get_running_loop().time()
        out: dict[str, Reading] = {}
        for bay, (reading, obs) in zip(bays, results, strict=True):
            out[bay] = reading
            self._observe(bay, obs, now)
        return out

    def _observe(self, bay: str, obs: Observation, now: float) -> None:
        old = self._observed.get(bay)
        self._observed[bay] = obs
        self._observed_at[bay] = now
        if not self._started:
            return
        spec = self._fleet.specs.get(bay)
        if spec is not None and spec.url in self._live:
            return  # the stream speaks for this bay
        ours = self._power_ops.get(bay, 0) > 0
        for event in diff(bay, old, obs):
            if ours and event.kind in ("power-on", "power-off"):
                continue  # our own reset, not news
            self._queue.append(event)

    async def owning_power(self, bay: str, coro: Awaitable[T]) -> T:
        """Run a power operation of ours; the poller does not report its change as news."""
        self._power_ops[bay] = self._power_ops.get(bay, 0) + 1
        try:
            return await coro
        finally:
            self._power_ops[bay] -= 1
            if not self._power_ops[bay]:
                del self._power_ops[bay]

    def note_power(self, bay: str, power: str) -> None:
        """A power change this driver made and verified: not news for the poller."""
        old = self._observed.get(bay)
        if old is not None:
            self._observed[bay] = Observation(power, old.health, True)

    # ------------------------------------------------------------------ events
    def start(self, loop: LoopThread) -> None:
        """Open the streams and start the poller on ``loop``, the first time only."""
        if self._started:
            return
        self._started = True  # before the baseline sweep runs: from here on changes are news
        self._watching = loop.submit(self._watch())

    def drain(self) -> list[HardwareEvent]:
        """The events queued since the last call."""
        out: list[HardwareEvent] = []
        while True:
            try:
                out.append(self._queue.popleft())
            except IndexError:
                return out

    async def _watch(self) -> None:
        by_origin: dict[str, list[SystemSpec]] = {}
        for spec in self._fleet.specs.values():
            by_origin.setdefault(spec.url, []).append(spec)
        for specs in by_origin.values():
            self._tasks.append(asyncio.create_task(self._stream_loop(specs)))
        # the baseline (no events for a first look); then poll whatever has no stream
        await self.sweep(list(self._fleet.specs))
        self._tasks.append(asyncio.create_task(self._poll_loop()))

    async def _sse_uri(self, bmc: Bmc, spec: SystemSpec) -> str | None:
        root = await bmc.root(spec.credentials)
        event_service = odata.link(root, "EventService")
        if event_service is None:
            return None
        try:
            service, final = await bmc.get_json(
                bmc.same_origin_path(event_service, "/redfish/v1/"), spec.credentials
            )
        except HttpStatus as exc:
            if exc.status in (404, 405, 501):
                return None
            raise
        if service.get("ServiceEnabled") is False:
            return None
        uri = service.get("ServerSentEventUri")
        return bmc.same_origin_path(uri, final) if isinstance(uri, str) and uri else None

    async def _stream_loop(self, specs: list[SystemSpec]) -> None:
        spec = specs[0]
        bmc = self._fleet.bmc(spec)

        def systems() -> dict[str, str]:
            """ComputerSystem path -> bay, configured and as the BMC answered (redirects)."""
            paths = {s.system: s.bay for s in specs if s.system}
            paths.update({self._fleet.paths[s.bay]: s.bay for s in specs if s.bay in self._fleet.paths})
            return paths

        fallback = specs[0].bay if len(specs) == 1 else None
        interval = self._fleet.cfg.event_poll_interval
        while True:
            reason = ""
            try:
                uri = await self._sse_uri(bmc, spec)
            except BmcError as exc:
                uri, reason = "", exc.text
            if uri is None:
                return  # no EventService / no SSE: polling covers these bays for good
            if uri:
                resp = None
                try:
                    resp = await bmc.stream(uri, spec.credentials, SSE_IDLE)
                    self._live.add(spec.url)
                    parser = SseParser()
                    async for line in resp.aiter_lines():
                        done = parser.feed(line.rstrip("\r"))
                        if done is None:
                            continue
                        for event in to_hardware_events(parse_payload(done[1]), systems(), fallback):
                            self._queue.append(replace(event, message=self._fleet.scrub(event.message)))
                    reason = "the BMC closed it"
                except BmcError as exc:
                    reason = exc.text
                except httpx.HTTPError as exc:
                    reason = f"{type(exc).__name__}"
                finally:
                    if resp is not None:
                        await resp.aclose()
                    was_live = spec.url in self._live
                    self._live.discard(spec.url)
                if was_live:
                    for s in specs:
                        self._queue.append(
                            HardwareEvent(
                                s.bay,
                                "event-stream",
                                "info",
                                self._fleet.scrub(
                                    f"{s.bay}: event stream from {spec.url} dropped ({reason}); "
                                    f"watching by polling every {interval:g} s"
                                ),
                            )
                        )
            await asyncio.sleep(self._fleet.cfg.event_reconnect)

    async def _poll_loop(self) -> None:
        interval = self._fleet.cfg.event_poll_interval
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(interval)
            now = loop.time()
            due = [
                bay
                for bay, spec in self._fleet.specs.items()
                if spec.url not in self._live and now - self._observed_at.get(bay, -1e9) >= interval * 0.9
            ]
            if due:
                await self.sweep(due)
