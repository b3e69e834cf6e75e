"""What the dashboard says when a job it started ends."""
from __future__ import annotations

from typing import Any


def result_text(label: str, result: Any) -> str:
    if result is None:
        return f"{label}: done"
    if hasattr(result, "summary") and hasattr(result, "id"):
        return f"job {result.id} {result.state}: {result.summary}"
    if isinstance(result, list):
        return f"{label}: " + (", ".join(f"job {j.id}: {o}" for j, o in result) or "nothing to do")
    if hasattr(result, "domain") and hasattr(result, "owner"):
        return f"{result.domain} is in maintenance by {result.owner}"
    if hasattr(result, "mode"):
        return f"{label}: {result.mode}" + (f" during {result.window}" if result.window else "")
    if isinstance(result, str):
        return f"{label}: {result[:120]}"
    return f"{label}: done"  # never an object's repr: the job's summary says what changed
