"""The one client interface the CLI and the dashboard hold: ``Client`` (tui.client.protocol).

``open_client`` gives either the Core itself (embedded: this process is the whole system)
or a ``RemoteCore`` that asks a `bayops serve` the same questions over httpx. Which one:
``--server``, ``$BAYOPS_SERVER``, ``[bayops] server`` in the user config, or the site's
well-known socket when it or the site marker exists (then a stopped site service is an
error, never a silent private store); embedded otherwise (``server = "none"`` forces it).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from tui.core.configpath import site_config_path
from tui.model.errors import BadInput, BayopsError, OperationFailed

TYPE_CHECKING = False  # not typing's: `status` need not import typing (mypy knows the name)
if TYPE_CHECKING:
    from typing import Any

    from tui.client.protocol import Client
    from tui.client.remote import RemoteCore
    from tui.core.config import Config
    from tui.model.stateref import StateRef

# httpx imports its own command-line client (click, rich, pygments: ~150 ms of a client's
# start) whenever those are installed, and bayops never runs it: a None entry makes that
# optional import fail the way httpx expects (it then defines a stub).
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

SITE_SOCKET = Path("/run/bayops/bayops.sock")
# The host is a site (docs/deploy.md) when its config (tui.core.config.site_config_path) exists,
# even while the service is stopped and its socket is gone. Then no command silently runs
# embedded on a private store.
EMBEDDED = ("none", "embedded")
SITE_ORIGIN = "the site socket"


def site_paths() -> tuple[Path, Path]:
    """(the site socket, the site marker); $BAYOPS_SITE_SOCKET, $BAYOPS_SITE_MARKER for tests.
    The socket is the site config's ``[serve] socket`` where this user may read that file
    (root, the service user), else the default that operators' commands look for."""
    marker = site_config_path()
    if os.environ.get("BAYOPS_SITE_SOCKET"):
        return Path(os.environ["BAYOPS_SITE_SOCKET"]), marker
    return _configured_socket(marker) or SITE_SOCKET, marker


def _configured_socket(marker: Path) -> Path | None:
    try:
        with marker.open("rb") as f:
            import tomllib  # only on a site host, where the file exists

            value = tomllib.load(f).get("serve", {}).get("socket")
    except (OSError, ValueError):  # absent, unreadable to operators, or not TOML: the default
        return None
    if not isinstance(value, str) or not value:
        return None
    return marker.parent / Path(value).expanduser()  # relative to the file's folder, as serve has it


def find_server(explicit: str | None, config: Config) -> tuple[str | None, str]:
    """(server address or None for embedded, where that choice came from)."""
    return choose_server(explicit, config.server, config.path)


def choose_server(explicit: str | None, configured: str, config_path: Path) -> tuple[str | None, str]:
    """``find_server`` given the config's ``[bayops] server`` and the config's path alone."""
    for value, origin in ((explicit, "--server"), (os.environ.get("BAYOPS_SERVER"), "$BAYOPS_SERVER"),
                          (configured, f"server in {config_path}")):
        if value:
            return (None, origin) if value in EMBEDDED else (value, origin)
    site, marker = site_paths()
    if site.exists() or marker.exists():  # a site: its server, running or not
        return f"unix:{site}", f"{SITE_ORIGIN} {site}"
    return None, "no server configured"


def site_down(exc: OperationFailed, origin: str) -> OperationFailed:
    """The error for a site whose service does not answer: say so, not just 'connect failed'."""
    if exc.code != "server-unreachable" or not origin.startswith(SITE_ORIGIN):
        return exc
    site, marker = site_paths()
    why = "its socket is gone" if not site.exists() else "its socket does not answer"
    return OperationFailed(
        f"the site's server is not running ({why}: {site}; this host is a bayops site: "
        f"{marker} exists)", code="server-unreachable",
        hint="start it (systemctl start bayops), or `--server none` to work on a private store")


def _file_setting(env: str, key: str, bayops: dict[str, Any], config_path: Path) -> Path | None:
    """A file named by $``env`` or ``key`` in ``bayops`` (the config's ``[bayops]`` as
    written): ``~`` expanded, a relative path in the config relative to its folder (as
    every path key), one that is missing a plain error."""
    if os.environ.get(env):
        path, named = Path(os.environ[env]).expanduser(), env
    elif bayops.get(key):
        path = config_path.parent / Path(str(bayops[key])).expanduser()
        named = f"{key} in {config_path}"
    else:
        return None
    if not path.is_file():
        what = ("a copy of the CA that signed the server's certificate (on the server's host: "
                "/etc/bayops/tls/ca.pem)" if key == "server_ca"
                else "the secret `bayops token create` showed, alone, chmod 600")
        raise BadInput(f"{named}: {path}: no such file; put there {what}, or fix {named}",
                       code=f"bad-{key.replace('_', '-')}")
    if key == "server_ca":
        import ssl  # only a TLS client pays for it: `bayops status` embedded never does

        try:
            ssl.create_default_context(cafile=str(path))
        except (OSError, ssl.SSLError) as exc:
            raise BadInput(f"{named}: {path}: not a PEM CA certificate ({exc}); copy there the "
                           "CA that signed the server's certificate", code="bad-server-ca") from None
    return path


def ca_for(bayops: dict[str, Any], config_path: Path) -> str | None:
    """The CA file a TLS server's certificate is checked with: $BAYOPS_CA, else [bayops]
    server_ca; None: the public CAs."""
    ca = _file_setting("BAYOPS_CA", "server_ca", bayops, config_path)
    return str(ca) if ca else None


def token_for(bayops: dict[str, Any], config_path: Path) -> str | None:
    """The bearer token for a TLS server: $BAYOPS_TOKEN, else the file [bayops] token_file."""
    if os.environ.get("BAYOPS_TOKEN"):
        value = os.environ["BAYOPS_TOKEN"].strip()
        if value.startswith(("/", "~")) and Path(value).expanduser().is_file():
            # caught here, before the server counts it as a failed token attempt
            raise BadInput("BAYOPS_TOKEN is the secret itself, not a file; use token_file "
                           "([bayops] token_file or BAYOPS_TOKEN_FILE) for a file",
                           code="bad-token-setting")
        return value
    path = _file_setting("BAYOPS_TOKEN_FILE", "token_file", bayops, config_path)
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:  # not yours (made by root), or not text
        why = exc.strerror if isinstance(exc, OSError) else "not text"
        raise BadInput(f"token_file {path}: cannot read it ({why}); it must be yours, chmod 600, "
                       "holding the secret `bayops token create` showed", code="bad-token-file") from None


def server_timeout(bayops: dict[str, Any]) -> float:
    """Seconds a server has to answer a question (the connection, ``info``, a query; a
    run waits for its job however long it takes): $BAYOPS_SERVER_TIMEOUT, else [bayops]
    server_timeout, else 30. A hung server costs one of them, then an error."""
    value = os.environ.get("BAYOPS_SERVER_TIMEOUT") or bayops.get("server_timeout") or 30.0
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not 0.1 <= seconds <= 3600:
        raise BadInput(f"BAYOPS_SERVER_TIMEOUT: {value!r} is no number of seconds from 0.1 to "
                       "3600", code="bad-server-timeout")
    return seconds


def connect(server: str, config: Config, read_only: bool = False,
            state_dir: Path | None = None) -> RemoteCore:
    """A client of ``server`` with the Core's interface (see tui.client.remote)."""
    from tui.client.remote import RemoteCore

    bayops = config.raw.get("bayops", {})
    ca = ca_for(bayops, config.path)
    # mypy sees the operations install() makes as abstract (tests/test_client_protocol.py
    # checks that each exists, with the Core's signature)
    return RemoteCore(server, config, read_only,  # type: ignore[abstract]
                      token=token_for(bayops, config.path), ca=ca, state_dir=state_dir,
                      timeout=server_timeout(bayops))


def environment_error(exc: Exception, state: StateRef | None) -> BayopsError | None:
    """An unexpected exception that is the store's disk, media or database server failing
    (a plain error to show), or None: a bug."""
    if not isinstance(exc, OSError) and type(exc).__module__.partition(".")[0] not in (
            "sqlite3", "psycopg"):
        return None  # the usual case: no need to import the store to know
    from tui.core.store.failures import state_failure
    from tui.model.stateref import StateRef

    return state_failure(exc, state or StateRef.parse("(the state file)"))


def open_client(config: Config, state: str | None, server: str | None,
                read_only: bool = False) -> tuple[Client, str]:
    """(the client, where its choice came from): a server's client or the embedded Core.
    The embedded one resumes nothing here; the caller decides (tui.cli.main)."""
    from tui.core.api import Core
    from tui.core.statepath import find_state, state_folder

    address, origin = find_server(server, config)
    if address is None:
        return Core.open(config, state, read_only=read_only, resume=False), origin
    try:
        return connect(address, config, read_only,
                       state_dir=state_folder(find_state(state, config))), origin
    except OperationFailed as exc:
        raise site_down(exc, origin) from None
