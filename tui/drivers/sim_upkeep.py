"""The simulator's side of domain maintenance (``DomainMaintenanceDriver``): firmware per
component, uplink ports, configuration export and import, and faults of components and
ports. A mixin of ``SimDriver``, over the same ``sim_*`` tables."""
from __future__ import annotations

import json
import sqlite3
import time
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.model.driver import DriverError
from tui.model.errors import BadInput
from tui.model.text import quoted
from tui.model.upkeep import PortStatus

# Each simulated enclosure: an Onboard Administrator and two Virtual Connect modules.
PARTS = ("oa", "ic1", "ic2")
PART_FAULTS = ("firmware-refused", "port-down")


class SimUpkeep:
    if TYPE_CHECKING:  # SimDriver's plumbing, which this mixin uses
        @property
        def _db(self) -> sqlite3.Connection: ...

        def _write(self) -> AbstractContextManager[sqlite3.Connection]: ...

        def _wait(self, operation: str) -> None: ...

    def _configured(self, domain: str) -> dict[str, Any]:
        row = self._db.execute("SELECT config FROM sim_domains WHERE domain = ?", (domain,)).fetchone()
        return json.loads(row[0]) if row else {}

    def _keeping_firmware(self, domain: str, config: dict[str, Any]) -> dict[str, Any]:
        """``config`` as the domain's Virtual Connect keeps it: a configuration push or
        import never changes what its modules run (only ``stage_firmware`` does), so the
        version installed first stays the one a component not staged since runs."""
        installed = self._configured(domain).get("firmware")
        return {**config, "firmware": installed} if installed else config

    def part_fault(self, part: str) -> str | None:
        row = self._db.execute("SELECT kind FROM sim_part_faults WHERE part = ?", (part,)).fetchone()
        return row[0] if row else None

    def firmware(self, domain: str, enclosures: list[str]) -> dict[str, str]:
        configured = self._configured(domain).get("firmware") or "unknown"
        staged = dict(self._db.execute("SELECT component, version FROM sim_firmware WHERE domain = ?",
                                       (domain,)).fetchall())
        return {f"{e}/{p}": staged.get(f"{e}/{p}", configured) for e in enclosures for p in PARTS}

    def stage_firmware(self, domain: str, enclosure: str, version: str) -> dict[str, str]:
        for component, running in self.firmware(domain, [enclosure]).items():
            if running == version:
                continue
            self._wait("firmware")
            if self.part_fault(component) == "firmware-refused":
                raise DriverError(f"{component}: firmware {version} refused (image validation failed)")
            with self._write() as db:
                db.execute("INSERT OR REPLACE INTO sim_firmware VALUES (?, ?, ?)",
                           (component, domain, version))
        return self.firmware(domain, [enclosure])

    def ports(self, domain: str, enclosures: list[str]) -> list[PortStatus]:
        """Two uplinks per Virtual Connect module; X1 carries the domain's networks, X2 is
        its standby. A failed port is down and counts receive errors."""
        networks = tuple(sorted(self._configured(domain).get("networks", {})))
        # one read of the failed ports (the monitor's sweep reads every domain's)
        failed = {part for (part,) in self._db.execute(
            "SELECT part FROM sim_part_faults WHERE kind = 'port-down'")}
        out = []
        for enc in enclosures:
            for ic in PARTS[1:]:
                for uplink in ("X1", "X2"):
                    name = f"{enc}/{ic}:{uplink}"
                    down = name in failed
                    out.append(PortStatus(name, "down" if down else "up", 0.0 if down else 10.0,
                                          networks if uplink == "X1" else (),
                                          rx_errors=_errors(down), tx_errors=0))
        return out

    def export_config(self, domain: str) -> dict[str, Any]:
        return {"vcm": domain, "config": self._configured(domain)}

    def import_config(self, domain: str, payload: dict[str, Any]) -> str:
        self._wait("domain_config")
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO sim_domains VALUES (?, ?)",
                       (domain, json.dumps(self._keeping_firmware(domain, payload.get("config", {})))))
        return f"Virtual Connect Manager of {domain} restored its saved configuration"

    def fail_part(self, part: str, kind: str) -> str:
        """Inject a fault into a component or uplink port (``enc-a1/ic1``, ``enc-a1/ic1:X1``)."""
        if kind not in PART_FAULTS:
            raise BadInput(f"fault kind {quoted(kind)} is not one of {', '.join(PART_FAULTS)}")
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO sim_part_faults VALUES (?, ?)", (part, kind))
        return f"{part}: {kind}"

    def heal_part(self, part: str) -> None:
        with self._write() as db:
            db.execute("DELETE FROM sim_part_faults WHERE part = ?", (part,))


def _errors(down: bool) -> int:
    """A failed port's receive errors grow with time (so a rate shows); a good one has none."""
    return int(time.time()) % 100000 * 7 if down else 0


def credentials_read(domain: str, fabric: str, reference: str | None) -> bool:
    """Read a storage credentials file as Virtual Connect would take it (the secret goes no
    further than this call); DriverError naming the fabric, never the contents."""
    if not reference:
        return False
    try:
        secret = Path(reference.removeprefix("@")).read_bytes()
    except OSError as exc:
        raise DriverError(f"{domain}: storage credentials of {fabric} unreadable "
                          f"({exc.strerror})") from None
    if not secret.strip():
        raise DriverError(f"{domain}: storage credentials file of {fabric} is empty")
    return True
