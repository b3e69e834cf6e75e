"""The HTTP face of the service (aiohttp): /v1 routes derived from the Core (tui.model.api).

Every route under /v1 runs as the caller the transport proved (``auth.Gate``); errors
are the core's ``BayopsError.to_dict()`` with an HTTP status by exit code, and every
refusal is audited. docs/openapi.json describes exactly these routes
(``tui.server.openapi``; a test checks both ways).
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from aiohttp import web

from tui.client.table import PARAM as TABLE
from tui.client.table import encode_table, flat_record
from tui.core.api import Core, served
from tui.core.store import Store
from tui.model.api import EMPTY, SERVER_ONLY_ARGS, Api, Signature
from tui.model.errors import BadInput, BayopsError, Refused
from tui.model.wire import decode, encode
from tui.server import alerts, metrics
from tui.server.auth import Caller, Gate, RateLimited, Unauthenticated
from tui.server.feed import CLOSE, Feed
from tui.server.service import Service

API = "/v1"
SERVICE = web.AppKey("service", Service)
GATE = web.AppKey("gate", Gate)
CALLER = web.RequestKey("caller", Caller)
FEED = web.AppKey("feed", Feed)
KEEPALIVE = 15.0
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
OPEN_ROUTES = ("/healthz",)  # answered without knowing who asks
# What only the leader of active/standby services answers: changes, and alerts (they may
# start a failover). Reads, plans and the feed come from either.
LEADER_ONLY = (f"{API}/run/", f"{API}/action/", f"{API}/alerts")


def status_of(exc: BayopsError) -> int:
    if isinstance(exc, Unauthenticated):
        return 401
    if isinstance(exc, RateLimited):
        return 429
    if exc.code == "plan-changed":
        return 409
    if exc.code == "not-leader":  # a standby: the client moves to the leader
        return 503
    return {2: 400, 3: 403}.get(exc.exit_code, 422)


def error_response(exc: BayopsError) -> web.Response:
    body = {**exc.to_dict(), "message": exc.message}
    return web.json_response(body, status=status_of(exc))


def _is_unix(request: web.Request) -> bool:
    sock = request.transport.get_extra_info("socket") if request.transport else None
    return sock is not None and sock.family == socket.AF_UNIX


def caller_of(request: web.Request, gate: Gate) -> Caller:
    if _is_unix(request):
        assert request.transport is not None
        return gate.unix(request.transport.get_extra_info("socket"))
    peer = request.remote or "?"
    return gate.token(request.headers.get("Authorization"), peer)


@web.middleware
async def identify(request: web.Request, handler: Handler) -> web.StreamResponse:
    service = request.app[SERVICE]
    service.stats.requests += 1
    if request.path in OPEN_ROUTES:
        return await handler(request)
    loop = asyncio.get_running_loop()
    what = f"{request.method} {request.path[:200]}"  # the path is the caller's text: bounded
    try:
        if _is_unix(request):  # the kernel's answer: no need for a thread
            caller = caller_of(request, request.app[GATE])
        else:  # a token: a store read
            caller = await loop.run_in_executor(service.pool, caller_of, request, request.app[GATE])
    except BayopsError as exc:
        service.stats.auth_failures += 1
        if getattr(exc, "audited", True):
            await loop.run_in_executor(service.pool, partial(
                service.audit_refusal, request.remote or "unix peer", what, exc.message, exc.code))
        return error_response(exc)
    request[CALLER] = caller
    if request.method == "POST" and request.path.startswith(LEADER_ONLY) \
            and not service.leading.is_set():
        leader = await loop.run_in_executor(service.pool, service.leader_address)
        return error_response(Refused(
            "this service is the standby: changes go to the leader", code="not-leader",
            hint=f"the leader is at {leader}" if leader else "no leader yet; try again shortly"))
    try:
        return await handler(request)
    except BayopsError as exc:
        if isinstance(exc, Refused) and getattr(exc, "audited", False):
            service.stats.refused += 1  # the core wrote its event (Core's audited operations)
        elif isinstance(exc, Refused):  # the service's own (a server-only argument)
            await loop.run_in_executor(service.pool, partial(
                service.audit_refusal, caller.operator, what, exc.message, exc.code))
        return error_response(exc)


def _arguments(sig: Signature, name: str, given: dict[str, Any]) -> dict[str, Any]:
    """The JSON arguments as the method's typed parameters; unknown or missing: BadInput."""
    names = sig.names()
    unknown = sorted(set(given) - set(names))
    if unknown:
        raise BadInput(f"{name}: no argument {', '.join(unknown)} (takes {', '.join(names) or 'none'})",
                       code="bad-request")
    for denied in SERVER_ONLY_ARGS.get(name, ()):
        if given.get(denied) is not None:
            raise Refused(f"{name}: {denied} name files on the server's host; run it there",
                          code="server-only")
    out = {}
    for pname, hint, default in sig.params:
        if pname in given:
            out[pname] = decode(hint, given[pname], pname)
        elif default is EMPTY:
            raise BadInput(f"{name}: argument {pname} is needed", code="bad-request")
    return out



async def _body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        data = await request.json()
    except (ValueError, UnicodeDecodeError, RecursionError):  # nested past the parser's depth
        raise BadInput("the body is not JSON (or nested too deep)", code="bad-request") from None
    if not isinstance(data, dict):
        raise BadInput("the body must be a JSON object of arguments", code="bad-request")
    return data


def _query_args(request: web.Request) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, text in request.query.items():
        try:
            out[key] = json.loads(text)
        except (ValueError, RecursionError):
            out[key] = text  # a plain string: ?group=prod-web
    return out


async def _call(request: web.Request, target: Callable[[Any], Any], sig: Signature,
                name: str, given: dict[str, Any], table: type | None = None) -> web.Response:
    """Run ``target(core_or_store)(**args)`` in the pool as the caller; answer its result
    (a list of ``table`` records as one table: tui.client.table)."""
    service = request.app[SERVICE]
    args = _arguments(sig, name, given)
    core = service.core_for(request[CALLER].operator)

    def work() -> Any:
        result = target(core)(**args)
        return encode_table(table, result) if table is not None else encode(result)
    loop = asyncio.get_running_loop()
    if table is not None and not args:  # the whole fleet's rows: what every dashboard loads
        body = await loop.run_in_executor(service.pool, partial(_whole_table, service, name, work))
        return web.Response(body=body, content_type="application/json")
    result = await loop.run_in_executor(service.pool, work)
    return web.json_response({"result": result}, dumps=_dumps)


def _whole_table(service: Service, name: str, work: Callable[[], Any]) -> bytes:
    """The answer to a whole-fleet table read, kept until the store's revision moves (read
    first: a change during the read moves it again): a dashboard starting or reloading on
    a fleet that did not change since the last one gets it without a read or an encoding."""
    rev = service.store.revision()
    kept = service.tables.get(name)
    if kept is not None and kept[0] == rev:
        return kept[1]
    body = _dumps({"result": work()}).encode()
    service.tables[name] = (rev, body)
    return body


def _dumps(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"))


def _query(name: str, sig: Signature) -> Handler:
    async def handle(request: web.Request) -> web.Response:
        return await _call(request, lambda core: getattr(core, name), sig, name, _query_args(request))
    return handle


def _method(attr: str, sig: Signature, owner: str = "core") -> Handler:
    def target(core: Core) -> Any:
        return getattr(core if owner == "core" else core.store, attr)

    flat = flat_record(sig.returns)

    async def handle(request: web.Request) -> web.Response:
        table = flat if request.query.get(TABLE) == "1" else None
        return await _call(request, target, sig, attr, await _body(request), table)
    return handle


async def info(request: web.Request) -> web.Response:
    service, caller = request.app[SERVICE], request[CALLER]
    core = service.core_for(caller.operator)
    roles = await asyncio.get_running_loop().run_in_executor(
        service.pool, lambda: {g: core.role(g) for g in service.store.group_names()})
    return web.json_response({"result": {
        "operator": caller.operator, "via": caller.via, "driver": service.driver.name,
        "config": str(service.config.path), "state": service.store.where,
        "roles": roles, "pid": os.getpid(),
        "role": "leader" if service.leading.is_set() else "standby",
        "epoch": await asyncio.get_running_loop().run_in_executor(
            service.pool, service.lease_epoch) if service.settings.ha else None,
        "leader": await asyncio.get_running_loop().run_in_executor(
            service.pool, service.leader_address) if service.settings.ha else None}})


async def healthz(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    store: Store = service.store
    rev = await asyncio.get_running_loop().run_in_executor(service.pool, store.revision)
    return web.json_response({"ok": True, "revision": rev, "polls": service.stats.polls})


async def feed(request: web.Request) -> web.StreamResponse:
    """Server-sent events: ``change`` (rev, keys by kind) and ``resync`` (reload)."""
    hub = request.app[FEED]
    try:
        since = int(request.query.get("since") or request.headers.get("Last-Event-ID") or hub.rev)
    except ValueError:
        raise BadInput("since: expected a revision number", code="bad-request") from None
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream",
                                           "Cache-Control": "no-cache"})
    await response.prepare(request)
    sub = hub.subscribe()
    try:
        seen = since
        for event, data in await hub.catch_up(since):
            await _send(response, event, data)
            seen = data["rev"]
        while True:
            try:
                event, data = await asyncio.wait_for(sub.queue.get(), KEEPALIVE)
            except TimeoutError:
                await response.write(b": keepalive\n\n")
                continue
            if event == CLOSE[0]:
                break
            if event == "change" and data["rev"] <= seen:
                continue
            seen = data["rev"]
            await _send(response, event, data)
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        hub.unsubscribe(sub)
    return response


async def _send(response: web.StreamResponse, event: str, data: dict[str, Any]) -> None:
    await response.write(f"id: {data['rev']}\nevent: {event}\ndata: {_dumps(data)}\n\n".encode())


def routes(api: Api | None = None) -> list[tuple[str, str, Handler]]:
    """(method, path, handler): every route the service answers (``api``: the Core's)."""
    api = api or served()
    out: list[tuple[str, str, Handler]] = [
        ("GET", "/healthz", healthz),
        ("GET", "/metrics", metrics.handler(SERVICE)),
        ("GET", f"{API}/info", info),
        ("GET", f"{API}/feed", feed),
        ("POST", f"{API}/alerts", alerts.handler(SERVICE, CALLER)),
    ]
    out += [("GET", f"{API}/query/{route}", _query(name, api.core_signature(name)))
            for route, name in api.queries.items()]
    for change in api.changes:
        for family, attr in (("plan", change.plan), ("run", change.name)):
            out.append(("POST", f"{API}/{family}/{change.route}",
                        _method(attr, api.core_signature(attr))))
    out += [("POST", f"{API}/action/{name}", _method(name, api.core_signature(name)))
            for name in api.actions]
    out += [("POST", f"{API}/read/{name}", _method(name, api.read_signature(name), "store"))
            for name in api.reads]
    return out


def make_app(service: Service) -> web.Application:
    app = web.Application(middlewares=[identify], client_max_size=1024 * 1024)
    app[SERVICE] = service
    app[GATE] = Gate(service.store)
    for method, path, handler in routes():
        app.router.add_route(method, path, handler)

    async def start_feed(app: web.Application) -> Any:
        app[FEED] = service.feed
        task = asyncio.create_task(service.feed.run())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    app.cleanup_ctx.append(start_feed)

    async def end_feeds(app: web.Application) -> None:
        if FEED in app:
            app[FEED].close()
    app.on_shutdown.append(end_feeds)
    return app
