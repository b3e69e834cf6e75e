"""Every operation the service offers, named once: the API's one registry.

A change is a pair of Core methods, ``plan`` (the dry run, returns a Plan) and ``run``
(carries out the confirmed plan: ``expect=``); a query is one Core method that changes
nothing; a read is one Store method the dashboard's FleetView calls. The server builds
its routes from these tables, the remote client its calls, and docs/openapi.json its
paths, all from the Core's own signatures and annotations (``signature``).

A new core operation is exposed by one line in CHANGES (or QUERIES).
"""
from __future__ import annotations

import inspect
import typing
from dataclasses import dataclass
from functools import cache
from typing import Any

from tui.core.api import Core
from tui.core.store import Store


@dataclass(frozen=True)
class Change:
    name: str  # the route: /v1/plan/<name> and /v1/run/<name>
    plan: str  # the Core method that plans (a dry run)
    run: str  # the Core method that carries out the confirmed plan (takes expect=)


CHANGES = (
    Change("failover", "plan_failover", "failover"),
    Change("move", "plan_move", "move"),
    Change("spares", "plan_spares", "change_spares"),
    Change("maintenance-start", "plan_maintenance_start", "start_maintenance"),
    Change("maintenance-renew", "plan_maintenance_renew", "renew_maintenance"),
    Change("maintenance-complete", "plan_complete", "complete_maintenance"),
    Change("maintenance-cancel", "plan_cancel", "cancel_maintenance"),
    Change("domain-set", "plan_domain_set", "set_domain"),
    Change("enclosure-add", "plan_enclosure_add", "add_enclosure"),
    Change("policy", "plan_policy", "set_policy"),
    Change("profile-create", "plan_profile_create", "create_profile"),
    Change("profile-delete", "plan_profile_delete", "delete_profile"),
    Change("pools", "plan_pools", "exclude_address"),
    Change("archive", "plan_archive", "archive_events"),
    Change("sim-fault", "plan_sim_fault", "sim_fault"),
    Change("sim-hardware", "plan_sim_hardware", "sim_hardware"),
    Change("clear-flag", "plan_clear_flag", "clear_flag"),
    Change("failback", "plan_failback", "failback"),
    Change("evacuate", "plan_evacuate", "evacuate"),
    Change("restore", "plan_restore", "restore"),
    Change("firmware-upgrade", "plan_firmware_upgrade", "firmware_upgrade"),
    Change("domain-backup", "plan_domain_backup", "backup_domain"),
    Change("domain-restore", "plan_domain_restore", "restore_domain"),
    Change("sim-part", "plan_sim_part", "sim_part"),
)

# Core methods that change nothing (GET /v1/query/<name>); the operator is the caller.
QUERIES = (
    "bays", "bay", "profiles", "profile", "groups", "group", "domain", "maintenance",
    "maintenance_of", "jobs", "job", "events", "revision", "changes", "last_event_seq",
    "domain_config", "spares", "pools", "move_targets", "failover_candidates",
    "interrupted_jobs", "archives", "verify_archives", "role", "may", "why_not",
    "coverage", "coverage_enclosures", "failback_profile",
    "firmware_compliance", "domain_backups", "ports",
)
# Core methods that act without a plan (POST /v1/action/<name>).
ACTIONS = ("resume_interrupted", "rediscover", "adopt", "check_allowed", "ack")
# Store reads the FleetView makes (GET /v1/read/<name>): the dashboard's copy of the fleet.
READS = (
    "revision", "last_event_seq", "group_names", "group", "domains", "enclosures", "jobs",
    "maintenance", "bays", "events", "changes_since", "firmware_versions", "ports_down", "homes",
)
# Arguments a remote caller may not give: they name files on the server's host.
SERVER_ONLY_ARGS = {"verify_archives": ("files",)}

BY_PLAN = {c.plan: c for c in CHANGES}
BY_RUN = {c.run: c for c in CHANGES}


@dataclass(frozen=True)
class Signature:
    params: tuple[tuple[str, Any, Any], ...]  # (name, type, default or inspect.Parameter.empty)
    returns: Any

    def names(self) -> tuple[str, ...]:
        return tuple(p[0] for p in self.params)


@cache
def signature(owner: type, name: str) -> Signature:
    """The typed parameters (without self) and the return type of a Core or Store method."""
    function = getattr(owner, name)
    hints = typing.get_type_hints(function, vars(inspect.getmodule(function)))
    params = tuple((p.name, hints[p.name], p.default)
                   for p in inspect.signature(function).parameters.values() if p.name != "self")
    return Signature(params, hints.get("return", Any))


def core_signature(name: str) -> Signature:
    return signature(Core, name)


def store_signature(name: str) -> Signature:
    return signature(Store, name)
