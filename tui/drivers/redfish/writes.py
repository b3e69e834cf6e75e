"""Writes a BMC may make conditional or asynchronous: ETags, and 202 task monitors.

PATCH sends ``If-Match`` with the ETag of the resource's last GET when the BMC gave
one; a 412 (stale) or 428 (If-Match required) re-reads the resource and tries once
more. A weak tag refused again (Lenovo XCC hands out ``W/"…"`` but matches only the
strong form) is sent once in its strong form, then once without ``If-Match``, which a
BMC that requires it refuses with 428; each of those attempts is kept for the journal.
A 202 Accepted with a task monitor in ``Location`` is followed to its end, bounded by
a deadline, and the task's messages are kept for the journal; a Dell job (``JobState``,
``Message``) is read the same way.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx

from tui.drivers.redfish.bmc import Bmc
from tui.drivers.redfish.config import Credentials
from tui.drivers.redfish.errors import one_line, redfish_message
from tui.drivers.redfish.transport import retry_after

TASK_DONE = {"Completed"}
TASK_FAILED = {"Exception", "Killed", "Cancelled", "Interrupted", "Suspended", "Failed",
               "CompletedWithErrors"}
MAX_MESSAGES = 3


@dataclass(frozen=True)
class Outcome:
    """How a write went: ``ok``; ``why`` when not; the task's or BMC's ``messages``."""

    ok: bool
    status: int
    why: str = ""
    messages: tuple[str, ...] = ()
    attempts: tuple[str, ...] = ()  # the If-Match retries it took, for the journal
    monitor: str | None = None  # a 202's task/job monitor, not followed (``settle=False``)

    def words(self) -> str:
        return "; ".join(self.messages)


def task_messages(body: dict[str, Any]) -> tuple[str, ...]:
    found = []
    for info in body.get("Messages") or []:
        if isinstance(info, dict) and isinstance(info.get("Message"), str) and info["Message"].strip():
            found.append(one_line(info["Message"], 200))
    if isinstance(body.get("Message"), str) and body["Message"].strip():  # a Dell job
        found.append(one_line(body["Message"], 200))
    return tuple(found[:MAX_MESSAGES])


async def follow_task(bmc: Bmc, cred: Credentials | None, resp: httpx.Response, base: str,
                      deadline: float, poll: float) -> Outcome:
    """Settle a 202: poll its task monitor until the task ends or ``deadline`` seconds."""
    location = resp.headers.get("location")
    if not location:
        return Outcome(True, resp.status_code, messages=("accepted (202) without a task monitor",))
    return await follow_monitor(bmc, cred, bmc.same_origin_path(location, base), deadline, poll)


async def follow_monitor(bmc: Bmc, cred: Credentials | None, monitor: str, deadline: float,
                         poll: float) -> Outcome:
    """Poll a task monitor (or a Dell job) until it ends or ``deadline`` seconds."""
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline
    messages: tuple[str, ...] = ()
    state = "unknown"
    while True:
        answer, _ = await bmc.request("GET", monitor, cred)
        body: dict[str, Any] = {}
        if answer.content:
            try:
                parsed = answer.json()
                body = parsed if isinstance(parsed, dict) else {}
            except ValueError:
                body = {}
        messages = task_messages(body) or messages
        state = str(body.get("TaskState") or body.get("JobState") or state)
        if answer.status_code >= 400:
            why = redfish_message(answer) or f"task monitor answered {answer.status_code}"
            return Outcome(False, answer.status_code, why, messages)
        if state in TASK_FAILED or (state in TASK_DONE and body.get("TaskStatus") == "Critical"):
            return Outcome(False, answer.status_code, f"task {state}", messages)
        if answer.status_code != 202 or state in TASK_DONE:
            return Outcome(True, answer.status_code, messages=messages)
        left = end - loop.time()
        if left <= 0:
            return Outcome(False, 202, f"task still {state} after {deadline:g} s", messages)
        wait = retry_after(answer)
        await asyncio.sleep(min(wait if wait is not None else poll, left, 5.0))


def _strong(etag: str) -> str:
    return etag[2:] if etag.startswith("W/") else etag


async def patch(bmc: Bmc, cred: Credentials | None, path: str, body: dict[str, Any],
                deadline: float, poll: float, settle: bool = True) -> Outcome:
    """PATCH (idempotent: retried on 5xx/transport) with If-Match when an ETag is known.
    ``settle=False``: a 202 is not followed, its monitor is returned (a job that runs at
    the next boot)."""
    attempts: list[str] = []
    resp, final = await _send(bmc, cred, path, body, bmc.etags.get(path))
    if resp.status_code in (412, 428):
        # stale or missing ETag: read the resource again, then once more
        attempts.append(f"{resp.status_code}: re-read the resource and sent again")
        await bmc.get_json(path, cred)
        etag = bmc.etags.get(path)
        resp, final = await _send(bmc, cred, path, body, etag)
        if resp.status_code == 412 and etag and etag != _strong(etag):
            attempts.append(f"412 for the BMC's weak ETag {one_line(etag, 40)}: sent its strong form")
            resp, final = await _send(bmc, cred, path, body, _strong(etag))
        if resp.status_code == 412 and etag:
            attempts.append("412 again: sent without If-Match")
            resp, final = await _send(bmc, cred, path, body, None)
            if resp.status_code == 428:
                attempts.append("428: the BMC requires If-Match")
    if resp.status_code == 202:
        if not settle and resp.headers.get("location"):
            return Outcome(True, 202, attempts=tuple(attempts),
                           monitor=bmc.same_origin_path(resp.headers["location"], final))
        done = await follow_task(bmc, cred, resp, final, deadline, poll)
        return Outcome(done.ok, done.status, done.why, done.messages, tuple(attempts))
    if resp.status_code < 300:
        return Outcome(True, resp.status_code, attempts=tuple(attempts))
    msg = redfish_message(resp)
    tried = f" (ETag: {'; '.join(attempts)})" if attempts else ""
    return Outcome(False, resp.status_code,
                   f"BMC refused: {resp.status_code}{': ' + msg if msg else ''}{tried}",
                   attempts=tuple(attempts))


async def _send(bmc: Bmc, cred: Credentials | None, path: str, body: dict[str, Any],
                etag: str | None) -> tuple[httpx.Response, str]:
    return await bmc.request("PATCH", path, cred, json_body=body, retry=True,
                             extra={"If-Match": etag} if etag else None)


