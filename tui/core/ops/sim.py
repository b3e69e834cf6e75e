"""Simulator faults: inject or heal a fault in a simulated bay (sim driver only)."""
from __future__ import annotations

import re
import uuid

from tui.core.context import OpContext
from tui.core.fleet import split_model
from tui.core.health import refresh
from tui.model.driver import SimulatedHardware
from tui.model.entities import ServerInfo
from tui.model.errors import BadInput, Refused
from tui.model.params import SimFaultParams, SimHardwareParams
from tui.model.plan import Plan
from tui.model.text import quoted


def _simulator(ctx: OpContext) -> SimulatedHardware:
    if not isinstance(ctx.driver, SimulatedHardware):
        raise Refused(f"fault injection needs the sim driver; this fleet uses {ctx.driver.name}",
                      code="not-simulated")
    return ctx.driver


def plan(ctx: OpContext, bay_id: str, fault: str | None) -> Plan:
    """Inject ``fault`` into the bay, or heal it (None)."""
    sim = _simulator(ctx)
    bay = ctx.bay(bay_id)
    ctx.require(bay.group, "sim")
    if bay.empty:
        raise Refused(f"bay {bay_id} is empty", code="empty-bay")
    state = sim.bay_state(bay_id)  # as `sim port-up` on an up port: refused, not redone
    if state is not None and fault is not None and state[0] == fault:
        raise Refused(f"bay {bay_id} has fault {fault} already; nothing changed",
                      code="no-change")
    if state == (None, "ok", False) and fault is None:
        raise Refused(f"bay {bay_id} is healthy already; nothing changed", code="no-change")
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


HARDWARE_ACTIONS = ("insert", "remove", "swap")


def plan_hardware(ctx: OpContext, bay_id: str, action: str, model: str | None) -> Plan:
    """A blade into an empty bay, out of a full one, or replaced by another (new serial)."""
    _simulator(ctx)
    if action not in HARDWARE_ACTIONS:
        raise BadInput(f"{quoted(action)} is not one of {', '.join(HARDWARE_ACTIONS)}")
    bay = ctx.bay(bay_id)
    ctx.require(bay.group, "sim")
    if action == "insert" and not bay.empty:
        raise Refused(f"bay {bay_id} holds a server already (swap replaces it)", code="bay-full")
    if action != "insert" and bay.empty:
        raise Refused(f"bay {bay_id} is empty (insert puts a blade in)", code="empty-bay")
    if model is not None and not re.search(r"\bGen\d+\b", model):
        raise BadInput(f"--model {quoted(model)} must name a generation, e.g. "
                       "'ProLiant BL460c Gen10'")
    if action == "remove":
        model = ""
    elif model is None:  # the bay's own model, else the enclosure's most common one
        models = [b.model for b in ctx.store.bays(enclosure=bay.enclosure) if b.model]
        model = bay.model or (max(set(models), key=models.count) if models else
                              "ProLiant BL460c Gen10")
    what = {"insert": f"insert a {model} into {bay_id}", "remove": f"remove the blade of {bay_id}",
            "swap": f"swap the blade of {bay_id} for a {model} (new serial)"}[action]
    return Plan("sim-hardware", "Simulator hardware", what,
                (f"simulator: {what}", "rediscovery notices it (schedule, or `bayops rediscover`)"),
                SimHardwareParams(group=bay.group, bay=bay_id, action=action, model=model),
                target=bay_id, reason="simulated hardware only", confirm_label=action.title())


def apply_hardware(ctx: OpContext, p: SimHardwareParams) -> str:
    sim = _simulator(ctx)
    if p.action == "remove":
        sim.remove(p.bay)
        message = f"blade pulled out of {p.bay}"
    else:
        name, generation = split_model(p.model)
        serial = "CZ" + uuid.uuid4().hex[:8].upper()
        sim.insert(p.bay, ServerInfo(name, generation, serial, "off", "ok"))
        verb = "inserted into" if p.action == "insert" else "swapped into"
        message = f"{p.model} serial {serial} {verb} {p.bay}"
    ctx.event("info", f"bay:{p.bay}", f"sim.{p.action}", f"simulator: {message}", None,
              bay=p.bay, action=p.action)
    return message
