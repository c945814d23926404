"""One evidence shape everywhere: ``turn, start, end, text, rule, score`` (+ optional ``label``/``kind``).

``start``/``end`` are character offsets into the *original* text of turn ``turn`` (never the
normalised text), so ``transcript.turns[turn].text[start:end] == text`` always holds.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Evidence:
    turn: int | None
    start: int | None
    end: int | None
    text: str
    rule: str
    score: float = 1.0
    label: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"turn": self.turn, "start": self.start, "end": self.end, "text": self.text,
                             "rule": self.rule, "score": round(float(self.score), 4)}
        if self.label is not None:
            d["label"] = self.label
        return d


def meta_evidence(field: str, value: Any, rule: str, score: float = 1.0) -> dict[str, Any]:
    """Evidence from call metadata rather than a turn (``turn`` is None, ``text`` names the field)."""
    return {"turn": None, "start": None, "end": None, "text": f"{field}={value}", "rule": rule,
            "score": round(float(score), 4)}
