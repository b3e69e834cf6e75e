"""Archive files: old events and finished jobs as a hash chain an auditor can check.

An archive is gzip-compressed JSON lines, one record a line: events first (by seq),
then finished jobs (by id) with their journal steps, then domain configuration backups
past their retention (by id; their own SHA-256 is ``digest``). Every record carries
``type`` (``event``, ``job`` or ``backup``), the row's fields, ``prev`` (the hash of the record before it)
and ``hash`` = sha256 (hex) of the record's canonical JSON without ``hash`` (keys
sorted, separators ``,`` and ``:``, non-ASCII escaped). The chain runs across archives:
the first record of an archive carries the last hash of the one before (``GENESIS`` for
the very first), so removing, editing, reordering or dropping a whole file shows.

Writing (``write``) is durable before the caller deletes anything: a temp file in the
same folder, flushed and fsync'ed, read back and checked, renamed into place (never
over another file unless told it is a leftover), then the folder fsync'ed.
``verify`` checks recorded archives against the register and the live log, or files
against each other. The operation itself (plan, job) is ``tui.core.ops.archive``.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tui.core.store import Store
from tui.model.entities import Event
from tui.model.errors import Refused

RECORD_TYPES = ("event", "job", "backup")
GENESIS = "0" * 64  # the ``prev`` of the first record of the first archive
BATCH = 1000  # rows read from the store at a time


# -- records and the chain ---------------------------------------------------------------
def canonical(record: dict[str, Any]) -> bytes:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def record_hash(record: dict[str, Any]) -> str:
    """sha256 over the canonical JSON of the record with its ``prev``, without ``hash``."""
    return hashlib.sha256(canonical({k: v for k, v in record.items() if k != "hash"})).hexdigest()


def event_record(e: Event) -> dict[str, Any]:
    return {"type": "event", "seq": e.seq, "ts": e.ts, "severity": e.severity,
            "source": e.source, "kind": e.kind, "message": e.message,
            "operator": e.operator, "job": e.job_id, "data": e.data}


def records(store: Store, seqs: tuple[int, int], jobs: tuple[int, int],
            more: Iterable[dict[str, Any]] = ()) -> Iterator[dict[str, Any]]:
    """The events ``seqs`` and jobs ``jobs`` (inclusive; (0, 0): none), read in batches,
    then ``more`` (the backups' records, ``ops/backup.records``)."""
    if seqs[0]:
        after = seqs[0] - 1
        while batch := store.events_between(after, seqs[1], BATCH):
            yield from (event_record(e) for e in batch)
            after = batch[-1].seq
    if jobs[0]:
        after = jobs[0] - 1
        while rows := store.job_records(after, jobs[1], BATCH):
            yield from ({"type": "job", **row} for row in rows)
            after = rows[-1]["id"]
    yield from more


def chain(items: Iterable[dict[str, Any]], prev: str) -> Iterator[dict[str, Any]]:
    for item in items:
        record = {**item, "prev": prev}
        record["hash"] = prev = record_hash(record)
        yield record


def describe(record: dict[str, Any]) -> str:
    if record.get("type") == "event":
        return f"event seq {record.get('seq')}"
    if record.get("type") in ("job", "backup"):
        return f"{record.get('type')} {record.get('id')}"
    return f"type {record.get('type')!r}"


# -- reading and checking one file --------------------------------------------------------
@dataclass
class Scan:
    """What one archive file holds, and what is wrong inside it."""

    file: str
    records: int = 0
    first_prev: str | None = None
    last_hash: str | None = None
    first_seq: int = 0  # 0: no event
    last_seq: int = 0
    events: int = 0
    first_job: int = 0  # 0: no job
    last_job: int = 0
    jobs: int = 0
    backups: int = 0
    sha256: str = ""
    problems: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def holds(self) -> str:
        parts = [f"events {self.first_seq}..{self.last_seq}" if self.events else "no event",
                 f"jobs {self.first_job}..{self.last_job}" if self.jobs else "no job"]
        if self.backups:
            parts.append(f"{self.backups} backup(s)")
        return ", ".join(parts)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def read_records(path: Path) -> Iterator[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)


def scan_file(path: Path, label: str | None = None) -> Scan:
    """Read a whole file, checking every record's hash, the chain inside the file and
    that event seqs and job ids run without a hole."""
    scan = Scan(label or str(path))
    problem = scan.problems.append
    try:
        scan.sha256 = file_sha256(path)
        prev: str | None = None
        for i, record in enumerate(read_records(path), 1):
            what = f"{scan.file}: record {i} ({describe(record)})"
            if not isinstance(record, dict) or record.get("type") not in RECORD_TYPES:
                problem(f"{scan.file}: record {i} is not an event, job or backup record")
                break
            if record.get("hash") != record_hash(record):
                problem(f"{what}: its content does not match its hash (edited)")
            if i == 1:
                scan.first_prev = record.get("prev")
            elif record.get("prev") != prev:
                problem(f"{what}: does not chain to record {i - 1} (a record was removed, "
                        "inserted or reordered)")
            prev = record.get("hash")
            scan.records = i
            _count(scan, record, what)
        scan.last_hash = prev
    except FileNotFoundError:
        problem(f"{scan.file}: missing")
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, json.JSONDecodeError) as exc:
        problem(f"{scan.file}: unreadable after record {scan.records} ({exc})")
    if not scan.records and not scan.problems:
        problem(f"{scan.file}: holds no record")
    return scan


def _count(scan: Scan, record: dict[str, Any], what: str) -> None:
    if record["type"] == "backup":  # ids of one domain's backups: no sequence to check
        scan.backups += 1
        return
    kind = "event" if record["type"] == "event" else "job"
    number = record.get("seq" if kind == "event" else "id")
    if not isinstance(number, int):
        scan.problems.append(f"{what}: has no {'seq' if kind == 'event' else 'id'}")
        return
    last = scan.last_seq if kind == "event" else scan.last_job
    if last and number != last + 1:
        scan.problems.append(f"{what}: expected {kind} {last + 1} next"
                             + (f" ({kind}s {last + 1}..{number - 1} missing)" if number > last else ""))
    if kind == "event":
        scan.first_seq = scan.first_seq or number
        scan.last_seq, scan.events = number, scan.events + 1
    else:
        scan.first_job = scan.first_job or number
        scan.last_job, scan.jobs = number, scan.jobs + 1


def first_record(path: Path) -> dict[str, Any] | None:
    try:
        return next(read_records(path), None)
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, json.JSONDecodeError):
        return None


def is_leftover(path: Path, prev: str, first_seq: int, first_job: int,
                first_backup: int = 0) -> bool:
    """True if ``path`` is an archive of the same rows that was written but never recorded
    (a crash before the store transaction): it starts where the chain stands now, so all
    it holds is still in the store, and rewriting it loses nothing."""
    record = first_record(path)
    if record is None or record.get("prev") != prev:
        return False
    if first_seq:
        return record.get("type") == "event" and record.get("seq") == first_seq
    if first_job:
        return record.get("type") == "job" and record.get("id") == first_job
    return record.get("type") == "backup" and record.get("id") == first_backup


# -- writing --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Written:
    file: str
    records: int
    last_hash: str
    sha256: str


def write(path: Path, chained: Iterable[dict[str, Any]], replace_leftover: bool = False) -> Written:
    """Write the records durably to ``path``; refuses (``file-exists``) to overwrite a
    file unless ``replace_leftover`` (see ``is_leftover``)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    count, last = 0, ""
    try:
        with open(tmp, "wb") as raw:
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
                for record in chained:
                    gz.write(canonical(record) + b"\n")
                    count, last = count + 1, record["hash"]
            raw.flush()
            os.fsync(raw.fileno())
        back = scan_file(tmp, str(path))  # read it back: what is on disk is what we meant
        if back.problems or back.records != count or back.last_hash != last:
            raise OSError(f"read back {back.records} records ending {back.last_hash}, wrote "
                          f"{count} ending {last}: {'; '.join(back.problems[:3])}")
        _install(tmp, path, replace_leftover)
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_folder(path.parent)
    return Written(str(path), count, last, back.sha256)


def _install(tmp: Path, path: Path, replace: bool) -> None:
    if replace:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)  # atomic, and fails if the name is taken
    except FileExistsError:
        raise Refused(f"{path} exists; an archive never overwrites a file",
                      code="file-exists", hint="choose another --to") from None
    except OSError:  # a file system without hard links
        if path.exists():
            raise Refused(f"{path} exists; an archive never overwrites a file",
                          code="file-exists", hint="choose another --to") from None
        os.replace(tmp, path)


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# -- verifying ------------------------------------------------------------------------------
@dataclass
class Verification:
    """What ``verify`` found: each file's scan, the live log's bounds, one line a problem."""

    files: list[Scan]
    live: dict[str, int]
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "files": [s.to_dict() for s in self.files], "live": self.live,
                "problems": self.problems}


@dataclass
class _Cursor:
    """Where the chain stands after the archives checked so far."""

    hash: str | None = GENESIS
    seq: int = 1  # the next event seq expected
    job: int = 1  # the next job id expected
    after: str = "the start of the log"

    def follow(self, scan: Scan, problem: Any) -> None:
        """Check that ``scan`` continues the chain and the numbering here."""
        head = f"{scan.file}: record 1"
        if self.hash is not None and scan.first_prev != self.hash:
            problem(f"{head}: does not continue {self.after} (prev {str(scan.first_prev)[:16]}, "
                    f"expected {self.hash[:16]})")
        if scan.events and scan.first_seq != self.seq:
            problem(f"{head}: starts at event seq {scan.first_seq}, expected {self.seq}"
                    + (f" (events {self.seq}..{scan.first_seq - 1} missing)"
                       if scan.first_seq > self.seq else ""))
        if scan.jobs and scan.first_job != self.job:
            problem(f"{scan.file}: first job is {scan.first_job}, expected {self.job}"
                    + (f" (jobs {self.job}..{scan.first_job - 1} missing)"
                       if scan.first_job > self.job else ""))

    def advance(self, label: str, last_hash: str | None, last_seq: int, last_job: int) -> None:
        self.hash, self.after = last_hash, label
        self.seq = last_seq + 1 if last_seq else self.seq
        self.job = last_job + 1 if last_job else self.job


def verify(store: Store, files: list[Path] | None = None) -> Verification:
    """With ``files``: each file's own chain, and that they continue each other (in chain
    order). Without: every recorded archive, where it was written, against the register,
    in order, and then the live log, which must start right where the archives end."""
    return _verify_files(files) if files else _verify_store(store)


def _verify_files(files: list[Path]) -> Verification:
    scans = [scan_file(path, str(path)) for path in files]
    problems = [p for s in scans for p in s.problems]
    present = sorted((s for s in scans if s.records),
                     key=lambda s: (s.first_seq or float("inf"), s.first_job or float("inf")))
    cursor: _Cursor | None = None
    for scan in present:
        if cursor is None:  # the first file's predecessor is not given: trust its start
            cursor = _Cursor(None, scan.first_seq or 1, scan.first_job or 1)
        cursor.follow(scan, problems.append)
        cursor.advance(scan.file, scan.last_hash, scan.last_seq, scan.last_job)
    return Verification(scans, {}, problems)


def _verify_store(store: Store) -> Verification:
    problems: list[str] = []
    problem = problems.append
    scans: list[Scan] = []
    cursor = _Cursor()
    for a in store.archives():
        holds = (f"events {a.first_seq}..{a.last_seq}" if a.first_seq else "no event") + ", " + \
                (f"jobs {a.first_job}..{a.last_job}" if a.first_job else "no job")
        if a.prev_hash != cursor.hash:
            problem(f"{a.file}: the register says it follows hash {a.prev_hash[:16]}, "
                    f"{cursor.after} ends with {str(cursor.hash)[:16]}")
        if not Path(a.file).exists():
            problem(f"{a.file}: missing (archive {a.id} of the register: {holds}, "
                    f"{a.records} records)")
        else:
            scan = scan_file(Path(a.file))
            scans.append(scan)
            problems.extend(scan.problems)
            if scan.sha256 != a.sha256:
                problem(f"{a.file}: sha256 {scan.sha256[:16]} is not the recorded "
                        f"{a.sha256[:16]} (the file was changed or replaced)")
            if scan.records:
                cursor.follow(scan, problem)
            found = (scan.first_seq or None, scan.last_seq or None, scan.first_job or None,
                     scan.last_job or None, scan.records, scan.last_hash)
            if found != (a.first_seq, a.last_seq, a.first_job, a.last_job, a.records, a.last_hash):
                problem(f"{a.file}: holds {scan.holds()}, {scan.records} records ending with "
                        f"{str(scan.last_hash)[:16]}; the register says {holds}, {a.records} "
                        f"records ending with {a.last_hash[:16]}")
        cursor.advance(a.file, a.last_hash, a.last_seq or 0, a.last_job or 0)
    first, last, count = store.event_bounds()
    # Ids a sequence skipped (PostgreSQL caches them; a crash loses the cache) are no
    # missing event: each event names its predecessor, so only a broken link is one.
    skipped = 0
    if count and first != cursor.seq and store.event_prev(first) != cursor.seq - 1:
        problem(f"live log: starts at event seq {first}, {cursor.after} ends before {cursor.seq}"
                + (f" (events {cursor.seq}..{first - 1} missing)" if first > cursor.seq else ""))
    elif count and first > cursor.seq:
        skipped += first - cursor.seq
    for low, high, gap in store.event_gaps():
        if gap:
            skipped += high - low + 1
        else:
            problem(f"live log: events {low}..{high} missing")
    first_job, last_job, jobs = store.job_bounds()
    if jobs and first_job < cursor.job:
        problem(f"jobs: the oldest in the store is {first_job}, the archives hold jobs up to "
                f"{cursor.job - 1}")
    problems.extend(f"jobs: job {j} missing (live events name it)"
                    for j in store.orphan_jobs(cursor.job))
    live = {"first_seq": first, "last_seq": last, "events": count, "first_job": first_job,
            "last_job": last_job, "jobs": jobs, "skipped_ids": skipped}
    return Verification(scans, live, problems)
