"""RemoteCore: the ``Client`` interface, answered by a `bayops serve` over httpx.

Every change, query, action and read of the Core's API (``tui.model.api``) becomes a
method of the same name and signature, made once when this module is imported
(``tui.client.methods.install``); errors come back as the same BayopsError classes with
their codes. The caller's identity is decided by the server (the Unix socket's peer
credentials, or a bearer token over TLS), never sent by the client.
"""
from __future__ import annotations

import contextlib
import json
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from tui.client.diagnose import UNTRUSTED, socket_refused, why
from tui.client.methods import RemoteStore, bind, install
from tui.client.quick import API, error_for, hung
from tui.core.api import served
from tui.core.config import Config
from tui.core.runjob import RunJob
from tui.model.api import Api, Change, Signature
from tui.model.entities import Job
from tui.model.errors import BadInput, BayopsError, OperationFailed, Refused
from tui.model.wire import decode

if TYPE_CHECKING:
    from tui.client.protocol import Client

    # mypy checks RemoteCore's own members against the protocol; the operations it makes
    # from the Core's API (install) are checked by tests/test_client_protocol.py.
    _Declared = Client
else:
    _Declared = object

# With several servers (active/standby), how long a client looks for the live leader
# before it gives up: a standby takes an abandoned lease within [serve] lease_seconds.
MOVE_SECONDS = 20.0
# A client cut off mid-run follows its job this long where it resumes (restart, standby).
FOLLOW_SECONDS = 600.0
# The feed wakes its reader at most this often (as often as an embedded dashboard polls its
# store): under a busy feed the reader then applies a few larger batches a second instead of
# one per server event (20 a second), and keys are not left waiting behind repaints.
WAKE_SECONDS = 0.25


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C while a run waited for the server: the job goes on there (the message says)."""


class _Named:
    def __init__(self, name: str) -> None:
        self.name = name


def _goes_on(name: str, job: Any, what: str) -> str:
    which, look = ((f"job {job.id}", f"bayops jobs show {job.id}") if job is not None
                   else (f"the {name} job", "bayops jobs"))
    return f"{what} while {which} ran; it continues on the server: `{look}`"


def transport_for(url: str, ca: str | None = None) -> tuple[str, httpx.HTTPTransport]:
    """(base URL, transport) for ``unix:/path``, ``/path`` or ``https://host:port``."""
    if url.startswith("unix:") or url.startswith("/"):
        path = url.removeprefix("unix:")
        # no TLS on a Unix socket: verify=False spares loading the CA bundle (~30 ms a connection)
        return "http://bayops", httpx.HTTPTransport(uds=path, verify=False)
    if url.startswith("http://"):
        # The service listens with TLS only; a clear-text URL could only hand the token to
        # whoever answers it.
        raise BadInput(f"server {url!r}: bayops serve listens with TLS only; use https://",
                       code="bad-server")
    if url.startswith("https://"):
        # the context httpx made of a CA file's name (deprecated there), as tui.client.quick's
        verify: Any = True if not ca else ssl.create_default_context(cafile=ca)
        return url.rstrip("/"), httpx.HTTPTransport(verify=verify)
    raise BadInput(f"server {url!r}: expected unix:/path/to.sock or https://host:port",
                   code="bad-server")


def raise_for(response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    try:
        body = response.json()
    except ValueError:
        body = {}
    raise error_for(response.status_code, body)


def _code(response: httpx.Response) -> str:
    try:
        return str(response.json().get("code") or "")
    except ValueError:
        return ""


class RemoteCore(_Declared):
    """What the faces hold when a server is configured (see tui.client.connect)."""

    mode = "client"
    store_class: type[RemoteStore]  # with its reads (install)

    def __init__(self, url: str, config: Config, read_only: bool = False,
                 token: str | None = None, ca: str | None = None, state_dir: Path | None = None,
                 timeout: float = 30.0) -> None:
        # "a,b": the servers of one site (active/standby); the client uses the leader and
        # moves when it goes away or answers that it is the standby.
        self.urls = [u.strip() for u in url.split(",") if u.strip()] or [url]
        self.config = config  # the client's own: keys, theme, bell; roles are the server's
        self.read_only = read_only
        self._ca = ca
        self._timeout = timeout  # a question's (tui.client.server_timeout)
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._missed: dict[str, str] = {}  # why each server was passed over, for the error
        self._use(self.urls[0])
        if len(self.urls) > 1 and not self._move(time.monotonic() + MOVE_SECONDS, leader=True):
            seen = "; ".join(f"{u}: {self._missed.get(u, 'no answer')}" for u in self.urls)
            raise OperationFailed(f"none of the servers leads ({seen})",
                                  code="server-unreachable", hint="is `bayops serve` running?")
        info = self.call("GET", "info")
        self.operator: str = info["operator"]
        self._driver = _Named(info["driver"])
        self._info: dict[str, Any] = info
        self.warnings: list[str] = []
        self._store = self.store_class(self, (state_dir or Path.home()) / "remote")
        self._closed = threading.Event()
        self._next_run = threading.local()  # run_job's, for this thread's next run

    @property
    def server(self) -> str:
        return self.url

    def server_info(self) -> dict[str, Any]:
        return self._info

    def poller(self, apply_policy: bool = True, sweep_seconds: float = 0.0) -> None:
        """None: the service polls the hardware and runs the policy, not its clients."""
        return None

    @property
    def driver(self) -> _Named:
        return self._driver

    @property
    def store(self) -> RemoteStore:
        return self._store

    # -- the wire ---------------------------------------------------------------------------
    def _use(self, url: str) -> None:
        self.url = url
        base, transport = transport_for(url, self._ca)
        old = getattr(self, "_http", None)
        self._http = httpx.Client(base_url=base + API, transport=transport, headers=self._headers,
                                  timeout=httpx.Timeout(self._timeout, read=None))
        self._stream_args = (base, url, self._ca, self._headers)
        if old is not None:
            old.close()

    def _move(self, deadline: float, leader: bool) -> bool:
        """Use a server that answers (the leader, if ``leader``) until ``deadline``; give up
        at once when no server is trusted (a certificate does not change in 20 s)."""
        while True:
            untrusted = 0
            for url in self.urls:
                base, transport = transport_for(url, self._ca)
                try:
                    with httpx.Client(base_url=base + API, transport=transport,
                                      headers=self._headers, timeout=2.0) as http:
                        info = http.get("info").json().get("result") or {}
                except httpx.TransportError as exc:
                    self._missed[url] = why(url, exc).removeprefix(": ")
                    untrusted += self._missed[url].startswith(UNTRUSTED)
                    continue
                except (httpx.HTTPError, ValueError):
                    continue
                self._missed[url] = "a standby" if info.get("role") == "standby" else "answers"
                if not leader or info.get("role", "leader") == "leader":
                    if url != self.url:
                        self._use(url)
                    return True
            if time.monotonic() > deadline or untrusted == len(self.urls):
                return False
            time.sleep(0.25)

    def call(self, method: str, path: str, body: dict[str, Any] | None = None,
             params: dict[str, Any] | None = None, wait: float | None = None) -> Any:
        return self._answer(method, path, body, params, wait).json().get("result")

    def call_text(self, method: str, path: str, body: dict[str, Any] | None = None,
                  params: dict[str, Any] | None = None) -> str:
        """The answer's JSON as text, for a caller that decodes it a piece at a time (the
        fleet's table: tui.client.table.decode_table_text)."""
        return self._answer(method, path, body, params, None).content.decode()

    def _answer(self, method: str, path: str, body: dict[str, Any] | None,
                params: dict[str, Any] | None, wait: float | None) -> httpx.Response:
        deadline = time.monotonic() + MOVE_SECONDS
        while True:
            try:
                # a question (GET) is answered in server_timeout; a plan or a run (POST)
                # answers when its job ends
                response = self._http.request(method, path, json=body, params=params, timeout=(
                    wait or (self._timeout if method == "GET" else httpx.USE_CLIENT_DEFAULT)))
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:  # never sent: may go elsewhere
                if len(self.urls) > 1 and self._move(deadline, leader=False):
                    continue
                raise self._unreachable(exc, "server-unreachable") from None
            except httpx.TimeoutException:  # took it and said nothing: asked no more
                raise hung(self.url, wait or self._timeout) from None
            except httpx.TransportError as exc:  # cut off after it went out: not sent again
                raise self._unreachable(exc, "connection-lost") from None
            if response.status_code == 503 and len(self.urls) > 1 and _code(response) == "not-leader" \
                    and self._move(deadline, leader=True):
                continue
            raise_for(response)
            return response

    def _unreachable(self, exc: httpx.TransportError, code: str) -> BayopsError:
        """Not connected at all, or cut off after the request went out (the server died)."""
        refused = socket_refused(self.url, exc)
        if refused is not None:
            return refused
        return OperationFailed(f"server {self.url}: {type(exc).__name__}: {exc}{why(self.url, exc)}",
                               code=code)

    def close(self) -> None:
        self._closed.set()  # the feed thread, if any, ends at its next event or retry
        self._http.close()

    # -- the Core's methods (install) ---------------------------------------------------------
    def _run(self, change: Change, sig: Signature, args: tuple[Any, ...],
             kwargs: dict[str, Any]) -> Any:
        kept, self._next_run.run = getattr(self._next_run, "run", None), None
        if self.read_only:
            raise Refused("read-only mode: nothing can be changed (started with --read-only)",
                          code="read-only")
        body = bind(sig, change.name, args, kwargs)
        run = kept or RunJob(self._newest_jobs, self.operator)
        try:
            result = self.call("POST", f"run/{change.route}", body)
        except OperationFailed as exc:
            if exc.code not in ("connection-lost", "job-goes-on"):  # else: it goes on
                raise
            try:
                return self._follow_job(change.route, run)
            except KeyboardInterrupt:
                raise RunInterrupted(self._cut_off(change.route, run, "interrupted")) from None
        except KeyboardInterrupt:
            raise RunInterrupted(self._cut_off(change.route, run, "interrupted")) from None
        return decode(sig.returns, result, change.name)

    def _follow_job(self, name: str, run: RunJob) -> Any:
        """The server died mid-run: follow the job where it resumes, end as the run would."""
        find_by = time.monotonic() + MOVE_SECONDS  # for a server to answer and name the job
        job = None
        while run.before is not None:
            with contextlib.suppress(OperationFailed):
                job = run.own() if job is None else self.job(job.id)
            if (job is not None and not job.unfinished) or time.monotonic() > (
                    find_by if job is None else find_by + FOLLOW_SECONDS):
                break
            time.sleep(1.0)
        if job is None or job.unfinished:  # interrupted: the next leader resumes it
            raise OperationFailed(_goes_on(name, job, "connection to the server lost"),
                                  code="connection-lost")
        if job.state == "done":
            return job
        with contextlib.suppress(OperationFailed):
            job = self.job(job.id) or job  # with its steps: say why it failed
        failed = [s for s in job.steps if s.state in ("failed", "interrupted")]
        raise OperationFailed(f"job {job.id}: " + (failed[-1].detail if failed else job.state))

    def run_job(self) -> RunJob:
        """The job the next run will start, to find it if the answer is lost; kept for
        this thread's next run, which then does not ask the newest job again."""
        self._next_run.run = run = RunJob(self._newest_jobs, self.operator)
        return run

    def _newest_jobs(self, limit: int) -> list[Job]:
        # bounded: a server whose database hangs must not hold the run back
        return decode(list[Job], self.call("GET", "query/jobs", params={"limit": str(limit)},
                                           wait=5.0), "jobs")

    def _cut_off(self, name: str, run: RunJob, what: str) -> str:
        """What to say when this client stops waiting for a run: its job goes on."""
        with contextlib.suppress(BayopsError, KeyboardInterrupt):
            return _goes_on(name, run.own(), what)
        return _goes_on(name, None, what)

    # -- roles: the server's, read once at connect (its config is read once at its start) --
    def role(self, group: str) -> str:
        roles = self._info.get("roles", {})
        if group in roles:
            return str(roles[group])
        return str(self.call("GET", "query/role", params={"group": json.dumps(group)}))

    def may(self, group: str, action: str) -> bool:
        """For what the dashboard offers; the server decides again on every change."""
        from tui.core.config import ROLES
        from tui.core.roles import ACTION_ROLE

        if self.read_only and action != "view":
            return False
        return ROLES.index(self.role(group)) >= ROLES.index(ACTION_ROLE[action])

    # -- the change feed ----------------------------------------------------------------------
    def subscribe(self, wake: Callable[[], None], stop: threading.Event | None = None) -> bool:
        """Follow the server's change feed in a daemon thread, calling ``wake`` at each change
        (the reader then fetches). The server polls the hardware; True says so."""
        stop = stop or self._closed
        thread = threading.Thread(target=self._follow, args=(wake, stop), daemon=True,
                                  name="bayops-feed")
        thread.start()
        return True

    def _follow(self, wake: Callable[[], None], stop: threading.Event) -> None:
        rev = 0
        paced = Paced(wake, WAKE_SECONDS)
        while not stop.is_set():
            try:
                for _event, data in self.feed(rev):
                    rev = int(data.get("rev", rev))
                    paced()
                    if stop.is_set():
                        return
            except (OperationFailed, httpx.HTTPError, ValueError):
                pass
            wake()  # reconnected: catch up whatever came meanwhile
            stop.wait(1.0)

    def feed(self, since: int = 0) -> Iterator[tuple[str, dict[str, Any]]]:
        """The server-sent change feed from revision ``since``: (event, data) pairs; a
        ``resync`` event says reload (this client was too slow or too far behind)."""
        base, url, ca, headers = self._stream_args
        _, transport = transport_for(url, ca)
        with httpx.Client(base_url=base + API, transport=transport, headers=headers,
                          timeout=httpx.Timeout(10.0, read=60.0)) as http:
            try:
                with http.stream("GET", "feed", params={"since": since}) as response:
                    if response.status_code >= 400:
                        response.read()
                        raise_for(response)
                    yield from parse_sse(response.iter_lines())
            except httpx.TransportError as exc:
                raise OperationFailed(f"server {self.url}: {exc}", code="server-unreachable") from None


class Paced:
    """``wake`` at once when it has not run for ``seconds``, else once when they have passed
    (a timer): every call is answered, none sooner than ``seconds`` after the last wake."""

    def __init__(self, wake: Callable[[], None], seconds: float) -> None:
        self.wake = wake
        self.seconds = seconds
        self.last = -seconds
        self.timer: threading.Timer | None = None
        self.lock = threading.Lock()

    def __call__(self) -> None:
        with self.lock:
            if self.timer is not None:
                return  # a wake is due: it reads this change too
            wait = self.last + self.seconds - time.monotonic()
            if wait > 0:
                self.timer = threading.Timer(wait, self._due)
                self.timer.daemon = True
                self.timer.start()
                return
            self.last = time.monotonic()
        self.wake()

    def _due(self) -> None:
        with self.lock:
            self.timer = None
            self.last = time.monotonic()
        self.wake()


def parse_sse(lines: Iterator[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    event, data = "message", ""
    for line in lines:
        if not line:
            if data:
                yield event, json.loads(data)
            event, data = "message", ""
        elif line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data += line[5:].strip()


def wait_for_server(url: str, seconds: float = 10.0) -> None:
    """Until ``/healthz`` answers (tests and the service's own start-up checks)."""
    base, transport = transport_for(url)
    deadline = time.monotonic() + seconds
    with httpx.Client(base_url=base, transport=transport, timeout=1.0) as http:
        while True:
            try:
                if http.get("/healthz").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise OperationFailed(f"server {url} did not answer in {seconds:g}s")
            time.sleep(0.05)


def remote_class(api: Api) -> type[RemoteCore]:
    """A RemoteCore for another Core's API (a test's Core subclass with an operation more)."""
    made: type[RemoteCore] = type(f"Remote{api.core.__name__}", (RemoteCore,), {})
    made.store_class = install(made, api)
    return made


RemoteCore.store_class = install(RemoteCore, served())
