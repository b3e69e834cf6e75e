"""What a failed connection to a server means, in words that send the operator the right way."""
from __future__ import annotations

import getpass
import grp
import os

import httpx

from tui.model.errors import Refused

UNTRUSTED = "the server's TLS certificate is not trusted"


def socket_refused(url: str, exc: BaseException) -> Refused | None:
    """The error for a Unix socket this user may not open (not in its group), else None:
    the server runs, so "is it running?" would send the operator the wrong way."""
    if not url.startswith(("unix:", "/")):
        return None
    cause: BaseException | None = exc  # httpx wraps httpcore wraps the OSError
    while cause is not None and not isinstance(cause, PermissionError):
        cause = cause.__cause__ or cause.__context__
    if cause is None:
        return None
    path = url.removeprefix("unix:")
    try:
        group = grp.getgrgid(os.stat(path).st_gid).gr_name
    except (OSError, KeyError):
        group = "the socket's group"
    user = getpass.getuser()
    return Refused(f"server {url}: permission denied: {user} is not in {group}, the group that "
                   f"may use the service's socket; an admin adds you (usermod -aG {group} {user}), "
                   "then log in again", code="socket-permission")


def why(url: str, exc: httpx.TransportError) -> str:
    """What a failed connection most likely means, as the end of its one-line error."""
    text = str(exc)
    if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
        return f": {UNTRUSTED}; set server_ca (or BAYOPS_CA) to the CA that signed it"
    if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)):
        return ": is `bayops serve` running? (bayops info)"
    return ": the server closed the connection"
