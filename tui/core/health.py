"""Observing the hardware: readings from the driver into the store, once per change."""
from __future__ import annotations

from tui.core.context import OpContext

HEALTH_SEVERITY = {"ok": "info", "warning": "warning", "critical": "critical", "unknown": "critical"}


def refresh(ctx: OpContext, bay_ids: list[str] | None = None) -> list[str]:
    """Read power and health from the driver into the store; returns changed bays.

    Compare-and-set: when several processes observe the same change, one records it
    (and its event), so the policy acts on it once.
    """
    store = ctx.store
    known = store.readings(bay_ids)
    changed = []
    for bay_id, reading in ctx.driver.read(list(known)).items():
        old = known[bay_id]
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
