"""Where a ``state`` setting points, as plain strings: ``StateRef.parse``'s one rule,
without the class (`bayops status` at a glance makes none of the model's classes)."""
from __future__ import annotations

import os
from pathlib import Path

URL_SCHEMES = ("postgresql://", "postgres://")


def locate(given: str | os.PathLike[str], relative_to: Path | None = None) -> tuple[str, str]:
    """(kind, location): a ``postgresql://`` (or ``postgres://``) URL names a PostgreSQL
    store; anything else is a SQLite file (a relative path is taken from ``relative_to``
    when given, e.g. the config file's folder)."""
    text = os.fspath(given)
    if text.startswith(URL_SCHEMES):
        return "postgresql", text
    path = Path(text)
    if relative_to is not None:
        path = relative_to / path
    return "sqlite", str(path)
