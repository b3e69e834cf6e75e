"""Uplink ports of a domain, observed: every read records which ports are down, and a
port whose link changed since the last read is an event of its domain (a warning when it
goes down), as the hardware's own alert would be. Observation, like the health sweep:
no job, and the groups pane shows the count of ports down on the domain's row."""
from __future__ import annotations

from tui.core.context import OpContext
from tui.core.ops.staging import maintenance_driver
from tui.model.upkeep import PortStatus


def observe(ctx: OpContext, domain: str, record: bool = True) -> list[PortStatus]:
    driver = maintenance_driver(ctx, "read uplink ports")
    ports = driver.ports(domain, [e.name for e in ctx.store.enclosures(domain)])
    if record:
        # a write only for a link that differs from the record: a sweep of a 64,000-bay
        # fleet reads 16,000 ports every few seconds, and one transaction each was most of it
        recorded = set(ctx.store.ports_down().get(domain, ()))
        for port in ports:
            down = port.link != "up"
            if down != (port.name in recorded) and ctx.store.record_port(domain, port.name, up=not down):
                ctx.event("warning" if down else "info", f"domain:{domain}",
                          "port.down" if down else "port.up",
                          f"{domain}: uplink {port.name} link {port.link}"
                          + (f" (carried {', '.join(port.networks)})" if down and port.networks else ""),
                          None, domain=domain, port=port.name, link=port.link)
    return ports
