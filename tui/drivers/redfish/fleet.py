"""The configured bays and their BMCs, and how a BMC failure becomes a DriverError.

One :class:`Bmc` client per BMC origin, however many bays it serves; a fleet-wide
semaphore bounds the requests in flight. Every message leaving here is one line,
starts with the bay, and passes through a scrubber that removes every password and
session token the driver knows.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable
from typing import Any, TypeVar

import httpx

from tui.drivers.redfish import odata
from tui.drivers.redfish.bmc import Bmc
from tui.drivers.redfish.config import RedfishConfig, SystemSpec
from tui.drivers.redfish.errors import AuthRefused, BadBody, BmcError, HttpStatus, Unreachable, one_line
from tui.model.driver import DriverError, NoAnswer

T = TypeVar("T")


def power_state(system: dict[str, Any]) -> str:
    """A ComputerSystem's PowerState as the BMC spells it; BadBody if it has none."""
    if "PowerState" not in system or system["PowerState"] is None:
        raise BadBody("ComputerSystem answer has no PowerState")
    value = system["PowerState"]
    if not isinstance(value, str):
        raise BadBody(f"ComputerSystem PowerState is not a string (got {type(value).__name__})")
    return value


class Fleet:
    """Runs on the driver's event loop, apart from :meth:`scrub`."""

    def __init__(self, config: RedfishConfig) -> None:
        self.cfg = config
        self.specs: dict[str, SystemSpec] = config.by_bay()
        self._secrets: set[str] = set()
        for spec in config.systems:
            if spec.credentials is not None:
                self._secrets.update(spec.credentials.secrets())
        self._sem = asyncio.Semaphore(config.concurrency)
        self._bmcs: dict[str, Bmc] = {}
        self._ssl: dict[bool, ssl.SSLContext] = {}
        self.paths: dict[str, str] = {}  # bay -> the ComputerSystem path that answered

    @property
    def clients(self) -> int:
        return len(self._bmcs)

    def scrub(self, text: str) -> str:
        """Remove every known secret, then shorten: never cut a secret in half first."""
        text = " ".join(str(text).split())
        for secret in self._secrets:
            for form in {secret, " ".join(secret.split())}:
                if form and form in text:
                    text = text.replace(form, "***")
        return one_line(text, 400)

    def bmc(self, spec: SystemSpec) -> Bmc:
        bmc = self._bmcs.get(spec.url)
        if bmc is None:
            bmc = Bmc(
                spec.url,
                self._ssl_context(spec.verify),
                timeout=self.cfg.timeout,
                retries=self.cfg.retries,
                connections=self.cfg.connections_per_bmc,
                semaphore=self._sem,
                on_secret=self._secrets.add,
            )
            self._bmcs[spec.url] = bmc
            bmc.aliases.update(a for s in self.specs.values() if s.url == spec.url for a in s.aliases)
        return bmc

    def _ssl_context(self, verify: bool) -> ssl.SSLContext:
        """One context per verify setting: loading the trust store costs milliseconds."""
        ctx = self._ssl.get(verify)
        if ctx is None:
            ctx = self._ssl[verify] = self.cfg.ssl_context(verify)
        return ctx

    def spec(self, bay: str) -> SystemSpec:
        spec = self.specs.get(bay)
        if spec is None:
            raise DriverError(f"{bay}: no [[redfish.systems]] entry maps this bay to a BMC")
        return spec

    def error(self, bay: str, exc: BmcError) -> DriverError:
        spec = self.specs.get(bay)
        where = spec.url if spec else "its BMC"
        if isinstance(exc, Unreachable):
            return NoAnswer(self.scrub(f"{bay}: BMC at {where} did not answer: {exc.text}"))
        if isinstance(exc, AuthRefused):
            return DriverError(self.scrub(f"{bay}: {exc.text} at {where}"))
        return DriverError(self.scrub(f"{bay}: {exc.text} ({where})"))

    async def guard(self, bay: str, coro: Awaitable[T]) -> T:
        """Run one bay's coroutine; turn BMC failures into one-line DriverErrors."""
        try:
            return await coro
        except BmcError as exc:
            raise self.error(bay, exc) from None
        except httpx.HTTPError as exc:  # e.g. a malformed Location header
            raise DriverError(self.scrub(f"{bay}: HTTP failure ({type(exc).__name__}: {exc})")) from None
        except (TypeError, ValueError, KeyError, AttributeError, RecursionError) as exc:
            # A BMC answer of the wrong shape that slipped past the checks: one line, not a
            # traceback, and never the whole sweep.
            raise DriverError(self.scrub(f"{bay}: malformed answer from the BMC "
                                         f"({type(exc).__name__}: {exc})")) from None

    async def system(self, bay: str) -> tuple[Bmc, SystemSpec, str, dict[str, Any]]:
        """GET the bay's ComputerSystem; returns (bmc, spec, path that answered, body)."""
        spec = self.spec(bay)
        bmc = self.bmc(spec)
        path = self.paths.get(bay) or spec.system
        if path is None:
            ids = await odata.members(bmc, spec.credentials, "/redfish/v1/Systems")
            if len(ids) != 1:
                shown = ", ".join(ids[:8]) + (f", … ({len(ids)} in all)" if len(ids) > 8 else "")
                raise BmcError(
                    f"no system path configured and the BMC offers {len(ids)} systems"
                    f"{': ' + shown if ids else ''}; set system = \"<one of them>\" for this bay"
                )
            path = ids[0]
        try:
            body, final = await bmc.get_json(path, spec.credentials)
        except HttpStatus as exc:
            if isinstance(exc, AuthRefused):
                raise
            self.paths.pop(bay, None)
            if exc.status == 404:
                raise HttpStatus(404, f"system {path} not found on the BMC (404)") from None
            raise
        self.paths[bay] = final
        return bmc, spec, final, body

    async def aclose(self) -> None:
        # All BMCs at once: one slow session DELETE must not use up the others' time.
        await asyncio.gather(*(bmc.aclose() for bmc in self._bmcs.values()), return_exceptions=True)
