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

from tui.model.errors import BadInput

BAY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/([1-9][0-9]?)$")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
SYSTEM_RE = re.compile(r"^/redfish/v1/Systems/[^/?#\s]+$")
MAX_BAY = 16

TOP_KEYS = {
    "ca_bundle",
    "credentials_file",
    "concurrency",
    "connections_per_bmc",
    "timeout",
    "retries",
    "poll_interval",
    "power_deadline",
    "event_poll_interval",
    "event_reconnect",
    "systems",
}
SYSTEM_KEYS = {"bay", "url", "system", "credentials", "verify", "aliases"}
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


def _bad(key: str, what: str) -> BadInput:
    return BadInput(f"config: redfish.{key}: {what}")


def _number(section: dict, key: str, default: float, *, integer: bool, low: float, high: float) -> Any:
    if key not in section:
        return default
    value = section[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        kind = "an integer" if integer else "a number"
        raise _bad(key, f"must be {kind}, got {type(value).__name__}")
    if integer and not isinstance(value, int):
        raise _bad(key, f"must be an integer, got {value!r}")
    if not (low <= value <= high):
        raise _bad(key, f"must be between {low:g} and {high:g}, got {value!r}")
    return int(value) if integer else float(value)


def _path(section: dict, key: str, config_dir: pathlib.Path) -> pathlib.Path | None:
    if key not in section:
        return None
    value = section[key]
    if not isinstance(value, str) or not value.strip():
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


def _origin(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
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
    if not isinstance(section, dict):
        raise BadInput("config: redfish: must be a table")
    unknown = set(section) - TOP_KEYS
    if unknown:
        raise _bad(sorted(unknown)[0], f"unknown key (known: {', '.join(sorted(TOP_KEYS))})")

    ca_path = _path(section, "ca_bundle", config_dir)
    ca_bundle = str(ca_path) if ca_path else None
    if ca_bundle:
        try:
            ssl.create_default_context(cafile=ca_bundle)
        except (ssl.SSLError, OSError):
            raise _bad("ca_bundle", f"{ca_bundle} holds no PEM certificate") from None

    cred_path = _path(section, "credentials_file", config_dir)
    from_file = _load_credentials_file(cred_path) if cred_path else None

    numbers = {
        "concurrency": _number(section, "concurrency", 64, integer=True, low=1, high=1024),
        "connections_per_bmc": _number(section, "connections_per_bmc", 16, integer=True, low=1, high=1024),
        "timeout": _number(section, "timeout", 10.0, integer=False, low=0.001, high=600),
        "retries": _number(section, "retries", 3, integer=True, low=0, high=10),
        "poll_interval": _number(section, "poll_interval", 1.0, integer=False, low=0.001, high=60),
        "power_deadline": _number(section, "power_deadline", 60.0, integer=False, low=0.001, high=3600),
        "event_poll_interval": _number(
            section, "event_poll_interval", 10.0, integer=False, low=0.01, high=3600
        ),
        "event_reconnect": _number(section, "event_reconnect", 30.0, integer=False, low=0.01, high=3600),
    }

    raw_systems = section.get("systems", [])
    if not isinstance(raw_systems, list):
        raise _bad("systems", "must be an array of tables ([[redfish.systems]])")
    systems: list[SystemSpec] = []
    seen: dict[str, int] = {}
    cache: dict[str, Credentials] = {}
    insecure_warned: set[tuple[str, str]] = set()
    for i, raw in enumerate(raw_systems):
        at = f"systems[{i}]"
        if not isinstance(raw, dict):
            raise _bad(at, "must be a table")
        unknown = set(raw) - SYSTEM_KEYS
        if unknown:
            raise _bad(f"{at}.{sorted(unknown)[0]}", f"unknown key (known: {', '.join(sorted(SYSTEM_KEYS))})")
        bay = raw.get("bay")
        if not isinstance(bay, str):
            raise _bad(f"{at}.bay", "is required: a bay id like enc-a1/3")
        m = BAY_RE.match(bay)
        if not m:
            raise _bad(f"{at}.bay", f"{bay!r} is not a bay id like enc-a1/3")
        if not 1 <= int(m.group(1)) <= MAX_BAY:
            raise _bad(f"{at}.bay", f"{bay!r}: bay number must be 1..{MAX_BAY}")
        if bay in seen:
            raise _bad(f"{at}.bay", f"{bay} is already mapped by systems[{seen[bay]}]")
        seen[bay] = i
        if "url" not in raw:
            raise _bad(f"{at}.url", "is required: the BMC's base URL")
        url = _origin(raw["url"], f"{at}.url")
        system = raw.get("system")
        if system is not None and (
            not isinstance(system, str) or not SYSTEM_RE.match(system) or "/.." in system
        ):
            raise _bad(f"{at}.system", f"{system!r} is not a path like /redfish/v1/Systems/1")
        verify = raw.get("verify", True)
        if not isinstance(verify, bool):
            raise _bad(f"{at}.verify", "must be true or false")
        aliases = raw.get("aliases", [])
        if not isinstance(aliases, list) or not all(
            isinstance(a, str) and HOST_RE.match(a) for a in aliases
        ):
            raise _bad(f"{at}.aliases", "must be a list of host names like ilo-enc-a1-3.example.net")
        cred = None
        if "credentials" in raw:
            name = raw["credentials"]
            if not isinstance(name, str) or not NAME_RE.fullmatch(name):
                raise _bad(f"{at}.credentials", "must be a name of letters, digits, - and _")
            cred = _credentials(name, f"{at}.credentials", from_file, cache)
        if not verify and ("verify", url) not in insecure_warned:
            insecure_warned.add(("verify", url))
            warn(
                f"redfish: TLS certificate verification is OFF for {url} ({bay}): "
                "anyone on the path can impersonate this BMC"
            )
        if url.startswith("http://") and cred is not None and ("http", url) not in insecure_warned:
            insecure_warned.add(("http", url))
            warn(f"redfish: {url} ({bay}) is plain HTTP: credentials {cred.name!r} travel unencrypted")
        systems.append(SystemSpec(bay=bay, url=url, system=system, credentials=cred, verify=verify,
                                  aliases=tuple(a.strip("[]").lower() for a in aliases)))

    # One BMC origin must not be reached with two verify settings: they share a client.
    verify_by_url: dict[str, bool] = {}
    for spec in systems:
        if verify_by_url.setdefault(spec.url, spec.verify) != spec.verify:
            raise _bad("systems", f"{spec.url} appears with both verify = true and verify = false")

    return RedfishConfig(systems=tuple(systems), ca_bundle=ca_bundle, **numbers)
