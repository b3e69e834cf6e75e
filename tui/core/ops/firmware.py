"""Firmware upgrade of a domain in maintenance, and its group's firmware compliance.

VCEM upgrades a domain's firmware during maintenance, through its local Virtual Connect
Manager. Here it is a job of one step per enclosure (its Onboard Administrator and
interconnects), each read back and recorded per component; the first failure stops the
job with what every component then runs recorded. A stage is idempotent (components
already on the version are left alone), so a crashed upgrade resumes where it was.
Completing the maintenance takes the new version to the group as its baseline.
"""
from __future__ import annotations

import contextlib
import dataclasses

from tui.core.context import OpContext
from tui.core.jobs import JobContext, StepFailed
from tui.core.ops.maintenance import domain_free, held
from tui.core.steps import StepKey
from tui.core.validate import FIRMWARE_LIMIT, check_text
from tui.model.driver import DomainMaintenanceDriver, DriverError
from tui.model.errors import BadInput, OperationFailed, Refused
from tui.model.params import FirmwareUpgradeParams
from tui.model.plan import Change, Diff, Plan
from tui.model.upkeep import FirmwareState


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


def plan_upgrade(ctx: OpContext, domain: str, version: str, force: bool = False) -> Plan:
    version = version.strip()
    if not version or version == "-":
        raise BadInput("--to needs a firmware version, e.g. 4.70")
    check_text(version, "--to", FIRMWARE_LIMIT)
    group = ctx.domain_group(domain)
    ctx.require(group, "firmware")
    m = held(ctx, domain, force, edit=True)
    domain_free(ctx, domain)
    busy_bay(ctx, domain)
    maintenance_driver(ctx, "upgrade firmware")
    enclosures = tuple(e.name for e in ctx.store.enclosures(domain))
    running = ctx.store.firmware(domain)
    # an enclosure never read, or with a component off the version, is staged
    pending = [e for e in enclosures
               if {v for c, v in running.items() if c.startswith(f"{e}/")} != {version}]
    if not pending:
        raise Refused(f"every component of {domain} already runs {version}", code="no-change")
    baseline = ctx.group(m.group).baseline.firmware
    warnings: tuple[str, ...] = ()
    if version != baseline:
        warnings += (f"{domain} will differ from the group baseline {baseline} until the "
                     "maintenance is completed (which makes it the baseline) or cancelled "
                     "(which reverts it)",)
    bays = [b.id for b in ctx.store.bays(domain=domain) if b.profile and b.power == "on"]
    if bays:
        warnings += (f"the interconnects restart one enclosure at a time: {len(bays)} running "
                     f"bay(s) lose their uplinks for a while (e.g. {', '.join(bays[:3])})",)
    current = ctx.domain(domain).config.firmware
    return Plan("firmware-upgrade", f"Upgrade firmware of {domain}",
                f"upgrade {domain} to firmware {version}, one enclosure at a time",
                (*(f"stage {version} on {e} (Onboard Administrator, interconnects), read back"
                   for e in pending), f"record {domain} as running {version}"),
                FirmwareUpgradeParams(group=m.group, domain=domain, version=version,
                                      enclosures=tuple(pending)),
                locks=(f"domain:{domain}",), target=domain,
                reason="firmware is upgraded in maintenance; complete takes it to the group",
                diff=Diff("Firmware", (Change("~", "firmware", "", current, version),)),
                warnings=warnings, confirm_label="Upgrade")


def run_upgrade(ctx: OpContext, job: JobContext, p: FirmwareUpgradeParams) -> str:
    driver = maintenance_driver(ctx, "upgrade firmware")
    for number, enclosure in enumerate(p.enclosures, 1):
        read: dict[str, str] = {}

        def stage(enclosure: str = enclosure, read: dict[str, str] = read) -> str:
            read.update(driver.stage_firmware(p.domain, enclosure, p.version))
            return ", ".join(f"{c} {v}" for c, v in sorted(read.items()))

        def record(read: dict[str, str] = read) -> None:
            ctx.store.record_firmware(p.domain, read)
        try:
            job.step(StepKey.stage_firmware(p.version, enclosure, number, len(p.enclosures)), stage,
                     record=record)
        except StepFailed as exc:
            _record_after_failure(ctx, driver, p.domain, enclosure)
            ctx.event("warning", f"domain:{p.domain}", "firmware.failed",
                      f"firmware upgrade of {p.domain} to {p.version} stopped at {enclosure}",
                      job.job_id, domain=p.domain, version=p.version, enclosure=enclosure)
            raise OperationFailed(f"firmware upgrade stopped at {enclosure}: {exc.reason}; "
                                  f"{number - 1} of {len(p.enclosures)} enclosure(s) upgraded, "
                                  "each component's version recorded "
                                  f"(bayops firmware compliance {p.group})") from None

    def finish() -> str:
        config = ctx.domain(p.domain).config
        ctx.store.set_domain_config(p.domain, dataclasses.replace(config, firmware=p.version))
        return f"{p.domain} runs {p.version}"
    job.step(StepKey.record_firmware(p.domain, p.version), finish)
    ctx.event("info", f"domain:{p.domain}", "firmware.upgraded",
              f"{p.domain} upgraded to firmware {p.version} (in maintenance)", job.job_id,
              domain=p.domain, version=p.version)
    return f"{len(p.enclosures)} enclosure(s) of {p.domain} on {p.version}"


def _record_after_failure(ctx: OpContext, driver: DomainMaintenanceDriver, domain: str,
                          enclosure: str) -> None:
    """What the failed enclosure's components run now, as far as they answer."""
    # unreadable: the last recorded versions stand, and the step's failure says why
    with contextlib.suppress(DriverError):
        ctx.store.record_firmware(domain, driver.firmware(domain, [enclosure]))


def compliance(ctx: OpContext, group: str | None = None) -> list[FirmwareState]:
    """Every domain (of ``group``) against its group's firmware baseline."""
    if group is not None:
        ctx.group(group)  # BadInput if unknown
    out = []
    for name in ([group] if group else ctx.store.group_names()):
        baseline = ctx.group(name).baseline.firmware
        for d in ctx.store.domains(name):
            read = ctx.store.firmware(d.name)
            out.append(FirmwareState(name, d.name, baseline, read or {"(configured)": d.config.firmware},
                                     bool(read)))
    return out

