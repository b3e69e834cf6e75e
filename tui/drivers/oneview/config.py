"""The ``[oneview]`` table of bayops' config.toml, validated, and the secret it names.

Everything here runs once, when the driver is built: a bad table is a one-line
:class:`BadInput` naming the key, before the appliance is contacted. The password is
read from a file (mode 0600) or an environment variable the table names, never from
the table itself, and lives only in :class:`Login`, whose repr hides it.
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

_PATH = "a non-empty path string"
_URL = "the appliance's address, like https://oneview.example.net"
TABLE = Table({
    "url": Key(str, what=_URL),
    "credentials_file": Key(str, None, what=_PATH),
    "user": Key(str, None, what="the appliance account name"),
    "password_env": Key(str, None, what="the name of an environment variable"),
    "login_domain": Key(str, "", what="a string (the directory, or empty for local)"),
    "ca_file": Key(str, None, what=_PATH),
    "insecure": Key(bool, False),
    "api_version": Key(int, None, what="a positive integer, e.g. 2400"),
    "timeout": Key(float, 30.0, 0.01, 600),
    "retries": Key(int, 5, 0, 20),
    "busy_wait": Key(float, 120.0, 0, 3600),
    "task_timeout": Key(float, 1800.0, 0.1, 86400),
    "poll_interval": Key(float, 1.0, 0.001, 60),
    "spare_label": Key(str, "bayops-spare",
                       what="a label name of letters, digits, '.', '_' and '-'"),
})
ENV_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
LABEL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class Login:
    """The appliance account. Never printed, never pickled."""

    __slots__ = ("_password", "domain", "user")

    def __init__(self, user: str, password: str, domain: str) -> None:
        self.user = user
        self._password = password
        self.domain = domain

    @property
    def password(self) -> str:
        return self._password

    def __repr__(self) -> str:
        return f"Login(user={self.user!r}, password=<hidden>)"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("Login cannot be pickled")


@dataclass(frozen=True)
class OneViewConfig:
    url: str
    login: Login = field(repr=False, compare=False)
    ca_file: str | None = None
    insecure: bool = False
    api_version: int | None = None  # None: the appliance's currentVersion
    timeout: float = 30.0
    retries: int = 5  # 503 answers retried (honouring Retry-After) before giving up
    busy_wait: float = 120.0  # the longest a call waits out a busy appliance in all
    task_timeout: float = 1800.0  # a profile move can take many minutes on real hardware
    poll_interval: float = 1.0  # between two reads of a running task
    spare_label: str = "bayops-spare"

    def ssl_context(self) -> ssl.SSLContext:
        if self.insecure:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            return ctx
        return ssl.create_default_context(cafile=self.ca_file)


def _bad(key: str, what: str) -> BadConfig:
    return BadConfig(f"oneview.{key}", what)


def _file(value: str | None, key: str, config_dir: pathlib.Path) -> pathlib.Path | None:
    if value is None:
        return None
    if not value.strip():
        raise _bad(key, "must be a non-empty path string")
    path = pathlib.Path(value).expanduser()
    path = path if path.is_absolute() else config_dir / path
    if not path.is_file():
        raise _bad(key, f"{path} is not a readable file")
    return path


def _origin(value: str) -> str:
    if not value.strip():
        raise _bad("url", f"is required: {_URL}")
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        raise _bad("url", "is not a valid URL") from None
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise _bad("url", "must not carry credentials; use credentials_file or password_env")
    if parts.scheme != "https":
        raise _bad("url", "must be https:// (the appliance answers only over TLS)")
    if not parts.hostname or parts.path not in ("", "/") or parts.query or parts.fragment:
        raise _bad("url", "must be the appliance's base URL, without a path")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"https://{host}" + (f":{port}" if port is not None else "")


def _from_file(path: pathlib.Path) -> tuple[str, str, str]:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise _bad("credentials_file", f"{path} is open to group or others (mode {mode:04o}); "
                   "run chmod 600 on it")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise _bad("credentials_file", f"{path}: cannot read ({type(exc).__name__})") from None
    except tomllib.TOMLDecodeError as exc:  # its messages carry a position, never the text
        raise _bad("credentials_file", f"{path} is not valid TOML ({exc})") from None
    extra = set(data) - {"user", "password", "login_domain"}
    if extra:
        raise _bad("credentials_file", f"{path}: unknown key(s) {', '.join(sorted(extra))}")
    user, password = data.get("user"), data.get("password")
    if not isinstance(user, str) or not user or not isinstance(password, str) or not password:
        raise _bad("credentials_file", f"{path} needs a non-empty string user and password")
    domain = data.get("login_domain", "")
    if not isinstance(domain, str):
        raise _bad("credentials_file", f"{path}: login_domain must be a string")
    return user, password, domain


def _login(values: dict[str, Any], config_dir: pathlib.Path) -> Login:
    path = _file(values["credentials_file"], "credentials_file", config_dir)
    env, domain = values["password_env"], values["login_domain"]
    if path is not None and env is not None:
        raise _bad("password_env", "set either credentials_file or password_env, not both")
    if path is not None:
        user, password, file_domain = _from_file(path)
        return Login(user, password, file_domain or domain)
    if env is None:
        raise _bad("credentials_file", "is required, or password_env with user: where the "
                   "appliance password is read (never in this file)")
    if not ENV_RE.match(env):
        raise _bad("password_env", "must be the name of an environment variable")
    name = values["user"]
    if not name:
        raise _bad("user", "is required with password_env: the appliance account name")
    secret = os.environ.get(env)
    if not secret:
        raise _bad("password_env", f"the environment variable {env} is not set")
    return Login(name, secret, domain)


def parse_config(section: Any, config_dir: pathlib.Path, warn: Callable[[str], None]) -> OneViewConfig:
    values = TABLE.read(section, "oneview")
    url = _origin(values["url"])
    ca_path = _file(values["ca_file"], "ca_file", config_dir)
    if ca_path is not None:
        try:
            ssl.create_default_context(cafile=str(ca_path))
        except (ssl.SSLError, OSError):
            raise _bad("ca_file", f"{ca_path} holds no PEM certificate") from None
    if values["insecure"]:
        warn(f"oneview: TLS certificate verification is OFF for {url} (insecure = true): anyone "
             "on the path can impersonate the appliance and read its password")
    version = values["api_version"]
    if version is not None and version < 1:
        raise _bad("api_version", "must be a positive integer, e.g. 2400")
    label = values["spare_label"]
    if not LABEL_RE.match(label):
        raise _bad("spare_label", "must be a label name of letters, digits, '.', '_' and '-'")
    return OneViewConfig(
        url=url, login=_login(values, config_dir),
        ca_file=str(ca_path) if ca_path else None, insecure=values["insecure"],
        api_version=version, timeout=values["timeout"], retries=values["retries"],
        busy_wait=values["busy_wait"], task_timeout=values["task_timeout"],
        poll_interval=values["poll_interval"], spare_label=label,
    )
