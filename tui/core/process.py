"""Which process runs a job, in a way a reused PID cannot fake; who runs this one."""
from __future__ import annotations

import os


def current_operator() -> str:
    """Who this process acts for: $BAYOPS_USER, else the login name."""
    user = os.environ.get("BAYOPS_USER")
    if user:  # it labels who acts: a person's name, so no one passes for "policy:auto"
        from tui.core.validate import check_person

        return check_person(user, "BAYOPS_USER operator")
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid{os.getuid()}"


def process_identity(pid: int | None = None) -> str | None:
    """Boot id and start time of a process: unlike a bare PID, never reused.

    None where /proc cannot tell (then only the PID is checked).
    """
    pid = os.getpid() if pid is None else pid
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            start = fh.read().rsplit(")", 1)[1].split()[19]  # field 22: start time in ticks
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as fh:
            return f"{fh.read().strip()}:{start}"
    except (OSError, IndexError):
        return None


def process_alive(pid: int | None, identity: str | None = None) -> bool:
    """Is the process that ran a job still there? A PID taken over by another process
    (its identity differs) counts as dead."""
    if pid is None:
        return False
    if pid == os.getpid():
        return identity is None or identity == process_identity()
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:  # a zombie is dead for our purposes
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            if fh.read().rsplit(")", 1)[1].split()[0] == "Z":
                return False
    except (OSError, IndexError):
        return True
    current = process_identity(pid)
    return identity is None or current is None or current == identity
