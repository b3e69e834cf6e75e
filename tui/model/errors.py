"""Errors the core raises; each maps to one CLI exit code (see docs/architecture.md, "Errors")."""


class BayopsError(Exception):
    """Base class: the message is one line meant for the operator."""

    exit_code = 1


class OperationFailed(BayopsError):
    """A job ran and failed (rolled back or left safe). Exit 1."""

    exit_code = 1


class BadInput(BayopsError):
    """Unknown names, malformed values, bad config. Nothing changed. Exit 2."""

    exit_code = 2


class Refused(BayopsError):
    """A precondition, lock or role said no. Nothing changed. Exit 3."""

    exit_code = 3
