"""The one checker for config.toml's tables: the core's, the service's and the drivers'.

A table is declared as its keys, each with a type, a default (or none: required) and a
range; ``Table.read`` checks a TOML table against it and returns every key's value.
An unknown key, a missing one, a wrong type or a value out of range is a ``BadConfig``
naming the key, one line; whoever knows which file the table came from adds it
(``BadConfig.in_file``). Rules a declaration cannot say (a name, a URL, a choice) stay
with the table's reader, which raises ``BadConfig`` for its key as well.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tui.model.errors import BadConfig

REQUIRED: Any = object()  # a Key's default when the table must have the key

# How a message names each kind: "must be an integer, got str".
_NOUNS = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
          list: "a list", dict: "a table"}


@dataclass(frozen=True)
class Key:
    kind: type  # str, int, float (an int is one too), bool, list or dict
    default: Any = REQUIRED
    low: float | None = None  # the range of an int or float (both or neither), ends included
    high: float | None = None
    what: str = ""  # what the value is, said when it is missing or of the wrong type

    def check(self, where: str, name: str, value: Any) -> Any:
        """``value`` as this key's kind, or BadConfig naming the key ``name`` of the table
        at ``where`` (the name is made only for a mistake: a 64,000-bay config checks
        10,000 keys)."""
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not self._fits(value):
            # a number of the wrong kind shows itself (1.5 for an integer), else its type
            got = repr(value) if number and self.kind in (int, float) else type(value).__name__
            raise BadConfig(_at(where, name), f"must be {self.what or _NOUNS[self.kind]}, got {got}")
        if number and self.low is not None and self.high is not None \
                and not self.low <= value <= self.high:
            raise BadConfig(_at(where, name),
                            f"must be between {self.low:g} and {self.high:g}, got {value!r}")
        return float(value) if self.kind is float else value

    def _fits(self, value: Any) -> bool:
        if isinstance(value, bool):  # TOML's true is no number
            return self.kind is bool
        if self.kind is float:
            return isinstance(value, int | float)
        return isinstance(value, self.kind)


@dataclass(frozen=True)
class Table:
    keys: Mapping[str, Key]

    def read(self, table: Any, where: str) -> dict[str, Any]:
        """Every declared key's value (its default when absent) of ``table``, the TOML
        table at ``where`` (e.g. "redfish", "groups.web"; "" for the file's top level)."""
        if not isinstance(table, dict):
            raise BadConfig(where or "top level", "must be a table")
        if not table.keys() <= self.keys.keys():
            unknown = sorted(set(table) - set(self.keys))
            raise BadConfig(_at(where, unknown[0]),
                            f"unknown key (known: {', '.join(sorted(self.keys))})")
        values = {}
        for name, key in self.keys.items():
            if name in table:
                values[name] = key.check(where, name, table[name])
            elif key.default is REQUIRED:
                raise BadConfig(_at(where, name),
                                "is required" + (f": {key.what}" if key.what else ""))
            else:
                values[name] = key.default
        return values


def _at(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key
