"""MAC and WWPN text forms: parsed to integers for the pools, formatted back."""
from __future__ import annotations

import re

from tui.model.errors import BadInput
from tui.model.text import quoted

MAC_RE = re.compile(r"^([0-9A-F]{2}:){5}[0-9A-F]{2}$")
WWPN_RE = re.compile(r"^([0-9A-F]{2}:){7}[0-9A-F]{2}$")


def parse_address(text: str, kind: str) -> int:
    pattern = MAC_RE if kind == "mac" else WWPN_RE
    if not isinstance(text, str) or not pattern.match(text.upper()):
        raise BadInput(f"{quoted(text)} is not a {kind.upper()}")
    return int(text.replace(":", ""), 16)


def format_address(value: int, kind: str) -> str:
    width = 12 if kind == "mac" else 16
    digits = f"{value:0{width}X}"
    return ":".join(digits[i:i + 2] for i in range(0, width, 2))
