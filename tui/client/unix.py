"""One GET over a server's Unix socket without the client's weight, and what an error answer
means (one mapping: RemoteCore's ``raise_for`` is this one).

`bayops status` as a server's client asks one question (``Core.glance``); httpx, the
Core's API and the model's classes would cost it three times its budget (issue 22), so it
asks here, on a plain socket: HTTP/1.1, one request, the connection closed by the server.
No token and no TLS on a Unix socket (the server knows the caller by the kernel's peer
credentials). Whatever is not a whole answer with a length (no socket, refused, cut off,
garbage) is ``NoAnswer``: the caller then takes RemoteCore's way, which words it.
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


def get(path: str, route: str, timeout: float = 30.0) -> tuple[int, Any]:
    """(HTTP status, JSON body) of ``GET /v1/route`` on the socket at ``path``."""
    request = (f"GET {API}/{route} HTTP/1.1\r\nHost: bayops\r\nAccept: application/json\r\n"
               "Connection: close\r\n\r\n").encode()
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(path)
            sock.sendall(request)
            chunks, size = [], 0
            while chunk := sock.recv(65536):
                chunks.append(chunk)
                size += len(chunk)
                if size > MAX_ANSWER:
                    raise NoAnswer("answer too large")
    except OSError as exc:
        raise NoAnswer(str(exc)) from None
    return _parse(b"".join(chunks))


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
