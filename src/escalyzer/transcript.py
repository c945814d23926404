"""The data model: a call transcript and its turns.

A :class:`Transcript` is what every reader yields and every analysis consumes. Validation lives here
(one place), so every input format reports the same problems with the same codes.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .errors import InputError

ROLES = ("customer", "agent", "supervisor")
META_FIELDS = ("received_at", "first_contact_at", "callback_promised_at", "sla_hours", "status")


@dataclass
class Turn:
    speaker: str
    text: str
    start: float | None = None
    end: float | None = None
    name: str | None = None  # speaker name or participant id as the export gave it

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"speaker": self.speaker, "text": self.text, "start": self.start, "end": self.end}
        if self.name is not None:
            d["name"] = self.name
        return d


@dataclass
class Transcript:
    call_id: str
    turns: list[Turn]
    received_at: datetime | None = None
    first_contact_at: datetime | None = None
    callback_promised_at: datetime | None = None
    sla_hours: float | None = None
    status: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    source: str | None = None  # "file:line" the call came from

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"call_id": self.call_id}
        for k in ("received_at", "first_contact_at", "callback_promised_at"):
            v = getattr(self, k)
            if v is not None:
                d[k] = v.isoformat()
        if self.sla_hours is not None:
            d["sla_hours"] = self.sla_hours
        if self.status is not None:
            d["status"] = self.status
        if self.metadata:
            d["metadata"] = self.metadata
        d["turns"] = [t.to_dict() for t in self.turns]
        return d

    def customer_turns(self) -> list[int]:
        return [i for i, t in enumerate(self.turns) if t.speaker == "customer"]


def parse_datetime(value: Any, *, file: str | None, line: int | None, field_name: str,
                   call_id: str | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise InputError("E014", file, line, field_name, call_id, {"value": short_value(value)})
    s = value.strip().replace("Z", "+00:00")
    try:
        return datetime.fromisoformat(s)
    except ValueError:
        raise InputError("E014", file, line, field_name, call_id, {"value": short_value(value)}) from None


def parse_time(value: Any, *, file: str | None, line: int | None, field_name: str,
               call_id: str | None) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise InputError("E004", file, line, field_name, call_id, {"value": short_value(value)})
    if isinstance(value, (int, float)):
        try:
            x = float(value)
        except OverflowError:  # an integer beyond the float range (JSON allows any number of digits)
            raise InputError("E004", file, line, field_name, call_id, {"value": short_value(value)}) from None
    elif isinstance(value, str):
        s = value.strip()
        try:
            x = float(s)
        except ValueError:
            x = _parse_clock(s)
            if x is None:
                raise InputError("E004", file, line, field_name, call_id, {"value": short_value(value)}) from None
    else:
        raise InputError("E004", file, line, field_name, call_id, {"value": short_value(value)})
    if math.isnan(x) or math.isinf(x):
        raise InputError("E004", file, line, field_name, call_id, {"value": short_value(value)})
    if x < 0:
        raise InputError("E005", file, line, field_name, call_id, {"value": short_value(value)})
    return x


def short_value(value: Any) -> Any:
    """``value`` for an error message: long values are cut (a message must stay one readable line)."""
    try:
        r = repr(value)
    except ValueError:  # an integer too long to print
        return "<a very long number>"
    return value if len(r) <= 60 else r[:57] + "..."


def _parse_clock(s: str) -> float | None:
    """``hh:mm:ss``, ``mm:ss`` (optionally with fractional seconds) to seconds."""
    parts = s.split(":")
    if not 2 <= len(parts) <= 3:
        return None
    try:
        nums = [float(p) for p in parts]
    except ValueError:
        return None
    if any(n < 0 for n in nums):
        return None
    total = 0.0
    for n in nums:
        total = total * 60 + n
    return total


def validate_turn(turn: Turn, *, index: int, file: str | None, line: int | None, call_id: str | None) -> None:
    if turn.speaker not in ROLES:
        raise InputError("E003", file, line, f"turns[{index}].speaker", call_id, {"value": turn.speaker})
    if not isinstance(turn.text, str):
        raise InputError("E012", file, line, f"turns[{index}].text", call_id,
                         {"expected": "string", "got": type(turn.text).__name__})
    if not turn.text.strip():
        raise InputError("E007", file, line, f"turns[{index}].text", call_id)
    if turn.start is not None and turn.end is not None and turn.end < turn.start:
        raise InputError("E006", file, line, f"turns[{index}].end", call_id, {"start": turn.start, "end": turn.end})
