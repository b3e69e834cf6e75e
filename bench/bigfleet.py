"""Writes a config for a VCEM-ceiling fleet: 1,000 enclosures, 16,000 bays.

Used by the benchmarks: ``write_config(path)`` returns the path of a config.toml with
zero simulator latency (core overhead only) unless ``latency`` is given.
"""
from __future__ import annotations

from pathlib import Path

import tomli_w


def fleet_config(enclosures: int = 1000, groups: int = 25, latency: float = 0.0) -> dict:
    per_group = enclosures // groups
    config: dict = {
        "bayops": {"driver": "sim", "graceful_deadline": 0},
        "sim": {"seed": 11, "latency": dict.fromkeys(
            ("power_off", "power_on", "apply_profile", "clear_profile", "domain_config"), latency)},
        "roles": {"default": "admin"},
        "pools": {"mac": {"start": "00:17:A4:00:00:00", "end": "00:17:A4:FF:FF:FF"},
                  "wwpn": {"start": "50:06:0B:00:00:00:00:00", "end": "50:06:0B:00:00:FF:FF:FF"}},
        "groups": [],
    }
    made = 0
    for g in range(groups):
        count = per_group if g < groups - 1 else enclosures - made
        domains = []
        for d in range(0, count, 4):
            encs = [{"name": f"e{g:02d}-{made + i:04d}", "model": "c7000"}
                    for i in range(min(4, count - d))]
            made += len(encs)
            domains.append({"name": f"g{g:02d}-d{d // 4:03d}", "enclosures": encs})
        config["groups"].append({
            "name": f"grp-{g:02d}", "policy": "manual", "firmware": "4.62",
            "networks": {"front": 100 + g, "back": 200 + g, "mgmt": 10},
            "fabrics": ["san-a", "san-b"], "models": ["ProLiant BL460c Gen10"],
            "spares": 8, "local_boot": 0.05, "profile_prefix": f"p{g:02d}",
            "domains": domains,
        })
    return config


def write_config(path: Path, enclosures: int = 1000, groups: int = 25,
                 latency: float = 0.0) -> Path:
    path = Path(path)
    path.write_bytes(tomli_w.dumps(fleet_config(enclosures, groups, latency)).encode())
    return path


if __name__ == "__main__":
    import sys

    print(write_config(Path(sys.argv[1] if len(sys.argv) > 1 else "bigfleet.toml")))
