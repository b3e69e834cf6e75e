"""The [serve] table of the server's config: where it listens and how."""
from __future__ import annotations

import getpass
import grp
import os
from dataclasses import dataclass
from pathlib import Path

from tui.core.config import Config
from tui.model.errors import BadConfig, BadInput
from tui.model.tables import Key, Table
from tui.model.text import quoted

DEFAULT_SOCKET = "/run/bayops/bayops.sock"


@dataclass(frozen=True)
class ServeSettings:
    socket: Path
    socket_group: str  # "" = the server's own group
    listen: str  # "" = no TCP; "127.0.0.1:8443" serves TLS with bearer tokens
    tls_cert: Path | None
    tls_key: Path | None
    poll_seconds: float  # how often the monitor polls
    sweep_seconds: float  # full hardware sweep
    feed_queue: int  # changes a slow feed client may fall behind before a resync
    webhook_users: tuple[str, ...]  # token users whose alerts count as hardware events
    # Active/standby (docs/postgresql.md): the services of one database hold a leader
    # lease in it; only the holder polls, runs the policy and jobs.
    ha: bool = False
    lease_seconds: float = 5.0  # a dead leader is replaced within this (plus a renewal)
    advertise: str = ""  # where clients reach this service ("" = its socket)
    database_wait: float = 30.0  # how long a write waits for a PostgreSQL that went away
    # The TLS port's bounds on peers that have not (yet) sent a request: well under the
    # usual 1,024 file limit, so the Unix socket and the store always have descriptors.
    max_connections: int = 256
    handshake_seconds: float = 10.0
    idle_seconds: float = 30.0  # to the first request, and between requests

    def address(self) -> str:
        return self.advertise or f"unix:{self.socket}"

    def host_port(self) -> tuple[str, int]:
        host, _, port = self.listen.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise BadInput(f"serve.listen: {quoted(self.listen)} is not host:port")
        return host.strip("[]"), int(port)


_SERVE = Table({
    **{key: Key(str, "") for key in ("socket", "socket_group", "listen", "tls_cert", "tls_key",
                                     "advertise")},
    "poll_seconds": Key(float, 1.0, 0.05, 60), "sweep_seconds": Key(float, 5.0, 0.0, 3600),
    "feed_queue": Key(int, 256, 1, 100_000), "webhook_users": Key(list, []),
    "ha": Key(bool, False), "lease_seconds": Key(float, 5.0, 1.0, 600),
    "database_wait": Key(float, 30.0, 0.0, 3600), "max_connections": Key(int, 256, 1, 100_000),
    "handshake_seconds": Key(float, 10.0, 0.1, 600), "idle_seconds": Key(float, 30.0, 0.1, 3600),
})


def settings(config: Config, socket: str | None = None, listen: str | None = None,
             advertise: str | None = None) -> ServeSettings:
    """The [serve] table; the flags of `bayops serve` (per host) win over it."""
    try:
        v = _SERVE.read(config.raw.get("serve", {}), "serve")
    except BadConfig as exc:
        raise exc.in_file(config.path) from None
    base = config.path.parent

    def path(key: str) -> Path | None:
        return base / Path(v[key]).expanduser() if v[key] else None

    out = ServeSettings(
        socket=Path(socket) if socket else (path("socket") or Path(DEFAULT_SOCKET)),
        socket_group=v["socket_group"],
        listen=v["listen"] if listen is None else listen,
        tls_cert=path("tls_cert"), tls_key=path("tls_key"),
        poll_seconds=v["poll_seconds"],
        sweep_seconds=v["sweep_seconds"],
        feed_queue=v["feed_queue"],
        webhook_users=tuple(str(u) for u in v["webhook_users"]),
        ha=v["ha"],
        lease_seconds=v["lease_seconds"],
        advertise=v["advertise"] if advertise is None else advertise,
        database_wait=v["database_wait"],
        max_connections=v["max_connections"],
        handshake_seconds=v["handshake_seconds"],
        idle_seconds=v["idle_seconds"],
    )
    if out.socket_group:
        _check_group(out.socket_group)
    if out.listen:
        out.host_port()
        if out.tls_cert is None or out.tls_key is None:
            raise BadInput("serve.listen needs serve.tls_cert and serve.tls_key: "
                           "remote clients only over TLS")
    return out


def _check_group(name: str) -> None:
    """The service can give its socket the group ``name``: it exists and (unless root) the
    service user is a member; found before anything listens, not as a chown error."""
    try:
        gid = grp.getgrnam(name).gr_gid
    except KeyError:
        raise BadInput(f"serve.socket_group: no group named {quoted(name)}") from None
    if os.geteuid() != 0 and gid != os.getegid() and gid not in os.getgroups():
        user = getpass.getuser()
        raise BadInput(f"serve.socket_group: the service user {user} is not in {quoted(name)}, "
                       f"so it cannot give its socket that group: usermod -aG {name} {user} "
                       f"(or SupplementaryGroups={name} in the unit)", code="bad-socket-group")
