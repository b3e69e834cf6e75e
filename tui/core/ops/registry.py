"""The one job registry, collected: {kind: JobKind (params, runner, resumable)}.

Each module of ``tui.core.ops`` declares the job kinds it runs as ``JOB_KINDS``; nothing
else lists them. They are collected when a job is first run or resumed, not at import:
``bayops status`` imports no operation.
"""
from __future__ import annotations

import importlib
import pkgutil
from functools import cache

import tui.core.ops as ops
from tui.core.runner import JobKind


@cache
def job_kinds() -> dict[str, JobKind]:
    """Every job kind of every ops module; a kind declared twice is a TypeError."""
    kinds: dict[str, JobKind] = {}
    for found in sorted(pkgutil.iter_modules(ops.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{ops.__name__}.{found.name}")
        for kind in getattr(module, "JOB_KINDS", ()):
            if kind.name in kinds:
                raise TypeError(f"job kind {kind.name} declared twice ({module.__name__})")
            kinds[kind.name] = kind
    return kinds
