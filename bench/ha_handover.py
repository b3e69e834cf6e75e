"""How long an active/standby pair is without a leader: SIGTERM (the leader lets go of
the lease) and SIGKILL (the lease runs out) of the leading `bayops serve`, each repeated.

Two services on one PostgreSQL database (a server of its own, as tests start it:
tests/pgserver.py), `[serve] ha = true` with the default lease (5 s unless --lease). The
hand-over is measured from the signal to the standby's `/v1/info` saying "leader"; the
old leader is started again as the standby before the next round.

Run: python bench/ha_handover.py [--rounds 5] [--lease 5]
"""
from __future__ import annotations

import argparse
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE.parent / "tests")]
from pgserver import PgServer  # noqa: E402

from tests.conftest import write_config  # noqa: E402
from tests.serve_support import start_server, stop_server  # noqa: E402
from tui.client.remote import transport_for  # noqa: E402


def role(url: str) -> str:
    import httpx

    base, transport = transport_for(url)
    try:
        with httpx.Client(base_url=base, transport=transport, timeout=1.0) as http:
            return str(http.get("/v1/info").json()["result"]["role"])
    except httpx.HTTPError:
        return "down"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--lease", type=float, default=5.0)
    args = parser.parse_args()
    server = PgServer().start()
    folder = Path(tempfile.mkdtemp(prefix="bayops-ha-"))
    try:
        config = write_config(folder / "config.toml")
        config.write_text(config.read_text() + f"\n[serve]\nha = true\nlease_seconds = {args.lease}\n")
        state = server.url(server.create_database())
        sockets = [folder / "a.sock", folder / "b.sock"]
        procs = [start_server(config, state, sockets[0]), start_server(config, state, sockets[1])]
        leader = 0
        for how in (signal.SIGTERM, signal.SIGKILL):
            took = []
            for _ in range(args.rounds):
                standby = 1 - leader
                sent = time.monotonic()
                procs[leader].send_signal(how)
                while role(f"unix:{sockets[standby]}") != "leader":
                    time.sleep(0.02)
                took.append(time.monotonic() - sent)
                stop_server(procs[leader])
                procs[leader] = start_server(config, state, sockets[leader])
                leader = standby
            print(f"{how.name}: hand-over {min(took):.2f}-{max(took):.2f} s, median "
                  f"{statistics.median(took):.2f} s over {args.rounds} (lease {args.lease:g} s)")
        for proc in procs:
            stop_server(proc)
    finally:
        server.destroy()


if __name__ == "__main__":
    main()
