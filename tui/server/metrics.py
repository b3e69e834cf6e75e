"""/metrics in the Prometheus text format: the fleet, the jobs, the policy, the feed."""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from tui.server.service import Service


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class _Out:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def metric(self, name: str, kind: str, help_text: str,
               samples: list[tuple[dict[str, str], float]]) -> None:
        self.lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
        for labels, value in samples:
            text = ",".join(f'{k}="{_label(v)}"' for k, v in labels.items())
            self.lines.append(f"{name}{{{text}}} {value:g}" if text else f"{name} {value:g}")


def render(service: Service) -> str:
    """Every figure, read now (one query each; 16,000 bays cost a few milliseconds)."""
    store, stats = service.store, service.stats
    out = _Out()
    health = store.health_counts()
    out.metric("bayops_servers", "gauge", "servers by health",
               [({"health": h}, health.get(h, 0)) for h in ("ok", "warning", "critical", "unknown")])
    counts = store.counts()
    out.metric("bayops_spares_ready", "gauge", "spares a failover could use now, per group",
               [({"group": g}, c["spares_ready"]) for g, c in sorted(counts.items())])
    out.metric("bayops_spares", "gauge", "spares per group",
               [({"group": g}, c["spares"]) for g, c in sorted(counts.items())])
    jobs = store.job_counts()
    states: dict[str, int] = {}
    for (_, state), n in jobs.items():
        states[state] = states.get(state, 0) + n
    out.metric("bayops_jobs", "gauge", "jobs in the store by state",
               [({"state": s}, states.get(s, 0)) for s in ("running", "done", "failed")])
    out.metric("bayops_failovers_total", "counter", "failover jobs by outcome",
               [({"state": s}, jobs.get(("failover", s), 0)) for s in ("done", "failed")])
    out.metric("bayops_autofailover_decisions_total", "counter",
               "what the auto-failover policy did since the service started",
               [({"decision": d}, stats.decisions.get(d, 0))
                for d in ("alert", "failover", "failover-failed")])
    rev = store.revision()
    out.metric("bayops_feed_revision", "gauge", "the store's newest change revision", [({}, rev)])
    out.metric("bayops_feed_lag_revisions", "gauge",
               "revisions written but not yet sent to feed clients", [({}, max(0, rev - stats.feed_rev))])
    out.metric("bayops_feed_clients", "gauge", "clients following the change feed",
               [({}, service.feed_clients())])
    # 1 on the service that holds the lease (or the only one), 0 on a standby: a pair should
    # sum to 1 (docs/postgresql.md: an alert rule for "no leader")
    out.metric("bayops_leader", "gauge", "this service leads: polls, runs jobs, takes changes",
               [({}, 1 if service.leading.is_set() else 0)])
    out.lines += ["# HELP bayops_hardware_poll_seconds time spent polling the hardware "
                  "(BMC reads and pushed events)", "# TYPE bayops_hardware_poll_seconds summary",
                  f"bayops_hardware_poll_seconds_sum {stats.poll_seconds:g}",
                  f"bayops_hardware_poll_seconds_count {stats.polls}"]
    calls = {op: tuple(v) for op, v in list(stats.driver_calls.items())}
    out.lines += ["# HELP bayops_bmc_request_seconds hardware (BMC) calls of the driver, by "
                  "operation (a read covers the bays asked at once)",
                  "# TYPE bayops_bmc_request_seconds summary"]
    for op, (count, seconds) in sorted(calls.items()):
        out.lines += [f'bayops_bmc_request_seconds_sum{{op="{op}"}} {seconds:g}',
                      f'bayops_bmc_request_seconds_count{{op="{op}"}} {count:g}']
    out.metric("bayops_hardware_poll_failures_total", "counter", "polls that failed",
               [({}, stats.poll_failures)])
    out.metric("bayops_refusals_total", "counter", "refused requests (each one audited)",
               [({}, stats.refused)])
    out.metric("bayops_auth_failures_total", "counter", "requests with no valid identity",
               [({}, stats.auth_failures)])
    out.metric("bayops_requests_total", "counter", "HTTP requests answered", [({}, stats.requests)])
    return "\n".join(out.lines) + "\n"


def handler(key: web.AppKey[Any]) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def metrics(request: web.Request) -> web.Response:
        service = request.app[key]
        text = await asyncio.get_running_loop().run_in_executor(service.pool, render, service)
        return web.Response(text=text, content_type="text/plain", charset="utf-8",
                            headers={"X-Prometheus-Format": "0.0.4"})
    return metrics
