"""Training the level models (and the fact/emotion sentence model) from labelled data, with model cards.

``escalyzer train`` reads ``data/`` (or ``--data FILE_OR_DIR``):

- utterances: JSONL or CSV rows with ``text``, ``anger``, ``urgency`` (optional ``context``: the
  customer's previous turn, ``id``);
- calls: JSONL in the input format whose customer turns carry ``anger``/``urgency`` and whose
  ``labels`` hold the call's peak levels;
- annotations: a further annotator's labels for calls read from the same data, one JSONL row per call with
  ``call_id`` and any of ``anger_level``/``urgency_level`` and ``turn_anger``/``turn_urgency`` (turn index →
  level, every labelled customer turn). Each annotation adds one more training copy of the call with those
  labels (the dimensions it does not label keep the call's own), so where annotators disagree the model
  learns both readings; the copy is split and folded with its call;
- sentences (for the fact/emotion model): rows with ``text`` and ``kind`` (fact|emotion|mixed).

It holds out a deterministic 20% split (by id hash), reports metrics on it next to a keyword-only
baseline (a logistic regression on the lexicon cue features alone), tunes the call-peak threshold on
the held-out calls, runs 5-fold cross-validation, then fits on everything and writes
``models/<dim>_clf/<version>/`` with ``meta.json`` (the model card data) and ``MODEL_CARD.md``.
"""
from __future__ import annotations

import csv
import hashlib
import json
import zlib
from datetime import datetime
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import EscalyzerError
from .levels_scale import LABELS
from .metrics import expected_calibration_error, level_metrics
from .models import save_model
from .pipeline import build_nlp
from .textclf import FeatureInput, TextClassifier
from .textnorm import NormText

HOLDOUT = 0.2
DIMS = ("anger", "urgency")


@dataclass
class Example:
    group: str  # split unit: utterance id or call id
    source: str
    inp: FeatureInput
    y: dict[str, int]
    text: str


@dataclass
class CallExample:
    call_id: str
    turn_examples: list[Example]
    peak: dict[str, int]
    extra: dict[str, Any] = field(default_factory=dict)


def in_holdout(key: str) -> bool:
    return (zlib.crc32(key.encode("utf-8")) % 1000) / 1000.0 < HOLDOUT


def data_files(data: Path) -> list[Path]:
    if data.is_file():
        return [data]
    # data/samples (the demo), data/heldout (an extra test set) and data/agreement (the second annotator's
    # labels of the held-out calls, for measuring agreement) are never trained on; data/annotations (the second
    # annotator's labels of the training calls) is
    return sorted(p for p in data.rglob("*") if p.suffix in (".jsonl", ".csv")
                  and not ({"samples", "heldout", "agreement"} & set(p.relative_to(data).parts)))


def data_hash(files: list[Path]) -> str:
    h = hashlib.sha256()
    for p in sorted(files):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def lexicon_hash(lexicon_dir: str | None = None) -> str:
    """sha256 of the cue lexicons and context rules the features are built from (bundled, plus a user's
    ``lexicon_dir``): a model's version changes when its features do, not only when its data does."""
    from .resources_io import resource_path

    files = sorted(resource_path("lexicons").glob("*.jsonl")) + [resource_path("rules/context.yaml")]
    if lexicon_dir:
        files += sorted(Path(lexicon_dir).glob("*.jsonl"))
    h = hashlib.sha256()
    for p in files:
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def _rows(path: Path):
    if path.suffix == ".csv":
        with open(path, encoding="utf-8-sig", newline="") as fh:
            for n, row in enumerate(csv.DictReader(fh), start=2):
                yield n, row
    else:
        with open(path, encoding="utf-8") as fh:
            for n, line in enumerate(fh, start=1):
                if line.strip():
                    try:
                        yield n, json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise EscalyzerError(f"[E050] training data {path}:{n}: invalid JSON ({exc.msg})") from None


def _level(v: Any, path: Path, n: int, name: str) -> int:
    try:
        x = int(v)
    except (TypeError, ValueError):
        raise EscalyzerError(f"[E050] training data {path}:{n}: field {name} must be 0-3, got {v!r}") from None
    if not 0 <= x <= 3:
        raise EscalyzerError(f"[E050] training data {path}:{n}: field {name} must be 0-3, got {v!r}")
    return x


def _received_at(row: dict[str, Any], path: Path, n: int):
    v = row.get("received_at")
    if not v:
        return None
    try:
        return datetime.fromisoformat(str(v))
    except ValueError:
        raise EscalyzerError(f"[E050] training data {path}:{n}: field received_at is not an ISO date: {v!r}") from None


def load_level_data(files: list[Path], lexicon_dir: str | None = None) -> tuple[list[Example], list[CallExample]]:
    """Utterance examples and call examples from the given files (sentence files are skipped)."""
    from .components.levels import call_turn_inputs

    nlp = build_nlp()
    utts: list[Example] = []
    calls: list[CallExample] = []
    annotations: list[tuple[Path, int, dict[str, Any]]] = []
    for path in files:
        for n, row in _rows(path):
            if _is_annotation(row):
                annotations.append((path, n, row))
            elif "turns" in row:
                turns = row["turns"]
                texts = [t["text"] for t in turns]
                speakers = [t.get("speaker") for t in turns]
                docs = list(nlp.pipe(texts))
                items = call_turn_inputs(docs, [NormText(t) for t in texts], speakers, lexicon_dir,
                                         ref=_received_at(row, path, n))
                exs, turn_index = [], []
                for i, _sig, inp in items:
                    t = turns[i]
                    if "anger" not in t or "urgency" not in t:
                        continue
                    turn_index.append(i)
                    exs.append(Example(str(row["call_id"]), f"{path.name}:{n}", inp,
                                       {d: _level(t[d], path, n, f"turns[{i}].{d}") for d in DIMS}, t["text"]))
                lab = row.get("labels") or {}
                peak = {d: _level(lab.get(f"{d}_level", max([e.y[d] for e in exs], default=0)), path, n, f"labels.{d}_level")
                        for d in DIMS}
                calls.append(CallExample(str(row["call_id"]), exs, peak, {"turn_index": turn_index}))
            elif "anger" in row or "urgency" in row:
                text = row.get("text")
                if not text:
                    raise EscalyzerError(f"[E050] training data {path}:{n}: missing field text")
                ctx_text = row.get("context") or None
                texts = [ctx_text, text] if ctx_text else [text]
                docs = list(nlp.pipe(texts))
                items = call_turn_inputs(docs, [NormText(t) for t in texts], ["customer"] * len(texts), lexicon_dir)
                inp = items[-1][2]
                uid = str(row.get("id") or f"{path.name}:{n}")
                utts.append(Example(uid, f"{path.name}:{n}", inp,
                                    {d: _level(row.get(d, 0), path, n, d) for d in DIMS}, text))
    return utts, calls + annotated_copies(calls, annotations)


ANNOTATION_KEYS = tuple(f"{d}_level" for d in DIMS) + tuple(f"turn_{d}" for d in DIMS)


def _is_annotation(row: dict[str, Any]) -> bool:
    return "call_id" in row and "turns" not in row and "text" not in row and any(k in row for k in ANNOTATION_KEYS)


def annotated_copies(calls: list[CallExample], annotations: list[tuple[Path, int, dict[str, Any]]]) -> list[CallExample]:
    """One more copy of a call per annotation row, carrying that annotator's labels (see the module doc)."""
    by_id = {c.call_id: c for c in calls}
    out = []
    for path, n, row in annotations:
        cid = str(row["call_id"])
        call = by_id.get(cid)
        if call is None:
            raise EscalyzerError(f"[E050] training data {path}:{n}: field call_id: no call {cid!r} in the training data")
        turn_index = call.extra.get("turn_index", [])
        ys = [dict(e.y) for e in call.turn_examples]
        peak = dict(call.peak)
        for d in DIMS:
            by_turn = row.get(f"turn_{d}")
            if by_turn is not None:
                if not isinstance(by_turn, dict):
                    raise EscalyzerError(f"[E050] training data {path}:{n}: field turn_{d} must map turn index to level")
                levels = {str(k): v for k, v in by_turn.items()}
                for y, i in zip(ys, turn_index):
                    if str(i) not in levels:
                        raise EscalyzerError(f"[E050] training data {path}:{n}: field turn_{d} has no level for "
                                             f"customer turn {i} of call {cid!r}")
                    y[d] = _level(levels[str(i)], path, n, f"turn_{d}.{i}")
            if f"{d}_level" in row:
                peak[d] = _level(row[f"{d}_level"], path, n, f"{d}_level")
        exs = [Example(e.group, f"{path.name}:{n}", e.inp, y, e.text) for e, y in zip(call.turn_examples, ys)]
        out.append(CallExample(cid, exs, peak, {"turn_index": turn_index, "annotation": f"{path.name}:{n}"}))
    return out


def _cue_only(inp: FeatureInput) -> FeatureInput:
    return FeatureInput("", "", {k: v for k, v in inp.cues.items() if k.startswith(("lab:", "id:", "neg:"))})


def _fit(exs: list[Example], dim: str, keyword_only: bool = False, **kw) -> TextClassifier:
    inputs = [_cue_only(e.inp) if keyword_only else e.inp for e in exs]
    if keyword_only:
        from sklearn.feature_extraction import DictVectorizer
        from sklearn.linear_model import LogisticRegression

        dv = DictVectorizer()
        X = dv.fit_transform([i.cues for i in inputs])
        clf = LogisticRegression(C=1.0, class_weight="balanced", max_iter=3000, random_state=0).fit(X, [e.y[dim] for e in exs])
        return _KeywordModel(dv, clf)
    return TextClassifier.fit(inputs, [e.y[dim] for e in exs], **kw)


class _KeywordModel:
    def __init__(self, dv, clf):
        self.dv, self.clf = dv, clf

    def predict_proba(self, inputs):
        return self.clf.predict_proba(self.dv.transform([_cue_only(i).cues for i in inputs]))


def call_peak(probs: np.ndarray, theta) -> int:
    """The call's peak level from its customer turns' probabilities (see components/levels.py).

    ``theta`` is one threshold or one per level 1..3: the level is the highest ``L`` whose
    ``max_t P_t(level >= L)`` reaches ``theta[L-1]``.
    """
    if len(probs) == 0:
        return 0
    th = list(theta) if isinstance(theta, (list, tuple)) else [theta] * (probs.shape[1] - 1)
    ge = np.cumsum(probs[:, ::-1], axis=1)[:, ::-1].max(axis=0)
    for L in range(probs.shape[1] - 1, 0, -1):
        if ge[L] >= th[L - 1]:
            return L
    return 0


def _fast_macro_f1(y: np.ndarray, p: np.ndarray, k: int = 4) -> float:
    cm = np.bincount(y * k + p, minlength=k * k).reshape(k, k)
    tp = np.diag(cm).astype(float)
    denom = cm.sum(0) + cm.sum(1)
    f1 = np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 0.0)
    return float(f1.mean())


def tune_thresholds(rows: list[tuple[np.ndarray, int]]) -> tuple[list[float], dict[str, Any]]:
    """Per-level peak thresholds maximising call-level macro-F1, then within-one accuracy, on ``rows``."""
    grid = [round(float(x), 2) for x in np.arange(0.3, 0.951, 0.05)]
    y = np.array([r[1] for r in rows])
    ges = np.array([np.cumsum(r[0][:, ::-1], axis=1)[:, ::-1].max(axis=0) for r in rows])
    best = None
    for t3 in grid:
        for t2 in grid:
            for t1 in grid:
                pred = np.where(ges[:, 3] >= t3, 3, np.where(ges[:, 2] >= t2, 2, np.where(ges[:, 1] >= t1, 1, 0)))
                key = (round(_fast_macro_f1(y, pred), 6), float(np.mean(np.abs(y - pred) <= 1)),
                       -abs(t1 - 0.5) - abs(t2 - 0.5) - abs(t3 - 0.5))
                if best is None or key > best[0]:
                    best = (key, [t1, t2, t3], pred)
    return best[1], level_metrics(y.tolist(), best[2].tolist())


def fit_peak_model(rows: list[tuple], utt_rows: list[tuple] | None = None, labels: list[str] | tuple[str, ...] = ()):
    """The learned call peak over out-of-fold turn probabilities (see components/levels.py).

    Rows are ``(P, level, cues)``. Whole calls and stand-alone utterances (one-turn calls) carry equal
    total weight."""
    from sklearn.linear_model import LogisticRegression

    from .components.levels import call_peak_features

    utt_rows = utt_rows or []
    both = rows + utt_rows
    X = np.array([call_peak_features(r[0], r[2], labels) for r in both])
    y = np.array([r[1] for r in both])
    if len(set(y.tolist())) < 2:
        return None
    w = np.ones(len(both))
    if rows and utt_rows:
        w[len(rows):] = len(rows) / len(utt_rows)
    return LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000, random_state=0).fit(X, y, sample_weight=w)


def _peak_predict(agg, probs: np.ndarray, theta, cues=None, labels=()) -> int:
    from .components.levels import call_peak_features

    if agg is None:
        return call_peak(probs, theta)
    return int(agg.predict(call_peak_features(probs, cues, labels)[None, :])[0])


def _oof(exs: list[Example], calls: list[CallExample], dim: str, C: float, k: int = 5):
    """Out-of-fold turn probabilities (folds grouped by utterance/call id).

    Returns turn labels and predictions, the call rows ``(P, peak)`` and single-utterance rows (a stand-alone
    utterance is a one-turn call), so the learned peak also knows short calls."""
    fold_of = lambda g: zlib.crc32(("cv" + g).encode()) % k  # noqa: E731
    call_ids = {c.call_id for c in calls}
    yt, yp, call_rows, utt_rows = [], [], [], []
    for f in range(k):
        tr = [e for e in exs if fold_of(e.group) != f]
        te = [e for e in exs if fold_of(e.group) == f]
        if not te or len({e.y[dim] for e in tr}) < 2:
            continue
        m = _fit(tr, dim, C=C)
        P = m.predict_proba([e.inp for e in te])
        yt += [e.y[dim] for e in te]
        yp += np.array(m.classes)[P.argmax(axis=1)].tolist()
        for e, p in zip(te, P):
            if e.group not in call_ids:
                utt_rows.append((p[None, :], e.y[dim], [e.inp.cues]))
        for c in calls:
            if fold_of(c.call_id) == f and c.turn_examples:
                call_rows.append((m.predict_proba([e.inp for e in c.turn_examples]), c.peak[dim],
                                  [e.inp.cues for e in c.turn_examples]))
    return yt, yp, call_rows, utt_rows


# regularisation per dimension, chosen by 5-fold CV on the training split (urgency benefits from weaker
# regularisation: its cues are sparser); see the model cards
DEFAULT_C = {"anger": 2.0, "urgency": 4.0}

# cue labels whose presence anywhere in the call feeds the learned urgency peak (components/levels.py): the
# urgency lexicon's labels, but DATED_DEADLINE (weight 0; a dated deadline reaches the model as deadline_in:<bucket>).
# 5-fold CV by call on our calls, scored against each annotator: macro-F1 0.715 -> 0.727 and 0.698 -> 0.710
# (data/README.md). Anger's peak stays the turn distribution alone.
PEAK_CUE_LABELS = {"urgency": ("NO_RUSH", "FAR_FUTURE", "PAST_REF", "SCHEDULE_CONFIRM", "CALLBACK_EXPECTED", "HARM",
                               "RECURRENCE", "DEADLINE_TODAY", "DEADLINE_TOMORROW", "IMMEDIATE", "SOON", "WAITING",
                               "EVENT")}


def train_levels(data: Path, models_dir: Path, version: str | None = None, lexicon_dir: str | None = None,
                 C: float | None = None, log=print) -> dict[str, Any]:
    files = [f for f in data_files(data) if "sentences" not in f.parts]
    if not files:
        raise EscalyzerError(f"[E050] training data {data}: no .jsonl or .csv files")
    digest = data_hash(files)
    lex = lexicon_hash(lexicon_dir)
    # the version names the data and the lexicons the features come from
    version = version or f"{np.datetime64('today')}-{digest[:8]}-{lex[:4]}".replace("-", ".", 2)
    log(f"reading {len(files)} files ...")
    utts, calls = load_level_data(files, lexicon_dir)
    turn_exs = [e for c in calls for e in c.turn_examples]
    all_exs = utts + turn_exs
    if len(all_exs) < 20:
        raise EscalyzerError(f"[E050] training data {data}: only {len(all_exs)} labelled utterances (need ≥ 20)")
    n_copies = sum(1 for c in calls if "annotation" in c.extra)
    log(f"{len(utts)} utterances, {len(calls) - n_copies} calls + {n_copies} further annotations "
        f"({len(turn_exs)} labelled customer turns)")
    train = [e for e in all_exs if not in_holdout(e.group)]
    test = [e for e in all_exs if in_holdout(e.group)]
    train_calls = [c for c in calls if not in_holdout(c.call_id)]
    test_calls = [c for c in calls if in_holdout(c.call_id) and c.turn_examples]
    results: dict[str, Any] = {}
    for dim in DIMS:
        card: dict[str, Any] = {"dimension": dim, "labels": list(LABELS[dim]), "classes": [0, 1, 2, 3]}
        theta: list[float] = [0.5, 0.5, 0.5]
        c_dim = C if C is not None else DEFAULT_C[dim]
        peak_labels = list(PEAK_CUE_LABELS.get(dim, ()))
        if len({e.y[dim] for e in train}) > 1 and len(test) >= 8:
            # (a) 5-fold CV inside the training split: turn metrics, and out-of-fold call peaks to tune thresholds
            yt, yp, rows, utt_rows = _oof(train, train_calls, dim, c_dim)
            cv = level_metrics(yt, yp)
            cv.pop("confusion", None)
            card["cv5_train_turns"] = cv
            agg = None
            if rows:
                theta, cvm = tune_thresholds(rows)
                cvm.pop("confusion", None)
                card["cv5_train_calls"] = cvm
                agg = fit_peak_model(rows, utt_rows, peak_labels)
            # (b) fit on the training split, measure on the held-out split (never seen, thresholds fixed)
            model = _fit(train, dim, C=c_dim)
            kw_model = _fit(train, dim, keyword_only=True)
            P = model.predict_proba([e.inp for e in test])
            y = np.array([e.y[dim] for e in test])
            pred = np.array(model.classes)[P.argmax(axis=1)]
            kw_pred = np.array(kw_model.clf.classes_)[kw_model.predict_proba([e.inp for e in test]).argmax(axis=1)]
            card["heldout_turns"] = {"model": level_metrics(y.tolist(), pred.tolist()),
                                     "keyword_baseline": level_metrics(y.tolist(), kw_pred.tolist()),
                                     "ece": expected_calibration_error(P, np.searchsorted(model.classes, y))}
            if test_calls:
                yc = [c.peak[dim] for c in test_calls]
                pm = [_peak_predict(agg, model.predict_proba([e.inp for e in c.turn_examples]), theta,
                                    [e.inp.cues for e in c.turn_examples], peak_labels) for c in test_calls]
                pk = [call_peak(kw_model.predict_proba([e.inp for e in c.turn_examples]), theta) for c in test_calls]
                card["heldout_calls"] = {"model": level_metrics(yc, pm), "keyword_baseline": level_metrics(yc, pk)}
            card["split"] = {"train": len(train), "heldout": len(test), "heldout_calls": len(test_calls),
                             "rule": f"crc32(id) % 1000 < {int(HOLDOUT * 1000)} (utterance id or call id)"}
        card["peak_thresholds"] = theta
        # (c) the shipped model: fit on everything
        final = _fit(all_exs, dim, C=c_dim)
        # the shipped peak model: fitted on out-of-fold turn predictions of every labelled call
        if calls:
            _yt, _yp, rows_all, utt_all = _oof(all_exs, calls, dim, c_dim)
            agg_all = fit_peak_model(rows_all, utt_all, peak_labels) if rows_all else None
            if agg_all is not None:
                final.parts["peak"] = agg_all
        meta = {
            "label_scheme": {str(i): lab for i, lab in enumerate(LABELS[dim])},
            "classes": final.classes, "training_data": {"paths": [str(f) for f in files], "sha256": digest,
                                                         "utterances": len(utts), "calls": len(calls) - n_copies,
                                                         "lexicons_sha256": lex,
                                                         "call_annotations": n_copies,
                                                         "examples": len(all_exs)},
            "params": {"C": c_dim, "features": "char 1-3 tf-idf (quotes masked) + lemma 1-2 tf-idf + cue lexicon features",
                       "classifier": "LogisticRegression(class_weight=balanced)"},
            "peak_thresholds": theta,
            "peak_cue_labels": peak_labels,
            "metrics": card,
        }
        d = save_model(final.parts, models_dir, f"{dim}_clf", version, meta)
        write_model_card(d, json.loads((d / "meta.json").read_text("utf-8")))
        results[dim] = {"dir": str(d), "metrics": card}
        log(f"{dim}: saved {d}")
    return results


def write_model_card(d: Path, meta: dict[str, Any]) -> None:
    m = meta["metrics"]
    lines = [f"# Model card: {meta['name']} {meta['version']}", "",
             f"- task: {m.get('dimension', meta['name'])} level of the customer, per turn (0-3)",
             f"- labels: {', '.join(f'{k} {v}' for k, v in meta['label_scheme'].items())}",
             f"- classifier: {meta['params']['classifier']} over {meta['params']['features']}",
             f"- training data: {meta['training_data']['examples']} examples "
             f"({meta['training_data'].get('utterances', 0)} utterances, {meta['training_data'].get('calls', 0)} calls"
             + (f" + {meta['training_data']['call_annotations']} further annotations of them"
                if meta['training_data'].get('call_annotations') else "")
             + f"), sha256 {meta['training_data']['sha256'][:16]}…"
             + (f"; cue lexicons sha256 {meta['training_data']['lexicons_sha256'][:16]}…"
                if meta['training_data'].get('lexicons_sha256') else ""),
             f"- file: {meta['file']} (plain arrays, no pickle), sha256 {meta['sha256'][:16]}… (verified before loading)",
             f"- packages: {', '.join(f'{k} {v}' for k, v in meta['packages'].items())}", ""]
    if "heldout_turns" in m:
        h = m["heldout_turns"]
        lines += ["## Held-out split (20% by id hash, never trained on; thresholds tuned without it)", "",
                  *(["A call with a further annotation counts once per annotator (both readings are scored).", ""]
                    if meta["training_data"].get("call_annotations") else []),
                  "| level of | model | n | accuracy | macro-F1 | within one | QWK |", "|---|---|---|---|---|---|---|"]

        def row(what, name, r):
            return f"| {what} | {name} | {r['n']} | {r['accuracy']} | {r['macro_f1']} | {r['within_one']} | {r['qwk']} |"

        lines.append(row("turn", "this model", h["model"]))
        lines.append(row("turn", "keyword-only baseline", h["keyword_baseline"]))
        if "heldout_calls" in m:
            lines.append(row("call peak", "this model", m["heldout_calls"]["model"]))
            lines.append(row("call peak", "keyword-only baseline", m["heldout_calls"]["keyword_baseline"]))
        lines += ["", f"Expected calibration error (turns): {h['ece']}", "",
                  f"Confusion matrix (turns, rows = gold 0-3): {h['model']['confusion']}", ""]
        if "heldout_calls" in m:
            lines += [f"Confusion matrix (call peaks, rows = gold 0-3): {m['heldout_calls']['model']['confusion']}", ""]
    for key, what in (("cv5_train_turns", "turns"), ("cv5_train_calls", "call peaks (out of fold)")):
        cv = m.get(key)
        if cv and cv.get("n"):
            lines += [f"5-fold cross-validation on the training split, {what}: accuracy {cv['accuracy']}, "
                      f"macro-F1 {cv['macro_f1']}, within one {cv['within_one']}, QWK {cv['qwk']} (n={cv['n']})", ""]
    lines += [f"Turn-level thresholds (levels 1-3), tuned on the out-of-fold call peaks: {m.get('peak_thresholds')}", "",
              "Call peak: a logistic regression over the shape of the call's turn distribution (per level the highest, "
              "second highest and mean P(level >= L), and the number of turns), fitted on out-of-fold turn predictions "
              "of the labelled calls (the held-out rows above use one fitted without the held-out split).", ""]
    (d / "MODEL_CARD.md").write_text("\n".join(lines) + "\n", "utf-8")


def train_sentences(data: Path, models_dir: Path, version: str | None = None, lexicon_dir: str | None = None,
                    C: float = 8.0, log=print) -> dict[str, Any]:
    """Train the fact/emotion/mixed sentence model from rows with ``text`` and ``kind``."""
    from .components.fact_emotion import KINDS, sentence_input
    from .metrics import level_metrics

    files = [f for f in data_files(data) if "sentences" in f.parts or data.is_file()]
    rows = []
    for path in files:
        for n, row in _rows(path):
            if "kind" not in row:
                continue
            if row["kind"] not in KINDS:
                raise EscalyzerError(f"[E050] training data {path}:{n}: kind must be one of {KINDS}, got {row['kind']!r}")
            rows.append((str(row.get("id") or f"{path.name}:{n}"), row["text"], KINDS.index(row["kind"])))
    if len(rows) < 20:
        raise EscalyzerError(f"[E050] training data {data}: only {len(rows)} labelled sentences (need ≥ 20)")
    digest = data_hash(files)
    version = version or f"{np.datetime64('today')}-{digest[:8]}".replace("-", ".", 2)
    nlp = build_nlp()
    docs = list(nlp.pipe([r[1] for r in rows]))
    inputs = [sentence_input(d, 0, len(d.text), lexicon_dir)[0] for d in docs]
    ys = [r[2] for r in rows]
    tr = [i for i, r in enumerate(rows) if not in_holdout(r[0])]
    te = [i for i, r in enumerate(rows) if in_holdout(r[0])]
    # no class re-weighting: "mixed" is the minority class and should stay the exception
    m = TextClassifier.fit([inputs[i] for i in tr], [ys[i] for i in tr], C=C, class_weight=None)
    P = m.predict_proba([inputs[i] for i in te])
    pred = np.array(m.classes)[P.argmax(axis=1)].tolist()
    held = level_metrics([ys[i] for i in te], pred, labels=(0, 1, 2))
    # fact-vs-emotion accuracy on pure sentences (how the dev set is scored)
    pure = [(ys[i], p) for i, p in zip(te, pred) if ys[i] != 2]
    held["pure_accuracy"] = round(sum(a == b for a, b in pure) / len(pure), 4) if pure else None
    final = TextClassifier.fit(inputs, ys, C=C, class_weight=None)
    meta = {"label_scheme": {str(i): k for i, k in enumerate(KINDS)}, "classes": final.classes,
            "training_data": {"paths": [str(f) for f in files], "sha256": digest, "examples": len(rows)},
            "params": {"C": C, "features": "char 1-3 tf-idf + lemma 1-2 tf-idf + fact/emotion cue features",
                       "classifier": "LogisticRegression(class_weight=None)"},
            "metrics": {"dimension": "fact/emotion/mixed sentence kind", "heldout": held,
                        "split": {"train": len(tr), "heldout": len(te)}}}
    d = save_model(final.parts, models_dir, "fact_emotion_clf", version, meta)
    meta = json.loads((d / "meta.json").read_text("utf-8"))
    lines = [f"# Model card: fact_emotion_clf {version}", "",
             "- task: label a customer sentence fact (0), emotion/interpretation (1) or mixed (2)",
             f"- training data: {len(rows)} sentences, sha256 {digest[:16]}…",
             f"- classifier: {meta['params']['classifier']} over {meta['params']['features']}",
             f"- file: {meta['file']} (plain arrays, no pickle), sha256 {meta['sha256'][:16]}… (verified before loading)", "",
             "## Held-out split (20% by id hash)", "",
             f"accuracy {held['accuracy']}, macro-F1 {held['macro_f1']}, fact-vs-emotion accuracy on pure sentences "
             f"{held['pure_accuracy']} (n={held['n']}); confusion (rows gold fact/emotion/mixed): {held['confusion']}", ""]
    (d / "MODEL_CARD.md").write_text("\n".join(lines), "utf-8")
    log(f"fact_emotion: saved {d} (held-out accuracy {held['accuracy']})")
    return {"dir": str(d), "metrics": held}
