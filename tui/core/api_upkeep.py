"""Domain maintenance's part of the Core facade (issue 24): firmware upgrades and
compliance, configuration backups and restores, uplink ports. Same shape as ``Core``."""
from __future__ import annotations

from collections.abc import Callable

from tui.core import runner
from tui.core.context import OpContext
from tui.core.ops import backup, config_restore, firmware, ports, sim_parts
from tui.model.entities import Job
from tui.model.params import SimPartParams
from tui.model.plan import Plan
from tui.model.upkeep import DomainBackup, FirmwareState, PortStatus


class UpkeepFacade(OpContext):
    def execute(self, replan: Callable[[], Plan], expect: Plan | None) -> Job:
        raise NotImplementedError  # Core runs plans through the job runner

    # -- firmware ---------------------------------------------------------------------------
    def firmware_compliance(self, group: str | None = None) -> list[FirmwareState]:
        """Every domain (of ``group``) against its group's firmware baseline."""
        return firmware.compliance(self, group)

    def plan_firmware_upgrade(self, domain: str, version: str, force: bool = False) -> Plan:
        return firmware.plan_upgrade(self, domain, version, force)

    def firmware_upgrade(self, domain: str, version: str, force: bool = False,
                         expect: Plan | None = None) -> Job:
        return self.execute(lambda: firmware.plan_upgrade(self, domain, version, force), expect)

    # -- configuration backups ----------------------------------------------------------------
    def domain_backups(self, domain: str, archived: bool = False) -> list[DomainBackup]:
        """Newest first; ``archived``: those moved to the archive files instead."""
        return backup.backups(self, domain, archived)

    def plan_domain_backup(self, domain: str, reason: str = "") -> Plan:
        return backup.plan_backup(self, domain, reason)

    def backup_domain(self, domain: str, reason: str = "", expect: Plan | None = None) -> Job:
        return self.execute(lambda: backup.plan_backup(self, domain, reason), expect)

    def plan_domain_restore(self, domain: str, backup_id: int, force: bool = False) -> Plan:
        return config_restore.plan_restore(self, domain, backup_id, force)

    def restore_domain(self, domain: str, backup_id: int, force: bool = False,
                       expect: Plan | None = None) -> Job:
        return self.execute(lambda: config_restore.plan_restore(self, domain, backup_id, force),
                            expect)

    # -- ports (read-only: the hardware, now) ---------------------------------------------------
    def ports(self, domain: str) -> list[PortStatus]:
        """Read now; a link that changed since the last read is recorded, an event."""
        self.require(self.domain_group(domain), "view")
        return ports.observe(self, self.domain(domain).name, record=not self.read_only)

    # -- the simulator's components and ports -----------------------------------------------------
    def plan_sim_part(self, part: str, fault: str | None) -> Plan:
        return sim_parts.plan(self, part, fault)

    def sim_part(self, part: str, fault: str | None, expect: Plan | None = None) -> str:
        """Not a job (see SimPartParams): planned, checked against ``expect``, applied."""
        plan = sim_parts.plan(self, part, fault)
        if expect is not None:
            runner.check_unchanged(expect, plan)
        assert isinstance(plan.params, SimPartParams)
        return sim_parts.apply(self, plan.params)
