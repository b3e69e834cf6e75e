"""`bayops status` as a server's client (issue 22): one answer (``Core.glance``) read over
the Unix socket without the full client, printing the bytes an embedded status prints on
the same state; and whatever is not a whole answer (no server, garbage, a server from
before the glance) left to the full client, which says the same as it always did."""
from __future__ import annotations

import contextlib
import getpass
import socket
import threading
import types
from pathlib import Path

import pytest

from tests.conftest import Cli, write_config
from tests.serve_support import InProcessServer, socket_path
from tui.cli import fleet

pytestmark = pytest.mark.both_stores  # Core.glance's SQL on SQLite and PostgreSQL

NOW = 1_900_000_000.0  # every way prints the same maintenance times
VIEWS = [(), ("--json",), ("--group", "prod-web"), ("--domain", "web-dom1"),
         ("--json", "--group", "prod-web", "--domain", "web-dom1")]


@pytest.fixture
def ways(cli, monkeypatch):
    """``ways(server, *args)``: the Results of status (the long way: the full client; the
    served glance, seen to answer), the config first found valid by the long way."""
    monkeypatch.setattr(fleet, "time", types.SimpleNamespace(time=lambda: NOW))
    glance = fleet._glance

    def run(server: str, *args: str):
        monkeypatch.setattr(fleet, "_glance", lambda a: None)
        long = cli("--server", server, "status", *args, user=getpass.getuser())
        answered = []
        monkeypatch.setattr(fleet, "_glance", lambda a: answered.append(glance(a)) or answered[-1])
        short = cli("--server", server, "status", *args, user=getpass.getuser())
        return long, short, answered
    return run


@pytest.fixture
def served(cli, tmp_path):
    sock = socket_path(tmp_path)
    with InProcessServer(cli.config, cli.state, sock) as server:
        yield f"unix:{sock}", server


def test_served_status_prints_what_embedded_status_prints(cli, ways, served):
    """Faults, maintenance (one expired), a drained enclosure with profiles left: the same
    bytes embedded and served (the server's user is this OS user: operator is the same)."""
    from tui.model.entities import Maintenance
    from tui.model.params import FailoverParams

    address, server = served
    core = server.service.core_for("tester")
    store = core.store
    web = [b.id for b in store.bays(group="prod-web") if b.profile and b.boot_mode == "san"]
    core.sim_fault(web[0], "critical")
    core.sim_fault(next(b.id for b in store.bays(group="prod-db") if not b.empty), "memory-errors")
    store.start_maintenance(Maintenance("web-dom1", "prod-web", "alice\x1b[31m", "swap\nfans",
                                        NOW - 600, NOW + 3600))
    store.start_maintenance(Maintenance("db-dom1", "prod-db", "bob", "fw", NOW - 7200, NOW - 60))
    claim = store.new_claim(None)
    job = store.create_job("tester", "evacuate enc-w2",
                           FailoverParams("prod-web", "enc-w2/1", "p", None, "test"), (), claim)
    store.finish_job(job, "done", claim)
    store.set_drained("enc-w2", job)
    shown = {}
    for args in VIEWS:
        long, short, answered = ways(address, *args)
        shown[args] = short.out
        assert answered == [0], (args, short.err)
        embedded = cli("--server", "none", "status", *args, user=getpass.getuser())
        assert embedded.code == long.code == short.code == 0, (args, long.err, short.err)
        assert short.out == long.out == embedded.out, args
        assert short.err == long.err  # the same notes: BAYOPS_STATE, BAYOPS_USER ignored
        assert "BAYOPS_STATE is ignored" in short.err
    assert "drained: enc-w2" in shown[()] and "EXPIRED" in shown[()]  # all of it was compared


def test_an_unknown_group_is_refused_by_the_full_client(ways, served):
    long, short, answered = ways(served[0], "--group", "nope")
    assert answered == [None]
    assert (short.code, short.out, short.err) == (long.code, long.out, long.err)
    assert short.code == 2 and "nope" in short.err


class FakeServer:
    """A Unix socket answering every request with ``answer`` (counting them)."""

    def __init__(self, path: Path, answer: bytes) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(str(path))
        self.sock.listen(8)
        self.answer, self.asked = answer, []  # each request's first line
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:  # closed
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                self.asked.append(data.split(b"\r\n", 1)[0].decode())
                conn.sendall(self.answer)


def http(status: str, body: bytes, *headers: str) -> bytes:
    head = [f"HTTP/1.1 {status}", f"Content-Length: {len(body)}", "Connection: close", *headers]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


REFUSED = b'{"error": "no", "message": "OS user x cannot use bayops", "code": "unknown-user", "exit": 3}'


ROWS = b'{"result": {"driver": "sim", "operator": "x", "groups": [{"name": "g"}], "drained": []}}'


@pytest.mark.parametrize(("answer", "raised"), [
    (b"", False),  # closed at once
    (b"SSH-2.0-OpenSSH_9.6\r\n", False),  # another program's socket
    (http("200 OK", b"<html>hello</html>", "Content-Type: text/html"), False),  # not JSON
    (http("404 Not Found", b"404: Not Found", "Content-Type: text/plain"), False),  # no glance route
    (http("200 OK", b'{"result": 42}', "Content-Type: application/json"), False),  # not its shape
    (http("200 OK", ROWS, "Content-Type: application/json"), False),  # rows it does not read
    (http("403 Forbidden", REFUSED, "Content-Type: application/json"), True),  # asked once
])
def test_what_a_server_answers_says_what_the_full_client_says(ways, tmp_path, answer, raised):
    fake = FakeServer(socket_path(tmp_path, "fake.sock"), answer)
    try:
        long, short, answered = ways(f"unix:{socket_path(tmp_path, 'fake.sock')}")
    finally:
        fake.sock.close()
    assert (short.code, short.out, short.err) == (long.code, long.out, long.err)
    assert short.code != 0 and short.err.startswith("bayops: ")
    # the glance asked once, and raised the answer or gave up (then the full client asked)
    [glance] = [i for i, line in enumerate(fake.asked) if line.startswith("GET /v1/query/glance ")]
    assert answered == ([] if raised else [None]) and (glance == len(fake.asked) - 1) == raised
    if raised:
        assert (short.code, short.err) == (3, "bayops: OS user x cannot use bayops\n")


def test_no_server_is_said_as_the_full_client_says_it(ways, tmp_path):
    long, short, answered = ways(f"unix:{tmp_path / 'none.sock'}")
    assert answered == [None]
    assert (short.code, short.out, short.err) == (long.code, long.out, long.err)
    assert short.code == 1 and "is `bayops serve` running?" in short.err


class HungServer:
    """A Unix socket that takes connections (the kernel's backlog does) and never answers."""

    def __init__(self, path: Path) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(str(path))
        self.sock.listen(8)

    def taken(self) -> int:
        """How many connections were made to it (each waits in the backlog)."""
        self.sock.setblocking(False)
        count = 0
        with contextlib.suppress(BlockingIOError):
            while True:
                self.sock.accept()[0].close()
                count += 1
        return count


@pytest.mark.sqlite_only  # the transport is the subject, not the store
@pytest.mark.parametrize(("command", "set_by"), [("status", "config"), ("bays", "env")])
def test_a_hung_server_costs_one_timeout_then_an_error(cli, tmp_path, monkeypatch, command,
                                                       set_by):
    """A server that takes the connection and never answers: the glance waited its 30 s,
    then the full client asked again and waited for ever. Now one wait of the configured
    server_timeout (the config's, or $BAYOPS_SERVER_TIMEOUT), one connection, exit 1."""
    path = socket_path(tmp_path, "hung.sock")
    hung = HungServer(path)
    if set_by == "config":
        config = write_config(tmp_path / "hung.toml", replace={
            'driver = "sim" ': 'server_timeout = 1.5\ndriver = "sim" '})
        cli = Cli(config, cli.state)
    else:
        monkeypatch.setenv("BAYOPS_SERVER_TIMEOUT", "1.5")
    with hung.sock:
        r = cli("--server", f"unix:{path}", command, subprocess=True, timeout=25)
        assert r.code == 1 and r.err.startswith(
            f"bayops: server unix:{path} did not answer within 1.5 s: is `bayops serve` hung"), r.err
        assert hung.taken() == 1, "asked once"


@pytest.mark.sqlite_only  # the transport is the subject, not the store
def test_over_tls_the_certificate_is_checked_and_the_token_sent(cli, ways, tmp_path):
    """With the config's own CA (a path relative to it) and token file: the glance answers,
    the same bytes as the full client; a bad token is refused as the full client is (one
    attempt each); another CA's certificate or none configured leave it to the full
    client, which says the certificate is not trusted."""
    from tests.serve_support import start_server, stop_server
    from tests.test_serve_processes import _certificates, _free_port

    _, cert, key = _certificates(tmp_path)  # ca.pem beside the config
    (tmp_path / "other").mkdir()
    other_ca = _certificates(tmp_path / "other")[0]
    port = _free_port()
    served_config = tmp_path / "served.toml"
    served_config.write_text(cli.config.read_text() + f'\n[serve]\nlisten = "127.0.0.1:{port}"\n'
                             f'tls_cert = "{cert}"\ntls_key = "{key}"\n')
    server = start_server(served_config, cli.state, socket_path(tmp_path))
    try:
        made = cli("--config", str(served_config), "--server", "none", "token", "create",
                   "--user", "alice", "--json", "--yes")
        assert made.code == 0, made.err
        token = tmp_path / "token"
        token.write_text(made.json["token"] + "\n")
        token.chmod(0o600)
        plain = cli.config.read_text()
        address = f"https://127.0.0.1:{port}"

        def configure(ca_line: str) -> None:
            cli.config.write_text(plain.replace("[bayops]", f'[bayops]\n{ca_line}\ntoken_file = "token"', 1))

        configure('server_ca = "ca.pem"')
        for args in (("--json",), ("--group", "prod-web")):
            long, short, answered = ways(address, *args)
            assert answered == [0], short.err
            assert (short.code, short.out, short.err) == (long.code, long.out, long.err)
            assert short.code == 0
        assert '"operator":"alice"' in ways(address, "--json")[1].out
        token.write_text("bayops_" + "0" * 43)
        long, short, answered = ways(address)
        assert answered == [] and (short.code, short.out, short.err) == (long.code, long.out, long.err)
        assert short.code == 3 and "no valid bearer token" in short.err and "bayops_0" not in short.err
        token.write_text(made.json["token"])
        for ca_line in (f'server_ca = "{other_ca}"', ""):
            configure(ca_line)
            long, short, answered = ways(address)
            assert answered == [None]
            assert (short.code, short.out, short.err) == (long.code, long.out, long.err)
            assert short.code == 1 and "TLS certificate is not trusted" in short.err, short.err
    finally:
        stop_server(server)
