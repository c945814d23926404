"""Finding the handoff turn: where the supervisor (二次対応) takes over.

1. the first turn whose speaker role is ``supervisor``;
2. otherwise (exports with no supervisor role), the first agent turn that introduces a *different*
   person taking over: a takeover phrase (代わりまして, 代わりました, 引き継ぎ, 責任者の〜と申します) from
   ``resources/lexicons/handoff.jsonl``. That turn and the agent turns after it are re-labelled
   ``supervisor`` in the analysis (the output says so in ``warnings``).
"""
from __future__ import annotations

from ..lexicons import get_lexicon
from .context import CallContext


def find_handoff(ctx: CallContext) -> tuple[int | None, str | None]:
    turns = ctx.transcript.turns
    for i, t in enumerate(turns):
        if t.speaker == "supervisor":
            return i, "handoff.speaker_role"
    lex = get_lexicon("handoff", ctx.config.get("lexicon_dir"))
    first_agent_name = next((t.name for t in turns if t.speaker == "agent" and t.name), None)
    for i, t in enumerate(turns):
        if t.speaker != "agent" or i == 0:
            continue
        if first_agent_name and t.name and t.name != first_agent_name:
            return i, "handoff.participant_change"
        hits = [h for h in lex.find(ctx.norms[i]) if h.active]
        if hits:
            return i, hits[0].id
    return None, None


def apply_handoff(ctx: CallContext) -> None:
    i, rule = find_handoff(ctx)
    ctx.handoff_turn, ctx.handoff_rule = i, rule
    if i is not None and rule != "handoff.speaker_role":
        relabelled = [j for j in range(i, len(ctx.turns)) if ctx.turns[j].speaker == "agent"]
        for j in relabelled:
            ctx.turns[j].speaker = "supervisor"
        ctx.warnings.append({"code": "W010", "message": f"no supervisor role in the input; turns {relabelled} "
                             f"taken as the supervisor's from turn {i} ({rule})"})
