"""Untrusted text on its way to a terminal: the one place it is neutralised.

Anything that came from the store, the config, the environment or a BMC may hold
terminal escapes (ESC/OSC/CSI), other C0 and C1 controls, DEL, bidi overrides or
invisible format characters. Shown raw they retitle a window, move the cursor or
forge a line; ``printable`` shows each as a visible escape instead (``\\x1b``,
``\\u202e``). It is for one-line fields: newline and tab are escaped too. Markup is a
separate matter: the faces render data as plain text (Rich ``Text``, segments), never
as markup strings.
"""
from __future__ import annotations

import re

# C0 controls, DEL, C1 controls, the bidi embeddings, overrides, isolates and marks, and
# the invisible and format characters that hide or forge text: line and paragraph
# separators, zero-width space/joiners, word joiner, BOM, soft hyphen, the combining
# grapheme joiner and the Mongolian vowel separator.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u00ad\u034f\u061c\u180e\u200b-\u200f"
                     "\u2028\u2029\u202a-\u202e\u2060\u2066-\u2069\ufeff]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object) -> str:
    """``text`` as one line a terminal shows as written."""
    value = text if isinstance(text, str) else str(text)
    return _UNSAFE.sub(_visible, value) if _UNSAFE.search(value) else value


def has_unsafe(text: str) -> bool:
    """True when ``text`` holds a character ``printable`` would escape."""
    return _UNSAFE.search(text) is not None


def quoted(value: object, limit: int = 80) -> str:
    """A bad value as an error message quotes it: repr, at most ``limit`` characters."""
    shown = repr(value)
    return printable(shown if len(shown) <= limit else shown[: limit - 1] + "…")


def one_line(text: str) -> str:
    """Text an operator typed, kept as one clean line: every character ``printable`` would
    escape removed (a line or tab break becomes a space), runs of spaces as one."""
    return " ".join(_UNSAFE.sub(lambda m: " " if m.group() in "\n\r\t" else "", text).split())
