"""Adding an enclosure to a group: a new domain, or an existing one (up to 4 enclosures).

Its bays are discovered, then its domain receives the group baseline, as a job.
"""
from __future__ import annotations

from tui.core.config import ENCLOSURE_MODELS, EnclosureSpec, GroupSpec
from tui.core.context import OpContext
from tui.core.fleet import simulated_servers
from tui.core.jobs import JobContext, StepFailed
from tui.core.ops.maintenance import push_config
from tui.core.runner import JobKind
from tui.core.steps import StepKey
from tui.core.validate import check_name
from tui.model.driver import SimulatedHardware
from tui.model.errors import BadInput, OperationFailed, Refused
from tui.model.params import EnclosureAddParams
from tui.model.plan import Plan

MAX_ENCLOSURES_PER_DOMAIN = 4  # the Virtual Connect limit


def plan(ctx: OpContext, group: str, enclosure: str, domain: str | None = None,
         bays: int = 16) -> Plan:
    ctx.group(group)
    ctx.require(group, "enclosure")
    check_name(enclosure, "enclosure")
    model = next((m for m, n in ENCLOSURE_MODELS.items() if n == bays), None)
    if model is None:
        raise BadInput(f"--bays must be 16 (c7000) or 8 (c3000), got {bays}")
    if ctx.store.enclosure_exists(enclosure):
        raise BadInput(f"enclosure {enclosure} already exists")
    domain = domain or f"{enclosure}-dom"
    check_name(domain, "domain")
    existing = ctx.store.domain_group(domain)
    if existing is not None:
        if existing != group:
            raise BadInput(f"domain {domain} is in group {existing}, not {group}")
        if len(ctx.store.enclosures(domain)) >= MAX_ENCLOSURES_PER_DOMAIN:
            raise Refused(f"domain {domain} already has {MAX_ENCLOSURES_PER_DOMAIN} enclosures "
                          "(the VC limit)", code="domain-full")
        if ctx.store.maintenance(domain):
            raise Refused(f"domain {domain} is in maintenance", code="in-maintenance")
    # The domain receives the baseline as it is now; a maintenance in the group may be
    # about to change it, so wait for that to end.
    held = [m for m in ctx.store.maintenance() if m.group == group]
    if held:
        raise Refused(f"group {group} has domain {held[0].domain} in maintenance; add "
                      "the enclosure once it is completed or cancelled", code="group-in-maintenance")
    new = "new " if existing is None else ""
    return Plan("enclosure-add", f"Add enclosure {enclosure}",
                f"add enclosure {enclosure} ({model}, {bays} bays) to {new}domain {domain} "
                f"of group {group}",
                (f"discover the {bays} bays of {enclosure}",
                 f"apply the baseline of group {group} to {domain}"),
                EnclosureAddParams(group=group, enclosure=enclosure, domain=domain, model=model,
                                   bays=bays, new_domain=existing is None),
                locks=(f"enclosure:{enclosure}", f"domain:{domain}"), target=enclosure,
                confirm_label="Add")


def run(ctx: OpContext, job: JobContext, p: EnclosureAddParams) -> str:
    baseline = ctx.group(p.group).baseline
    ids = [f"{p.enclosure}/{n}" for n in range(1, p.bays + 1)]

    def discover() -> str:
        if isinstance(ctx.driver, SimulatedHardware):  # grow the hardware the config implies
            spec = ctx.config.group(p.group) or _spec_from_store(ctx, p.group)
            servers = simulated_servers(spec, EnclosureSpec(p.enclosure, p.model),
                                        ctx.config.sim.seed, 10_000 + job.job_id * 100)
            ctx.driver.install({f"{p.enclosure}/{n}": (s, None) for n, s in servers.items()})
        found = ctx.driver.discover(ids)
        with ctx.store.write():
            if ctx.store.domain_group(p.domain) is None:
                ctx.store.add_domain(p.domain, p.group, baseline)
            if not ctx.store.enclosure_exists(p.enclosure):
                ctx.store.add_enclosure(p.enclosure, p.domain, p.model, p.bays,
                                        {n: found.get(f"{p.enclosure}/{n}")
                                         for n in range(1, p.bays + 1)})
        return f"{sum(1 for s in found.values() if s)} servers in {p.bays} bays"
    job.step(StepKey.discover(p.enclosure), discover)
    try:
        job.step(StepKey.apply_baseline(p.domain),
                 lambda: push_config(ctx, p.domain, baseline))
    except StepFailed as exc:
        raise OperationFailed(f"{p.enclosure} was added but {p.domain} did not take the "
                              f"baseline ({exc.reason}); it shows as drifted") from None
    ctx.event("info", f"domain:{p.domain}", "enclosure.added",
              f"enclosure {p.enclosure} ({p.model}) added to {p.domain} in group {p.group}",
              job.job_id, enclosure=p.enclosure, domain=p.domain)
    return f"enclosure {p.enclosure} added to {p.domain}"


def _spec_from_store(ctx: OpContext, group: str) -> GroupSpec:
    """A GroupSpec for a group created after the config (models from its bays)."""
    models = sorted({b.model for b in ctx.store.bays(group=group) if b.model}) or \
        ["ProLiant BL460c Gen10"]
    record = ctx.group(group)
    return GroupSpec(group, record.policy.mode, record.policy.window, record.baseline, (),
                     tuple(models), 0, 0, 0, group, "50:00:14:38:00:00:00:01")


# The job kinds this module runs (collected by tui.core.ops.registry).
JOB_KINDS = (
    JobKind(EnclosureAddParams, run, resumable=True),
)
