"""Errors the core raises; each maps to one CLI exit code (docs/architecture.md, "Errors").

Every error carries a machine-readable ``code`` (e.g. ``needs-force``, ``plan-changed``)
and an optional ``hint``: what the operator can do about it, in CLI words. The faces
branch on the code, never on the message; the dashboard shows its own key for a hint.
"""
from __future__ import annotations


class BayopsError(Exception):
    """Base class: the message is one line meant for the operator."""

    exit_code = 1
    default_code = "failed"

    def __init__(self, message: str, *, code: str | None = None, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}: {self.hint}" if self.hint else self.message

    def to_dict(self) -> dict[str, object]:
        return {"error": str(self), "exit": self.exit_code, "code": self.code,
                "hint": self.hint or None}


class OperationFailed(BayopsError):
    """A job ran and failed (rolled back or left safe). Exit 1."""

    exit_code = 1
    default_code = "failed"


class BadInput(BayopsError):
    """Unknown names, malformed values, bad config. Nothing changed. Exit 2."""

    exit_code = 2
    default_code = "bad-input"


class BadConfig(BadInput):
    """A key of config.toml is wrong (``tui.model.tables``): names the key, and the file
    once the reader knows it. Exit 2."""

    def __init__(self, key: str, problem: str, file: str = "") -> None:
        super().__init__(f"config: {file + ': ' if file else ''}{key}: {problem}")
        self.key, self.problem, self.file = key, problem, file

    def in_file(self, file: object) -> BadConfig:
        return BadConfig(self.key, self.problem, str(file))


class Refused(BayopsError):
    """A precondition, lock or role said no. Nothing changed. Exit 3."""

    exit_code = 3
    default_code = "refused"


class Fenced(Refused):
    """A job write refused because its writer no longer holds what it needs: the leader
    lease (its epoch is stale) or the job itself (another runner claimed it). Nothing of
    the write landed; the leading service is the one to ask. Exit 3."""

    default_code = "not-leader"


class JobHandedOver(BayopsError):
    """A job's runner stopped before the job ended, because its service stopped leading
    or the database went away: nothing was rolled back, the job stays journaled, and the
    leading service resumes it (``bayops jobs show ID`` follows it). Exit 1."""

    exit_code = 1
    default_code = "job-goes-on"

    def __init__(self, job_id: int, why: str) -> None:
        super().__init__(f"job {job_id} stopped here ({why}); it stays journaled and the "
                         "leading service resumes it", hint=f"follow it: bayops jobs show {job_id}")
        self.job_id = job_id
