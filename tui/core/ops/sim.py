"""Simulator faults: inject or heal a fault in a simulated bay (sim driver only)."""
from __future__ import annotations

from tui.core.context import OpContext
from tui.core.health import refresh
from tui.model.driver import SimulatedHardware
from tui.model.errors import Refused
from tui.model.params import SimFaultParams
from tui.model.plan import Plan


def _simulator(ctx: OpContext) -> SimulatedHardware:
    if not isinstance(ctx.driver, SimulatedHardware):
        raise Refused(f"fault injection needs the sim driver; this fleet uses {ctx.driver.name}",
                      code="not-simulated")
    return ctx.driver


def plan(ctx: OpContext, bay_id: str, fault: str | None) -> Plan:
    """Inject ``fault`` into the bay, or heal it (None)."""
    _simulator(ctx)
    bay = ctx.bay(bay_id)
    ctx.require(bay.group, "sim")
    if bay.empty:
        raise Refused(f"bay {bay_id} is empty", code="empty-bay")
    if fault is None:
        return Plan("sim-fault", "Simulator heal", f"clear the simulated fault of {bay_id}",
                    (f"simulator: heal {bay_id}", "read the bay's health now"),
                    SimFaultParams(group=bay.group, bay=bay_id, fault=None), target=bay_id,
                    confirm_label="Heal")
    return Plan("sim-fault", "Simulator fault", f"inject fault {fault} into {bay_id}",
                (f"simulator: {bay_id} {fault}", "read the bay's health now"),
                SimFaultParams(group=bay.group, bay=bay_id, fault=fault), target=bay_id,
                reason="simulated hardware only; the monitor and the policy react as to a "
                       "real fault", confirm_label="Inject")


def apply(ctx: OpContext, p: SimFaultParams) -> str:
    """Change the simulated hardware (no job: see SimFaultParams); returns what happened."""
    sim = _simulator(ctx)
    if p.fault is None:
        sim.heal(p.bay)
        message = "healed"
    else:
        message = sim.inject(p.bay, p.fault)
    refresh(ctx, [p.bay])  # the simulator is the hardware: show the fault now
    ctx.event("info", f"bay:{p.bay}", "sim.fault" if p.fault else "sim.heal",
              f"simulator: {p.bay} {p.fault + ': ' + message if p.fault else 'healed'}",
              None, bay=p.bay, fault=p.fault)
    return message
