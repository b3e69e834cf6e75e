"""Which config file a command reads, and the memory of configs already found valid.

Light on purpose (no model class): `bayops status` reads these before it knows whether
it needs the whole config (tui.cli.fleet's glance). ``tui.core.config`` re-exports them.

The memory: ``load_config(remember=True)`` records a config it validated, by its path and
its exact bytes, with the few values `status` needs from it and the TOML as parsed (as
JSON), in the user's cache folder; ``vouched`` answers whether these very bytes were found
valid (no TOML parsed again), ``parsed`` gives their TOML (the dashboard's start: tomllib
takes ~60 ms of CPU over a 4,000-enclosure config, json ~4 ms). One validator
(``tui.core.config``) stays the only judge: it validates a parse from here as one from
tomllib, a config it refused is never recorded, so the glance falls back to it and the
refusal reads the same. The record is JSON (never code: nothing in it is executed), read
only from a file this user owns that no one else may write, in a folder made 0700; it holds
what the config holds (credentials stay in the files the config names).
"""
from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from tui.resources import data_path

TYPE_CHECKING = False  # not typing's: `status` need not import typing (mypy knows the name)
if TYPE_CHECKING:
    from typing import Any

MAX_CONFIG_BYTES = 1024 * 1024  # a fleet of 64,000 bays needs a fraction of this


def site_config_path() -> Path:
    """The site's config on a server host (docs/deploy.md), which also marks the host as a
    site (tui.client); $BAYOPS_SITE_MARKER moves it, for tests."""
    return Path(os.environ.get("BAYOPS_SITE_MARKER", "/etc/bayops/config.toml"))


def find_config(explicit: str | None) -> Path:
    """--config, $BAYOPS_CONFIG, the user's config, the site's config where this user may
    read it (root and the service user on the server host), else the packaged demo."""
    if explicit or os.environ.get("BAYOPS_CONFIG"):
        return Path(explicit or os.environ["BAYOPS_CONFIG"])
    user, site = user_config_path(), site_config_path()
    if user.exists():
        return user
    return site if os.access(site, os.R_OK) else data_path("config.toml")


def user_config_path() -> Path:
    """The user's own config (read, never written by bayops)."""
    xdg = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(xdg) / "bayops" / "config.toml"


def _vouched_path() -> Path:
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "bayops" / "config-valid"


# The code that judged a config (and made the schema), and the packaged config a user's
# config without a fleet is laid over: an upgrade rewrites these files, so a record made
# by another install of bayops is no record.
_JUDGES = ("core/config.py", "core/configpath.py", "core/validate.py", "core/addresses.py", "model/tables.py",
           "model/entities.py", "core/store/schema.py")


def _judges() -> list[int]:
    package = Path(__file__).parent.parent
    stamps = []
    for found in [(package / name).stat() for name in _JUDGES] + [data_path("config.toml").stat()]:
        stamps += [found.st_mtime_ns, found.st_size]
    return stamps


def _record(path: Path, data: bytes, facts: dict[str, Any], toml: dict[str, Any]) -> bytes:
    header = json.dumps({"path": os.fspath(path.absolute()), "judges": _judges(), **facts},
                        sort_keys=True)
    try:
        parse = json.dumps(toml)
    except (TypeError, ValueError):  # a TOML date or time: that config is parsed each time
        parse = "null"
    return header.encode() + b"\n" + parse.encode() + b"\n" + data


def _recorded(path: Path, data: bytes) -> tuple[dict[str, Any], bytes] | None:
    """The record's facts and its parse (as JSON) if it vouches for exactly ``data`` at
    ``path`` and was made by this very code; else None."""
    try:
        with open(_vouched_path(), "rb") as handle:
            found = os.fstat(handle.fileno())
            if found.st_uid != os.getuid() or found.st_mode & 0o022:
                return None  # not the user's own: what it says is no one's word
            header, _, rest = handle.read().partition(b"\n")
        parse, _, valid = rest.partition(b"\n")
        facts = json.loads(header)
        judges = _judges()
    except (OSError, ValueError):
        return None
    if valid != data or facts.pop("path", None) != os.fspath(path.absolute()) \
            or facts.pop("judges", None) != judges:
        return None
    return facts, parse


def vouched(path: Path, data: bytes) -> dict[str, Any] | None:
    """If exactly these bytes at ``path`` were found valid (``vouch``) by this very code,
    what was recorded then (``[bayops]``'s driver, server and state as written, and the
    schema version of this install); else None."""
    found = _recorded(path, data)
    return None if found is None else found[0]


def parsed(path: Path, data: bytes) -> dict[str, Any] | None:
    """The TOML of exactly these bytes at ``path``, as parsed when they were found valid
    (``vouch``) by this very code; else None (then tomllib reads them)."""
    found = _recorded(path, data)
    if found is None:
        return None
    try:
        toml = json.loads(found[1])
    except ValueError:
        return None
    return toml if isinstance(toml, dict) else None


def vouch(path: Path, data: bytes, facts: dict[str, Any], toml: dict[str, Any]) -> None:
    """Remember that ``data`` at ``path`` is a valid config, with ``facts`` read from it
    and ``toml``, its parse. Private to the user (a config may name secrets' files and
    URLs); best effort: a cache folder that cannot be written only costs the next status
    or dashboard its speed."""
    record = _record(path, data, facts, toml)
    target = _vouched_path()
    try:
        if target.read_bytes() == record:
            return
    except OSError:
        pass
    temporary = target.with_name(f"{target.name}.{os.getpid()}")
    try:
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary.unlink(missing_ok=True)
        with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
            out.write(record)
        os.replace(temporary, target)  # whole or not at all, whoever else writes it
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
