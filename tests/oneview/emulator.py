"""An HPE OneView appliance emulator: a real HTTPS server on 127.0.0.1 plus a handle.

Built from HPE's published OneView REST API reference (API 2400, OneView 6.60) and the
request/response shapes in HPE's Apache-2.0 SDKs (HewlettPackard/oneview-golang,
oneview-python) and the POSH-HPEOneView cmdlet docs; no file of theirs is copied.
Origin, licences and what is simplified: tests/oneview/README.md.

Start one (a thread in the test process, so the real ``bayops`` CLI in a subprocess and
the dashboard both reach it; it outlives a SIGKILLed client)::

    from tests.oneview.emulator import OneViewEmulator   # under pytest: oneview.emulator
    from tests.oneview.inventory import small_spec, large_spec, Spec, ...
    emu = OneViewEmulator(tmp_path, small_spec(), task_delay=0.05, page_size=50).start()
    emu.url          # "https://127.0.0.1:PORT"
    emu.ca_file      # PEM of its self-signed certificate: the driver's CA file option
    emu.user, emu.password          # the only account ("Administrator", ...)
    emu.stop()       # also a context manager; emu.restart() keeps the state, drops sessions

Or in a process of its own: ``python -m tests.oneview.emulator --workdir DIR --bays 1000
--duration profile=5`` prints ``{"url", "ca_file", "user", "password_file"}`` and serves
until SIGTERM (no handle then).

The fixture ``oneview`` (tests/oneview/conftest.py) gives a started small_spec() one.

REST surface (each with its source in tests/oneview/README.md): GET /rest/version (no
auth); POST/DELETE /rest/login-sessions (the version header optional on login); every
other call needs ``Auth`` and ``X-API-Version``; GET on every collection
(start/count/filter/sort, ``nextPageUri``) and member; PUT
server-hardware/{id}/powerState; PUT server-profiles/{id} (``?force=true``); PUT
logical-interconnects/{id}/compliance and .../{ethernetSettings|internalNetworks|
firmware}, GET .../firmware (the LI's modules take the SPP's version); PATCH
logical-enclosures/{id} (op replace /firmware: the firmware baseline); PATCH
enclosures/{id} (op replace /deviceBays/{n}/bayPowerState E-Fuse: Synergy frames only);
GET /rest/interconnects/{id}/statistics/{portName}; PUT logical-interconnect-groups/{id};
POST /rest/uplink-sets, PUT/DELETE /rest/uplink-sets/{id} (an LI's uplink sets); POST
/rest/labels/resources, GET/PUT /rest/labels/resources/<resourceUri>, GET
/rest/index/resources?category=&query=labels='NAME'; PUT /rest/alerts/{id}
(alertState Cleared); POST /rest/backups (one kept); GET /rest/appliance/nodeinfo/version.
Writes answer 202 with the task in the body and its uri in ``Location``; tasks go
New -> Running (percentComplete rising with the clock) -> Completed | Error (taskErrors)
| Interrupted.

What it refuses (status, errorCode):
- 401 AUTHN_AUTH_FAIL: a wrong login; 401 AUTHORIZATION: no, unknown, expired or idle
  session; 400 MISSING_API_VERSION / UNSUPPORTED_API_VERSION (outside
  MINIMUM_VERSION..CURRENT_VERSION); 503 + Retry-After while busy; 400 INVALID_FILTER
- profile PUT: 412 PRECONDITION_FAILED (stale eTag in the body or If-Match); 409
  ProfileTaskInProgress; when serverHardwareUri changes (move, assign, or null:
  unassign): 400 InvalidServerHardwareUri, ProfileAlreadyExistsInServer,
  InvalidServerHardwareType, InvalidEnclosureGroup (the profile's type/group, as the body
  sets them, against the target's), PowerStateOnOrUnknown (source or target not Off).
  Identities (virtual MACs/WWPNs/WWNNs/serial) never change; physical ones follow the blade
- power PUT: 400 INVALID_POWER_REQUEST / InvalidPowerControl; 409 ServerHardwareLocked
  while a profile task holds the blade
- LIG PUT: 412 on a stale eTag; 400 INVALID_FC_NETWORK_URI / INVALID_NETWORK_URI for
  an uplink set's network or an internal network the appliance does not have; a field a
  LIG does not have (``firmware``) is dropped
- LE PATCH: 412 on a stale If-Match; 400 INVALID_PATCH_REQUEST (other than op replace
  /firmware), INVALID_FIRMWARE_BASELINE, INVALID_FIRMWARE_UPDATE_ON
- uplink sets: 400 INVALID_FC_NETWORK_URI (an FC network it does not have),
  INVALID_FC_UPLINK_SET (a FibreChannel set carries exactly one FC network),
  DUPLICATE_UPLINK_SET_NAME, INVALID_LOGICAL_INTERCONNECT_URI; PUT: 412 on a stale eTag

The handle (all look-ups first advance the tasks, all return deep copies):

- ``emu.profile(name)``, ``emu.hardware(key)`` (key: name "enc-a1, bay 3", "enc-a1/3",
  uri or uuid), ``emu.resource(collection, key)``, ``emu.find(key)`` (any collection, by
  uri or name), ``emu.members(collection)``
- ``emu.task(uri)``; ``emu.tasks_for(key)``: tasks whose associatedResource is that
  resource, newest first; ``emu.puts_to(key)``: PUTs to it and its sub-resources;
  ``emu.task_seconds(kinds=TASK_KINDS)``: the summed time of the ended tasks (bench)
- ``emu.requests``: Counter of (method, path); ``emu.refusals``: Counter of errorCode;
  ``emu.versions``: Counter of X-API-Version values sent; ``emu.logins``
- ``emu.labels_of(key)``
- knobs: ``emu.task_delay`` (seconds any task takes), ``emu.durations[kind]`` per task
  kind (TASK_KINDS), ``emu.page_size``, ``emu.session_timeout`` (idle seconds)
- ``emu.fail_next_task(key, code=, message=)``: the next task on that resource (a profile,
  a hardware's power, an LI's compliance...) ends in Error with that taskErrors entry
- ``emu.set_port(interconnect, port, linked, rx_errors=0)``: an uplink taken down or up
- ``emu.set_busy(seconds)``: every call answers 503 + Retry-After until then
- ``emu.expire_sessions()``: every session answers 401 from now on
- ``emu.hang_os(hardware, hung=True)``: a MomentaryPress Off on it never completes (a
  PressAndHold then interrupts it: taskState Interrupted)
- ``emu.set_power(hardware, "On"|"Off"|"Unknown", after_efuse=None)`` (Unknown: its iLO
  does not answer, power tasks end in Error, and its profile can leave it only with PUT
  ...?force=true|all|ignoreServerHealth; ``after_efuse``: the power it reads once an
  E-Fuse of its bay power-cycled it, None: its iLO never comes back)
- ``emu.change_profile_outside(name, mutate=None, **fields)``: an edit made in OneView's
  own console (new eTag); ``serverHardwareUri=`` moves it without the power rules
- ``emu.create_profile_outside(name, hardware)``: a new profile on that hardware
- ``emu.create_fc_network(name)`` -> uri: an FC network made in the console
- ``emu.set_firmware_baseline(logical_enclosure, spp_name)``: an LE's baseline set in the
  console (EnclosureOnly: its interconnects keep their firmware)
- ``emu.raise_alert(key, severity="Critical", description=...)`` -> alert uri (the
  resource's status becomes at least that severity); ``emu.clear_alert(uri)``
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import ipaddress
import json
import pathlib
import socket
import ssl
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from .appliance import EMU_PASSWORD, EMU_USER, Appliance
from .common import ApiError, task_error
from .inventory import Spec, place_profile, small_spec

# the task kinds emu.durations can time separately (else emu.task_delay)
TASK_KINDS = (
    "power-on",
    "power-off",
    "graceful-off",
    "reset",
    "profile",
    "compliance",
    "li-update",
    "lig-update",
    "le-firmware",
    "backup",
    "efuse",
)


def self_signed(workdir: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path]:
    """A certificate for 127.0.0.1 (subjectAltName IP) and its key, made in-process."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "oneview-emulator")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = workdir / "oneview-cert.pem", workdir / "oneview-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as httpx clients expect
    server: _Server

    def setup(self) -> None:
        # the TLS handshake happens here, in the connection's own thread, so one slow
        # client cannot stall the accept loop
        self.request.settimeout(30)
        # headers and body go out in two writes: without this, Nagle and delayed ACKs
        # add 40 ms to every answer
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.request.do_handshake()
        self.server.connections.add(self.request)
        super().setup()

    def finish(self) -> None:
        self.server.connections.discard(self.request)
        super().finish()

    def serve(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            reply = self.server.appliance.error(
                ApiError(400, "INVALID_JSON", "The request body is not JSON.")
            )
        else:
            reply = self.server.appliance.handle(
                self.command, url.path, parse_qs(url.query, keep_blank_values=True), self.headers, body
            )
        self.send_response(reply.status)
        data = reply.body if isinstance(reply.body, bytes) else b""
        if data:
            self.send_header("Content-Type", "application/json")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = serve

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, appliance: Appliance, context: ssl.SSLContext) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.socket = context.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)
        self.appliance = appliance
        self.connections: set[socket.socket] = set()

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that hangs up mid-request is not the emulator's failure

    def drop_connections(self) -> None:
        for conn in list(self.connections):
            with contextlib.suppress(OSError):  # already closed by its client
                conn.shutdown(socket.SHUT_RDWR)


class OneViewEmulator:
    """The HTTPS server and the handle tests use; see the module docstring."""

    def __init__(
        self,
        workdir: pathlib.Path,
        spec: Spec | None = None,
        *,
        task_delay: float = 0.05,
        page_size: int = 50,
        tls: tuple[pathlib.Path, pathlib.Path] | None = None,
    ) -> None:
        self.workdir = pathlib.Path(workdir)
        self.appliance = Appliance(spec or small_spec(), task_delay=task_delay, page_size=page_size)
        self.tls = tls
        self.port = 0
        self.user, self.password = EMU_USER, EMU_PASSWORD
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- life ----------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def ca_file(self) -> pathlib.Path:
        assert self.tls is not None, "start() first"
        return self.tls[0]

    def start(self) -> OneViewEmulator:
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self.tls is None:
            self.tls = self_signed(self.workdir)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*self.tls)
        self._server = _Server(self.port, self.appliance, context)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"oneview-emulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.drop_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def restart(self) -> None:
        """Stop and serve again on the same port with the same state; sessions are gone
        (as after an appliance reboot)."""
        self.stop()
        with self.appliance.lock:
            self.appliance.sessions.clear()
        self.start()

    def __enter__(self) -> OneViewEmulator:
        return self.start() if self._server is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- knobs ---------------------------------------------------------------------

    @property
    def task_delay(self) -> float:
        return self.appliance.task_delay

    @task_delay.setter
    def task_delay(self, seconds: float) -> None:
        self.appliance.task_delay = seconds

    @property
    def durations(self) -> dict[str, float]:
        return self.appliance.durations

    @property
    def page_size(self) -> int:
        return self.appliance.page_size

    @page_size.setter
    def page_size(self, size: int) -> None:
        self.appliance.page_size = size

    @property
    def session_timeout(self) -> float:
        return self.appliance.session_timeout

    @session_timeout.setter
    def session_timeout(self, seconds: float) -> None:
        self.appliance.session_timeout = seconds

    @property
    def requests(self):
        return self.appliance.requests

    @property
    def refusals(self):
        return self.appliance.refusals

    @property
    def versions(self):
        return self.appliance.versions

    @property
    def logins(self) -> int:
        return self.appliance.requests[("POST", "/rest/login-sessions")]

    # --- look-ups ------------------------------------------------------------------

    def _live(self, collection: str, key: str) -> dict:
        self.appliance.tick()
        return self.appliance.find(collection, key)

    def resource(self, collection: str, key: str) -> dict:
        with self.appliance.lock:
            return copy.deepcopy(self._live(collection, key))

    def profile(self, name: str) -> dict:
        return self.resource("server-profiles", name)

    def hardware(self, key: str) -> dict:
        return self.resource("server-hardware", key)

    def find(self, key: str) -> dict:
        with self.appliance.lock:
            self.appliance.tick()
            return copy.deepcopy(self.appliance.resolve(key))

    def members(self, collection: str) -> list[dict]:
        with self.appliance.lock:
            self.appliance.tick()
            return copy.deepcopy(list(self.appliance.res[collection].values()))

    def task(self, uri: str) -> dict:
        return self.resource("tasks", uri)

    def tasks_for(self, key: str) -> list[dict]:
        with self.appliance.lock:
            self.appliance.tick()
            uri = self.appliance.resolve(key)["uri"]
            tasks = [
                t
                for t in self.appliance.res["tasks"].values()
                if t["associatedResource"]["resourceUri"] == uri
            ]
            return copy.deepcopy(tasks[::-1])

    def puts_to(self, key: str) -> int:
        with self.appliance.lock:
            return self.appliance.puts[self.appliance.resolve(key)["uri"]]

    def task_seconds(self, kinds: tuple[str, ...] = TASK_KINDS) -> float:
        """The sum of the ended tasks' times (start to end, by the emulator's clock) of
        those kinds: the appliance's own share of a run, for the benchmark."""
        with self.appliance.lock:
            self.appliance.tick()
            return sum(end - start for _, kind, start, end in self.appliance.spans if kind in kinds)

    def labels_of(self, key: str) -> list[str]:
        with self.appliance.lock:
            return list(self.appliance.labels.get(self.appliance.resolve(key)["uri"], []))

    # --- what happens to the appliance ---------------------------------------------

    def fail_next_task(
        self, key: str, code: str = "TaskFailed", message: str = "The operation failed."
    ) -> None:
        with self.appliance.lock:
            uri = self.appliance.resolve(key)["uri"]
            self.appliance.failures.setdefault(uri, []).append(task_error(code, message))

    def set_port(self, interconnect: str, port: str, linked: bool, rx_errors: int = 0) -> None:
        """An uplink cable pulled (Unlinked, health Critical, counting receive errors) or
        plugged back; ``interconnect`` by name ("enc-a1, interconnect 1") or uri."""
        with self.appliance.lock:
            ic = self.appliance.resolve(interconnect)
            found = next(p for p in ic["ports"] if p["portName"] == port)
            found.update(portStatus="Linked" if linked else "Unlinked",
                         portHealthStatus="Normal" if linked else "Critical",
                         operationalSpeed="Speed10G" if linked else "Unknown", rxErrors=rx_errors)
            self.appliance.touch(ic)

    def set_busy(self, seconds: float) -> None:
        with self.appliance.lock:
            self.appliance.busy_until = self.appliance.clock() + seconds

    def expire_sessions(self) -> None:
        with self.appliance.lock:
            self.appliance.sessions.clear()

    def hang_os(self, key: str, hung: bool = True) -> None:
        with self.appliance.lock:
            uri = self._live("server-hardware", key)["uri"]
            (self.appliance.hung.add if hung else self.appliance.hung.discard)(uri)

    def set_power(self, key: str, state: str, after_efuse: str | None = None) -> None:
        """``state`` Unknown: the iLO stops answering; ``after_efuse``: the power it reads
        once an E-Fuse of its bay power-cycled it (None: it never comes back)."""
        with self.appliance.lock:
            hw = self._live("server-hardware", key)
            hw["powerState"] = state
            if after_efuse is not None:
                self.appliance.revives[hw["uri"]] = after_efuse
            self.appliance.touch(hw)

    def change_profile_outside(
        self, name: str, mutate: Callable[[dict], None] | None = None, **fields: object
    ) -> dict:
        """Edit a profile as OneView's own console would; returns the new profile."""
        app = self.appliance
        with app.lock:
            prof = self._live("server-profiles", name)
            if "serverHardwareUri" in fields:
                target = fields.pop("serverHardwareUri")
                old = app.hardware_at(prof["serverHardwareUri"])
                app.mark([(old, None, "NoProfileApplied")], virtualSerialNumber=None, virtualUuid=None)
                new = app.hardware_at(target, check=True)
                place_profile(prof, new)
                app.mark([(new, prof["uri"], "ProfileApplied")])
            prof.update(fields)
            if mutate is not None:
                mutate(prof)
            app.touch(prof)
            return copy.deepcopy(prof)

    def create_profile_outside(self, name: str, hardware: str) -> dict:
        """A new profile made in OneView's console on ``hardware`` (virtual identities)."""
        app = self.appliance
        with app.lock:
            return copy.deepcopy(app.create_profile(name, self._live("server-hardware", hardware)))

    def create_fc_network(self, name: str) -> str:
        """An FC network made in OneView's console (in no uplink set yet); its uri."""
        app = self.appliance
        with app.lock:
            return app.builder.add("fc-networks", "fc-networkV4", name, fabricType="FabricAttach",
                                   autoLoginRedistribution=True, linkStabilityTime=30)["uri"]

    def set_firmware_baseline(self, logical_enclosure: str, spp: str) -> None:
        """A logical enclosure's firmware baseline set in OneView's console to the SPP of
        that name, with ``firmwareUpdateOn`` EnclosureOnly (its interconnects untouched)."""
        app = self.appliance
        with app.lock:
            le = app.find("logical-enclosures", logical_enclosure)
            uri = app.find("firmware-drivers", spp)["uri"]
            le["firmware"].update(firmwareBaselineUri=uri, firmwareUpdateOn="EnclosureOnly")
            app.touch(le)

    def raise_alert(
        self,
        key: str,
        severity: str = "Critical",
        description: str = "The server hardware reported a critical fault.",
    ) -> str:
        with self.appliance.lock:
            return self.appliance.raise_alert(self.appliance.resolve(key), severity, description)["uri"]

    def clear_alert(self, uri: str) -> None:
        with self.appliance.lock:
            self.appliance.clear_alert(self.appliance.find("alerts", uri))


def main(argv: list[str] | None = None) -> int:
    """Serve an emulator in the foreground (for the bench and by hand); prints one JSON
    line {url, ca_file, user, password_file} once it listens; ends on SIGTERM/SIGINT."""
    import argparse
    import os
    import signal

    from .inventory import large_spec

    parser = argparse.ArgumentParser(prog="python -m tests.oneview.emulator")
    parser.add_argument("--workdir", type=pathlib.Path, required=True)
    parser.add_argument("--bays", type=int, default=0, help="large_spec(BAYS) instead of small_spec()")
    parser.add_argument("--task-delay", type=float, default=0.05)
    parser.add_argument(
        "--duration",
        action="append",
        default=[],
        metavar="KIND=SECONDS",
        help=f"a task kind's duration, kinds: {', '.join(TASK_KINDS)}",
    )
    parser.add_argument("--page-size", type=int, default=50)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    emu = OneViewEmulator(
        args.workdir,
        large_spec(args.bays) if args.bays else small_spec(),
        task_delay=args.task_delay,
        page_size=args.page_size,
    )
    for item in args.duration:
        kind, _, seconds = item.partition("=")
        if kind not in TASK_KINDS:
            parser.error(f"unknown task kind {kind!r}")
        emu.durations[kind] = float(seconds)
    emu.port = args.port
    emu.start()
    # the password goes to a file only its owner reads, never to stdout
    secret = args.workdir / "password"
    secret.write_text(emu.password)
    os.chmod(secret, 0o600)
    print(
        json.dumps(
            {"url": emu.url, "ca_file": str(emu.ca_file), "user": emu.user, "password_file": str(secret)}
        ),
        flush=True,
    )
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    emu.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
