"""Input checked at the door: names, free text, and typed TOML tables.

Every check raises a one-line BadInput that quotes at most ~80 characters of the bad
value (``quoted``), before anything changes.
"""
from __future__ import annotations

import re
from typing import Any

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


class TableReader:
    """Typed access to one TOML table, naming the full key in every error."""

    def __init__(self, table: Any, where: str, known: tuple[str, ...]):
        if not isinstance(table, dict):
            raise BadInput(f"{where or 'top level'}: expected a table")
        unknown = sorted(set(table) - set(known))
        if unknown:
            raise BadInput(f"{self._key(where, unknown[0])}: unknown key")
        self.table, self.where = table, where

    @staticmethod
    def _key(where: str, key: str) -> str:
        return f"{where}.{key}" if where else key

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        if key not in self.table:
            if default is ...:
                raise BadInput(f"{self._key(self.where, key)}: missing")
            return default
        value = self.table[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if isinstance(value, bool) and bool not in kinds:
            ok = False
        else:
            ok = isinstance(value, kinds)
        if not ok:
            names = " or ".join(k.__name__ for k in kinds)
            raise BadInput(f"{self._key(self.where, key)}: expected {names}, got {quoted(value)}")
        return value

    def name(self, key: str) -> str:
        value = self.get(key, str)
        if not NAME_RE.fullmatch(value):
            raise BadInput(f"{self._key(self.where, key)}: {quoted(value)} is not a valid name "
                           "(letters, digits, '.', '_', '-'; at most 63)")
        return value

    def number(self, key: str, default: float, low: float, high: float) -> float:
        value = self.get(key, (int, float), default)
        if not low <= value <= high:
            raise BadInput(f"{self._key(self.where, key)}: {value} is out of range {low:g}..{high:g}")
        return float(value)
