"""Where a site's state lives, as a value: its kind, its location and the form to show.

``state`` (``--state``, ``$BAYOPS_STATE``, the config) is a SQLite file or a
``postgresql://`` URL. Which one is said once, here, by ``StateRef.parse``; everything
after asks ``kind`` instead of telling a path from a string. A URL may carry a
password: ``shown`` (also what ``str()`` gives) never does, so a ``StateRef`` in a
message, an event, a log or a screen cannot leak it.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from tui.model.statewhere import locate

StoreKind = Literal["sqlite", "postgresql"]


def redacted(url: str) -> str:
    """The URL without its password: what logs, events and screens may show."""
    parts = urlsplit(url)
    if parts.password is not None:
        url = url.replace(f":{parts.password}@", ":***@", 1)
    return re.sub(r"(?i)([?&]password=)[^&]*", r"\1***", url)


@dataclass(frozen=True)
class StateRef:
    kind: StoreKind
    location: str = field(repr=False)  # the file's path, or the whole URL (password and all)

    @classmethod
    def parse(cls, given: str | os.PathLike[str], relative_to: Path | None = None) -> StateRef:
        """A ``postgresql://`` (or ``postgres://``) URL names a PostgreSQL store; anything
        else is a SQLite file (a relative path is taken from ``relative_to`` when given,
        e.g. the config file's folder)."""
        kind, location = locate(given, relative_to)
        return cls("sqlite" if kind == "sqlite" else "postgresql", location)

    @property
    def path(self) -> Path:
        """The SQLite file (a PostgreSQL store has none: ValueError)."""
        if self.kind != "sqlite":
            raise ValueError("a PostgreSQL store is no file")
        return Path(self.location)

    @property
    def shown(self) -> str:
        """What may be shown anywhere: the path, or the URL without its password."""
        return self.location if self.kind == "sqlite" else redacted(self.location)

    def __str__(self) -> str:
        return self.shown

    def __repr__(self) -> str:
        return f"StateRef({self.kind!r}, {self.shown!r})"
