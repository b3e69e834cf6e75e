"""Upkeep's part of the Core (issues 24, 8): domain maintenance (start, renew, complete,
cancel, settings), firmware upgrade and compliance, configuration backups and restores,
uplink ports, the simulator's parts, and the event archive. Same shape as ``Core``."""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from tui.core.context import OpContext
from tui.model.api import query
from tui.model.driver import ProfileManager
from tui.model.entities import ArchiveRecord, Job
from tui.model.errors import Refused
from tui.model.plan import Plan
from tui.model.upkeep import DomainBackup, FirmwareState, PortStatus

if TYPE_CHECKING:
    from tui.core.archive import Verification


def __getattr__(name: str) -> Any:  # a type the annotations name (as tui.core.api._LAZY)
    if name == "Verification":
        return importlib.import_module("tui.core.archive").Verification
    raise AttributeError(name)


class UpkeepOps(OpContext):
    # -- maintenance ------------------------------------------------------------------------
    def plan_maintenance_start(self, domain: str, reason: str, hours: float | None = None) -> Plan:
        from tui.core.ops import maintenance

        return maintenance.plan_start(self, domain, reason, hours)

    def maintenance_start(self, domain: str, reason: str, hours: float | None = None,
                          expect: Plan | None = None) -> Job:
        from tui.core.ops import maintenance

        return self.execute(lambda: maintenance.plan_start(self, domain, reason, hours), expect)

    def plan_maintenance_renew(self, domain: str, hours: float | None = None,
                               force: bool = False) -> Plan:
        from tui.core.ops import maintenance

        return maintenance.plan_renew(self, domain, hours, force)

    def maintenance_renew(self, domain: str, hours: float | None = None, force: bool = False,
                          expect: Plan | None = None) -> Job:
        from tui.core.ops import maintenance

        return self.execute(lambda: maintenance.plan_renew(self, domain, hours, force), expect)

    def plan_maintenance_complete(self, domain: str, force: bool = False) -> Plan:
        from tui.core.ops import maintenance

        return maintenance.plan_complete(self, domain, force)

    def maintenance_complete(self, domain: str, force: bool = False,
                             expect: Plan | None = None) -> Job:
        from tui.core.ops import maintenance

        return self.execute(lambda: maintenance.plan_complete(self, domain, force), expect)

    def plan_maintenance_cancel(self, domain: str, force: bool = False) -> Plan:
        from tui.core.ops import maintenance

        return maintenance.plan_cancel(self, domain, force)

    def maintenance_cancel(self, domain: str, force: bool = False,
                           expect: Plan | None = None) -> Job:
        from tui.core.ops import maintenance

        return self.execute(lambda: maintenance.plan_cancel(self, domain, force), expect)

    def plan_domain_set(self, domain_name: str, key: str, value: str, force: bool = False,
                        after: list[tuple[str, str]] | None = None) -> Plan:
        """``after``: (key, value) edits queued ahead of this one, not made yet."""
        from tui.core.ops import domain

        plan = domain.plan_set(self, domain_name, key, value, force, after)
        self._manager_edit_rules(domain_name, key, value)
        return plan

    def domain_set(self, domain_name: str, key: str, value: str, force: bool = False,
                   expect: Plan | None = None) -> Job:
        from tui.core.ops import domain

        self._manager_edit_rules(domain_name, key, value)
        return self.execute(lambda: domain.plan_set(self, domain_name, key, value, force), expect)

    def _manager_edit_rules(self, domain_name: str, key: str, value: str) -> None:
        """A manager that holds the domains' configuration (OneView) refuses an edit it has
        no place for; asked outside any transaction, like ``_manager_rules``."""
        if isinstance(self.driver, ProfileManager):
            why = self.driver.domain_edit_refusal(domain_name, key, value)
            if why:
                raise Refused(f"domain {domain_name}: {key} cannot be set on the appliance: {why}",
                              code="manager-rule")

    # -- firmware ---------------------------------------------------------------------------
    @query()
    def firmware_compliance(self, group: str | None = None) -> list[FirmwareState]:
        """Every domain (of ``group``) against its group's firmware baseline."""
        from tui.core.ops import firmware

        return firmware.compliance(self, group)

    def plan_firmware_upgrade(self, domain: str, version: str, force: bool = False) -> Plan:
        from tui.core.ops import firmware

        return firmware.plan_upgrade(self, domain, version, force)

    def firmware_upgrade(self, domain: str, version: str, force: bool = False,
                         expect: Plan | None = None) -> Job:
        from tui.core.ops import firmware

        return self.execute(lambda: firmware.plan_upgrade(self, domain, version, force), expect)

    # -- configuration backups ----------------------------------------------------------------
    @query()
    def domain_backups(self, domain: str, archived: bool = False) -> list[DomainBackup]:
        """Newest first; ``archived``: those moved to the archive files instead."""
        from tui.core.ops import backup

        return backup.backups(self, domain, archived)

    def plan_domain_backup(self, domain: str, reason: str = "") -> Plan:
        from tui.core.ops import backup

        return backup.plan_backup(self, domain, reason)

    def domain_backup(self, domain: str, reason: str = "", expect: Plan | None = None) -> Job:
        from tui.core.ops import backup

        return self.execute(lambda: backup.plan_backup(self, domain, reason), expect)

    def plan_domain_restore(self, domain: str, backup_id: int, force: bool = False) -> Plan:
        from tui.core.ops import config_restore

        return config_restore.plan_restore(self, domain, backup_id, force)

    def domain_restore(self, domain: str, backup_id: int, force: bool = False,
                       expect: Plan | None = None) -> Job:
        from tui.core.ops import config_restore

        return self.execute(lambda: config_restore.plan_restore(self, domain, backup_id, force),
                            expect)

    # -- ports (read-only: the hardware, now) ---------------------------------------------------
    @query()
    def ports(self, domain: str) -> list[PortStatus]:
        """Read now; a link that changed since the last read is recorded, an event."""
        from tui.core.ops import ports

        self.require(self.domain_group(domain), "view")
        return ports.observe(self, self.domain(domain).name, record=not self.read_only)

    # -- the simulator's components and ports -----------------------------------------------------
    def plan_sim_part(self, part: str, fault: str | None) -> Plan:
        from tui.core.ops import sim_parts

        return sim_parts.plan(self, part, fault)

    def sim_part(self, part: str, fault: str | None, expect: Plan | None = None) -> str:
        """Not a job (see SimPartParams): planned, checked against ``expect``, applied."""
        from tui.core.ops import sim_parts

        return self.apply_now(sim_parts.plan(self, part, fault), expect, sim_parts.apply)

    # -- the event archive ------------------------------------------------------------------------
    @query()
    def archives(self) -> list[ArchiveRecord]:
        return self.store.archives()

    @query()
    def verify_archives(self, files: list[str] | None = None) -> Verification:
        """Recorded archives and the live log (no ``files``), or the given files."""
        from pathlib import Path

        from tui.core import archive as archive_files

        return archive_files.verify(self.store, [Path(f) for f in files] if files else None)

    def plan_archive(self, before: float, to: str | None = None) -> Plan:
        from tui.core.ops import archive

        return archive.plan(self, before, to)

    def archive(self, before: float, to: str | None = None, expect: Plan | None = None) -> Job:
        from tui.core.ops import archive

        return self.execute(lambda: archive.plan(self, before, to), expect)

