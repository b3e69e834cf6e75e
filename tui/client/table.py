"""A list of flat records (a dataclass whose every field is a str, int, float, bool or None:
a ``Bay``) on the wire as one table, ``{"columns": [...], "rows": [[...], ...]}``.

The dashboard's first read is every bay of the fleet: as objects, 16,000 bays repeat 22
field names each (6 MB of JSON); as a table they are 2.7 MB, and the client rebuilds them
by position after one type check per column instead of decoding each field by its
annotation. A client asks for this form with ``?table=1`` on a ``/v1/read/...`` route; a
server that does not know it answers the objects, which the client still reads.
"""
from __future__ import annotations

import dataclasses
import operator
import types
import typing
from collections.abc import Iterable
from functools import cache
from typing import Any

from tui.model.errors import BadInput
from tui.model.wire import _hints, decode

PARAM = "table"  # ?table=1
_PLAIN = (str, int, float, bool, type(None))


@cache
def flat_record(hint: Any) -> type | None:
    """The dataclass ``D`` when ``hint`` is ``list[D]`` and every field of ``D`` is plain."""
    if typing.get_origin(hint) is not list:
        return None
    (cls,) = typing.get_args(hint) or (None,)
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        return None
    columns = _columns(cls)
    return cls if len(columns) > 1 and all(kinds for _, kinds in columns) else None


@cache
def _columns(cls: type) -> tuple[tuple[str, frozenset[type]], ...]:
    """(name, the JSON value types it may hold; empty: not plain) of each init field, in
    the order ``cls(*row)`` takes them."""
    hints = _hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        hint = hints[f.name]
        options = typing.get_args(hint) if typing.get_origin(hint) in (
            typing.Union, types.UnionType) else (hint,)
        kinds = frozenset(options) | ({int} if float in options else set())  # 1 for 1.0 (other encoders)
        out.append((f.name, kinds if all(o in _PLAIN for o in options) else frozenset()))
    return tuple(out)


def encode_table(cls: type, items: Iterable[Any]) -> dict[str, Any]:
    names = [name for name, _ in _columns(cls)]
    row = operator.attrgetter(*names)  # a tuple per record: a JSON array
    return {"columns": names, "rows": [row(item) for item in items]}


def decode_table(hint: Any, value: Any, where: str) -> list[Any]:
    """The records of a table answer (or of the plain list an older server sends)."""
    cls = flat_record(hint)
    if cls is None or isinstance(value, list):
        return typing.cast(list[Any], decode(hint, value, where))
    columns = _columns(cls)
    if not isinstance(value, dict) or value.get("columns") != [name for name, _ in columns] \
            or not isinstance(value.get("rows"), list):
        raise BadInput(f"{where}: expected a table of {cls.__name__} columns", code="bad-request")
    rows = value["rows"]
    if not all(type(row) is list and len(row) == len(columns) for row in rows):
        raise BadInput(f"{where}: expected rows of {len(columns)} values", code="bad-request")
    for (name, kinds), column in zip(columns, zip(*rows, strict=True), strict=False):
        wrong = set(map(type, column)) - kinds
        if wrong:
            raise BadInput(f"{where}.{name}: got {', '.join(sorted(t.__name__ for t in wrong))}",
                           code="bad-request")
    return [cls(*row) for row in rows]
