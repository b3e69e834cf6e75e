"""Fleet-wide MAC, WWPN and serial pools: each address free, in use or excluded."""
from __future__ import annotations

from tui.core.config import PoolsSpec, RangeSpec, format_address
from tui.core.errors import Refused

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
        in_range = sum(1 for a in self.used[kind] if self._in_range(kind, a, pool))
        return pool.end - pool.start + 1 - in_range

    def _in_range(self, kind: str, address: str, pool: RangeSpec) -> bool:
        try:
            value = (int(address[len(self.spec.serial_prefix):]) if kind == "serial"
                     else int(address.replace(":", ""), 16))
        except ValueError:
            return False
        return pool.start <= value <= pool.end
