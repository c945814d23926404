"""One call in, one result record out: the orchestration of every analysis.

The record is the product's public contract (README, "Output"). Order of work:
parse turns (spaCy) -> handoff -> anger/urgency levels -> 6W3H facts and sentences -> escalation ->
supervisor steps and phrasing.
"""
from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from . import __version__
from .call.context import CallContext
from .call.handoff import apply_handoff
from .config import load_config
from .errors import InputError
from .pipeline import build_nlp
from .textnorm import NormText
from .transcript import Transcript


class Analyzer:
    """The escalyzer analyzer.

    Parameters
    ----------
    config: path of a YAML file overriding ``resources/config.yaml``, or a dict already loaded.
    models_dir: where the trained models live (default: the bundled ``models/``).

    Examples
    --------
    >>> import escalyzer
    >>> az = escalyzer.load()                                   # doctest: +SKIP
    >>> for call in escalyzer.read("data/samples/calls.jsonl"):  # doctest: +SKIP
    ...     rec = az.analyze(call)
    ...     print(rec["call_id"], rec["anger"]["label"], rec["escalation"]["types"])
    """

    def __init__(self, config: str | Path | dict | None = None, models_dir: str | Path | None = None):
        self.config = config if isinstance(config, dict) else load_config(config)
        self.nlp = build_nlp()
        from .models import default_models_dir

        self.models_dir = Path(models_dir) if models_dir else default_models_dir()
        from .components.levels import LevelScorer

        self.levels = LevelScorer.load(self.models_dir, self.config)
        from .components.fact_emotion import SentenceClassifier

        self.sentence_clf = SentenceClassifier.load(self.models_dir)

    def info(self) -> dict[str, Any]:
        return {"escalyzer": __version__, "models": {**self.levels.info(), **self.sentence_clf.info()}}

    def context(self, transcript: Transcript, upto: int | None = None) -> CallContext:
        t = copy.deepcopy(transcript)
        if upto is not None:
            t.turns = t.turns[:upto]
        texts = [turn.text for turn in t.turns]
        docs = list(self.nlp.pipe(texts))
        ctx = CallContext(t, docs, [NormText(x) for x in texts], self.config)
        apply_handoff(ctx)
        return ctx

    def analyze(self, transcript: Transcript) -> dict[str, Any]:
        """Analyse one call and return its result record (a plain JSON-serialisable dict)."""
        from .call.escalation import decide_escalation
        from .call.supervisor import score_supervisor
        from .components.facts import extract_facts

        ctx = self.context(transcript)
        tr = ctx.transcript
        levels = self.levels.score_call(ctx)
        ctx.results.update(levels)
        facts = extract_facts(ctx)
        ctx.results["facts"] = facts
        sentences = self.sentence_clf.label_call(ctx)
        escalation = decide_escalation(ctx, self.levels)
        supervisor = score_supervisor(ctx)
        from .call.phrasing import audit_phrasing

        # the first agent's apology phrasing is audited in every call (the supervisor's is in "supervisor")
        agent_phrasing = audit_phrasing(ctx, speakers=("agent",))
        return {
            "call_id": tr.call_id,
            "received_at": tr.received_at.isoformat() if tr.received_at else None,
            "n_turns": len(tr.turns),
            "anger": levels["anger"],
            "urgency": levels["urgency"],
            "facts": facts["slots"],
            "missing_slots": facts["missing_slots"],
            "sentences": sentences,
            "escalation": escalation,
            "supervisor": supervisor,
            "agent_phrasing": agent_phrasing,
            "warnings": ctx.warnings,
        }

    def analyze_many(self, transcripts: Iterable[Transcript | InputError]) -> Iterator[dict[str, Any] | InputError]:
        """Analyse a stream; :class:`InputError` items pass through unchanged (batch keeps going)."""
        for t in transcripts:
            if isinstance(t, InputError):
                yield t
            else:
                yield self.analyze(t)
