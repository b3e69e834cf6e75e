"""Firmware upgrade of a domain in maintenance, and its group's firmware compliance.

VCEM upgrades a domain's firmware during maintenance, through its local Virtual Connect
Manager. Here it is a job of one step per enclosure (``ops/staging.py``: its Onboard
Administrator and interconnects, read back and recorded per component; the first failure
stops the job; a crashed upgrade resumes where it was). Completing the maintenance takes
the new version to the group as its baseline and stages it on every other domain.
"""
from __future__ import annotations

import dataclasses

from tui.core.context import OpContext
from tui.core.jobs import JobContext
from tui.core.ops import staging
from tui.core.ops.maintenance import domain_free, held
from tui.core.runner import JobKind
from tui.core.steps import StepKey
from tui.core.validate import FIRMWARE_LIMIT, check_text
from tui.model.driver import DomainMaintenanceDriver, DriverError
from tui.model.errors import BadInput, OperationFailed, Refused
from tui.model.params import FirmwareUpgradeParams
from tui.model.plan import Change, Diff, Plan
from tui.model.upkeep import FirmwareState


def plan_upgrade(ctx: OpContext, domain: str, version: str, force: bool = False) -> Plan:
    version = version.strip()
    if not version or version == "-":
        raise BadInput("--to needs a firmware version, e.g. 4.70")
    check_text(version, "--to", FIRMWARE_LIMIT)
    group = ctx.domain_group(domain)
    ctx.require(group, "firmware")
    m = held(ctx, domain, force, edit=True)
    domain_free(ctx, domain)
    staging.busy_bay(ctx, domain)
    staging.maintenance_driver(ctx, "upgrade firmware")
    found = staging.running(ctx, domain)
    pending = staging.pending(ctx, domain, version, found)
    if not pending:
        raise Refused(f"every component of {domain} already runs {version}", code="no-change")
    baseline = ctx.group(m.group).baseline.firmware
    warnings: tuple[str, ...] = ()
    if version != baseline:
        warnings += (f"{domain} will differ from the group baseline {baseline} until the "
                     "maintenance is completed (which makes it the baseline) or cancelled "
                     "(which reverts it)",)
    bays = staging.running_bays(ctx, domain, pending)
    if bays:
        warnings += (f"the interconnects restart one enclosure at a time: {len(bays)} running "
                     f"bay(s) lose their uplinks for a while (e.g. {', '.join(bays[:3])})",)
    # what the enclosures to upgrade run now ("unknown" where it cannot be read)
    current = ", ".join(sorted({v for e in pending for v in staging.versions(found, e) or {"unknown"}}))
    return Plan("firmware-upgrade", f"Upgrade firmware of {domain}",
                f"upgrade {domain} to firmware {version}, one enclosure at a time",
                (*(f"stage {version} on {e} (Onboard Administrator, interconnects restart), "
                   f"read back: {staging.restarting(ctx, e)}" for e in pending),
                 f"record {domain} as running {version}"),
                FirmwareUpgradeParams(group=m.group, domain=domain, version=version,
                                      enclosures=tuple(pending)),
                locks=(f"domain:{domain}",), target=domain,
                reason="firmware is upgraded in maintenance; complete takes it to the group",
                diff=Diff("Firmware", (Change("~", "firmware", "", current, version),)),
                warnings=warnings, confirm_label="Upgrade")


def run_upgrade(ctx: OpContext, job: JobContext, p: FirmwareUpgradeParams) -> str:
    try:
        staging.stage(ctx, job, p.domain, p.version, p.enclosures)
    except staging.StageFailed as exc:
        raise OperationFailed(f"firmware upgrade stopped at {exc.enclosure}: {exc.reason}; "
                              f"{exc.staged} of {len(p.enclosures)} enclosure(s) upgraded, "
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


def compliance(ctx: OpContext, group: str | None = None) -> list[FirmwareState]:
    """Every domain (of ``group``) against its group's firmware baseline, as its hardware
    runs it now: a module replaced or upgraded outside bayops differs too."""
    if group is not None:
        ctx.group(group)  # BadInput if unknown
    out = []
    driver = ctx.driver if isinstance(ctx.driver, DomainMaintenanceDriver) else None
    for name in ([group] if group else ctx.store.group_names()):
        baseline = ctx.group(name).baseline.firmware
        for d in ctx.store.domains(name):
            read: dict[str, str] = {}
            if driver is not None:
                try:
                    read = _read_now(ctx, driver, d.name)
                except DriverError:  # one wait for a silent manager, not one per domain
                    driver = None
            read = read or ctx.store.firmware(d.name)
            out.append(FirmwareState(name, d.name, baseline, read or {"(configured)": d.config.firmware},
                                     bool(read)))
    return out


def _read_now(ctx: OpContext, driver: DomainMaintenanceDriver, domain: str) -> dict[str, str]:
    """What ``domain``'s components run, read from the driver and recorded where it
    changed (the groups pane counts it); DriverError where the driver cannot say (then
    the last record stands)."""
    read = driver.firmware(domain, [e.name for e in ctx.store.enclosures(domain)])
    if not ctx.read_only and read != ctx.store.firmware(domain):
        ctx.store.record_firmware(domain, read)
    return read


# The job kinds this module runs (collected by tui.core.ops.registry).
JOB_KINDS = (
    # idempotent stages: a resume runs what is left
    JobKind(FirmwareUpgradeParams, run_upgrade, resumable=True),
)
