"""Input checked at the door: names and free text (TOML tables: tui.model.tables).

Every check raises a one-line BadInput that quotes at most ~80 characters of the bad
value (``quoted``), before anything changes.
"""
from __future__ import annotations

import re

from tui.model.errors import BadInput
from tui.model.text import has_unsafe, quoted

# Groups, domains, enclosures, profiles, networks, fabrics, users: used with fullmatch,
# so a trailing newline is no name.
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")
NAME_RULE = "letters, digits, '.', '_', '-'; at most 63"
REASON_LIMIT = 200
FIRMWARE_LIMIT = 32
# the roles of a VC domain's local users
LOCAL_USER_ROLES = ("admin", "operator", "user", "network", "storage", "domain")


def check_name(value: object, what: str) -> str:
    if not isinstance(value, str) or not NAME_RE.fullmatch(value):
        raise BadInput(f"{quoted(value)} is not a valid {what} name ({NAME_RULE})", code="bad-name")
    return value


def check_text(value: str, what: str, limit: int = REASON_LIMIT) -> str:
    """Free text (a reason, a firmware version): no control characters, bounded."""
    if has_unsafe(value):
        raise BadInput(f"{what} {quoted(value)} holds control, bidi or invisible characters",
                       code="bad-text")
    if len(value) > limit:
        raise BadInput(f"{what} is {len(value)} characters long; at most {limit}",
                       code="bad-text")
    return value


# Names the system writes events as; no person (login, token) can take one.
RESERVED_OPERATORS = ("policy", "policy:auto", "monitor", "driver", "server", "system", "fleet")


def check_person(name: str, what: str) -> str:
    """A person's name: a plain name (no ``policy:auto``) and none of the reserved ones."""
    check_name(name, what)
    if name.lower() in RESERVED_OPERATORS:
        raise BadInput(f"{quoted(name)} is reserved for bayops itself ({', '.join(RESERVED_OPERATORS)}); "
                      "it cannot be a person", code="reserved-name")
    return name
