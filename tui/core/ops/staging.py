"""Firmware staged one enclosure at a time: the steps `bayops firmware upgrade` runs on the
domain in maintenance, and that completing (or cancelling) its maintenance runs on each
domain whose firmware must follow the group baseline.

Each enclosure is one journaled step (its Onboard Administrator and interconnects, read
back and recorded per component); a stage is idempotent (components already on the
version are left alone), so a resumed job goes on where it was. The first failure stops:
what the failed enclosure then runs is recorded and a ``firmware.failed`` event written.
"""
from __future__ import annotations

import contextlib
from collections.abc import Sequence

from tui.core.context import OpContext
from tui.core.jobs import JobContext, StepFailed
from tui.core.steps import StepKey
from tui.model.driver import DomainMaintenanceDriver, DriverError
from tui.model.errors import Refused


class StageFailed(StepFailed):
    """A stage's step failed: where the staging stopped, and how many enclosures it did."""

    def __init__(self, failed: StepFailed, enclosure: str, staged: int):
        super().__init__(failed.name, failed.reason)
        self.enclosure, self.staged = enclosure, staged


def maintenance_driver(ctx: OpContext, what: str) -> DomainMaintenanceDriver:
    """The driver as a DomainMaintenanceDriver; Refused (``driver-cannot``) if it is not."""
    driver = ctx.driver
    if not isinstance(driver, DomainMaintenanceDriver):
        raise Refused(f"driver {driver.name} cannot {what}", code="driver-cannot",
                      hint="the simulator can; a OneView driver will")
    return driver


def busy_bay(ctx: OpContext, domain: str) -> None:
    """Refused while a job (a failover, a move) holds a bay of ``domain``."""
    busy = [b for b in ctx.store.bays(domain=domain) if b.job_id is not None]
    if busy:
        raise Refused(f"bay {busy[0].id} of {domain} is held by job {busy[0].job_id}; "
                      "wait for it to end", code="held-by-job")


def running(ctx: OpContext, domain: str) -> dict[str, str]:
    """Component -> the version it runs: as recorded, and for an enclosure never recorded
    as read now (a plan neither stages nor warns about what already runs its version; it
    records nothing: a standby plans too); an enclosure the driver cannot read has no
    component here: unknown."""
    found = ctx.store.firmware(domain)
    unread = [e.name for e in ctx.store.enclosures(domain)
              if not any(c.startswith(f"{e.name}/") for c in found)]
    if unread and isinstance(ctx.driver, DomainMaintenanceDriver):
        with contextlib.suppress(DriverError):
            found = {**found, **ctx.driver.firmware(domain, unread)}
    return found


def versions(found: dict[str, str], enclosure: str) -> set[str]:
    """The versions ``enclosure``'s components run in ``found`` (``running``'s answer)."""
    return {v for c, v in found.items() if c.startswith(f"{enclosure}/")}


def pending(ctx: OpContext, domain: str, version: str,
            found: dict[str, str] | None = None) -> list[str]:
    """The enclosures of ``domain`` with a component off ``version`` or of unknown version
    (``found``: ``running``'s answer, when the caller has it)."""
    found = running(ctx, domain) if found is None else found
    return [e.name for e in ctx.store.enclosures(domain) if versions(found, e.name) != {version}]


def running_bays(ctx: OpContext, domain: str, enclosures: list[str]) -> list[str]:
    """The bays of ``enclosures`` running a profile: they lose their uplinks while the
    enclosure's interconnects restart."""
    return [b.id for b in ctx.store.bays(domain=domain)
            if b.enclosure in enclosures and b.profile and b.power == "on"]


def restarting(ctx: OpContext, enclosure: str, most: int = 4) -> str:
    """Which bays of ``enclosure`` lose their uplinks while its interconnects restart."""
    bays = [b.id for b in ctx.store.bays(enclosure=enclosure) if b.profile and b.power == "on"]
    if not bays:
        return "no running profile there"
    more = f" +{len(bays) - most}" if len(bays) > most else ""
    return f"running bays lose their uplinks meanwhile: {', '.join(bays[:most])}{more}"


def stage(ctx: OpContext, job: JobContext, domain: str, version: str,
          enclosures: Sequence[str], named: bool = False) -> None:
    """One step per enclosure; StageFailed at the first that fails (after recording what it
    runs and writing ``firmware.failed``). ``named``: step names say the domain too (a job
    that stages several)."""
    driver = maintenance_driver(ctx, "upgrade firmware")
    for number, enclosure in enumerate(enclosures, 1):
        read: dict[str, str] = {}

        def action(enclosure: str = enclosure, read: dict[str, str] = read) -> str:
            read.update(driver.stage_firmware(domain, enclosure, version))
            return ", ".join(f"{c} {v}" for c, v in sorted(read.items()))

        def record(read: dict[str, str] = read) -> None:
            ctx.store.record_firmware(domain, read)
        try:
            job.step(StepKey.stage_firmware(version, enclosure, number, len(enclosures),
                                            domain if named else ""), action, record=record)
        except StepFailed as exc:
            # unreadable: the last recorded versions stand, and the step's failure says why
            with contextlib.suppress(DriverError):
                ctx.store.record_firmware(domain, driver.firmware(domain, [enclosure]))
            ctx.event("warning", f"domain:{domain}", "firmware.failed",
                      f"firmware upgrade of {domain} to {version} stopped at {enclosure}",
                      job.job_id, domain=domain, version=version, enclosure=enclosure,
                      staged=number - 1, enclosures=len(enclosures))
            raise StageFailed(exc, enclosure, number - 1) from None
