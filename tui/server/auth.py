"""Who is calling: the kernel's word on the Unix socket, a bearer token over TLS.

On the Unix socket the operator is the peer's OS user from SO_PEERCRED; nothing the
client sends can change it. Over TCP only a live token names someone; failed attempts
are rate-limited per address and token prefix (and, more loosely, per address), counted
in the store (shared by every service of the site), and every one is audited.
"""
from __future__ import annotations

import pwd
import socket
import struct
import threading
import time
from dataclasses import dataclass

from tui.core import tokens
from tui.core.roles import check_person
from tui.core.store import Store
from tui.model.errors import BayopsError, Refused

FAILURES_ALLOWED = 5  # failed token attempts per address and token prefix ...
ADDRESS_FAILURES_ALLOWED = 60  # ... and per address, whatever tokens were tried ...
FAILURE_WINDOW = 60.0  # ... within this many seconds, then 429 until they age out
PREFIX_CHARS = 6  # of a token's secret part: what tells one tried token from another


class Unauthenticated(Refused):
    default_code = "unauthenticated"


class RateLimited(Refused):
    default_code = "rate-limited"
    audited = True  # False for the repeats within one window: one event, not a flood


@dataclass(frozen=True)
class Caller:
    operator: str
    via: str  # "unix" or "token"
    peer: str  # uid=1000 or 127.0.0.1


NAME_SECONDS = 60.0  # how long a uid's login name is remembered (NSS may be LDAP: slow)
_names: dict[int, tuple[str, float]] = {}


def peer_user(sock: socket.socket) -> tuple[int, str]:
    """(uid, user name) of the process at the other end of a Unix socket."""
    raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _, uid, _ = struct.unpack("3i", raw)
    known = _names.get(uid)
    now = time.monotonic()
    if known is not None and known[1] > now:
        return uid, known[0]
    try:
        name = pwd.getpwuid(uid).pw_name
    except KeyError:
        name = f"uid{uid}"
    _names[uid] = (name, now + NAME_SECONDS)
    return uid, name


class Gate:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._reported: dict[str, float] = {}  # when a rate limit was last audited, by address
        self._lock = threading.Lock()

    def unix(self, sock: socket.socket) -> Caller:
        uid, name = peer_user(sock)
        try:
            check_person(name, "login")
        except BayopsError as exc:
            raise Refused(f"OS user {name} (uid {uid}) cannot use bayops: {exc.message}",
                          code="reserved-name") from None
        return Caller(name, "unix", f"uid={uid}")

    def token(self, header: str | None, address: str, now: float | None = None) -> Caller:
        now = time.time() if now is None else now
        scheme, _, secret = (header or "").partition(" ")
        secret = secret.strip() if scheme.lower() == "bearer" else ""
        # Counted per address and token prefix, so one client's bad tokens do not lock out
        # a valid one used from the same address (a NAT, a jump host); and per address, so
        # guessing stays bounded. In the store: the services of one site (active/standby)
        # share the limits, so an attacker gains nothing by taking turns between them.
        key = f"{address[:150]} {secret.removeprefix(tokens.PREFIX)[:PREFIX_CHARS]}"
        failed, from_address, first = self.store.token_failures(
            address[:150], key, now - FAILURE_WINDOW)
        if failed >= FAILURES_ALLOWED or from_address >= ADDRESS_FAILURES_ALLOWED:
            limited = RateLimited(f"{max(failed, from_address)} failed attempts from {address}"
                                  f" in the last {FAILURE_WINDOW:g}s; wait and try again")
            with self._lock:  # one audit event per window (per service)
                limited.audited = self._reported.get(key, 0.0) < (first or now)
                for old in [a for a, t in self._reported.items() if t < now - FAILURE_WINDOW]:
                    del self._reported[old]
                self._reported[key] = now
            raise limited
        record = tokens.verify(self.store, secret, now) if secret else None
        if record is None:
            self.store.add_token_failure(key, now, FAILURE_WINDOW)
            raise Unauthenticated("no valid bearer token (expired, revoked or unknown)",
                                  hint="make one on the server host: bayops token create --user NAME")
        if record.last_used is None or now - record.last_used > 60:  # not a write per request
            self.store.token_used(record.id, now)
        return Caller(record.user, "token", address)
