"""The alert webhook: Alertmanager's payload as hardware events for the policy.

What HP SIM events were to VCEM: an alert carrying a ``bay`` label becomes a
``hardware.alert`` event with a trigger (its ``trigger`` label when it names one, else
``critical`` for a critical alert); the auto-failover policy reads it from the event log
like any other. Only callers named in ``[serve] webhook_users`` may post.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tui.core.autofailover import TRIGGER_KINDS
from tui.model.errors import BadInput, Refused
from tui.model.text import quoted

if TYPE_CHECKING:
    from tui.server.service import Service

MAX_ALERTS = 1000


def trigger_of(alert: dict[str, Any]) -> str | None:
    labels = alert.get("labels") or {}
    if alert.get("status", "firing") != "firing":
        return None
    named = labels.get("trigger")
    if named in TRIGGER_KINDS:
        return str(named)
    return "critical" if labels.get("severity") == "critical" else None


def record(service: Service, who: str, payload: Any) -> dict[str, Any]:
    """Write one event per alert that names a known bay; returns what was taken."""
    if not isinstance(payload, dict) or not isinstance(payload.get("alerts"), list):
        raise BadInput("expected Alertmanager's webhook payload: an object with alerts",
                       code="bad-request")
    alerts = payload["alerts"][:MAX_ALERTS]
    taken, ignored = 0, []
    store = service.store
    for alert in alerts:
        labels = alert.get("labels") if isinstance(alert, dict) else None
        if not isinstance(labels, dict):
            labels = {}
        bay = labels.get("bay")
        if not isinstance(bay, str) or store.bay(bay) is None:
            ignored.append(quoted(bay if bay is not None else "(no bay label)"))
            continue
        trigger = trigger_of(alert)
        name = str(labels.get("alertname", "alert"))[:80]
        state = "firing" if alert.get("status", "firing") == "firing" else "resolved"
        store.add_event("critical" if trigger else "info", f"bay:{bay}", "hardware.alert",
                        f"{bay}: alert {quoted(name)} {state} (from {quoted(who)})", "monitor",
                        data={"bay": bay, "trigger": trigger, "alertname": name, "status": state,
                              "fingerprint": str(alert.get("fingerprint", ""))[:64], "via": who})
        taken += 1
    if taken:
        service.wake_monitor()  # the policy acts now, not at the next poll
    return {"accepted": taken, "ignored": ignored}


def handler(key: web.AppKey[Any], caller: web.RequestKey[Any]) -> Callable[
        [web.Request], Awaitable[web.Response]]:
    async def alerts(request: web.Request) -> web.Response:
        service: Service = request.app[key]
        who = request[caller].operator
        if who not in service.settings.webhook_users:
            raise Refused(f"{who} may not post alerts (serve.webhook_users: "
                          f"{', '.join(service.settings.webhook_users) or 'nobody'})",
                          code="not-a-webhook-user")
        try:
            payload = await request.json()
        except ValueError:
            raise BadInput("the body is not JSON", code="bad-request") from None
        result = await asyncio.get_running_loop().run_in_executor(
            service.pool, record, service, who, payload)
        return web.json_response({"result": result})
    return alerts
