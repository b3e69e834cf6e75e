"""The service's API, derived from the Core class: every operation named once.

A change is a pair of Core methods ``plan_x`` (the dry run, returns a Plan) and ``x``
(carries out the confirmed plan: ``expect=``), served as /v1/plan/x and /v1/run/x (``_``
as ``-``); a query is a Core method marked ``@query`` (it changes nothing); an action a
method marked ``@action`` (it acts without a plan); a read one member of the protocol the
dashboard's FleetView reads the store through. The server builds its routes from
``derive``, the remote client its methods, docs/openapi.json its paths, all from the
Core's own signatures and annotations. Nothing here imports the Core: it is handed in.
"""
from __future__ import annotations

import inspect
import sys
import typing
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])
KIND = "__bayops_api__"  # the marker's attribute: "query" or "action"
ROUTE = "__bayops_route__"  # a query's route when it is not the method's name
# Arguments a remote caller may not give: they name files on the server's host.
SERVER_ONLY_ARGS = {"verify_archives": ("files",)}


def query(route: str | None = None) -> Callable[[F], F]:
    """Mark a Core method that changes nothing: GET /v1/query/<route or its name>."""
    def mark(function: F) -> F:
        setattr(function, KIND, "query")
        if route:
            setattr(function, ROUTE, route)
        return function
    return mark


def action(function: F) -> F:
    """Mark a Core method that acts without a plan: POST /v1/action/<name>."""
    setattr(function, KIND, "action")
    return function


@dataclass(frozen=True)
class Change:
    name: str  # the method that carries out the confirmed plan (takes expect=)

    @property
    def plan(self) -> str:  # the method that plans (a dry run)
        return f"plan_{self.name}"

    @property
    def route(self) -> str:  # /v1/plan/<route> and /v1/run/<route>
        return self.name.replace("_", "-")


@dataclass(frozen=True)
class Signature:
    params: tuple[tuple[str, Any, Any], ...]  # (name, type, default or inspect.Parameter.empty)
    returns: Any

    def names(self) -> tuple[str, ...]:
        return tuple(p[0] for p in self.params)


EMPTY = inspect.Parameter.empty


class _Names(dict[str, Any]):
    """A module's names for its annotations, asking the module for the ones it imports
    only when first used (its ``__getattr__``: types of lazily imported modules)."""

    def __init__(self, module: Any) -> None:
        super().__init__()
        self._module = module

    def __missing__(self, key: str) -> Any:
        try:
            return getattr(self._module, key)
        except AttributeError:
            raise KeyError(key) from None


@cache
def signature(owner: type, name: str) -> Signature:
    """The typed parameters (without self) and the return type of ``owner.name``."""
    function = getattr(owner, name)
    module = sys.modules[function.__module__]
    hints = typing.get_type_hints(function, vars(module), _Names(module))
    params = tuple((p.name, hints[p.name], p.default)
                   for p in inspect.signature(function).parameters.values() if p.name != "self")
    return Signature(params, hints.get("return", Any))


@dataclass(frozen=True)
class Api:
    """Every operation of ``core`` and every read of ``reads`` (a protocol of the store)."""

    core: type
    reads_from: type
    changes: tuple[Change, ...]
    queries: dict[str, str]  # route -> Core method
    actions: tuple[str, ...]
    reads: tuple[str, ...]

    def core_signature(self, name: str) -> Signature:
        return signature(self.core, name)

    def read_signature(self, name: str) -> Signature:
        return signature(self.reads_from, name)

    def change(self, route: str) -> Change | None:
        return next((c for c in self.changes if c.route == route), None)


def derive(core: type, reads: type) -> Api:
    """The API of a Core class: its ``plan_x``/``x`` pairs, its marked queries and actions,
    and the members of ``reads``. A ``plan_x`` without its ``x`` is a TypeError."""
    changes, queries, actions = [], {}, []
    for name in sorted(dir(core)):
        member = getattr(core, name)
        if name.startswith("plan_") and callable(member):
            run = name.removeprefix("plan_")
            if not callable(getattr(core, run, None)):
                raise TypeError(f"{core.__name__}.{name} has no {run}(..., expect=) to carry it out")
            changes.append(Change(run))
        kind = getattr(member, KIND, None)
        if kind == "query":
            queries[getattr(member, ROUTE, name)] = name
        elif kind == "action":
            actions.append(name)
    read_names = tuple(n for n in sorted(vars(reads)) if not n.startswith("_")
                       and callable(getattr(reads, n)))
    return Api(core, reads, tuple(changes), queries, tuple(actions), read_names)
