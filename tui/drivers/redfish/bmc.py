"""One BMC as the driver sees it: service root, logins, authenticated requests.

Logins are per credential set: a Redfish session (X-Auth-Token) when the service
root offers one, basic auth otherwise. Everything here runs on the driver's
event-loop thread; failures are :mod:`tui.drivers.redfish.errors` exceptions.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from typing import Any

import httpx

from tui.drivers.redfish import auth as sessions
from tui.drivers.redfish.auth import Auth
from tui.drivers.redfish.config import Credentials
from tui.drivers.redfish.errors import AuthRefused, BmcError, HttpStatus, redfish_message
from tui.drivers.redfish.transport import Transport

REDIRECTS = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 5


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
        self.on_secret = on_secret  # called with every token we learn, for scrubbing
        self._root: dict[str, Any] | None = None
        self._root_lock = asyncio.Lock()
        self._auth: dict[str | None, Auth] = {}
        self.etags: dict[str, str] = {}  # path -> the ETag of its last GET

    def __repr__(self) -> str:
        return f"Bmc({self.origin!r})"

    def _auth_for(self, cred: Credentials | None) -> Auth:
        key = cred.name if cred else None
        auth = self._auth.get(key)
        if auth is None:
            auth = self._auth[key] = Auth(cred=cred, lock=asyncio.Lock())
        return auth

    async def exchange(self, method: str, path: str, *, headers: dict[str, str], json_body: Any = None,
                       retry: bool) -> httpx.Response:
        """One unauthenticated exchange (logins, the service root)."""
        return await self._exchange(method, path, headers=headers, json_body=json_body, retry=retry)

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
    async def _decide(self, auth: Auth) -> None:
        if auth.mode is not None:
            return
        if auth.cred is None:
            auth.mode = "none"
            return
        root = await self.root(auth.cred)
        auth.mode = "session" if self.sessions_path(root) else "basic"

    async def _headers(self, auth: Auth) -> tuple[dict[str, str], tuple[str, str] | None, int]:
        await self._decide(auth)
        if auth.mode == "session":
            async with auth.lock:
                if auth.token is None and auth.mode == "session":
                    await sessions.login(self, auth)
        if auth.mode == "session" and auth.token is not None:
            return {"X-Auth-Token": auth.token.value}, None, auth.generation
        if auth.mode == "basic" and auth.cred is not None:
            return {}, (auth.cred.user, auth.cred.password), auth.generation
        return {}, None, auth.generation

    async def _relogin(self, auth: Auth, seen_generation: int) -> None:
        async with auth.lock:
            if auth.generation != seen_generation:
                return  # someone else logged in again meanwhile
            auth.token = None
            await sessions.login(self, auth)

    # ------------------------------------------------------------------ requests
    async def request(
        self,
        method: str,
        path: str,
        cred: Credentials | None,
        *,
        json_body: Any = None,
        retry: bool = True,
        extra: dict[str, str] | None = None,
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
                method, path, headers={**headers, **(extra or {})}, json_body=json_body, retry=retry,
                auth=basic,
            )
            if resp.status_code in REDIRECTS:
                location = resp.headers.get("location")
                redirects += 1
                if not location or redirects > MAX_REDIRECTS:
                    raise BmcError(f"{method} {path} answered {resp.status_code} without a usable Location")
                await sessions.learn_alias(self, location, path)
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
                note = f"; {auth.note}" if auth.note else ""
                raise AuthRefused(
                    resp.status_code,
                    f"BMC {verb} {name} ({resp.status_code}{': ' + msg if msg else ''}{note})",
                )
            return resp, path

    async def get_json(self, path: str, cred: Credentials | None) -> tuple[dict[str, Any], str]:
        resp, final = await self.request("GET", path, cred)
        if resp.status_code >= 400:
            msg = redfish_message(resp)
            raise HttpStatus(
                resp.status_code, f"GET {final} answered {resp.status_code}{': ' + msg if msg else ''}"
            )
        body = self.parse_json(resp, f"GET {final}")
        etag = resp.headers.get("etag") or body.get("@odata.etag")
        if isinstance(etag, str) and etag:
            self.etags[path] = self.etags[final] = etag
        return body, final

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
        """Delete every session we created (best effort, short timeout), then close."""
        for auth in list(self._auth.values()):
            await sessions.logout(self, auth)
        await super().aclose()
