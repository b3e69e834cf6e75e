"""The ``[redfish]`` table of bayops' config.toml, validated, and the secrets it names.

Everything here runs once, when the driver is built: a bad table is a one-line
:class:`BadInput` before any BMC is contacted. Secrets (user names and passwords)
live only in :class:`Credentials`, whose repr hides them; no message built here
ever contains one. See docs/redfish.md for the table's shape.
"""

from __future__ import annotations

import os
import pathlib
import re
import ssl
import stat
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn
from urllib.parse import urlsplit

from tui.model.errors import BadConfig
from tui.model.tables import Key, Table

BAY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/([1-9][0-9]?)$")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
SYSTEM_RE = re.compile(r"^/redfish/v1/Systems/[^/?#\s]+$")
MAX_BAY = 16

_PATH = "a non-empty path string"
TOP = Table({
    "ca_bundle": Key(str, None, what=_PATH),
    "credentials_file": Key(str, None, what=_PATH),
    "concurrency": Key(int, 64, 1, 1024),
    "connections_per_bmc": Key(int, 16, 1, 1024),
    "timeout": Key(float, 10.0, 0.001, 600),
    "retries": Key(int, 3, 0, 10),
    "poll_interval": Key(float, 1.0, 0.001, 60),
    "power_deadline": Key(float, 60.0, 0.001, 3600),
    "event_poll_interval": Key(float, 10.0, 0.01, 3600),
    "event_reconnect": Key(float, 30.0, 0.01, 3600),
    "systems": Key(list, [], what="an array of tables ([[redfish.systems]])"),
})
SYSTEM = Table({
    "bay": Key(str, what="a bay id like enc-a1/3"),
    "url": Key(str, what="the BMC's base URL"),
    "system": Key(str, None, what="a path like /redfish/v1/Systems/1"),
    "credentials": Key(str, None, what="a name of letters, digits, - and _"),
    "verify": Key(bool, True),
    "aliases": Key(list, [], what="a list of host names like ilo-enc-a1-3.example.net"),
})
HOST_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$|^\[?[0-9A-Fa-f:.]+\]?$")


class Credentials:
    """A user name and password for one BMC login. Never printed."""

    __slots__ = ("_password", "_user", "name")

    def __init__(self, name: str, user: str, password: str) -> None:
        self.name = name
        self._user = user
        self._password = password

    @property
    def user(self) -> str:
        return self._user

    @property
    def password(self) -> str:
        return self._password

    def secrets(self) -> tuple[str, ...]:
        """The strings a message must never contain (for scrubbing)."""
        return tuple(s for s in (self._password,) if s)

    def __repr__(self) -> str:
        return f"Credentials(name={self.name!r}, user=<hidden>, password=<hidden>)"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:  # no pickling a secret into a journal by accident
        raise TypeError("Credentials cannot be pickled")


@dataclass(frozen=True)
class SystemSpec:
    """One bay's BMC: where it is and how to log in."""

    bay: str
    url: str  # origin, e.g. https://10.0.0.5 (no trailing slash, no path)
    system: str | None  # ComputerSystem path; None: the BMC's only system
    credentials: Credentials | None = field(repr=False, compare=False)
    verify: bool = True
    aliases: tuple[str, ...] = ()  # other host names the BMC calls itself (session Locations)

    def __repr__(self) -> str:
        cred = self.credentials.name if self.credentials else None
        return (
            f"SystemSpec(bay={self.bay!r}, url={self.url!r}, system={self.system!r}, "
            f"credentials={cred!r}, verify={self.verify!r})"
        )


@dataclass(frozen=True)
class RedfishConfig:
    systems: tuple[SystemSpec, ...]
    ca_bundle: str | None = None
    concurrency: int = 64
    connections_per_bmc: int = 16
    timeout: float = 10.0
    retries: int = 3
    poll_interval: float = 1.0
    power_deadline: float = 60.0
    event_poll_interval: float = 10.0
    event_reconnect: float = 30.0

    def by_bay(self) -> dict[str, SystemSpec]:
        return {s.bay: s for s in self.systems}

    def ssl_context(self, verify: bool) -> ssl.SSLContext:
        if not verify:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            return ctx
        return ssl.create_default_context(cafile=self.ca_bundle)


def _bad(key: str, what: str) -> BadConfig:
    return BadConfig(f"redfish.{key}", what)


def _path(value: str | None, key: str, config_dir: pathlib.Path) -> pathlib.Path | None:
    if value is None:
        return None
    if not value.strip():
        raise _bad(key, "must be a non-empty path string")
    path = pathlib.Path(value).expanduser()
    if not path.is_absolute():
        path = config_dir / path
    if not path.is_file():
        raise _bad(key, f"{path} is not a readable file")
    return path


def env_names(name: str) -> tuple[str, str]:
    stem = "BAYOPS_BMC_" + re.sub(r"[^A-Za-z0-9]", "_", name).upper()
    return stem + "_USER", stem + "_PASSWORD"


def _load_credentials_file(path: pathlib.Path) -> dict[str, Credentials]:
    key = "credentials_file"
    try:
        st = path.stat()
    except OSError as exc:
        raise _bad(key, f"{path}: {exc.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise _bad(key, f"{path} is not a regular file")
    mode = stat.S_IMODE(st.st_mode)
    if mode & 0o077:
        raise _bad(
            key,
            f"{path} is open to group or others (mode {mode:04o}); run chmod 600 on it",
        )
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise _bad(key, f"{path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        # tomllib's messages carry a position, never the text itself
        raise _bad(key, f"{path} is not valid TOML ({exc})") from None
    result: dict[str, Credentials] = {}
    for name, table in data.items():
        if not isinstance(table, dict):
            raise _bad(key, f"{path}: [{name}] must be a table with user and password")
        user, password = table.get("user"), table.get("password")
        if not isinstance(user, str) or not user:
            raise _bad(key, f"{path}: [{name}] needs a non-empty string user")
        if not isinstance(password, str) or not password:
            raise _bad(key, f"{path}: [{name}] needs a non-empty string password")
        extra = set(table) - {"user", "password"}
        if extra:
            raise _bad(key, f"{path}: [{name}] has unknown key(s) {', '.join(sorted(extra))}")
        result[name] = Credentials(name, user, password)
    return result


def _credentials(
    name: str,
    where: str,
    from_file: dict[str, Credentials] | None,
    cache: dict[str, Credentials],
) -> Credentials:
    if name in cache:
        return cache[name]
    user_var, password_var = env_names(name)
    user, password = os.environ.get(user_var), os.environ.get(password_var)
    if user is not None or password is not None:
        if not user:
            raise _bad(where, f"{password_var} is set but {user_var} is not")
        if not password:
            raise _bad(where, f"{user_var} is set but {password_var} is not")
        cred = Credentials(name, user, password)
    elif from_file is not None and name in from_file:
        cred = from_file[name]
    else:
        source = "credentials_file has no [" + name + "]" if from_file is not None else "no credentials_file"
        raise _bad(where, f"no credentials {name!r}: set {user_var} and {password_var} ({source})")
    cache[name] = cred
    return cred


def _origin(value: str, where: str) -> str:
    if not value.strip():
        raise _bad(where, "must be a URL string like https://10.0.0.5")
    try:
        parts = urlsplit(value.strip())
        port = parts.port  # raises ValueError on a bad port
    except ValueError:
        raise _bad(where, "is not a valid URL") from None
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        # never echo it: it holds a secret
        raise _bad(where, "must not carry credentials; use credentials = NAME")
    if parts.scheme not in ("http", "https"):
        raise _bad(where, f"scheme must be https or http, got {parts.scheme or 'none'!r}")
    if not parts.hostname:
        raise _bad(where, f"{value!r} has no host")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise _bad(where, f"{value!r} must be the BMC's base URL, without a path")
    host = parts.hostname
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")


def parse_config(section: Any, config_dir: pathlib.Path, warn: Callable[[str], None]) -> RedfishConfig:
    values = TOP.read(section, "redfish")
    ca_path = _path(values["ca_bundle"], "ca_bundle", config_dir)
    ca_bundle = str(ca_path) if ca_path else None
    if ca_bundle:
        try:
            ssl.create_default_context(cafile=ca_bundle)
        except (ssl.SSLError, OSError):
            raise _bad("ca_bundle", f"{ca_bundle} holds no PEM certificate") from None
    cred_path = _path(values["credentials_file"], "credentials_file", config_dir)
    logins = _Logins(_load_credentials_file(cred_path) if cred_path else None, warn)
    systems: list[SystemSpec] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(values["systems"]):
        spec = _system(raw, f"systems[{i}]", logins)
        if spec.bay in seen:
            raise _bad(f"systems[{i}].bay", f"{spec.bay} is already mapped by systems[{seen[spec.bay]}]")
        seen[spec.bay] = i
        systems.append(spec)
    # One BMC origin must not be reached with two verify settings: they share a client.
    verify_by_url: dict[str, bool] = {}
    for spec in systems:
        if verify_by_url.setdefault(spec.url, spec.verify) != spec.verify:
            raise _bad("systems", f"{spec.url} appears with both verify = true and verify = false")
    numbers = {k: v for k, v in values.items() if TOP.keys[k].kind in (int, float)}
    return RedfishConfig(systems=tuple(systems), ca_bundle=ca_bundle, **numbers)


@dataclass
class _Logins:
    """The credentials the systems name, each looked up once, and the warnings given."""

    from_file: dict[str, Credentials] | None
    warn: Callable[[str], None]
    cache: dict[str, Credentials] = field(default_factory=dict)
    warned: set[tuple[str, str]] = field(default_factory=set)

    def once(self, what: str, url: str, message: str) -> None:
        if (what, url) not in self.warned:
            self.warned.add((what, url))
            self.warn(message)


def _system(raw: Any, at: str, logins: _Logins) -> SystemSpec:
    """One [[redfish.systems]] table (``at``: e.g. systems[0])."""
    v = SYSTEM.read(raw, f"redfish.{at}")
    bay = v["bay"]
    m = BAY_RE.match(bay)
    if not m:
        raise _bad(f"{at}.bay", f"{bay!r} is not a bay id like enc-a1/3")
    if not 1 <= int(m.group(1)) <= MAX_BAY:
        raise _bad(f"{at}.bay", f"{bay!r}: bay number must be 1..{MAX_BAY}")
    url = _origin(v["url"], f"{at}.url")
    system = v["system"]
    if system is not None and (not SYSTEM_RE.match(system) or "/.." in system):
        raise _bad(f"{at}.system", f"{system!r} is not a path like /redfish/v1/Systems/1")
    aliases = v["aliases"]
    if not all(isinstance(a, str) and HOST_RE.match(a) for a in aliases):
        raise _bad(f"{at}.aliases", "must be a list of host names like ilo-enc-a1-3.example.net")
    cred = None
    if v["credentials"] is not None:
        name = v["credentials"]
        if not NAME_RE.fullmatch(name):
            raise _bad(f"{at}.credentials", "must be a name of letters, digits, - and _")
        cred = _credentials(name, f"{at}.credentials", logins.from_file, logins.cache)
    if not v["verify"]:
        logins.once("verify", url, f"redfish: TLS certificate verification is OFF for {url} "
                    f"({bay}): anyone on the path can impersonate this BMC")
    if url.startswith("http://") and cred is not None:
        logins.once("http", url, f"redfish: {url} ({bay}) is plain HTTP: credentials "
                    f"{cred.name!r} travel unencrypted")
    return SystemSpec(bay=bay, url=url, system=system, credentials=cred, verify=v["verify"],
                      aliases=tuple(a.strip("[]").lower() for a in aliases))
