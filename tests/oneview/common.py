"""What the emulator's modules share: error and reply shapes, timestamps."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

SEVERITY = {"OK": 0, "Unknown": 1, "Warning": 2, "Critical": 3}


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class ApiError(Exception):
    """An error answer, shaped like the appliance's error body."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *actions: str,
        source: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.actions, self.source, self.headers = list(actions), source, headers or {}

    def body(self) -> dict:
        return {
            "errorCode": self.code,
            "message": self.message,
            "details": "",
            "recommendedActions": self.actions,
            "nestedErrors": [],
            "errorSource": self.source,
            "data": {},
        }


@dataclass
class Reply:
    status: int
    body: object = None
    headers: dict[str, str] = field(default_factory=dict)


def task_error(code: str, message: str, *actions: str) -> dict:
    return {
        "errorCode": code,
        "message": message,
        "details": "",
        "recommendedActions": list(actions) or ["Correct the problem and retry."],
        "nestedErrors": [],
        "errorSource": None,
        "data": {},
    }


def dump(body: object) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()
