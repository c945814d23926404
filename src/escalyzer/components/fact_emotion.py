"""Fact versus interpretation/emotion, sentence by sentence, for every customer turn.

The article asks the supervisor to listen while separating 事実 (fact) from 解釈・感情 (interpretation,
emotion) (000_b54099cb27bdd303.txt, 対応4). A linear classifier (fact | emotion | mixed) over the
sentence's characters, lemmas and the cues of ``resources/lexicons/fact_emotion_cues.jsonl``
(evaluative words, feelings, interpretation, rhetorical questions, exclamations; dates, amounts and
reported events for facts). Each sentence carries the cues behind its label.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from spacy.tokens import Doc

from ..call.context import CallContext
from ..lexicons import get_lexicon
from ..models import latest_version_dir, load_model
from ..sentences import sentence_spans
from ..textclf import FeatureInput, TextClassifier
from ..textnorm import NormText

KINDS = ("fact", "emotion", "mixed")
LEXICON = "fact_emotion_cues"
FACT_LABELS = {"FACT_DATE", "FACT_NUMBER", "FACT_EVENT", "FACT_REPORTED"}


def sentence_input(doc: Doc, start: int, end: int, lexicon_dir: str | None = None):
    """Feature input and cue hits for the sentence ``doc.text[start:end]``."""
    text = doc.text[start:end]
    nt = NormText(text)
    hits = get_lexicon(LEXICON, lexicon_dir).find(nt)
    lemmas = " ".join(t.lemma_ for t in doc if start <= t.idx < end and t.pos_ != "SPACE")
    cues: dict[str, float] = {}
    for h in hits:
        key = f"lab:{h.label}" if h.active else f"neg:{h.label}"
        cues[key] = cues.get(key, 0.0) + (h.weight if h.active else 1.0)
    em = sum(v for k, v in cues.items() if k.startswith("lab:") and k[4:] not in FACT_LABELS)
    fa = sum(v for k, v in cues.items() if k.startswith("lab:") and k[4:] in FACT_LABELS)
    cues["both"] = 1.0 if em > 0 and fa > 0 else 0.0
    cues["len"] = min(len(text), 120) / 120.0
    return FeatureInput(nt.norm, lemmas, cues), hits


class SentenceClassifier:
    def __init__(self, model: TextClassifier | None, meta: dict[str, Any]):
        self.model = model
        self.meta = meta

    @classmethod
    def load(cls, models_dir: Path) -> "SentenceClassifier":
        parts, meta = load_model(latest_version_dir(Path(models_dir), "fact_emotion_clf"))
        return cls(TextClassifier(parts, meta), meta)

    def info(self) -> dict[str, Any]:
        return {"fact_emotion_clf": {"version": self.meta.get("version"), "sha256": self.meta.get("sha256", "")[:12]}}

    def classify(self, doc: Doc, spans: list[tuple[int, int]], lexicon_dir: str | None = None,
                 mixed_min_prob: float = 0.6):
        """Label each span of one doc (see :meth:`classify_many`)."""
        return [r[1:] for r in self.classify_many([(doc, s, e) for s, e in spans], lexicon_dir, mixed_min_prob)]

    def classify_many(self, items: list[tuple[Doc, int, int]], lexicon_dir: str | None = None,
                      mixed_min_prob: float = 0.6):
        """Label ``(doc, start, end)`` spans in one batch. ``mixed`` only when the model gives it at least
        ``mixed_min_prob``; otherwise the larger of fact and emotion (a sentence is mostly one or the other).
        Returns ``(doc, start, end, kind, probabilities, hits)`` per item."""
        if not items:
            return []
        pairs = [sentence_input(doc, s, e, lexicon_dir) for doc, s, e in items]
        P = self.model.predict_proba([p[0] for p in pairs])
        col = {int(c): j for j, c in enumerate(self.model.classes)}
        out = []
        for (doc, s, e), (_inp, hits), p in zip(items, pairs, P):
            if 2 in col and p[col[2]] >= mixed_min_prob:
                k = 2
            else:
                k = 0 if p[col.get(0, 0)] >= p[col.get(1, 1)] else 1
            out.append((doc, s, e, KINDS[k], p, hits))
        return out

    def label_call(self, ctx: CallContext) -> list[dict[str, Any]]:
        items, turns = [], []
        for i, turn in enumerate(ctx.turns):
            if turn.speaker != "customer":
                continue
            doc = ctx.docs[i]
            for s, e in sentence_spans(doc):
                items.append((doc, s, e))
                turns.append(i)
        out = []
        results = self.classify_many(items, ctx.config.get("lexicon_dir"), ctx.config["sentences"]["mixed_min_prob"])
        for i, (doc, s, e, kind, p, hits) in zip(turns, results):
            out.append({"turn": i, "start": s, "end": e, "text": doc.text[s:e], "kind": kind,
                        "probabilities": {KINDS[int(c)]: round(float(x), 4) for c, x in zip(self.model.classes, p)},
                        "cues": [h.evidence(i) | {"start": s + h.start, "end": s + h.end} for h in hits if h.active]})
        return out
