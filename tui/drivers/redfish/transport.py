"""One BMC origin over HTTP: a pooled async client, bounded exchanges, retries.

Everything here runs on the driver's event-loop thread and knows nothing of logins:
:class:`tui.drivers.redfish.bmc.Bmc` adds those on top.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import random
import ssl
import time
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from tui.drivers.redfish.errors import BadBody, BmcError, Unreachable, one_line

RETRY_STATUS = (500, 502, 503, 504)
BUSY_TRIES = 4  # a 429 (the request was not processed) is asked again at most this often
BUSY_WAIT_CAP = 10.0  # the longest Retry-After we honour for a 429
DEFAULT_PORTS = {"https": 443, "http": 80}
MAX_BODY = 4 * 2**20  # no Redfish resource we read is near this; a larger answer is broken
EXCHANGE_FACTOR = 3  # a whole exchange may take this many per-read timeouts
BACKOFF_BASE = 0.25
BACKOFF_CAP = 4.0


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


class Transport:
    """One BMC origin: one pooled AsyncClient, and a separate one for event streams."""

    def __init__(
        self,
        origin: str,
        verify: ssl.SSLContext,
        *,
        timeout: float,
        retries: int,
        connections: int,
        semaphore: asyncio.Semaphore,
    ) -> None:
        self.origin = origin
        self.aliases: set[str] = set()  # other host names this BMC may call itself (lower case)
        self.timeout = timeout
        self.retries = retries
        self._sem = semaphore
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

    def url(self, path: str) -> str:
        return urljoin(self.origin + "/", path)

    def split(self, ref: str, base: str) -> tuple[str, str, int | None, str]:
        """Resolve ``ref`` against ``base`` per RFC 3986: (scheme, host, port, path?query),
        the port None when it is the scheme's default (so :443 equals none for https)."""
        absolute = urljoin(self.url(base), ref)
        parts = urlsplit(absolute)
        try:
            port = parts.port
        except ValueError:
            raise BmcError(f"BMC pointed us to a malformed address {one_line(ref, 80)!r}") from None
        scheme = parts.scheme.lower()
        if port == DEFAULT_PORTS.get(scheme):
            port = None
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return scheme, (parts.hostname or "").lower(), port, path

    def same_origin_path(self, ref: str, base: str) -> str:
        """Resolve ``ref`` against ``base``; refuse anything off this BMC's origin (its
        configured host, or a name it is known by: listed in config or resolved to it)."""
        scheme, host, port, path = self.split(ref, base)
        mine_scheme, mine_host, mine_port, _ = self.split("/", "/")
        if (scheme, port) != (mine_scheme, mine_port) or host not in {mine_host, *self.aliases}:
            shown = f"{scheme}://{host}" + (f":{port}" if port else "")
            raise BmcError(f"BMC pointed us off its own origin to {shown} (not {self.origin}); "
                           "refused to follow (list the name in the bay's aliases if it is this BMC)")
        return path

    async def _exchange(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str],
        json_body: Any = None,
        retry: bool,
        auth: tuple[str, str] | None = None,
        timeout: httpx.Timeout | None = None,
    ) -> httpx.Response:
        """One request with retries on transport errors and 5xx (when ``retry``)."""
        attempts = 1 + (self.retries if retry else 0)
        busy = 0
        attempt = 0
        while True:
            try:
                async with self._sem:
                    resp = await self._send(method, path, headers, json_body, auth, timeout)
            except httpx.TransportError as exc:
                if attempt + 1 >= attempts:
                    tries = f" ({attempts} tries)" if attempts > 1 else ""
                    raise Unreachable(describe_transport(exc, self.timeout) + tries) from None
                await asyncio.sleep(self._backoff(attempt))
                attempt += 1
                continue
            if resp.status_code == 429 and busy + 1 < BUSY_TRIES:
                # Too many requests: not processed, so even a POST may be asked again.
                wait = retry_after(resp)
                await asyncio.sleep(min(wait, BUSY_WAIT_CAP) if wait is not None else self._backoff(busy))
                busy += 1
                continue
            if retry and resp.status_code in RETRY_STATUS and attempt + 1 < attempts:
                wait = retry_after(resp)
                await asyncio.sleep(min(wait, BACKOFF_CAP) if wait is not None else self._backoff(attempt))
                attempt += 1
                continue
            return resp

    @staticmethod
    def _backoff(attempt: int) -> float:
        return min(BACKOFF_CAP, BACKOFF_BASE * (2**attempt)) * (0.5 + random.random())

    async def _send(self, method: str, path: str, headers: dict[str, str], json_body: Any,
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
    def parse_json(resp: httpx.Response, what: str) -> dict[str, Any]:
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

    async def _open_stream(
        self, path: str, headers: dict[str, str], basic: tuple[str, str] | None, idle: float
    ) -> httpx.Response:
        """Send a streaming GET; the answer's body is left unread for the caller."""
        if self._stream_client is None:
            self._stream_client = httpx.AsyncClient(
                verify=self._verify,
                limits=httpx.Limits(max_connections=2, max_keepalive_connections=0),
                follow_redirects=False,
                trust_env=False,
            )
        client = self._stream_client
        request = client.build_request(
            "GET",
            self.url(path),
            headers=headers,
            timeout=httpx.Timeout(self.timeout, read=idle),
        )
        try:
            return await client.send(request, stream=True, auth=httpx.BasicAuth(*basic) if basic else None)
        except httpx.TransportError as exc:
            raise Unreachable(describe_transport(exc, self.timeout)) from None

    async def aclose(self) -> None:
        if self._stream_client is not None:
            await self._stream_client.aclose()
        await self.client.aclose()
