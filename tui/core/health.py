"""Observing the hardware: readings from the driver into the store, once per change."""
from __future__ import annotations

from tui.core.context import OpContext
from tui.model.driver import Reading

HEALTH_SEVERITY = {"ok": "info", "warning": "warning", "critical": "critical", "unknown": "critical"}


SWEEP_SLICE = 2000  # bays whose stored readings one step of a whole sweep compares


def refresh(ctx: OpContext, bay_ids: list[str] | None = None) -> list[str]:
    """Read power and health from the driver into the store; returns changed bays.

    Compare-and-set: when several processes observe the same change, one records it
    (and its event), so the policy acts on it once. A whole sweep asks the driver once
    and compares the store's readings a slice at a time: a 64,000-bay fleet's readings
    are never held twice (the dashboard's memory peaked at its first sweep).
    """
    store = ctx.store
    if bay_ids is not None:
        known = store.readings(bay_ids)
        return _record(ctx, known, ctx.driver.read(list(known)))
    ids = store.server_ids()
    read = ctx.driver.read(ids)
    changed = []
    for at in range(0, len(ids), SWEEP_SLICE):
        changed += _record(ctx, store.readings(ids[at:at + SWEEP_SLICE]), read)
    return changed


def _record(ctx: OpContext, known: dict[str, tuple[str, str]], read: dict[str, Reading]) -> list[str]:
    """Write the readings of ``known``'s bays that differ from what the store has."""
    store = ctx.store
    changed = []
    for bay_id, old in known.items():
        reading = read.get(bay_id)
        if reading is None:
            continue
        new = (reading.power, reading.health)
        if new == old:
            continue
        with store.write():
            if not store.compare_and_set_reading(bay_id, old, new):
                continue
            if reading.health != old[1]:
                store.add_event(
                    HEALTH_SEVERITY[reading.health], f"bay:{bay_id}", "health.changed",
                    f"{bay_id} health {old[1]} -> {reading.health}"
                    + (f" ({reading.detail})" if reading.detail else ""), "monitor",
                    data={"bay": bay_id, "old": old[1], "new": reading.health,
                          "power": reading.power, "detail": reading.detail})
        changed.append(bay_id)
    return changed
