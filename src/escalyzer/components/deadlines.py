"""Deadlines relative to the call's own date (issue #3).

The ``urgency.deadline.dated`` cue finds a named deadline (「金曜までに」, 「25日必着」, 「来週の月曜まで」);
here its date is resolved against the call's ``received_at`` (:func:`escalyzer.components.facts.resolve_when`)
and bucketed by how many days away it is, so 「金曜までに」 said on a Thursday reads like 「明日までに」 and
said on a Saturday like 「来週中に」. The buckets are configuration (``levels.deadline_buckets``).
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from .facts import _WEEKDAY_NAMES, resolve_when

DATED_LABEL = "DATED_DEADLINE"
DEFAULT_BUCKETS = {"today": 0, "tomorrow": 1, "days": 3}


def deadline_days(expr: str, ref: datetime | None) -> int | None:
    """Days from the call's date to the deadline named in ``expr`` (negative: already past); None when
    there is no call date or the expression names no day."""
    if ref is None:
        return None
    r = resolve_when(expr, ref)  # the tail (まで, 必着 ...) does not disturb it
    if not r:
        return None
    if "date" in r:
        day = datetime.fromisoformat(r["date"]).date()
    elif "datetime" in r:
        day = datetime.fromisoformat(r["datetime"]).date()
    elif "weekday" in r:  # a bare weekday as a deadline: its next occurrence, today included
        ahead = (_WEEKDAY_NAMES.index(r["weekday"]) - ref.weekday()) % 7
        day = ref.date() + timedelta(days=ahead)
    else:
        return None
    return (day - ref.date()).days


def bucket(days: int, buckets: dict[str, int] | None = None) -> str:
    """``past`` · ``today`` · ``tomorrow`` · ``days`` (up to ``buckets["days"]`` days) · ``later``."""
    b = {**DEFAULT_BUCKETS, **(buckets or {})}
    if days < 0:
        return "past"
    for name in ("today", "tomorrow", "days"):
        if days <= b[name]:
            return name
    return "later"


def deadline_cues(hits: list[Any], ref: datetime | None, buckets: dict[str, int] | None = None) -> dict[str, float]:
    """``deadline_in:<bucket>`` features for the dated-deadline hits of one turn."""
    out: dict[str, float] = {}
    for h in hits:
        if h.label != DATED_LABEL or not h.active:
            continue
        days = deadline_days(h.text, ref)
        if days is not None:
            out[f"deadline_in:{bucket(days, buckets)}"] = 1.0
    return out
