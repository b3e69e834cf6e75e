"""Bearer tokens for remote clients of `bayops serve`, made on the server's host.

A token is ``bayops_`` and 32 random bytes (URL-safe base64); the store keeps only its
SHA-256, so a copy of the state file gives no one a way in. Who it names is a person:
the reserved names (``policy:auto``, ``monitor``, ...) are refused.
"""
from __future__ import annotations

import hashlib
import re
import secrets
import time

from tui.core.roles import check_person
from tui.core.store import Store, TokenRecord
from tui.model.errors import BadInput
from tui.model.text import quoted

PREFIX = "bayops_"
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
MAX_SECONDS = 366 * 86400


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogateescape")).hexdigest()


def parse_expiry(text: str) -> float:
    """``30d``, ``12h``, ``90m``, ``2w``, ``45s``: seconds from now, at most a year."""
    match = re.fullmatch(r"(\d{1,6})([smhdw])", text.strip())
    if not match:
        raise BadInput(f"expiry {quoted(text)}: expected a number and a unit, e.g. 30d, 12h, 90m",
                       code="bad-expiry")
    seconds = int(match.group(1)) * _UNITS[match.group(2)]
    if not 0 < seconds <= MAX_SECONDS:
        raise BadInput(f"expiry {quoted(text)}: between 1s and 366d", code="bad-expiry")
    return float(seconds)


def create(store: Store, user: str, seconds: float, created_by: str) -> tuple[int, str]:
    """(token id, the secret): the secret is shown once and never stored."""
    check_person(user, "token user")
    secret = PREFIX + secrets.token_urlsafe(32)
    token_id = store.add_token(user, digest(secret), time.time() + seconds, created_by)
    return token_id, secret


def verify(store: Store, secret: str, now: float | None = None) -> TokenRecord | None:
    """The token's record when ``secret`` is a live token, else None."""
    if not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    record = store.token_by_hash(digest(secret))
    now = time.time() if now is None else now
    if record is None or not record.valid(now):
        return None
    return record
