"""Who may do what, per group, as VCEM scoped it."""
from __future__ import annotations

from tui.core.config import ROLES, Config
from tui.core.validate import RESERVED_OPERATORS as RESERVED_OPERATORS  # re-exported
from tui.core.validate import check_person as check_person
from tui.model.errors import Refused
from tui.model.text import quoted

# What each action needs at least; roles are ordered, each includes those before it.
ACTION_ROLE = {
    "view": "viewer",
    "failover": "limited-operator",
    "ack": "limited-operator",
    "note": "operator",  # a note on a bay (tui/core/ops/story.py)
    "move": "limited-operator",
    "rediscover": "limited-operator",  # recording flags bays and takes profiles off them
    "resume": "limited-operator",  # finishing an interrupted job, asked through the service
    "profile": "operator",
    "spares": "group-admin",
    "maintenance": "group-admin",
    "domain-set": "group-admin",
    "firmware": "group-admin",  # the domain's admin: an upgrade reboots its interconnects
    "config-restore": "group-admin",
    "backup": "operator",
    "policy": "group-admin",
    "enclosure": "group-admin",
    "sim": "operator",
    "force": "admin",
    "pools": "admin",
    "archive": "admin",
}


def role_of(config: Config, user: str, group: str) -> str:
    """The strongest role the config gives ``user`` in ``group`` ("*": fleet-wide, where
    only grants for every group count).

    A user the config names nowhere gets ``roles.default`` (the demo config makes that
    admin; a real one leaves it at viewer).
    """
    named = [g for g in config.grants if g.user == user]
    if not named:
        return config.default_role
    best = "viewer"
    for grant in named:
        if ("*" in grant.groups or group in grant.groups) and ROLES.index(grant.role) > ROLES.index(best):
            best = grant.role
    return best


def allowed(config: Config, user: str, group: str, action: str) -> bool:
    return ROLES.index(role_of(config, user, group)) >= ROLES.index(ACTION_ROLE[action])


def require(config: Config, user: str, group: str, action: str, read_only: bool) -> None:
    if read_only and action != "view":
        raise Refused("read-only mode: nothing can be changed (started with --read-only)")
    if not allowed(config, user, group, action):
        raise Refused(f"user {quoted(user)} is {role_of(config, user, group)} in group {quoted(group)}; "
                      f"{action} needs {ACTION_ROLE[action]}")


