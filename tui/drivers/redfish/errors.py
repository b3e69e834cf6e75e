"""How a BMC exchange fails, and the one-line wording every failure is given.

Failures are raised as :class:`BmcError` subclasses carrying a one-line text without
the bay (the driver adds it) and without secrets (the driver scrubs again before
anything leaves).
"""

from __future__ import annotations

import httpx


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
