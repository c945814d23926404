"""Anger and urgency levels (0-3), turn by turn and the call's peak, with the words that drove them.

One :class:`~escalyzer.textclf.TextClassifier` per dimension scores every customer turn from its own
words and the previous customer turn (see :mod:`escalyzer.components.features`). Then:

- **carry-over**: a turn's level may fall at most ``levels.max_drop_per_turn`` below the previous
  customer turn's (anger rarely falls from 3 to 0 in one turn); the evidence says when this applied;
- **turn levels**: the highest ``L`` with ``P_t(level ≥ L) ≥ θ_L``, per-level thresholds tuned on
  out-of-fold call peaks at training time (``meta.json`` ``peak_thresholds``);
- **peak**: the call's level and ``probabilities`` come from a small logistic regression (stored in the
  model as ``peak``) over the shape of the turn distribution — per level the highest, second highest and
  mean ``P_t(level ≥ L)`` and the number of turns, and for urgency whether each cue label of the
  model's ``peak_cue_labels`` occurs in any customer turn — trained on out-of-fold turn predictions of the
  labelled calls, so one odd turn the model is unsure about does not set the call's level, and a call
  where the caller says 「急ぎません」 or only names past times reads as such. With
  ``levels.cap_peak_at_turn_level`` (anger by default) it is capped at the highest turn level. Setting
  ``levels.peak_thresholds`` in the configuration uses the thresholds instead (the call's level is then
  the highest turn level).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..call.context import CallContext
from ..evidence import meta_evidence
from ..levels_scale import LABELS
from ..models import latest_version_dir, load_model
from ..textclf import TextClassifier
from .deadlines import DATED_LABEL, deadline_cues, deadline_days
from .features import MASK, TurnSignals, feature_input, turn_signals

DIMENSIONS = ("anger", "urgency")


def call_turn_inputs(ctx_docs, ctx_norms, speakers, lexicon_dir=None, extras=None, ref=None, buckets=None):
    """Feature inputs for every customer turn of a call, causally (turn t sees turns ≤ t only).

    Besides the turn's own signals and the previous customer turn's cue sums, a dated deadline
    (「金曜までに」) is resolved against ``ref``, the call's ``received_at``
    (:mod:`escalyzer.components.deadlines`).
    """
    out = []
    prev: TurnSignals | None = None
    polite_turns = 0
    seen = 0
    for i, (doc, norm, spk) in enumerate(zip(ctx_docs, ctx_norms, speakers)):
        if spk != "customer":
            continue
        sig = turn_signals(doc, norm, lexicon_dir)
        ratio = polite_turns / seen if seen else None
        extra = dict((extras or {}).get(i) or {})
        extra.update(deadline_cues(sig.hits, ref, buckets))
        out.append((i, sig, feature_input(sig, prev, ratio, extra)))
        prev = sig
        seen += 1
        polite_turns += sig.polite > 0
    return out


def call_peak_features(P: np.ndarray, cues: list[dict[str, float]] | None = None,
                       labels: list[str] | tuple[str, ...] = ()) -> np.ndarray:
    """Shape of a call's turn distribution for the learned peak: per level L>=1, the highest, second
    highest and mean P_t(level >= L) over customer turns, and log(1 + number of turns). One very sure
    turn and several fairly sure turns both count; one lukewarm odd turn does not.

    With ``labels`` (the model's ``peak_cue_labels``), one more feature per cue label: whether any customer
    turn has an active hit of it (``cues`` are the turns' feature-input cue dicts). A deadline said in one
    turn and the harm in another both reach the call's level this way, whatever the turn model made of them."""
    ge = np.cumsum(P[:, ::-1], axis=1)[:, ::-1][:, 1:]
    srt = np.sort(ge, axis=0)
    second = srt[-2] if len(P) > 1 else srt[-1]
    shape = [srt[-1], second, ge.mean(axis=0), [np.log1p(len(P))]]
    if labels:
        cues = cues or []
        shape.append([float(any(c.get(f"lab:{lab}", 0) != 0 for c in cues)) for lab in labels])
    return np.concatenate(shape)


class LevelScorer:
    def __init__(self, models: dict[str, TextClassifier], metas: dict[str, dict[str, Any]], config: dict[str, Any]):
        self.models = models
        self.metas = metas
        self.config = config
        # one feature matrix serves every dimension whose vectorizers equal the first's
        first = next(iter(models.values()))
        self.shared = {dim for dim, m in models.items() if m is first or m.same_features(first)}

    @classmethod
    def load(cls, models_dir: Path, config: dict[str, Any]) -> "LevelScorer":
        models, metas = {}, {}
        for dim in DIMENSIONS:
            d = latest_version_dir(Path(models_dir), f"{dim}_clf")
            parts, meta = load_model(d)
            models[dim] = TextClassifier(parts, meta)
            metas[dim] = meta
        return cls(models, metas, config)

    def info(self) -> dict[str, Any]:
        return {f"{dim}_clf": {"version": m.get("version"), "sha256": m.get("sha256", "")[:12]}
                for dim, m in self.metas.items()}

    # -- per turn ---------------------------------------------------------------------------------
    def turn_probabilities(self, ctx: CallContext) -> tuple[list[int], list[TurnSignals], list[dict[str, float]],
                                                           dict[str, np.ndarray], dict]:
        items = call_turn_inputs(ctx.docs, ctx.norms, [t.speaker for t in ctx.turns],
                                 ctx.config.get("lexicon_dir"), ctx.results.get("level_extras"),
                                 ctx.transcript.received_at, self.config["levels"].get("deadline_buckets"))
        idx = [i for i, _, _ in items]
        sigs = [s for _, s, _ in items]
        inputs = [f for _, _, f in items]
        probs, mats = {}, {}
        shared_X = None
        for dim, model in self.models.items():
            if not inputs:
                X = None
            elif dim in self.shared:
                shared_X = model.transform(inputs) if shared_X is None else shared_X
                X = shared_X
            else:
                X = model.transform(inputs)
            probs[dim] = model.predict_proba(inputs, X) if inputs else np.zeros((0, 4))
            mats[dim] = X
        return idx, sigs, [f.cues for f in inputs], probs, mats

    def score_call(self, ctx: CallContext) -> dict[str, Any]:
        cfg = self.config["levels"]
        idx, sigs, cues, probs, mats = self.turn_probabilities(ctx)
        out: dict[str, Any] = {}
        for dim in DIMENSIONS:
            out[dim] = self._dimension(ctx, dim, idx, sigs, cues, probs[dim], mats[dim], cfg)
        _apply_metadata_floor(ctx, out["urgency"], cfg.get("urgency_floors") or {})
        ctx.results["turn_probs"] = {dim: (idx, probs[dim]) for dim in DIMENSIONS}
        return out

    def _dimension(self, ctx, dim, idx, sigs, cues, P, X, cfg) -> dict[str, Any]:
        labels = LABELS[dim]
        model = self.models[dim]
        classes = model.classes
        by_turn = []
        levels = []
        prev_level = None
        theta = cfg.get("peak_thresholds") or self.metas[dim].get("peak_thresholds") or [0.5] * (len(classes) - 1)
        ge_all = np.cumsum(P[:, ::-1], axis=1)[:, ::-1] if len(idx) else np.zeros((0, len(classes)))
        for k, (ti, sig) in enumerate(zip(idx, sigs)):
            p = P[k]
            # the same decision rule as the call's peak, so the call's level is the highest turn level
            lvl = next((int(classes[L]) for L in range(len(classes) - 1, 0, -1) if ge_all[k, L] >= theta[L - 1]), 0)
            carried = False
            if prev_level is not None and lvl < prev_level - cfg["max_drop_per_turn"]:
                lvl = prev_level - cfg["max_drop_per_turn"]
                carried = True
            levels.append(lvl)
            prev_level = lvl
            by_turn.append({"turn": ti, "level": lvl, "label": labels[lvl],
                            "probabilities": [round(float(x), 4) for x in p], "carried_over": carried})
        # the call's peak, robust to a single uncertain turn: the call distribution is the per-level
        # maximum over turns of P(level >= L); the level is the highest L it reaches with confidence.
        peak, peak_k = 0, None
        probs = [1.0] + [0.0] * (len(classes) - 1)
        if len(idx):
            ge = np.cumsum(P[:, ::-1], axis=1)[:, ::-1]  # P_t(level >= L)
            q_ge = ge.max(axis=0)
            q_ge[0] = 1.0
            q = np.append(q_ge[:-1] - q_ge[1:], q_ge[-1])
            probs = [round(float(x), 4) for x in q]
            for L in range(len(classes) - 1, 0, -1):
                if q_ge[L] >= theta[L - 1]:
                    peak = int(classes[L])
                    break
            agg = self.models[dim].parts.get("peak")
            if agg is not None and not cfg.get("peak_thresholds"):
                # the learned peak: a small logistic regression over the turn distribution's shape
                feats = call_peak_features(P, cues, self.metas[dim].get("peak_cue_labels") or ())
                qa = agg.predict_proba(feats[None, :])[0]
                full = np.zeros(len(classes))
                for j, c in enumerate(agg.classes_):
                    full[int(c)] = qa[j]
                # anger is shown in the words of some turn: the call's anger is never above the highest
                # turn level (the mass above moves onto it). Urgency is the situation, which can add up
                # across turns (a deadline in one, the harm in another): not capped by default.
                cap = max(levels)
                if (cfg.get("cap_peak_at_turn_level") or {}).get(dim) and cap < len(full) - 1:
                    full[cap] += full[cap + 1:].sum()
                    full[cap + 1:] = 0.0
                probs = [round(float(x), 4) for x in full]
                peak = int(np.argmax(full))
            peak_k = int(np.argmax(ge[:, max(peak, 1)]))
        evidence = []
        if peak_k is not None:
            evidence = self._evidence(ctx, dim, idx, sigs, X, peak_k, peak, levels)
        return {"level": peak, "label": labels[peak], "probabilities": probs, "peak_turn": idx[peak_k] if peak_k is not None else None,
                "evidence": evidence, "by_turn": by_turn}

    def _evidence(self, ctx, dim, idx, sigs, X, peak_k, peak, levels) -> list[dict[str, Any]]:
        """Model features that pushed the peak turn(s) up most, mapped to spans, plus cue hits."""
        top_k = self.config["levels"]["evidence_top_k"]
        model = self.models[dim]
        ev: list[dict[str, Any]] = []
        turns = [peak_k] + [k for k, lv in enumerate(levels) if lv >= max(peak, 1) and k != peak_k][:2]
        prefix = "anger." if dim == "anger" else "urgency."
        for k in turns:
            ti = idx[k]
            sig = sigs[k]
            if peak > 0:
                cls_index = model.classes.index(levels[k]) if levels[k] in model.classes else peak
                for view, name, contrib in model.explain(X[k], cls_index, top_k):
                    span = _locate(ctx, ti, sig, view, name)
                    if span is None:
                        continue
                    s, e = span
                    ev.append({"turn": ti, "start": s, "end": e, "text": ctx.turn_text(ti)[s:e],
                               "rule": f"model.{dim}.{view}:{name}", "score": round(contrib, 4)})
                    if sum(1 for x in ev if x["turn"] == ti and x["rule"].startswith("model.")) >= top_k:
                        break
            for h in sig.hits:
                if h.id.startswith(prefix) or (dim == "anger" and h.label in ("HARM",)):
                    item = h.evidence(ti)
                    if h.label == DATED_LABEL:  # how far the named deadline is from the call's date
                        item["days_from_call"] = deadline_days(h.text, ctx.transcript.received_at)
                    ev.append(item)
        # de-duplicate overlapping model spans; keep cue hits
        seen = set()
        out = []
        for x in ev:
            key = (x["turn"], x["start"], x["end"], x["rule"].split(":")[0] if x["rule"].startswith("model.") else x["rule"])
            if key in seen:
                continue
            seen.add(key)
            out.append(x)
        return out


def _apply_metadata_floor(ctx: CallContext, urg: dict[str, Any], floors: dict[str, Any]) -> None:
    """LABELING.md: waiting since yesterday for a promised callback is urgency 2 (至急); a callback already
    scheduled is at least 1 (早めに). The call's metadata says so before anyone speaks."""
    tr = ctx.transcript
    if tr.received_at is None or tr.callback_promised_at is None:
        return
    try:
        overdue_h = (tr.received_at - tr.callback_promised_at).total_seconds() / 3600
    except TypeError:
        return
    floor, rule = 0, None
    if overdue_h >= floors.get("callback_overdue_hours", 12):
        floor, rule = floors.get("callback_overdue_level", 2), "urgency.floor.callback_overdue"
    elif overdue_h < 0:
        floor, rule = floors.get("callback_scheduled_level", 1), "urgency.floor.callback_scheduled"
    if floor <= urg["level"]:
        return
    q = urg["probabilities"]
    moved = sum(q[:floor])
    urg["probabilities"] = [0.0] * floor + [round(q[floor] + moved, 4)] + q[floor + 1:]
    urg["level"] = floor
    urg["label"] = LABELS["urgency"][floor]
    urg["evidence"].insert(0, meta_evidence("callback_promised_at", tr.callback_promised_at.isoformat(), rule))
    urg["floor"] = {"level": floor, "rule": rule, "overdue_hours": round(overdue_h, 1)}


def _locate(ctx: CallContext, ti: int, sig: TurnSignals, view: str, name: str) -> tuple[int, int] | None:
    norm = ctx.norms[ti]
    if view == "char":
        # n-grams of only punctuation, symbols or spaces are poor evidence for a person to read
        if MASK in name or not any(ch.isalnum() for ch in name):
            return None
        j = sig.masked.find(name)
        if j < 0:
            return None
        s, e = norm.span(j, j + len(name))
        # widen a 1-2 character n-gram to its token so the evidence is readable
        doc = ctx.docs[ti]
        span = doc.char_span(s, e, alignment_mode="expand")
        if span is not None and len(name) <= 2:
            return span.start_char, span.end_char
        return s, e
    if view == "lemma":
        parts = name.split(" ")
        doc = ctx.docs[ti]
        toks = [t for t in doc if t.pos_ != "SPACE"]
        for a in range(len(toks) - len(parts) + 1):
            if all(toks[a + b].lemma_ == parts[b] for b in range(len(parts))):
                return toks[a].idx, toks[a + len(parts) - 1].idx + len(toks[a + len(parts) - 1].text)
        return None
    if view == "cue":
        for h in sig.hits:
            if h.active and (name == f"id:{h.id}" or name == f"lab:{h.label}"):
                return h.start, h.end
    return None
