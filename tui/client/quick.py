"""One GET to a server without the client's weight, and what an error answer means (one
mapping: RemoteCore's ``raise_for`` is this one).

`bayops status` as a server's client asks one question (``Core.glance``); httpx, the
Core's API and the model's classes would cost it three times its budget (issue 22), so it
asks here, on a plain socket: HTTP/1.1, one request, the connection closed by the server.
On a Unix socket the server knows the caller by the kernel's peer credentials; over TLS
the server's certificate is checked against the CA given (hostname too) and the bearer
token goes in its header, never elsewhere. Whatever is not a whole answer with a length
(no socket, refused, an untrusted certificate, cut off, garbage) is ``NoAnswer``: the
caller then takes RemoteCore's way, which words it; no answer in time is an error at once.
"""
from __future__ import annotations

import json
import socket

from tui.model.errors import BadInput, BayopsError, OperationFailed, Refused

TYPE_CHECKING = False  # not typing's: `status` need not import typing (mypy knows the name)
if TYPE_CHECKING:
    from typing import Any

API = "/v1"
ERRORS: dict[int, type[BayopsError]] = {1: OperationFailed, 2: BadInput, 3: Refused}
MAX_ANSWER = 64 * 1024 * 1024  # a status of 64,000 bays is a few hundred KiB


class NoAnswer(Exception):
    """The server gave no whole HTTP answer (or none that this reader understands)."""


def error_for(status: int, body: Any) -> BayopsError:
    """The BayopsError a server's error answer (``status`` ≥ 400, JSON ``body``) stands for."""
    body = body if isinstance(body, dict) else {}
    cls = ERRORS.get(int(body.get("exit", 1)), OperationFailed)
    message = str(body.get("message") or body.get("error") or f"server answered {status}")
    return cls(message, code=str(body.get("code") or "server"), hint=str(body.get("hint") or ""))


def hung(address: str, seconds: float) -> OperationFailed:
    """A server that took the connection (or never took it) and gave no answer in time:
    asked no more, neither here nor by the full client (it would wait as long again)."""
    return OperationFailed(f"server {address} did not answer within {seconds:g} s",
                           code="server-unreachable",
                           hint="is `bayops serve` hung or overloaded? (bayops info; the wait "
                                "is server_timeout in the config, or $BAYOPS_SERVER_TIMEOUT)")


def get(address: str, route: str, ca: str | None = None, token: str | None = None,
        timeout: float = 30.0) -> tuple[int, Any]:
    """(HTTP status, JSON body) of ``GET /v1/route`` on ``address``: ``unix:/path`` (or
    ``/path``), or ``https://host:port`` checked against the CA file ``ca``. No answer
    within ``timeout`` (seconds a step) is ``hung``'s error."""
    chunks: list[bytes] = []
    try:
        sock, host, prefix = _connect(address, ca, timeout)
        with sock:
            auth = f"Authorization: Bearer {token}\r\n" if token else ""
            sock.sendall(f"GET {prefix}{API}/{route} HTTP/1.1\r\nHost: {host}\r\n{auth}"
                         "Accept: application/json\r\nConnection: close\r\n\r\n".encode())
            _read(sock, chunks)
    except TimeoutError:
        raise hung(address, timeout) from None
    except (OSError, ValueError, UnicodeError) as exc:  # ssl's errors are OSErrors
        raise NoAnswer(type(exc).__name__) from None  # RemoteCore says what it was
    return _parse(b"".join(chunks))


def _read(sock: socket.socket, chunks: list[bytes]) -> None:
    """Until the server closes; a TLS close without its notice after an answer is its end
    (the answer's length, checked next, says whether it is whole)."""
    size = 0
    while True:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            raise
        except OSError:
            if not chunks:
                raise
            return
        if not chunk:
            return
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_ANSWER:
            raise NoAnswer("answer too large")


def _connect(address: str, ca: str | None, timeout: float) -> tuple[socket.socket, str, str]:
    """(a connected socket, the Host header, the URL's path prefix)."""
    if address.startswith(("unix:", "/")):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(address.removeprefix("unix:"))
        except OSError:
            sock.close()
            raise
        return sock, "bayops", ""
    from urllib.parse import urlsplit

    url = urlsplit(address)
    if url.scheme != "https" or not url.hostname or ca is None:
        raise ValueError("only https with a CA file of its own")
    import ssl  # only a TLS client pays for it

    context = ssl.create_default_context(cafile=ca)  # verifies the chain and the hostname
    raw = socket.create_connection((url.hostname, url.port or 443), timeout)
    try:
        sock = context.wrap_socket(raw, server_hostname=url.hostname)
    except OSError:
        raw.close()
        raise
    return sock, url.netloc.rpartition("@")[2], url.path.rstrip("/")


def _parse(data: bytes) -> tuple[int, Any]:
    head, sep, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if not sep or len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise NoAnswer("not an HTTP answer")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    # only a plain body of the length announced: chunks, compression or a short read are
    # the full client's to handle
    if headers.get("content-length") != str(len(body)) or "content-encoding" in headers \
            or "transfer-encoding" in headers:
        raise NoAnswer("no whole answer")
    try:
        return int(parts[1]), json.loads(body)
    except ValueError:
        raise NoAnswer("not JSON") from None
