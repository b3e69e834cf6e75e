"""One BMC over HTTP: pooled async client, auth, retries, same-origin redirects.

Everything here runs on the driver's event-loop thread. Failures are raised as
:class:`BmcError` subclasses carrying a one-line text without the bay (the driver
adds it) and without secrets (the driver scrubs again before anything leaves).
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import random
import ssl
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from tui.drivers.redfish.config import Credentials

REDIRECTS = (301, 302, 303, 307, 308)
RETRY_STATUS = (500, 502, 503, 504)
MAX_BODY = 4 * 2**20  # no Redfish resource we read is near this; a larger answer is broken
EXCHANGE_FACTOR = 3  # a whole exchange may take this many per-read timeouts
MAX_REDIRECTS = 5
BACKOFF_BASE = 0.25
BACKOFF_CAP = 4.0


class BmcError(Exception):
    """A BMC exchange failed. ``text`` is one line, no bay, no secrets."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class Unreachable(BmcError):
    """No HTTP answer at all (refused, reset, timeout, TLS failure)."""


class HttpStatus(BmcError):
    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status


class AuthRefused(HttpStatus):
    """401/403: the BMC does not take our credentials (or lacks the privilege)."""


class BadBody(BmcError):
    """The BMC answered, but not with the JSON resource we asked for."""


class _Token:
    """An X-Auth-Token; its repr hides it."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "_Token(<hidden>)"


@dataclass
class _Auth:
    cred: Credentials | None
    lock: asyncio.Lock
    mode: str | None = None  # none, basic, session; None: not decided yet
    token: _Token | None = None
    session_uri: str | None = None
    generation: int = 0

    def __repr__(self) -> str:
        name = self.cred.name if self.cred else None
        return f"_Auth(cred={name!r}, mode={self.mode!r}, session={self.session_uri is not None})"


def describe_transport(exc: BaseException, timeout: float) -> str:
    """A short phrase for a transport failure (no URLs with secrets: ours have none)."""
    if isinstance(exc, httpx.ConnectTimeout):
        return f"connect timed out after {timeout:g} s"
    if isinstance(exc, httpx.TimeoutException):
        return f"no answer within {timeout:g} s"
    if isinstance(exc, httpx.ConnectError):
        cause = exc.__context__ or exc.__cause__
        text = str(exc) or type(exc).__name__
        if isinstance(cause, ssl.SSLError) or "CERTIFICATE" in text.upper() or "SSL" in text.upper():
            return "TLS handshake failed (" + one_line(text, 120) + ")"
        return "connection failed (" + one_line(text, 120) + ")"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "connection dropped mid-answer"
    if isinstance(exc, httpx.TransportError):
        return f"transport error ({type(exc).__name__})"
    return type(exc).__name__


def one_line(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def redfish_message(resp: httpx.Response) -> str:
    """The BMC's own words for an error answer, shortened to one line."""
    try:
        body = resp.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        err = body["error"]
        infos = err.get("@Message.ExtendedInfo")
        if isinstance(infos, list):
            for info in infos:
                if isinstance(info, dict) and isinstance(info.get("Message"), str) and info["Message"]:
                    return one_line(info["Message"], 1000)
        if isinstance(err.get("message"), str) and err["message"]:
            return one_line(err["message"], 1000)
    ctype = resp.headers.get("content-type", "")
    if ctype.startswith("text/plain") and resp.content:
        return one_line(resp.text, 1000)
    return ""


def retry_after(resp: httpx.Response) -> float | None:
    value = resp.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class Bmc:
    """One BMC origin: one pooled AsyncClient, the service root, logins per credential set."""

    def __init__(
        self,
        origin: str,
        verify: ssl.SSLContext,
        *,
        timeout: float,
        retries: int,
        connections: int,
        semaphore: asyncio.Semaphore,
        on_secret,
    ) -> None:
        self.origin = origin
        self.timeout = timeout
        self.retries = retries
        self._sem = semaphore
        self._on_secret = on_secret  # called with every token we learn, for scrubbing
        self.client = httpx.AsyncClient(
            verify=verify,
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
            follow_redirects=False,
            trust_env=False,  # a BMC network is never reached through $HTTP_PROXY
            headers={"Accept": "application/json", "OData-Version": "4.0"},
        )
        self._verify = verify
        self._stream_client: httpx.AsyncClient | None = None  # SSE: never takes a pool slot
        self._root: dict | None = None
        self._root_lock = asyncio.Lock()
        self._auth: dict[str | None, _Auth] = {}

    def __repr__(self) -> str:
        return f"Bmc({self.origin!r})"

    # ------------------------------------------------------------------ helpers
    def url(self, path: str) -> str:
        return urljoin(self.origin + "/", path)

    def same_origin_path(self, ref: str, base: str) -> str:
        """Resolve ``ref`` against ``base``; refuse anything off this BMC's origin."""
        absolute = urljoin(self.url(base), ref)
        parts, mine = urlsplit(absolute), urlsplit(self.origin)
        try:
            port = parts.port
        except ValueError:
            raise BmcError(f"BMC pointed us to a malformed address {one_line(ref, 80)!r}") from None
        if (parts.scheme, parts.hostname, port) != (mine.scheme, mine.hostname, mine.port):
            shown = f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")
            raise BmcError(f"BMC pointed us off its own origin to {shown}; refused to follow")
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def _auth_for(self, cred: Credentials | None) -> _Auth:
        key = cred.name if cred else None
        auth = self._auth.get(key)
        if auth is None:
            auth = self._auth[key] = _Auth(cred=cred, lock=asyncio.Lock())
        return auth

    # --------------------------------------------------------------------- root
    async def root(self, cred: Credentials | None = None) -> dict:
        """The service root (GET /redfish/v1/, no auth per DSP0266), cached."""
        if self._root is not None:
            return self._root
        async with self._root_lock:
            if self._root is not None:
                return self._root
            resp = await self._exchange("GET", "/redfish/v1/", headers={}, retry=True)
            if resp.status_code in (401, 403) and cred is not None:
                # a BMC that hides its root: ask again with basic auth
                resp = await self._exchange(
                    "GET", "/redfish/v1/", headers={}, retry=True, auth=(cred.user, cred.password)
                )
            if resp.status_code >= 400:
                raise HttpStatus(resp.status_code, f"service root answered {resp.status_code}")
            self._root = self.parse_json(resp, "GET /redfish/v1/")
            return self._root

    def sessions_path(self, root: dict) -> str | None:
        links = root.get("Links")
        if isinstance(links, dict):
            sessions = links.get("Sessions")
            if isinstance(sessions, dict) and isinstance(sessions.get("@odata.id"), str):
                return sessions["@odata.id"]
        if isinstance(root.get("SessionService"), dict):
            return "/redfish/v1/SessionService/Sessions"
        return None

    # --------------------------------------------------------------------- auth
    async def _decide(self, auth: _Auth) -> None:
        if auth.mode is not None:
            return
        if auth.cred is None:
            auth.mode = "none"
            return
        root = await self.root(auth.cred)
        auth.mode = "session" if self.sessions_path(root) else "basic"

    async def _login(self, auth: _Auth) -> None:
        """POST a session. Caller holds auth.lock."""
        assert auth.cred is not None
        root = await self.root(auth.cred)
        path = self.sessions_path(root) or "/redfish/v1/SessionService/Sessions"
        resp = await self._exchange(
            "POST",
            path,
            headers={},
            json_body={"UserName": auth.cred.user, "Password": auth.cred.password},
            retry=False,
        )
        if resp.status_code in (404, 405, 501):
            auth.mode = "basic"  # advertised but not there: basic auth it is
            return
        if resp.status_code in (400, 401, 403):
            raise AuthRefused(
                resp.status_code,
                f"BMC refused the session login for credentials {auth.cred.name!r} ({resp.status_code})",
            )
        if resp.status_code >= 400:
            raise HttpStatus(resp.status_code, f"session login answered {resp.status_code}")
        token = resp.headers.get("x-auth-token")
        if not token:
            raise BadBody("session login answered without an X-Auth-Token")
        self._on_secret(token)
        location = resp.headers.get("location")
        if not location:
            try:
                body = resp.json()
                location = body.get("@odata.id") if isinstance(body, dict) else None
            except ValueError:
                location = None
        auth.token = _Token(token)
        auth.session_uri = self.same_origin_path(location, path) if location else None
        auth.generation += 1

    async def _headers(self, auth: _Auth) -> tuple[dict, tuple[str, str] | None, int]:
        await self._decide(auth)
        if auth.mode == "session":
            async with auth.lock:
                if auth.token is None and auth.mode == "session":
                    await self._login(auth)
        if auth.mode == "session" and auth.token is not None:
            return {"X-Auth-Token": auth.token.value}, None, auth.generation
        if auth.mode == "basic" and auth.cred is not None:
            return {}, (auth.cred.user, auth.cred.password), auth.generation
        return {}, None, auth.generation

    async def _relogin(self, auth: _Auth, seen_generation: int) -> None:
        async with auth.lock:
            if auth.generation != seen_generation:
                return  # someone else logged in again meanwhile
            auth.token = None
            await self._login(auth)

    # ------------------------------------------------------------------ requests
    async def _exchange(
        self,
        method: str,
        path: str,
        *,
        headers: dict,
        json_body: Any = None,
        retry: bool,
        auth: tuple[str, str] | None = None,
        timeout: httpx.Timeout | None = None,
    ) -> httpx.Response:
        """One request with retries on transport errors and 5xx (when ``retry``)."""
        attempts = 1 + (self.retries if retry else 0)
        for attempt in range(attempts):
            try:
                async with self._sem:
                    resp = await self._send(method, path, headers, json_body, auth, timeout)
            except httpx.TransportError as exc:
                if attempt + 1 >= attempts:
                    tries = f" ({attempts} tries)" if attempts > 1 else ""
                    raise Unreachable(describe_transport(exc, self.timeout) + tries) from None
                await asyncio.sleep(self._backoff(attempt))
                continue
            if retry and resp.status_code in RETRY_STATUS and attempt + 1 < attempts:
                wait = retry_after(resp)
                await asyncio.sleep(min(wait, BACKOFF_CAP) if wait is not None else self._backoff(attempt))
                continue
            return resp
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _backoff(attempt: int) -> float:
        return min(BACKOFF_CAP, BACKOFF_BASE * (2**attempt)) * (0.5 + random.random())

    async def request(
        self,
        method: str,
        path: str,
        cred: Credentials | None,
        *,
        json_body: Any = None,
        retry: bool = True,
    ) -> tuple[httpx.Response, str]:
        """An authenticated request; follows same-origin redirects; re-logs in once on 401.

        Returns the answer and the path that finally answered. Raises Unreachable or
        AuthRefused; other statuses are returned for the caller to judge.
        """
        auth = self._auth_for(cred)
        relogged = False
        redirects = 0
        while True:
            headers, basic, generation = await self._headers(auth)
            resp = await self._exchange(
                method, path, headers=headers, json_body=json_body, retry=retry, auth=basic
            )
            if resp.status_code in REDIRECTS:
                location = resp.headers.get("location")
                redirects += 1
                if not location or redirects > MAX_REDIRECTS:
                    raise BmcError(f"{method} {path} answered {resp.status_code} without a usable Location")
                path = self.same_origin_path(location, path)
                if resp.status_code == 303:
                    method, json_body = "GET", None
                continue
            if resp.status_code == 401 and auth.mode == "session" and not relogged:
                relogged = True
                await self._relogin(auth, generation)
                continue
            if resp.status_code in (401, 403):
                name = f"credentials {cred.name!r}" if cred else "no credentials"
                verb = "refused" if resp.status_code == 401 else "denied the request for"
                msg = redfish_message(resp)
                raise AuthRefused(
                    resp.status_code,
                    f"BMC {verb} {name} ({resp.status_code}{': ' + msg if msg else ''})",
                )
            return resp, path

    async def get_json(self, path: str, cred: Credentials | None) -> tuple[dict, str]:
        resp, final = await self.request("GET", path, cred)
        if resp.status_code >= 400:
            msg = redfish_message(resp)
            raise HttpStatus(
                resp.status_code, f"GET {final} answered {resp.status_code}{': ' + msg if msg else ''}"
            )
        return self.parse_json(resp, f"GET {final}"), final

    async def _send(self, method: str, path: str, headers: dict, json_body: Any,
                    auth: tuple[str, str] | None, timeout: httpx.Timeout | None) -> httpx.Response:
        """One exchange, bounded as a whole (httpx's timeout is per read: a BMC that
        trickles a byte at a time would never trip it) and in body size."""
        request = self.client.build_request(method, self.url(path), headers=headers,
                                            json=json_body,
                                            timeout=timeout or httpx.USE_CLIENT_DEFAULT)

        async def exchange() -> httpx.Response:
            resp = await self.client.send(request, auth=auth, stream=True)
            try:
                body = bytearray()
                async for chunk in resp.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_BODY:
                        raise BadBody(f"{method} {path} answered with more than "
                                      f"{MAX_BODY // 2**20} MiB; refused")
            finally:
                await resp.aclose()
            plain = {k: v for k, v in resp.headers.items()
                     if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")}
            return httpx.Response(resp.status_code, headers=plain, content=bytes(body),
                                  request=request)
        try:
            return await asyncio.wait_for(exchange(), EXCHANGE_FACTOR * self.timeout)
        except TimeoutError:
            raise httpx.ReadTimeout(f"no complete answer within {EXCHANGE_FACTOR * self.timeout:g} s",
                                    request=request) from None

    @staticmethod
    def parse_json(resp: httpx.Response, what: str) -> dict:
        try:
            body = json.loads(resp.content)
        except (ValueError, UnicodeDecodeError, RecursionError):
            ctype = resp.headers.get("content-type", "no content-type") or "no content-type"
            raise BadBody(
                f"{what} answered {resp.status_code} with a body that is not JSON "
                f"({one_line(ctype, 60)}, {len(resp.content)} bytes)"
            ) from None
        if not isinstance(body, dict):
            raise BadBody(f"{what} answered JSON that is not an object ({type(body).__name__})")
        return body

    async def stream(self, path: str, cred: Credentials | None, idle: float):
        """Open a streaming GET (SSE). Returns an httpx response to iterate; caller closes it."""
        auth = self._auth_for(cred)
        relogged = False
        if self._stream_client is None:
            self._stream_client = httpx.AsyncClient(
                verify=self._verify,
                limits=httpx.Limits(max_connections=2, max_keepalive_connections=0),
                follow_redirects=False,
                trust_env=False,
            )
        client = self._stream_client
        while True:
            headers, basic, generation = await self._headers(auth)
            headers = dict(headers, Accept="text/event-stream")
            request = client.build_request(
                "GET",
                self.url(path),
                headers=headers,
                timeout=httpx.Timeout(self.timeout, read=idle),
            )
            try:
                resp = await client.send(
                    request, stream=True, auth=httpx.BasicAuth(*basic) if basic else None
                )
            except httpx.TransportError as exc:
                raise Unreachable(describe_transport(exc, self.timeout)) from None
            if resp.status_code == 401 and auth.mode == "session" and not relogged:
                await resp.aclose()
                relogged = True
                await self._relogin(auth, generation)
                continue
            if resp.status_code >= 300:
                await resp.aclose()
                raise HttpStatus(resp.status_code, f"event stream {path} answered {resp.status_code}")
            return resp

    # -------------------------------------------------------------------- close
    async def aclose(self) -> None:
        """Delete our sessions (best effort, short timeout) and close the pool."""
        for auth in list(self._auth.values()):
            if auth.mode == "session" and auth.token is not None and auth.session_uri:
                try:
                    await self.client.request(
                        "DELETE",
                        self.url(auth.session_uri),
                        headers={"X-Auth-Token": auth.token.value},
                        timeout=httpx.Timeout(min(self.timeout, 5.0)),
                    )
                except httpx.HTTPError:
                    pass
            auth.token = None
        if self._stream_client is not None:
            await self._stream_client.aclose()
        await self.client.aclose()
