"""Supervisor takeover scoring (placeholder until the supervisor module lands)."""
from __future__ import annotations

from .context import CallContext


def score_supervisor(ctx: CallContext):
    if ctx.handoff_turn is None:
        return None
    return {"handoff_turn": ctx.handoff_turn, "handoff_rule": ctx.handoff_rule, "steps": {}, "score": None, "phrasing": []}
