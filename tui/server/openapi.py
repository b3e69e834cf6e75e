"""docs/openapi.json, made from the routes and the Core's signatures (never by hand).

``python -m tui.server.openapi --write`` rewrites it after a change to the Core's
operations (tui.model.api); tests/test_serve_api.py fails when the document and the app disagree.
"""
from __future__ import annotations

import dataclasses
import json
import sys
import types
import typing
from pathlib import Path
from typing import Any

from tui.client.table import PARAM as TABLE
from tui.client.table import flat_record
from tui.core.api import served
from tui.model.api import EMPTY, Api, Signature
from tui.model.entities import Job
from tui.model.params import JobParams
from tui.model.wire import _hints
from tui.server.app import API, routes

DOC = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
ERROR = {"$ref": "#/components/schemas/Error"}
SCALARS = {str: "string", int: "integer", float: "number", bool: "boolean", Path: "string"}

_STATIC: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/healthz"): {"summary": "the service answers (no identity needed)",
                          "responses": {"200": {"description": "ok, the store's revision"}}},
    ("GET", "/metrics"): {"summary": "Prometheus text format: servers by health, spares ready per "
                          "group, jobs by state, failovers, auto-failover decisions, feed lag, "
                          "BMC call latency, hardware poll time",
                          "responses": {"200": {"description": "text/plain; version=0.0.4"}}},
    ("GET", f"{API}/info"): {"summary": "who the server says you are, its driver, your roles",
                             "responses": {"200": {"description": "operator, via, driver, roles"}}},
    ("GET", f"{API}/feed"): {
        "summary": "the change feed as server-sent events: `change` {rev, since, changes: "
                   "{kind: [keys] or null}} and `resync` {rev} (reload: too slow or too far "
                   "behind); resumable with ?since=REV or Last-Event-ID",
        "parameters": [{"name": "since", "in": "query", "schema": {"type": "integer"}}],
        "responses": {"200": {"description": "text/event-stream"}}},
    ("POST", f"{API}/alerts"): {
        "summary": "Alertmanager webhook: alerts with a `bay` label become hardware events for "
                   "the auto-failover policy (callers in [serve] webhook_users only)",
        "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
        "responses": {"200": {"description": "{result: {accepted, ignored}}"}}},
}


class _Schemas:
    def __init__(self) -> None:
        self.components: dict[str, Any] = {"Error": {
            "type": "object", "description": "BayopsError.to_dict(): 400 bad input, 401 no "
            "identity, 403 refused, 409 plan-changed, 422 failed, 429 rate-limited",
            "properties": {"error": {"type": "string"}, "message": {"type": "string"},
                           "exit": {"type": "integer"}, "code": {"type": "string"},
                           "hint": {"type": ["string", "null"]}}}}

    def of(self, hint: Any) -> dict[str, Any]:
        origin, args = typing.get_origin(hint), typing.get_args(hint)
        if hint is Any or hint is object:
            return {}
        if origin in (typing.Union, types.UnionType):
            return {"anyOf": [self.of(a) if a is not type(None) else {"type": "null"} for a in args]}
        if origin in (list, tuple, set, frozenset):
            if origin is tuple and args and args[-1] is not Ellipsis:
                return {"type": "array", "prefixItems": [self.of(a) for a in args]}
            return {"type": "array", "items": self.of(args[0]) if args else {}}
        if origin is dict:
            return {"type": "object", "additionalProperties": self.of(args[1]) if args else {}}
        if isinstance(hint, type) and issubclass(hint, JobParams):
            return {"type": "object", "description": "job params: `kind` and its fields"}
        if isinstance(hint, type) and dataclasses.is_dataclass(hint):
            name = hint.__name__
            if name not in self.components:
                self.components[name] = {}  # a placeholder first: types may refer to themselves
                hints = _hints(hint)
                properties = {f.name: self.of(hints[f.name]) for f in dataclasses.fields(hint)}
                if hint is Job:  # its params text sent as their object (tui/model/wire.py)
                    del properties["params_json"]
                    properties["params"] = self.of(JobParams)
                self.components[name] = {"type": "object", "properties": properties}
            return {"$ref": f"#/components/schemas/{name}"}
        return {"type": SCALARS.get(hint, "string")}

    def body(self, sig: Signature) -> dict[str, Any]:
        required = [n for n, _, d in sig.params if d is EMPTY]
        schema: dict[str, Any] = {"type": "object", "additionalProperties": False,
                                  "properties": {n: self.of(h) for n, h, _ in sig.params}}
        if required:
            schema["required"] = required
        return {"required": True, "content": {"application/json": {"schema": schema}}}

    def result(self, sig: Signature) -> dict[str, Any]:
        return {"200": {"description": "the result", "content": {"application/json": {"schema": {
            "type": "object", "properties": {"result": self.of(sig.returns)}}}}},
            "default": {"description": "an error", "content": {"application/json": {"schema": ERROR}}}}


def _operation(method: str, path: str, s: _Schemas, api: Api) -> dict[str, Any]:
    if (method, path) in _STATIC:
        return _STATIC[(method, path)]
    family, name = path.removeprefix(API + "/").split("/", 1)
    if family == "query":
        attr = api.queries[name]
        sig = api.core_signature(attr)
        return {"summary": f"Core.{attr}: changes nothing", "parameters": [
            {"name": n, "in": "query", "required": d is EMPTY,
             "description": "a JSON value, or a plain string", "schema": s.of(h)}
            for n, h, d in sig.params], "responses": s.result(sig)}
    change = api.change(name)
    if family in ("plan", "run") and change is not None:
        attr = change.plan if family == "plan" else change.name
        what = ("the dry run: the Plan to confirm" if family == "plan" else
                "carry out the confirmed plan (`expect`); refused with plan-changed (409) if "
                "the live state plans otherwise; null expect: whatever plans now")
        sig = api.core_signature(attr)
        return {"summary": f"Core.{attr}: {what}", "requestBody": s.body(sig),
                "responses": s.result(sig)}
    owner = "Store" if family == "read" else "Core"
    sig = api.read_signature(name) if family == "read" else api.core_signature(name)
    out: dict[str, Any] = {"summary": f"{owner}.{name}", "requestBody": s.body(sig),
                           "responses": s.result(sig)}
    if family == "read" and flat_record(sig.returns) is not None:
        out["parameters"] = [{"name": TABLE, "in": "query", "required": False, "schema": {"enum": ["1"]},
                              "description": 'the result as {"columns": [field, ...], "rows": '
                              "[[value, ...], ...]}, one row per record in the columns' order"}]
    return out


def document(api: Api | None = None) -> dict[str, Any]:
    api = api or served()
    s = _Schemas()
    paths: dict[str, Any] = {}
    for method, path, _ in routes(api):
        paths.setdefault(path, {})[method.lower()] = _operation(method, path, s, api)
    return {"openapi": "3.1.0",
            "info": {"title": "bayops serve", "version": "1",
                     "description": "The site's bayops service. On the Unix socket the caller is "
                     "the peer's OS user (SO_PEERCRED); over TLS a bearer token made with "
                     "`bayops token create`. Roles come from the server's config only."},
            "paths": paths, "components": {"schemas": s.components,
                                           "securitySchemes": {"bearer": {"type": "http",
                                                                          "scheme": "bearer"}}}}


def text() -> str:
    return json.dumps(document(), indent=1, sort_keys=True) + "\n"


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        DOC.write_text(text(), encoding="utf-8")
    else:
        sys.stdout.write(text())
