"""Writes a BMC may make conditional or asynchronous: ETags, and 202 task monitors.

PATCH sends ``If-Match`` with the ETag of the resource's last GET when the BMC gave
one; a 412 (stale) or 428 (If-Match required) re-reads the resource and tries once
more. A 202 Accepted with a task monitor in ``Location`` is followed to its end,
bounded by a deadline, and the task's messages are kept for the journal.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx

from tui.drivers.redfish.bmc import Bmc
from tui.drivers.redfish.config import Credentials
from tui.drivers.redfish.errors import BmcError, one_line, redfish_message
from tui.drivers.redfish.transport import retry_after

TASK_DONE = {"Completed"}
TASK_FAILED = {"Exception", "Killed", "Cancelled", "Interrupted", "Suspended"}
MAX_MESSAGES = 3


@dataclass(frozen=True)
class Outcome:
    """How a write went: ``ok``; ``why`` when not; the task's or BMC's ``messages``."""

    ok: bool
    status: int
    why: str = ""
    messages: tuple[str, ...] = ()

    def words(self) -> str:
        return "; ".join(self.messages)


def task_messages(body: dict[str, Any]) -> tuple[str, ...]:
    found = []
    for info in body.get("Messages") or []:
        if isinstance(info, dict) and isinstance(info.get("Message"), str) and info["Message"].strip():
            found.append(one_line(info["Message"], 200))
    return tuple(found[:MAX_MESSAGES])


async def follow_task(bmc: Bmc, cred: Credentials | None, resp: httpx.Response, base: str,
                      deadline: float, poll: float) -> Outcome:
    """Settle a 202: poll its task monitor until the task ends or ``deadline`` seconds."""
    location = resp.headers.get("location")
    if not location:
        return Outcome(True, resp.status_code, messages=("accepted (202) without a task monitor",))
    monitor = bmc.same_origin_path(location, base)
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
        state = str(body.get("TaskState") or state)
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


async def patch(bmc: Bmc, cred: Credentials | None, path: str, body: dict[str, Any],
                deadline: float, poll: float) -> Outcome:
    """PATCH (idempotent: retried on 5xx/transport) with If-Match when an ETag is known."""
    reread = False
    while True:
        etag = bmc.etags.get(path)
        resp, final = await bmc.request("PATCH", path, cred, json_body=body, retry=True,
                                        extra={"If-Match": etag} if etag else None)
        if resp.status_code in (412, 428) and not reread:
            # stale or missing ETag: read the resource again, then once more
            reread = True
            await bmc.get_json(path, cred)
            continue
        if resp.status_code == 202:
            return await follow_task(bmc, cred, resp, final, deadline, poll)
        if resp.status_code < 300:
            return Outcome(True, resp.status_code)
        msg = redfish_message(resp)
        return Outcome(False, resp.status_code, f"BMC refused: {resp.status_code}{': ' + msg if msg else ''}")


def must(outcome: Outcome, what: str) -> Outcome:
    """The outcome if it went well; a BmcError saying why otherwise."""
    if not outcome.ok:
        said = f" ({outcome.words()})" if outcome.messages else ""
        raise BmcError(f"{what}: {outcome.why}{said}")
    return outcome
