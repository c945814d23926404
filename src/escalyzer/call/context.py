"""What the call-level analyses share: the transcript, its parsed turns, and results so far."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from spacy.tokens import Doc

from ..textnorm import NormText
from ..transcript import Transcript


@dataclass
class CallContext:
    transcript: Transcript
    docs: list[Doc]
    norms: list[NormText]
    config: dict[str, Any]
    handoff_turn: int | None = None
    handoff_rule: str | None = None
    results: dict[str, Any] = field(default_factory=dict)
    warnings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def turns(self):
        return self.transcript.turns

    def turn_text(self, i: int) -> str:
        return self.transcript.turns[i].text

    def pre_handoff(self) -> range:
        """Turn indices before the supervisor took over (all turns when nobody did)."""
        end = self.handoff_turn if self.handoff_turn is not None else len(self.transcript.turns)
        return range(end)
