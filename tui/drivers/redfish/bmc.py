"""One BMC as the driver sees it: service root, logins, authenticated requests.

Logins are per credential set: a Redfish session (X-Auth-Token) when the service
root offers one, basic auth otherwise. Everything here runs on the driver's
event-loop thread; failures are :mod:`tui.drivers.redfish.errors` exceptions.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from tui.drivers.redfish.config import Credentials
from tui.drivers.redfish.errors import AuthRefused, BadBody, BmcError, HttpStatus, redfish_message
from tui.drivers.redfish.transport import Transport

REDIRECTS = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 5


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


class Bmc(Transport):
    """One BMC origin: its transport, the service root, logins per credential set."""

    def __init__(
        self,
        origin: str,
        verify: ssl.SSLContext,
        *,
        timeout: float,
        retries: int,
        connections: int,
        semaphore: asyncio.Semaphore,
        on_secret: Callable[[str], None],
    ) -> None:
        super().__init__(
            origin, verify, timeout=timeout, retries=retries, connections=connections, semaphore=semaphore
        )
        self._on_secret = on_secret  # called with every token we learn, for scrubbing
        self._root: dict[str, Any] | None = None
        self._root_lock = asyncio.Lock()
        self._auth: dict[str | None, _Auth] = {}

    def __repr__(self) -> str:
        return f"Bmc({self.origin!r})"

    def _auth_for(self, cred: Credentials | None) -> _Auth:
        key = cred.name if cred else None
        auth = self._auth.get(key)
        if auth is None:
            auth = self._auth[key] = _Auth(cred=cred, lock=asyncio.Lock())
        return auth

    # --------------------------------------------------------------------- root
    async def root(self, cred: Credentials | None = None) -> dict[str, Any]:
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

    def sessions_path(self, root: dict[str, Any]) -> str | None:
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

    async def _headers(self, auth: _Auth) -> tuple[dict[str, str], tuple[str, str] | None, int]:
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

    async def get_json(self, path: str, cred: Credentials | None) -> tuple[dict[str, Any], str]:
        resp, final = await self.request("GET", path, cred)
        if resp.status_code >= 400:
            msg = redfish_message(resp)
            raise HttpStatus(
                resp.status_code, f"GET {final} answered {resp.status_code}{': ' + msg if msg else ''}"
            )
        return self.parse_json(resp, f"GET {final}"), final

    async def stream(self, path: str, cred: Credentials | None, idle: float) -> httpx.Response:
        """Open a streaming GET (SSE). Returns an httpx response to iterate; caller closes it."""
        auth = self._auth_for(cred)
        relogged = False
        while True:
            headers, basic, generation = await self._headers(auth)
            resp = await self._open_stream(path, dict(headers, Accept="text/event-stream"), basic, idle)
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
        """Delete our sessions (best effort, short timeout), then close the clients."""
        for auth in list(self._auth.values()):
            if auth.mode == "session" and auth.token is not None and auth.session_uri:
                with contextlib.suppress(httpx.HTTPError):
                    await self.client.request(
                        "DELETE",
                        self.url(auth.session_uri),
                        headers={"X-Auth-Token": auth.token.value},
                        timeout=httpx.Timeout(min(self.timeout, 5.0)),
                    )
            auth.token = None
        await super().aclose()
