"""The state file on disk: is it ours, is it private, and what its failures mean.

Three concerns of the file rather than of its tables:

* **Ours only.** Every store is marked with ``PRAGMA application_id`` (``APPLICATION_ID``)
  in the transaction that creates its schema. Before anything is written to an existing
  file, ``classify`` decides from the 100-byte SQLite header (offset 68: application_id,
  offset 60: user_version) and, only for an unmarked file, from a read-only look at its
  schema, whether it is ours; anything else is refused with exit 2 and left byte for byte
  as it was (no WAL switch, no tables, no -wal/-shm files).
* **Private.** Folders we create are 0700, the database 0600; SQLite gives its -wal and
  -shm the database's mode. Wider modes on existing files are reported, not changed.
* **Environment failures are plain errors.** ``environment_error`` turns disk full,
  read-only media, a damaged file and exhausted file descriptors into a ``BayopsError``
  with a code and a hint, naming the file.
"""
from __future__ import annotations

import errno
import os
import resource
import sqlite3
import stat
from pathlib import Path

from tui.model.errors import BadInput, BayopsError, OperationFailed

APPLICATION_ID = 0x6261796F  # 'bayo'
_MAGIC = b"SQLite format 3\x00"

# Meta keys only bayops writes; an unmarked store from before application_id has one of
# them ('building' from the moment a fleet build starts, 'created' once it is built).
_OUR_META_KEYS = ("created", "building")


class StateFileError(BadInput):
    """The path cannot be a bayops state file (foreign, damaged, not a file). Exit 2."""

    default_code = "not-bayops-state"


class StateEnvironmentError(OperationFailed):
    """The state file could not be read or written (disk, media, descriptors). Exit 1."""

    default_code = "state-io"


def not_ours(path: Path, reason: str) -> StateFileError:
    return StateFileError(f"state {path} is not a bayops state file ({reason}); "
                          "use another --state")


# -- is it ours ---------------------------------------------------------------------------
def classify(path: Path, migrations: list[str]) -> str:
    """'new' (absent, empty), 'ours' (marked) or 'unmarked' (an older bayops store).

    Raises ``StateFileError`` for anything else. Writes nothing: the header is read as
    bytes; only an unmarked database is opened, read-only.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        return "new"
    except OSError as exc:
        raise _os_error(exc, path) from None
    if not stat.S_ISREG(info.st_mode):
        raise not_ours(path, "not a regular file")
    if info.st_size == 0:
        return "new"
    try:
        with open(path, "rb") as f:
            header = f.read(100)
    except OSError as exc:
        raise _os_error(exc, path) from None
    if len(header) < 100 or not header.startswith(_MAGIC):
        raise not_ours(path, "not an SQLite database")
    app_id = int.from_bytes(header[68:72], "big")
    if app_id == APPLICATION_ID:
        return "ours"
    if app_id != 0:
        raise not_ours(path, f"it belongs to another program: application_id {app_id:#010x}")
    return _classify_unmarked(path, migrations)


def _classify_unmarked(path: Path, migrations: list[str]) -> str:
    """An SQLite file without our mark: empty, being created, an older store, or foreign."""
    wal = Path(f"{path}-wal")
    # With a -wal file someone may be writing (a bayops creating this store right now):
    # read through the locks. Without one the main file is the whole truth and is read
    # as immutable, which creates no -wal/-shm next to someone else's database.
    uri = f"{path.absolute().as_uri()}?mode=ro" + ("" if wal.exists() else "&immutable=1")
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=15, isolation_level=None)
    except sqlite3.Error as exc:
        raise environment_error(exc, path) or not_ours(path, str(exc)) from None
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        objects = _schema_objects(conn)
        if app_id == APPLICATION_ID:
            return "ours"  # marked in the -wal, not yet in the main file
        if app_id != 0:
            raise not_ours(path, f"it belongs to another program: application_id {app_id:#010x}")
        if not objects and version == 0:
            return "new"  # an empty database: a bayops between creating it and its schema
        if "meta" not in {name for kind, name in objects if kind == "table"}:
            raise not_ours(path, "it has tables of another program")
        if not 1 <= version <= len(migrations):
            raise not_ours(path, f"its schema version {version} is not one of bayops'")
        if objects != _expected_objects(migrations[:version]):
            raise not_ours(path, "it has tables of another program")
        keys = {r[0] for r in conn.execute("SELECT key FROM meta")}
        if keys and not keys & set(_OUR_META_KEYS):
            raise not_ours(path, "its meta table is another program's")
        return "unmarked"
    except sqlite3.Error as exc:
        raise environment_error(exc, path) or not_ours(path, str(exc)) from None
    finally:
        conn.close()


def _schema_objects(conn: sqlite3.Connection) -> set[tuple[str, str]]:
    """Tables, indexes, triggers and views, without SQLite's own and the simulator's."""
    return {(kind, name) for kind, name, table in conn.execute(
        "SELECT type, name, tbl_name FROM sqlite_master")
        if not name.startswith("sqlite_") and not table.startswith("sim_")}


def _expected_objects(migrations: list[str]) -> set[tuple[str, str]]:
    from tui.core.store.schema import statements

    conn = sqlite3.connect(":memory:")
    try:
        for script in migrations:
            for statement in statements(script):
                conn.execute(statement)
        return _schema_objects(conn)
    finally:
        conn.close()


# -- private ------------------------------------------------------------------------------
def make_private_dirs(folder: Path) -> None:
    """Create ``folder`` and any missing parent 0700, whatever the umask."""
    missing = []
    for p in (folder, *folder.parents):
        if p.exists():
            if not p.is_dir():
                raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(p))
            break
        missing.append(p)
    for p in reversed(missing):
        try:
            os.mkdir(p, 0o700)
        except FileExistsError:
            continue  # another bayops made it; its mode is its business
        os.chmod(p, 0o700)


def create_private_file(path: Path) -> None:
    """Create the empty database file 0600 (its -wal and -shm inherit the mode)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return  # another bayops created it first
    try:
        os.fchmod(fd, 0o600)  # whatever the umask took away or left
    finally:
        os.close(fd)


def mode_text(path: Path) -> str | None:
    try:
        return f"{stat.S_IMODE(path.stat().st_mode):04o}"
    except OSError:
        return None


def mode_warnings(path: Path) -> list[str]:
    """What is open to others: the database and its -wal/-shm, or a folder others may
    write to (they could swap the file). Reported, never changed behind the owner's back:
    a shared group may be deliberate."""
    out = []
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            mode = stat.S_IMODE(p.stat().st_mode)
        except OSError:
            continue
        if mode & 0o077:
            out.append(f"state {p} is readable by others (mode {mode:04o}); chmod 600 it")
    try:
        mode = stat.S_IMODE(path.parent.stat().st_mode)
    except OSError:
        return out
    if mode & 0o022 and not mode & stat.S_ISVTX:
        out.append(f"state folder {path.parent} is writable by others (mode {mode:04o}); "
                   "chmod 700 it")
    return out


def read_only_uri(path: Path) -> str:
    """An SQLite URI that reads ``path`` and writes nothing. Where nothing can be written
    beside it (read-only media) SQLite cannot make the -shm a WAL reader needs, so the file
    is read as immutable; that would silently skip changes still in its -wal, so a store
    with such changes is refused there instead."""
    uri = f"{path.absolute().as_uri()}?mode=ro"
    if not _read_only_media(path):
        return uri
    wal = Path(f"{path}-wal")
    try:
        pending = wal.stat().st_size > 0
    except FileNotFoundError:
        pending = False
    except OSError as exc:
        raise _os_error(exc, wal) from None
    if pending:
        raise StateEnvironmentError(
            f"state {path}: changes in {wal.name} are not yet in the file, and on read-only "
            "media they cannot be read", code="read-only-state",
            hint="open it once with bayops where it is writable, then read it here")
    return uri + "&immutable=1"


# -- failures -----------------------------------------------------------------------------
_SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_CORRUPT = 8, 10, 11
_SQLITE_CANTOPEN, _SQLITE_FULL, _SQLITE_NOTADB = 14, 13, 26


def environment_error(exc: BaseException, path: Path) -> BayopsError | None:
    """The plain error for a failure of the disk, media, file or process limits; None
    for anything else (a bug stays a bug)."""
    if isinstance(exc, BayopsError):
        return exc
    if isinstance(exc, OSError):
        return _os_environment_error(exc, path)
    if not isinstance(exc, sqlite3.Error):
        return None
    text = str(exc)
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    lowered = text.lower()
    if primary == _SQLITE_FULL or "database or disk is full" in lowered:
        return _disk_full(f"state {path}", text)
    if primary == _SQLITE_READONLY or "readonly database" in lowered:
        return _read_only(f"state {path}", text)
    if primary in (_SQLITE_CORRUPT, _SQLITE_NOTADB) or "malformed" in lowered \
            or "file is not a database" in lowered:
        return StateFileError(f"state {path} is damaged ({text})", code="corrupt-state",
                              hint="restore it from a backup, or use another --state")
    if primary == _SQLITE_CANTOPEN or "unable to open database file" in lowered:
        if _descriptors_exhausted():
            return _no_descriptors(f"state {path}", text)
        if _read_only_media(path):
            return _read_only(f"state {path}", text)
        return StateEnvironmentError(f"cannot open state {path} ({text})", code="state-io",
                                     hint="check that the file and its folder exist and "
                                     "are yours")
    if primary == _SQLITE_IOERR or "disk i/o error" in lowered:
        if _descriptors_exhausted():
            return _no_descriptors(f"state {path}", text)
        if _read_only_media(path):
            return _read_only(f"state {path}", text)
        if _no_space(path):
            return _disk_full(f"state {path}", text)
        return StateEnvironmentError(f"cannot read or write state {path} ({text})",
                                     code="state-io", hint="check the disk it is on "
                                     "(free space, file size limit, errors in the system log)")
    return None


def _os_error(exc: OSError, path: Path) -> BayopsError:
    """Reading the state's header or folder failed."""
    return _os_environment_error(exc, path) or StateFileError(
        f"state {path}: cannot read it ({exc.strerror or exc})", code="state-unreadable",
        hint="use another --state")


def _os_environment_error(exc: OSError, path: Path) -> BayopsError | None:
    name = exc.filename if isinstance(exc.filename, str) else str(path)
    what = f"state {name}" if name.startswith(str(path)) else name  # or a module, a config
    why = exc.strerror or str(exc)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return _disk_full(what, why)
    if exc.errno == errno.EROFS:
        return _read_only(what, why)
    if exc.errno in (errno.EMFILE, errno.ENFILE):
        return _no_descriptors(what, why)
    if exc.errno == errno.EIO:
        return StateEnvironmentError(f"cannot read or write {what} ({why})", code="state-io",
                                     hint="check the disk it is on")
    return None  # not the environment's doing


def _disk_full(what: str, why: str) -> BayopsError:
    return StateEnvironmentError(f"cannot write {what}: no space left ({why})",
                                 code="disk-full", hint="free space on its disk, then run "
                                 "again: the failed write was rolled back, an interrupted job "
                                 "is resumed")


def _read_only(what: str, why: str) -> BayopsError:
    return StateEnvironmentError(f"cannot write {what}: it is read-only ({why})",
                                 code="read-only-state", hint="make the file and its folder "
                                 "writable, or copy it somewhere writable and use --state")


def _no_descriptors(what: str, why: str) -> BayopsError:
    return StateEnvironmentError(f"cannot open {what}: too many open files ({why})",
                                 code="no-file-descriptors", hint="raise the limit "
                                 "(ulimit -n) or close other programs, then run again")


def _descriptors_exhausted() -> bool:
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    try:
        count = len(os.listdir("/proc/self/fd"))
    except OSError as exc:
        return exc.errno in (errno.EMFILE, errno.ENFILE)
    return soft != resource.RLIM_INFINITY and count + 4 >= soft


def _read_only_media(path: Path) -> bool:
    """A read-only mount, or a file or folder we may not write (SQLite needs both)."""
    try:
        if os.statvfs(path.parent).f_flag & os.ST_RDONLY:
            return True
    except OSError:
        return False
    return (path.exists() and not os.access(path, os.W_OK)) \
        or not os.access(path.parent, os.W_OK)


def _no_space(path: Path) -> bool:
    limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
    if limit != resource.RLIM_INFINITY:
        return True  # a file size limit is this process's "disk full"
    try:
        return os.statvfs(path.parent).f_bavail == 0
    except OSError:
        return False
