"""Fleet-wide MAC, WWPN and serial pools: each address free, in use or excluded."""
from __future__ import annotations

from tui.core.addresses import format_address, parse_address
from tui.core.config import PoolsSpec, RangeSpec
from tui.model.errors import BadInput, Refused
from tui.model.text import quoted

KINDS = ("mac", "wwpn", "serial")


class Allocator:
    """Hands out free addresses in order, skipping those in use or excluded.

    Built from one snapshot of what is used; the caller allocates and stores inside
    one write transaction so no other process can take the same address meanwhile
    (and the UNIQUE columns would refuse it if one did).
    """

    def __init__(self, spec: PoolsSpec, used: dict[str, set[str]]):
        self.spec = spec
        self.used = used
        self.next = {"mac": spec.mac.start, "wwpn": spec.wwpn.start, "serial": spec.serial.start}

    def _range(self, kind: str) -> RangeSpec:
        return {"mac": self.spec.mac, "wwpn": self.spec.wwpn, "serial": self.spec.serial}[kind]

    def format(self, kind: str, value: int) -> str:
        if kind == "serial":
            return f"{self.spec.serial_prefix}{value:07d}"
        return format_address(value, kind)

    def take(self, kind: str) -> str:
        pool = self._range(kind)
        value = self.next[kind]
        while value <= pool.end:
            text = self.format(kind, value)
            value += 1
            if text not in self.used[kind]:
                self.used[kind].add(text)
                self.next[kind] = value
                return text
        raise Refused(f"the {kind} pool is exhausted ({self.format(kind, pool.start)}.."
                      f"{self.format(kind, pool.end)})")

    def free_count(self, kind: str) -> int:
        pool = self._range(kind)
        in_range = sum(1 for a in self.used[kind] if self.in_range(kind, a))
        return pool.end - pool.start + 1 - in_range

    def _value(self, kind: str, address: str) -> int | None:
        try:
            if kind == "serial":
                if not address.startswith(self.spec.serial_prefix):
                    return None
                return int(address[len(self.spec.serial_prefix):])
            return parse_address(address, kind)
        except (ValueError, BadInput):
            return None

    def in_range(self, kind: str, address: str) -> bool:
        value = self._value(kind, address)
        pool = self._range(kind)
        return value is not None and pool.start <= value <= pool.end

    def parse(self, kind: str, text: str) -> str:
        """The canonical form of an address the operator typed; BadInput if malformed."""
        value = self._value(kind, text.strip().upper())
        if value is None:
            example = {"mac": "00:17:A4:77:00:10", "wwpn": "50:06:0B:00:00:C2:00:10",
                       "serial": f"{self.spec.serial_prefix}0000010"}[kind]
            raise BadInput(f"{quoted(text)} is not a {kind} address (e.g. {example})")
        return self.format(kind, value)
