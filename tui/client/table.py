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
import json
import operator
import types
import typing
from collections.abc import Iterable, Iterator
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
    return _records(cls, columns, value["rows"], where)


def decode_table_text(hint: Any, text: str, where: str) -> list[Any]:
    """The records of a table answer's JSON text (``{"result": table}``, as the server
    writes it), decoded a row at a time: the 64,000 rows of a fleet are never all decoded
    beside their records (the served dashboard's peak). Any other answer (an older
    server's list) is decoded whole."""
    cls = flat_record(hint)
    if cls is None or not text.startswith(_HEAD):
        return decode_table(hint, _result(text, where), where)
    columns = _columns(cls)
    decoder = json.JSONDecoder()
    try:
        names, at = decoder.raw_decode(text, len(_HEAD))
    except ValueError:
        names, at = None, 0
    if names != [name for name, _ in columns] or not text.startswith(_ROWS, at):
        raise BadInput(f"{where}: expected a table of {cls.__name__} columns", code="bad-request")
    return _records(cls, columns, _rows(decoder, text, at + len(_ROWS), where), where)


_HEAD = '{"result":{"columns":'
_ROWS = ',"rows":['
SHARED_MAX = 4096  # distinct strings past which a column is names (ids, serials), not shared


def _result(text: str, where: str) -> Any:
    try:
        answer = json.loads(text)
    except ValueError:
        raise BadInput(f"{where}: the answer is not JSON", code="bad-request") from None
    return answer.get("result") if isinstance(answer, dict) else None


def _rows(decoder: json.JSONDecoder, text: str, at: int, where: str) -> Iterator[Any]:
    """Each row of the rows array starting at ``at``, decoded when asked for."""
    try:
        while not text.startswith("]", at):
            row, at = decoder.raw_decode(text, at)
            yield row
            at += text.startswith(",", at)
    except ValueError:
        raise BadInput(f"{where}: a row of the table is not JSON", code="bad-request") from None
    if text[at:] != "]}}":
        raise BadInput(f"{where}: the table does not end where it should", code="bad-request")


def _records(cls: type, columns: tuple[tuple[str, frozenset[type]], ...], rows: Iterable[Any],
             where: str) -> list[Any]:
    """``cls(*row)`` of each row, checked value by value against its column. The strings
    a column repeats (a bay's enclosure, domain, group, model, power, health) become one
    object each, as the store's own reads make them: ~28 MB of a 64,000-bay view."""
    kinds = [k for _, k in columns]
    shared: dict[int, dict[str, str]] = {
        i: {} for i, k in enumerate(kinds) if str in k}  # column -> its strings so far
    out = []
    for row in rows:
        if type(row) is not list or len(row) != len(columns):
            raise BadInput(f"{where}: expected rows of {len(columns)} values", code="bad-request")
        if not all(map(frozenset.__contains__, kinds, map(type, row))):
            name, wrong = next((n, type(v)) for (n, k), v in zip(columns, row, strict=True)
                               if type(v) not in k)
            raise BadInput(f"{where}.{name}: got {wrong.__name__}", code="bad-request")
        for i, strings in list(shared.items()):
            value = row[i]
            if type(value) is str:
                row[i] = strings.setdefault(value, value)
                if len(strings) > SHARED_MAX:
                    del shared[i]
        out.append(cls(*row))
    return out
