"""The Core's API (``tui.model.api``) as methods of a client: each query, plan, run, action
and store read a function of the Core's name and signature that asks the service
(``RemoteCore.call``) and rebuilds the typed result (``tui.model.wire``). ``install``
makes them once, when tui.client.remote is imported.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.client.table import PARAM as TABLE
from tui.client.table import decode_table_text, flat_record
from tui.model.api import Api, Change, Signature
from tui.model.errors import Refused
from tui.model.plan import Plan
from tui.model.wire import decode, encode

MADE = "__bayops_made__"  # marks a method install made (one written by hand is kept)

if TYPE_CHECKING:
    from tui.client.protocol import ClientStore
    from tui.client.remote import RemoteCore

    _DeclaredStore = ClientStore  # the reads install makes: see tests/test_client_protocol.py
else:
    _DeclaredStore = object


class RemoteStore(_DeclaredStore):
    """The store reads the FleetView makes, answered by the service (``install``)."""

    def __init__(self, core: RemoteCore, path: Path) -> None:
        self._core = core
        self.path = path  # where this client keeps its own files (the dashboard's UI state)
        self.warnings: list[str] = []


def bind(sig: Signature, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    names = sig.names()
    if len(args) > len(names):
        raise TypeError(f"{name}() takes {len(names)} arguments")
    bound = dict(zip(names, args, strict=False))
    for key, value in kwargs.items():
        if key not in names or key in bound:
            raise TypeError(f"{name}() got an unexpected argument {key!r}")
        bound[key] = value
    return {k: encode(v) for k, v in bound.items()}


def _method(name: str, shaped_like: Callable[..., Any], call: Callable[..., Any]) -> Callable[..., Any]:
    """``call`` as the method ``name``, with the signature of the Core's (for inspect, which
    follows ``__wrapped__``: read when asked, not for ~100 methods at every client start)."""
    call.__name__ = call.__qualname__ = name
    call.__doc__ = shaped_like.__doc__
    call.__wrapped__ = shaped_like  # type: ignore[attr-defined]
    setattr(call, MADE, True)
    return call


# Each method reads its typed signature (tui.model.api.signature, cached) at its first call:
# a client start that makes one call pays for one signature, not for every operation's.
Sig = Callable[[], Signature]


def _query(route: str, name: str, sig: Sig) -> Callable[..., Any]:
    def query(self: RemoteCore, *args: Any, **kwargs: Any) -> Any:
        body = bind(sig(), name, args, kwargs)
        params = {k: json.dumps(v) for k, v in body.items() if v is not None}
        return decode(sig().returns, self.call("GET", f"query/{route}", params=params), name)
    return query


def _plan(change: Change, sig: Sig) -> Callable[..., Plan]:
    def plan(self: RemoteCore, *args: Any, **kwargs: Any) -> Plan:
        body = bind(sig(), change.plan, args, kwargs)
        return decode(Plan, self.call("POST", f"plan/{change.route}", body), change.plan)
    return plan


def _runner(change: Change, sig: Sig) -> Callable[..., Any]:
    def run(self: RemoteCore, *args: Any, **kwargs: Any) -> Any:
        return self._run(change, sig(), args, kwargs)
    return run


def _action(name: str, sig: Sig) -> Callable[..., Any]:
    def act(self: RemoteCore, *args: Any, **kwargs: Any) -> Any:
        if self.read_only:
            raise Refused("read-only mode: nothing can be changed", code="read-only")
        body = bind(sig(), name, args, kwargs)
        return decode(sig().returns, self.call("POST", f"action/{name}", body), name)
    return act


def _read(name: str, sig: Sig) -> Callable[..., Any]:
    def read(self: RemoteStore, *args: Any, **kwargs: Any) -> Any:
        signature = sig()
        body = bind(signature, name, args, kwargs)
        if flat_record(signature.returns) is None:
            return decode(signature.returns, self._core.call("POST", f"read/{name}", body), name)
        # a list of flat records (the fleet's bays): asked for as one table
        answer = self._core.call_text("POST", f"read/{name}", body, params={TABLE: "1"})
        return decode_table_text(signature.returns, answer, name)
    return read


def install(cls: type, api: Api) -> type[RemoteStore]:
    """Give ``cls`` a method per operation of ``api`` (a member written by hand in
    RemoteCore stays: ``role``, ``may`` answer from what connect read); the store class
    with a method per read."""
    core = api.core
    made: dict[str, Callable[..., Any]] = {}
    for route, name in api.queries.items():
        made[name] = _query(route, name, partial(api.core_signature, name))
    for change in api.changes:
        made[change.plan] = _plan(change, partial(api.core_signature, change.plan))
        made[change.name] = _runner(change, partial(api.core_signature, change.name))
    for name in api.actions:
        made[name] = _action(name, partial(api.core_signature, name))
    for name, call in made.items():
        member = getattr(cls, name, None)
        # absent, or made here before (a hand-written one, as role and may, stays: the
        # dashboard asks them for every group at each repaint, and they answer locally)
        if member is None or getattr(member, MADE, False):
            setattr(cls, name, _method(name, getattr(core, name), call))
    return type(f"{cls.__name__}Store", (RemoteStore,), {
        name: _method(name, getattr(api.reads_from, name), _read(name, partial(api.read_signature, name)))
        for name in api.reads})
