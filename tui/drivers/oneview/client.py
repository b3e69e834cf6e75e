"""One HPE OneView appliance over its REST API, with httpx.

``X-API-Version`` on every call (negotiated once from ``/rest/version``), a login
session renewed when the appliance answers 401, bounded retries of 503 (busy, backing
up) honouring ``Retry-After``, collections read by following ``nextPageUri`` and
tasks followed to their end. Failures are :class:`DriverError` with one line that
never holds the password or the session id.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from tui.drivers.oneview.config import OneViewConfig
from tui.model.driver import DriverError, NoAnswer

Json = dict[str, Any]
TASK_ENDS = ("Completed", "Warning", "Error", "Interrupted", "Terminated", "Killed")


def one_line(text: object, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def appliance_message(body: object) -> str:
    """The appliance's own words for an error answer or a failed task."""
    if isinstance(body, dict):
        errors = body.get("taskErrors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            body = errors[0]
        parts = [str(body[k]) for k in ("errorCode", "message") if isinstance(body.get(k), str) and body[k]]
        return one_line(": ".join(parts))
    return ""


class ApplianceError(DriverError):
    """The appliance answered with an error; ``code`` is its errorCode."""

    def __init__(self, text: str, status: int, code: str) -> None:
        super().__init__(text)
        self.status = status
        self.code = code


class TaskTimeout(DriverError):
    """A task still running when the caller stopped waiting (it may still finish)."""


class Appliance:
    """Thread-safe: job threads share one client and one session."""

    def __init__(self, cfg: OneViewConfig, sleep: Callable[[float], None] = time.sleep) -> None:
        self.cfg = cfg
        self._sleep = sleep
        self._http = httpx.Client(base_url=cfg.url, verify=cfg.ssl_context(), timeout=cfg.timeout,
                                  headers={"Accept": "application/json"})
        self._lock = threading.Lock()
        self._session: str | None = None
        self.version: int | None = None
        self.versions: tuple[int, int] | None = None  # the appliance's (minimum, current)

    # -- plumbing ------------------------------------------------------------------------
    def scrub(self, text: str) -> str:
        for secret in (self.cfg.login.password, self._session):
            if secret:
                text = text.replace(secret, "***")
        return text

    def _send(self, method: str, path: str, headers: dict[str, str], body: object) -> httpx.Response:
        try:
            return self._http.request(method, path, headers=headers, json=body)
        except httpx.RequestError as exc:  # the transport's, and a body that cannot be decoded
            raise NoAnswer(self.scrub(f"appliance {self.cfg.url} did not answer "
                                      f"({type(exc).__name__}: {one_line(exc, 160)})")) from None

    def negotiate(self) -> int:
        """The API version: the configured one if the appliance takes it, else its current."""
        if self.version is not None:
            return self.version
        resp = self._busy_aware("GET", "/rest/version", {}, None)
        body = self._json(resp, "/rest/version")
        try:
            low, high = int(body["minimumVersion"]), int(body["currentVersion"])
        except (KeyError, TypeError, ValueError):
            raise DriverError("appliance /rest/version has no minimumVersion/currentVersion") from None
        wanted = self.cfg.api_version or high
        if not low <= wanted <= high:
            raise DriverError(f"appliance speaks API versions {low}..{high}; "
                              f"oneview.api_version = {wanted} is not among them")
        self.versions, self.version = (low, high), wanted
        return wanted

    def _login(self) -> str:
        login = self.cfg.login
        body: Json = {"userName": login.user, "password": login.password}
        if login.domain:
            body["authLoginDomain"] = login.domain
        resp = self._busy_aware("POST", "/rest/login-sessions",
                                {"X-API-Version": str(self.negotiate())}, body)
        if resp.status_code in (400, 401, 403):
            raise DriverError(f"appliance {self.cfg.url} refused the login of {login.user!r} "
                              f"({resp.status_code}: {appliance_message(self._maybe_json(resp))})")
        session = self._json(resp, "/rest/login-sessions").get("sessionID")
        if not isinstance(session, str) or not session:
            raise DriverError("appliance login answered without a sessionID")
        return session

    def _headers(self, stale: str | None) -> dict[str, str]:
        with self._lock:
            if self._session is None or self._session == stale:
                self._session = self._login()
            return {"Auth": self._session, "X-API-Version": str(self.version)}

    def _busy_aware(self, method: str, path: str, headers: dict[str, str], body: object) -> httpx.Response:
        """Send; a 503 is waited out (Retry-After, bounded by retries and busy_wait)."""
        waited = 0.0
        for attempt in range(self.cfg.retries + 1):
            resp = self._send(method, path, headers, body)
            if resp.status_code != 503:
                return resp
            delay = _retry_after(resp.headers.get("Retry-After"), 2.0 ** attempt)
            if attempt == self.cfg.retries:
                how = f"through {attempt} retries in {waited:.0f} s"
                break
            if waited + delay > self.cfg.busy_wait:
                how = (f"and asked for {delay:.0f} s more, beyond busy_wait = {self.cfg.busy_wait:.0f} s "
                       f"({attempt} retries in {waited:.0f} s)")
                break
            self._sleep(delay)
            waited += delay
        raise DriverError(f"appliance {self.cfg.url} stayed busy (503) {how}: "
                          f"{appliance_message(self._maybe_json(resp))}")

    def call(self, method: str, path: str, body: object = None, etag: str | None = None) -> httpx.Response:
        """An authenticated call; a 401 logs in again once; an error answer is raised."""
        headers = self._headers(None)
        extra = {"If-Match": etag} if etag else {}
        resp = self._busy_aware(method, path, {**headers, **extra}, body)
        if resp.status_code == 401:  # the session expired or was dropped: one fresh login
            headers = self._headers(headers["Auth"])
            resp = self._busy_aware(method, path, {**headers, **extra}, body)
        if resp.status_code >= 400:
            body_json = self._maybe_json(resp)
            code = body_json.get("errorCode", "") if isinstance(body_json, dict) else ""
            raise ApplianceError(self.scrub(f"{method} {path}: {resp.status_code} "
                                            f"{appliance_message(body_json) or resp.reason_phrase}"),
                                 resp.status_code, str(code))
        return resp

    @staticmethod
    def _maybe_json(resp: httpx.Response) -> object:
        try:
            return resp.json()
        except ValueError:
            return None

    def _json(self, resp: httpx.Response, what: str) -> Json:
        body = self._maybe_json(resp)
        if resp.status_code >= 400:
            raise DriverError(f"appliance {what}: {resp.status_code} {appliance_message(body)}".strip())
        if not isinstance(body, dict):
            kind = resp.headers.get("Content-Type", "no content type")
            raise DriverError(f"appliance {what}: {resp.status_code} answered with what is not a JSON "
                              f"object ({one_line(kind, 60)}, {len(resp.content)} bytes)")
        return body

    # -- resources -------------------------------------------------------------------------
    def get(self, uri: str) -> Json:
        return self._json(self.call("GET", _path(uri)), uri)

    def members(self, collection: str, filter: str | None = None, query: str = "") -> Iterator[Json]:
        """Every member, page by page, following ``nextPageUri`` (no page size assumed);
        ``query``: more query string, already encoded."""
        params = ([f"filter={quote(filter, safe='')}"] if filter else []) + ([query] if query else [])
        uri: str | None = f"/rest/{collection}" + ("?" + "&".join(params) if params else "")
        seen: set[str] = set()
        while uri:
            if uri in seen:  # a next page pointing back: stop rather than loop forever
                raise DriverError(f"appliance {collection}: nextPageUri loops back to {uri}")
            seen.add(uri)
            page = self.get(uri)
            members = page.get("members")
            if not isinstance(members, list):
                raise DriverError(f"appliance {collection}: a page without members")
            yield from (m for m in members if isinstance(m, dict))
            nxt = page.get("nextPageUri")
            uri = nxt if isinstance(nxt, str) and nxt else None

    def total(self, collection: str) -> int:
        """How many members a collection has (one small page)."""
        page = self.get(f"/rest/{collection}?start=0&count=1")
        total = page.get("total")
        return total if isinstance(total, int) else len(page.get("members") or [])

    def write(self, method: str, uri: str, body: object, etag: str | None = None) -> str:
        """A write the appliance answers with a task; returns the task's uri."""
        resp = self.call(method, _path(uri), body, etag)
        task = resp.headers.get("Location") or ""
        if not task:
            body_json = self._maybe_json(resp)
            task = body_json.get("uri", "") if isinstance(body_json, dict) else ""
        if not isinstance(task, str) or "/rest/tasks/" not in task:
            raise DriverError(f"appliance {method} {uri}: answered {resp.status_code} without a task")
        return _path(task)

    def follow(self, task_uri: str, timeout: float | None = None) -> Json:
        """Read the task until it ends; Error/Interrupted/Terminated raise with its message."""
        deadline = time.monotonic() + (timeout or self.cfg.task_timeout)
        while True:
            task = self.get(task_uri)
            state = task.get("taskState")
            if state in ("Completed", "Warning"):
                return task
            if state in TASK_ENDS:
                why = appliance_message(task) or "no message"
                raise ApplianceError(f"task {task.get('name', '')!s} ended {state}: {why}".replace("  ", " "),
                                     409, str(state))
            if time.monotonic() > deadline:
                waited = timeout or self.cfg.task_timeout
                raise TaskTimeout(f"task {task_uri} still {state} after {waited:.0f} s")
            self._sleep(self.cfg.poll_interval)

    def running_task(self, resource_uri: str, name: str | None = None) -> str | None:
        """The uri of a task still running on ``resource_uri`` (a resumed job follows it)."""
        flt = f"associatedResource.resourceUri='{resource_uri}'"
        for task in self.members("tasks", flt):
            if task.get("taskState") not in TASK_ENDS and (name is None or task.get("name") == name):
                return str(task["uri"])
        return None

    def close(self) -> None:
        try:
            if self._session is not None:
                self._send("DELETE", "/rest/login-sessions",
                           {"Auth": self._session, "X-API-Version": str(self.version)}, None)
        except DriverError:
            pass  # logging out is a courtesy; the session expires by itself
        self._session = None
        self._http.close()


def _path(uri: str) -> str:
    """A uri the appliance gave, as a path on it (an absolute one must be the appliance's)."""
    parts = urlsplit(uri)
    if parts.scheme or parts.netloc:
        uri = parts.path + (f"?{parts.query}" if parts.query else "")
    if not uri.startswith("/rest/"):
        raise DriverError(f"appliance gave a uri outside /rest/: {one_line(uri, 80)}")
    return uri


def _retry_after(value: str | None, default: float) -> float:
    try:
        return max(0.0, min(float(value), 300.0)) if value is not None else default
    except ValueError:
        return default
