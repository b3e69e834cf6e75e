"""Simulator faults of a domain's components and uplink ports (sim driver only): a
firmware image a module refuses, a port whose link goes down (observed at once:
``ops/ports.py`` makes it an event of the domain)."""
from __future__ import annotations

import re

from tui.core.context import OpContext
from tui.core.ops import ports
from tui.model.driver import SimulatedParts
from tui.model.errors import BadInput, Refused
from tui.model.params import SimPartParams
from tui.model.plan import Plan
from tui.model.text import quoted

PART_RE = re.compile(r"(?P<enclosure>[A-Za-z0-9][A-Za-z0-9._-]*)/(?P<module>oa|ic[12])(?::(?P<port>X[12]))?")


def _simulator(ctx: OpContext) -> SimulatedParts:
    if not isinstance(ctx.driver, SimulatedParts):
        raise Refused(f"fault injection needs the sim driver; this fleet uses {ctx.driver.name}",
                      code="not-simulated")
    return ctx.driver


# a part's fault -> how the part is, said when a command would leave it so
_AS_IS = {"port-down": "is down", "firmware-refused": "refuses firmware"}


def plan(ctx: OpContext, part: str, fault: str | None) -> Plan:
    sim = _simulator(ctx)
    match = PART_RE.fullmatch(part)
    if match is None:
        raise BadInput(f"{quoted(part)} is no component (ENCLOSURE/oa, ENCLOSURE/ic1) or uplink "
                       "port (ENCLOSURE/ic1:X1)")
    if fault == "port-down" and not match["port"]:
        raise BadInput(f"{quoted(part)} is no uplink port (e.g. {match['enclosure']}/ic1:X1)")
    domain = next((e.domain for e in ctx.store.enclosures() if e.name == match["enclosure"]), None)
    if domain is None:
        raise BadInput(f"no enclosure named {quoted(match['enclosure'])}", code="unknown-name")
    group = ctx.domain_group(domain)
    ctx.require(group, "sim")
    if sim.part_fault(part) == fault:  # as `sim insert` into a full bay: refused, not redone
        as_is = _AS_IS[fault] if fault else "is up" if ":" in part else "accepts firmware"
        raise Refused(f"{part} {as_is} already; nothing changed", code="no-change")
    what = f"inject {fault} into {part}" if fault else f"clear the simulated fault of {part}"
    return Plan("sim-part", "Simulator fault", what, (f"simulator: {what}",),
                SimPartParams(group=group, domain=domain, part=part, fault=fault), target=part,
                confirm_label="Inject" if fault else "Heal")


def apply(ctx: OpContext, p: SimPartParams) -> str:
    sim = _simulator(ctx)
    if p.fault is None:
        sim.heal_part(p.part)
        message = f"{p.part}: fault cleared"
    else:
        message = sim.fail_part(p.part, p.fault)
    if ":" in p.part:  # a port: what the interconnect now reports makes the event
        ports.observe(ctx, p.domain)
    else:
        ctx.event("info", f"domain:{p.domain}", "sim.fault", f"simulator: {message}", None,
                  domain=p.domain, part=p.part, fault=p.fault)
    return message
