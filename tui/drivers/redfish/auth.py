"""Redfish session logins: create, check, remember, and delete what was created.

A login is kept only once it is valid: the token is remembered after its Location
has been checked (RFC 3986: resolved against the login URL, a scheme's default port
equal to none, the BMC's own host name accepted when it resolves to the configured
address or is listed in the bay's ``aliases``). Every session created is DELETEd at
close, including one whose Location was refused and one replaced by a re-login.
A login refused with a 4xx other than 401 (session limit reached, sessions disabled,
a body the BMC does not like) falls back to basic auth, keeping the BMC's words.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from tui.drivers.redfish.config import Credentials
from tui.drivers.redfish.errors import AuthRefused, BadBody, BmcError, HttpStatus, redfish_message

if TYPE_CHECKING:
    from tui.drivers.redfish.bmc import Bmc

DEFAULT_SESSIONS = "/redfish/v1/SessionService/Sessions"
RESOLVE_TIMEOUT = 5.0


class Token:
    """An X-Auth-Token; its repr hides it."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "Token(<hidden>)"


@dataclass
class Auth:
    cred: Credentials | None
    lock: asyncio.Lock
    mode: str | None = None  # none, basic, session; None: not decided yet
    token: Token | None = None
    session_uri: str | None = None
    generation: int = 0
    note: str = ""  # why a session login fell back to basic auth (the BMC's words)
    created: list[tuple[Token, str]] = field(default_factory=list)  # to DELETE at close

    def __repr__(self) -> str:
        name = self.cred.name if self.cred else None
        return f"Auth(cred={name!r}, mode={self.mode!r}, session={self.session_uri is not None})"


async def _addresses(host: str, port: int) -> set[str]:
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(loop.getaddrinfo(host, port, type=socket.SOCK_STREAM),
                                       RESOLVE_TIMEOUT)
    except (OSError, TimeoutError, UnicodeError):
        return set()
    return {str(info[4][0]) for info in infos}


async def learn_alias(bmc: Bmc, ref: str, base: str) -> None:
    """Accept ``ref``'s host as this BMC's when it resolves to the configured host's address."""
    _, host, _, _ = bmc.split(ref, base)
    _, mine, port, _ = bmc.split("/", "/")
    if not host or host == mine or host in bmc.aliases:
        return
    theirs = await _addresses(host, port or 443)
    if theirs and theirs & await _addresses(mine.strip("[]"), port or 443):
        bmc.aliases.add(host)


async def delete_session(bmc: Bmc, token: Token, uri: str) -> None:
    """Best effort, short timeout: a BMC that is gone keeps its session until it expires."""
    with contextlib.suppress(httpx.HTTPError):
        await bmc.client.request("DELETE", bmc.url(uri), headers={"X-Auth-Token": token.value},
                                 timeout=httpx.Timeout(min(bmc.timeout, 5.0)))


async def login(bmc: Bmc, auth: Auth) -> None:
    """POST a session. The caller holds ``auth.lock``."""
    assert auth.cred is not None
    cred = auth.cred
    root = await bmc.root(cred)
    path = bmc.sessions_path(root) or DEFAULT_SESSIONS
    resp = await bmc.exchange("POST", path, headers={},
                              json_body={"UserName": cred.user, "Password": cred.password}, retry=False)
    msg = redfish_message(resp)
    said = f"{resp.status_code}{': ' + msg if msg else ''}"
    if resp.status_code == 401:
        raise AuthRefused(401, f"BMC refused the session login for credentials {cred.name!r} ({said})")
    if 400 <= resp.status_code < 500 or resp.status_code == 501:
        auth.mode, auth.note = "basic", f"session login answered {said}; basic auth used instead"
        return
    if resp.status_code >= 400:
        raise HttpStatus(resp.status_code, f"session login answered {said}")
    token = resp.headers.get("x-auth-token")
    if not token:
        raise BadBody("session login answered without an X-Auth-Token")
    bmc.on_secret(token)
    location = resp.headers.get("location") or _body_id(resp)
    if not location:
        raise BadBody("session login answered without a Location: the session could not be "
                      "deleted at close, so it is not used")
    await learn_alias(bmc, location, path)
    try:
        uri = bmc.same_origin_path(location, path)
    except BmcError as exc:
        # The session exists on the BMC we logged in to: delete it there by its path.
        await delete_session(bmc, Token(token), bmc.split(location, path)[3])
        raise BmcError(f"session login: {exc.text}") from None
    auth.token, auth.session_uri = Token(token), uri
    auth.created.append((auth.token, uri))
    auth.generation += 1


def _body_id(resp: httpx.Response) -> str | None:
    try:
        body: Any = resp.json()
    except ValueError:
        return None
    value = body.get("@odata.id") if isinstance(body, dict) else None
    return value if isinstance(value, str) else None


async def logout(bmc: Bmc, auth: Auth) -> None:
    """DELETE every session this login created, newest first."""
    for token, uri in reversed(auth.created):
        await delete_session(bmc, token, uri)
    auth.created.clear()
    auth.token = None
