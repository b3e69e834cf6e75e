"""A domain's storage configuration, edited in maintenance: per SAN fabric its type,
speed, the storage systems (targets) it reaches, and the storage management credentials.

Credentials are kept only as a reference, ``@/absolute/path``, to a file on the host
that runs bayops (or its service), readable by that user alone; the driver reads the
file when it pushes the configuration. The secret itself never enters the store, an
event, a backup, an archive, a plan or an answer of the service.
"""
from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from tui.model.entities import DomainConfig
from tui.model.errors import BadInput, Refused
from tui.model.text import quoted

TYPES = ("fc", "fcoe", "iscsi")
SPEEDS = ("auto", "2", "4", "8", "16", "32")
TARGET_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")  # a name or a WWPN
# the array ports one fabric reaches: a few in practice; a bound keeps a pasted list (or
# a hostile one) out of every job summary, plan and backup
MAX_TARGETS = 32
SETTINGS = "type fc|fcoe|iscsi, speed auto|2..32, targets A,B, credentials @FILE"


def edited(config: DomainConfig, domain: str, key: str, value: str) -> DomainConfig:
    """``config`` with ``storage.<key>`` (``FABRIC.SETTING``) set to ``value`` ('-' removes)."""
    fabric, _, setting = key.partition(".")
    if fabric not in config.fabrics:
        raise BadInput(f"domain {domain} has no fabric {quoted(fabric)} "
                       f"(storage.FABRIC.SETTING: {SETTINGS})")
    storage = {f: dict(s) for f, s in config.storage.items()}
    settings = storage.setdefault(fabric, {})
    if value == "-":
        if setting not in settings:
            raise BadInput(f"fabric {fabric} of {domain} has no {quoted(setting)} set")
        del settings[setting]
    else:
        settings[setting] = _checked(setting, value)
    return DomainConfig(dict(config.networks), config.fabrics, config.firmware, dict(config.users),
                        {f: s for f, s in storage.items() if s})


def _checked(setting: str, value: str) -> str:
    if setting == "type" and value in TYPES:
        return value
    if setting == "speed" and value in SPEEDS:
        return value
    if setting == "targets":
        targets = [t.strip() for t in value.split(",") if t.strip()]
        bad = [t for t in targets if not TARGET_RE.fullmatch(t)]
        if not targets or bad:
            raise BadInput(f"targets must be names or WWPNs separated by commas, got "
                           f"{quoted(bad[0] if bad else value)}")
        if len(set(targets)) > MAX_TARGETS:
            raise BadInput(f"targets: {len(set(targets))} given; at most {MAX_TARGETS}")
        return ",".join(sorted(set(targets)))
    if setting == "credentials":
        return credentials_reference(value)
    if setting in ("type", "speed"):
        raise BadInput(f"storage {setting} must be one of "
                       f"{', '.join(TYPES if setting == 'type' else SPEEDS)}, got {quoted(value)}")
    raise BadInput(f"unknown storage setting {quoted(setting)} ({SETTINGS})")


def credentials_reference(value: str) -> str:
    """``@/path`` of a regular file only its owner can read; its contents are never read here."""
    if not value.startswith("@"):
        raise BadInput("storage credentials are given as @FILE (the file holds the secret; "
                       "bayops keeps only where it is)")
    path = Path(value[1:])
    if not path.is_absolute():
        raise BadInput(f"credentials file {quoted(str(path))} must be an absolute path on the "
                       "host that runs bayops")
    try:
        info = path.stat()
    except OSError as exc:
        raise BadInput(f"credentials file {quoted(str(path))}: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode) or not os.access(path, os.R_OK):
        raise BadInput(f"credentials file {quoted(str(path))} is not a readable file")
    if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise Refused(f"credentials file {quoted(str(path))} is readable by others "
                      f"(mode {stat.S_IMODE(info.st_mode):o}); chmod 600 it", code="unsafe-file")
    return f"@{path}"
