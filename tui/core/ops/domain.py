"""Editing a domain in maintenance: network.NAME, fabric.NAME, firmware, user.NAME.

The edit is made on the domain itself (VCEM enables it through the local VCM during
maintenance); completing the maintenance takes it to the rest of the group.
"""
from __future__ import annotations

from typing import Any

from tui.core.context import OpContext
from tui.core.jobs import JobContext
from tui.core.ops import storage
from tui.core.ops.maintenance import domain_free, held, push_config
from tui.core.runner import JobKind
from tui.core.steps import StepKey
from tui.core.validate import FIRMWARE_LIMIT, LOCAL_USER_ROLES, NAME_RE, check_text
from tui.model.entities import DomainConfig
from tui.model.errors import BadInput, Refused
from tui.model.params import DomainSetParams
from tui.model.plan import Diff, Plan
from tui.model.text import quoted

DOMAIN_KEYS = ("network.NAME VLAN|-, fabric.NAME present|-, firmware VERSION (the target "
               "complete stages), user.NAME ROLE|-, "
               "storage.FABRIC.SETTING VALUE|- (" + storage.SETTINGS + ")")


def edited(config: DomainConfig, domain: str, key: str, value: str) -> DomainConfig:
    """``config`` with one setting changed; a value of '-' removes it. BadInput if the
    key or value is not valid."""
    data = config.to_dict()
    kind, _, name = key.partition(".")
    if kind == "storage":
        return storage.edited(config, domain, name, value)
    if kind in ("network", "fabric", "user") and not NAME_RE.fullmatch(name or ""):
        raise BadInput(f"key {quoted(key)}: {kind}.NAME needs a valid name ({DOMAIN_KEYS})")
    if kind == "network":
        _edit_network(data["networks"], domain, name, value)
    elif kind == "fabric":
        _edit_fabric(data, domain, name, value)
    elif key == "firmware":
        if not value or value == "-":
            raise BadInput("firmware needs a version, e.g. 4.62")
        check_text(value, "firmware", FIRMWARE_LIMIT)
        data["firmware"] = value
    elif kind == "user":
        _edit_user(config, data["users"], domain, name, value)
    else:
        raise BadInput(f"unknown key {quoted(key)}; keys: {DOMAIN_KEYS}")
    return DomainConfig.from_dict(data)


def _edit_network(networks: dict[str, int], domain: str, name: str, value: str) -> None:
    """``network.NAME VLAN|-`` applied to ``networks`` (the edited copy)."""
    if value == "-":
        if name not in networks:
            raise BadInput(f"domain {domain} has no network {quoted(name)}")
        del networks[name]
    elif not value.isdigit() or not 1 <= int(value) <= 4094:
        raise BadInput(f"VLAN id must be 1..4094, got {quoted(value)}")
    else:
        networks[name] = int(value)


def _edit_fabric(data: dict[str, Any], domain: str, name: str, value: str) -> None:
    """``fabric.NAME present|-`` applied to ``data`` (the edited copy of the config)."""
    if value == "-":
        if name not in data["fabrics"]:
            raise BadInput(f"domain {domain} has no fabric {quoted(name)}")
        data["fabrics"].remove(name)
        data.get("storage", {}).pop(name, None)  # its settings go with it
    elif value == "present":
        data["fabrics"] = sorted(set(data["fabrics"]) | {name})
    else:
        raise BadInput(f"fabric value must be 'present' or '-', got {quoted(value)}")


def _edit_user(config: DomainConfig, users: dict[str, str], domain: str, name: str,
               value: str) -> None:
    """``user.NAME ROLE|-`` applied to ``users`` (the edited copy)."""
    if value == "-":
        if name not in users:
            raise BadInput(f"domain {domain} has no local user {quoted(name)}")
        del users[name]
    elif value in LOCAL_USER_ROLES:
        users[name] = value
    else:
        raise BadInput(f"local user role must be admin, domain, network, storage, "
                       f"operator or user, got {quoted(value)}")
    _keeps_an_admin(config, users, domain, name)


def _keeps_an_admin(config: DomainConfig, users: dict[str, str], domain: str, name: str) -> None:
    """Refused when the edit would leave a domain that had an administrator without one:
    nobody could then log in to its Virtual Connect Manager to repair it."""
    if "admin" in config.users.values() and "admin" not in users.values():
        raise Refused(f"{name} is the last administrator of {domain}; add another admin first",
                      code="last-admin")


def plan_set(ctx: OpContext, domain: str, key: str, value: str, force: bool = False,
             after: list[tuple[str, str]] | None = None) -> Plan:
    """``after``: edits queued ahead of this one and not made yet (the dashboard's list of
    edits): this one is planned against the configuration they leave. Only the plan: by
    the time this edit runs they are made, and its fresh plan (on the live configuration)
    is the same."""
    config = ctx.domain(domain).config
    for queued_key, queued_value in after or ():
        config = edited(config, domain, queued_key, queued_value)
    new = edited(config, domain, key, value)
    m = held(ctx, domain, force, edit=True)
    domain_free(ctx, domain)
    baseline = ctx.group(m.group).baseline
    step = f"push {key} = {value} to {domain}"
    if key == "firmware":  # a target, never an instant change of what the modules run
        step = (f"record firmware {value} as the target of {domain}; nothing is staged now: "
                f"complete stages it one enclosure at a time on {domain}, then on every other "
                f"domain of {m.group} (bayops firmware upgrade {domain} --to {value} stages "
                "it on this domain now)")
    return Plan("domain-set", f"Edit domain {domain}", f"set {key} = {value} on {domain}",
                (step,),
                DomainSetParams(group=m.group, domain=domain, key=key, value=value),
                locks=(f"domain:{domain}",), target=domain,
                reason="the domain may drift from its group baseline while in maintenance; "
                       "complete propagates the change, cancel reverts it",
                diff=Diff("Drift from the baseline after this edit", new.changes(baseline)),
                warnings=_still_used(ctx, m.group, key, value), confirm_label="Apply")


def _still_used(ctx: OpContext, group: str, key: str, value: str) -> tuple[str, ...]:
    """Removing a network or fabric that profiles of the group use: how many, and that
    completing the maintenance is refused until they no longer do."""
    kind, _, name = key.partition(".")
    if value != "-" or kind not in ("network", "fabric"):
        return ()
    users = [p.name for p in ctx.store.profiles(group)
             if name in (p.networks if kind == "network" else p.fabrics)]
    if not users:
        return ()
    return (f"{len(users)} profile{'s' if len(users) != 1 else ''} of {group} use {kind} "
            f"{name} (e.g. {', '.join(users[:3])}); complete will be refused until they "
            "are moved or changed",)


def run_set(ctx: OpContext, job: JobContext, p: DomainSetParams) -> str:
    new = edited(ctx.domain(p.domain).config, p.domain, p.key, p.value)
    detail = job.step(StepKey.apply_to(p.domain), lambda: push_config(ctx, p.domain, new))
    ctx.event("info", f"domain:{p.domain}", "domain.changed",
              f"{p.domain}: {p.key} = {p.value} (in maintenance)", job.job_id,
              domain=p.domain, key=p.key, value=p.value)
    return detail


# The job kinds this module runs (collected by tui.core.ops.registry).
JOB_KINDS = (
    # one hardware step: interrupted, it is reported, not repeated
    JobKind(DomainSetParams, run_set, resumable=False),
)
