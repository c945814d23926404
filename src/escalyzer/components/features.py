"""Turn features shared by the level models: cue hits, masked text, lemmas, keigo and context.

Notes
-----
- Quoted speech of others is *masked* (replaced by 〓) in the character view and dropped from the lemma
  view, so 「主人に『ふざけるな』って言われて」 does not teach or trigger anger (LABELING.md).
- Keigo collapse: a caller who used です/ます earlier and now speaks in plain or imperative forms
  (「早くしろよ」) gets ``keigo_drop`` (issue #3).
- Context: the previous customer turn's cue sums enter as ``prev:*`` features (anger rarely falls from 3 to
  0 in one turn).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from spacy.tokens import Doc

from ..lexicons import Hit, get_lexicon, quoted_regions
from ..textclf import FeatureInput
from ..textnorm import NormText

MASK = "〓"
CUE_LEXICONS = ("anger_cues", "urgency_cues")


@dataclass
class TurnSignals:
    """Everything the level models need about one customer turn (computed once per turn)."""

    hits: list[Hit]
    masked: str
    lemmas: str
    polite: int
    plain_final: int
    imperative: int
    length: int
    cue_sums: dict[str, float] = field(default_factory=dict)


def turn_signals(doc: Doc, norm: NormText, lexicon_dir: str | None = None) -> TurnSignals:
    hits: list[Hit] = []
    for name in CUE_LEXICONS:
        hits.extend(get_lexicon(name, lexicon_dir).find(norm))
    quoted = [(h.start, h.end) for h in hits if h.quoted]
    # masked normalised text: mask the quoted regions found by the context rules
    regions = quoted_regions(norm)
    if regions:
        masked = list(norm.norm)
        for a, b in regions:
            masked[a:b] = MASK * (b - a)
        masked_text = "".join(masked)
    else:
        masked_text = norm.norm
    orig_regions = [norm.span(a, b) for a, b in regions] + quoted
    lemmas = []
    polite = plain_final = imperative = 0
    for tok in doc:
        if tok.pos_ == "SPACE":
            continue
        if orig_regions and any(a <= tok.idx < b for a, b in orig_regions):
            continue
        lemma = tok.lemma_
        lemmas.append(lemma)
        tag = tok.tag_
        if tag.startswith("助動詞"):
            if lemma in ("です", "ます"):
                polite += 1
            elif lemma == "だ" and (tok._.esc_ctype or "").startswith("終止形"):
                plain_final += 1
        elif tag.startswith(("動詞", "形容詞")) and (tok._.esc_ctype or "").startswith("命令形"):
            imperative += 1
    sums: dict[str, float] = {}
    for h in hits:
        if h.active:
            sums[h.label] = sums.get(h.label, 0.0) + h.weight
    return TurnSignals(hits, masked_text, " ".join(lemmas), polite, plain_final, imperative, len(norm.orig), sums)


def feature_input(sig: TurnSignals, prev: TurnSignals | None, prev_polite_ratio: float | None,
                  extra: dict[str, float] | None = None) -> FeatureInput:
    cues: dict[str, float] = {}
    for h in sig.hits:
        if h.active:
            cues[f"id:{h.id}"] = cues.get(f"id:{h.id}", 0.0) + 1.0
            cues[f"lab:{h.label}"] = cues.get(f"lab:{h.label}", 0.0) + h.weight
        elif h.suppressed_by:
            continue  # the suppressing entry's own feature says what this really was
        elif h.negated:
            cues[f"neg:{h.label}"] = cues.get(f"neg:{h.label}", 0.0) + 1.0
        else:  # someone else's quoted words: their own feature per label (quoted anger is no urgency)
            cues[f"quoted:{h.label}"] = cues.get(f"quoted:{h.label}", 0.0) + 1.0
    # no length feature: long turns are not more urgent or angrier, and a model that learns they are
    # (our urgency-3 examples explain their harm at length) over-calls natural, long-winded callers
    n = max(sig.length, 1)
    cues["excl"] = min(sig.masked.count("!"), 3) / 3.0
    cues["question"] = min(sig.masked.count("?"), 3) / 3.0
    cues["polite"] = min(sig.polite, 4) / 4.0
    cues["imperative"] = min(sig.imperative, 2) / 2.0
    cues["no_keigo"] = 1.0 if sig.polite == 0 and n > 12 else 0.0
    if prev_polite_ratio is not None and prev_polite_ratio > 0.5 and sig.polite == 0 and (sig.imperative or sig.plain_final):
        cues["keigo_drop"] = 1.0
    if prev is not None:
        for k, v in prev.cue_sums.items():
            cues[f"prev:{k}"] = v
    for k, v in (extra or {}).items():
        cues[k] = v
    return FeatureInput(sig.masked, sig.lemmas, cues)
