"""The model's values as JSON and back, typed by annotations: what the service sends.

``encode`` turns dataclasses, tuples, sets and job params into plain JSON values;
``decode(hint, value)`` rebuilds the annotated type (a dataclass, ``list[Bay]``,
``tuple[DomainConfig, DomainConfig]``, ``X | None``, a ``JobParams`` by its kind). The
service and its clients use the same annotations (the Core's signatures), so a value
crosses the wire without a codec per type.
"""
from __future__ import annotations

import dataclasses
import json
import sys
import types
import typing
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from tui.model.api import _Names
from tui.model.entities import Job
from tui.model.errors import BadInput

_SCALARS = (str, int, float, bool)


def encode(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    params = _params()
    if params is not None and isinstance(value, params.JobParams):
        return {"kind": value.kind, **value.to_json()}
    if isinstance(value, Job):
        return _job(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        # every field (none of ours is init=False); scalars as they are
        items = vars(value).items() if hasattr(value, "__dict__") else \
            ((k, getattr(value, k)) for k in _slots(type(value)))
        return {k: v if v is None or type(v) in _SCALARS else encode(v) for k, v in items}
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(encode(v) for v in value)
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


def _job(job: Job) -> dict[str, Any]:
    """A job with its params as the object the API shows (``kind`` and its fields), sent
    from their text: neither end decodes them (``Job.params``, on first use)."""
    out = {f.name: encode(getattr(job, f.name)) for f in dataclasses.fields(job)}
    out["params"] = {"kind": job.kind, **json.loads(out.pop("params_json"))}
    return out


@cache
def _slots(cls: type) -> tuple[str, ...]:
    """A slotted dataclass's fields (Bay: no __dict__ for vars)."""
    return tuple(f.name for f in dataclasses.fields(cls))


@cache
def _hints(cls: type) -> dict[str, Any]:
    module = sys.modules[cls.__module__]
    return typing.get_type_hints(cls, vars(module), _Names(module))


def _params() -> Any:
    """``tui.model.params`` once anything has imported it. A JobParams value, or a hint
    naming the class (``_hints`` imports it through the annotating module), exists only
    then: a client decodes the fleet without making the params' ~30 dataclasses."""
    return sys.modules.get("tui.model.params")


@cache
def _fields(cls: type) -> tuple[tuple[str, Any, tuple[type, ...]], ...]:
    """(name, type, the plain types a JSON value may have as it is) of each init field."""
    hints = _hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        if f.init:
            hint = hints[f.name]
            options = typing.get_args(hint) if typing.get_origin(hint) in (
                typing.Union, types.UnionType) else (hint,)
            plain = tuple(o for o in options if o in (str, int, bool) or o is type(None))
            out.append((f.name, hint, plain if len(plain) == len(options) else ()))
    return tuple(out)


def decode(hint: Any, value: Any, where: str = "value") -> Any:
    """``value`` (JSON) as the type ``hint`` names; BadInput naming ``where`` if it is not."""
    origin = typing.get_origin(hint)
    if hint is Any or hint is object:
        return value
    if origin in (typing.Union, types.UnionType):
        return _union(typing.get_args(hint), value, where)
    if value is None:
        raise BadInput(f"{where}: a value is needed", code="bad-request")
    if origin in (list, tuple, set, frozenset):
        return _collection(origin, typing.get_args(hint), value, where)
    if origin is dict:
        args = typing.get_args(hint)
        items = _expect(dict, value, where, "an object")
        if args and _plain_items(args[1], items.values()):
            return dict(items)  # keys are a JSON object's: strings already
        return {str(k): decode(args[1] if args else Any, v, where) for k, v in items.items()}
    params = _params()
    if params is not None and isinstance(hint, type) and issubclass(hint, params.JobParams):
        data = dict(_expect(dict, value, where, "job params"))
        return params.decode_params(str(data.pop("kind", "")), data)
    if hint is Job:
        data = dict(_expect(dict, value, where, "a job"))
        sent = dict(_expect(dict, data.pop("params", None), f"{where}.params", "job params"))
        sent.pop("kind", None)
        return _dataclass(Job, {**data, "params_json": json.dumps(sent)}, where)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _dataclass(hint, _expect(dict, value, where, "an object"), where)
    return _scalar(hint, value, where)


def _expect(kind: type, value: Any, where: str, expected: str) -> Any:
    if not isinstance(value, kind):
        raise BadInput(f"{where}: expected {expected}", code="bad-request")
    return value


def _union(args: tuple[Any, ...], value: Any, where: str) -> Any:
    """The first option ``value`` decodes as (None for an optional's null)."""
    if value is None and type(None) in args:
        return None
    options = [a for a in args if a is not type(None)]
    for option in options[:-1]:
        try:
            return decode(option, value, where)
        except BadInput:
            continue
    return decode(options[-1], value, where)


def _plain_items(hint: Any, values: Iterable[Any]) -> bool:
    """Each of ``values`` is a ``hint`` as it is (a string, or an int a database column
    holds): a domain's networks and fabrics, 1,000 domains at 64,000 bays, need no
    decode call per item."""
    if hint is str:
        return all(type(v) is str for v in values)
    return hint is int and all(type(v) is int and -2**63 <= v < 2**63 for v in values)


def _collection(origin: type, args: tuple[Any, ...], value: Any, where: str) -> Any:
    """A list, set or tuple (of fixed length, or ``tuple[X, ...]``) from a JSON list."""
    _expect(list, value, where, "a list")
    each = args[0] if (origin is not tuple and len(args) == 1) or (
        origin is tuple and len(args) == 2 and args[1] is Ellipsis) else None
    if each is not None and _plain_items(each, value):
        return origin(value)
    if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
        if len(args) != len(value):
            raise BadInput(f"{where}: expected {len(args)} items", code="bad-request")
        return tuple(decode(a, v, where) for a, v in zip(args, value, strict=True))
    return origin(decode(args[0] if args else Any, v, where) for v in value)


def _dataclass(cls: type, value: dict[str, Any], where: str) -> Any:
    fields = {}
    for name, field_hint, plain in _fields(cls):
        if name in value:
            item = value[name]
            # str | None and the like: the value is its own type (a Bay's 17 fields)
            fields[name] = item if (item is None and plain) or type(item) in plain else decode(
                field_hint, item, f"{where}.{name}")
    try:
        return cls(**fields)
    except TypeError as exc:
        raise BadInput(f"{where}: {exc}", code="bad-request") from None


def _scalar(hint: Any, value: Any, where: str) -> Any:
    if hint is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if hint is Path and isinstance(value, str):
        return Path(value)
    if hint is int and isinstance(value, int) and not isinstance(value, bool) \
            and not -2**63 <= value < 2**63:  # what a database column holds
        raise BadInput(f"{where}: {value:.3g} is out of range", code="bad-request")
    if isinstance(hint, type) and isinstance(value, hint) and not (
            hint is int and isinstance(value, bool)):
        return value
    name = getattr(hint, "__name__", str(hint))
    raise BadInput(f"{where}: expected {name}, got {type(value).__name__}", code="bad-request")
