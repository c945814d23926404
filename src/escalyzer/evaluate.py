"""``escalyzer evaluate GOLD CALLS``: every decision against hand labels (``../shared/dev/gold.jsonl``).

Per dimension (anger, urgency): accuracy, macro-F1, within-one-level accuracy, quadratic weighted
kappa, confusion matrix. Escalation: escalate F1 and per-kind F1 (plus micro-F1 over call×kind); for
calls where a supervisor took over, how often ``first_flag_turn`` came before the handoff and the mean
lead in turns and seconds. Supervisor steps: F1 per step and over all steps (done = positive). 6W3H:
slot recall (a slot counts when a predicted span overlaps the gold span). Sentences: fact/emotion
accuracy on the gold fact and emotion sentences, end to end (our sentence split and labels; a
"mixed" prediction counts as wrong) and with gold boundaries.
"""
from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

from .errors import EscalyzerError
from .metrics import binary_f1, level_metrics
from .writers import SLOTS, STEPS


def load_gold(path: str | Path) -> dict[str, dict[str, Any]]:
    gold = {}
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                try:
                    g = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise EscalyzerError(f"[E001] {path}:{n}: invalid JSON ({exc.msg})") from None
                if "labels" in g:  # a labelled calls file (data/heldout/calls.jsonl) works as gold too
                    g = {"call_id": g["call_id"], **g["labels"]}
                gold[g["call_id"]] = g
    return gold


def _norm(s: str) -> str:
    return unicodedata.normalize("NFKC", s).replace(" ", "").replace("\u3000", "")


def _locate(text: str, turns: list[str], speakers: list[str] | None = None, only: str | None = None):
    """(turn, start, end) of ``text`` in the call, or None."""
    for i, t in enumerate(turns):
        if only and speakers and speakers[i] != only:
            continue
        j = t.find(text)
        if j >= 0:
            return i, j, j + len(text)
    nt = _norm(text)
    for i, t in enumerate(turns):
        if only and speakers and speakers[i] != only:
            continue
        if nt and nt in _norm(t):
            return i, None, None
    return None


def evaluate(gold_path: str | Path, calls_path: str | Path, analyzer=None, records: list[dict] | None = None) -> dict[str, Any]:
    from . import read
    from .analyzer import Analyzer

    gold = load_gold(gold_path)
    az = analyzer or Analyzer()
    calls = {t.call_id: t for t in read(calls_path)}
    missing = [c for c in gold if c not in calls]
    if missing:
        raise EscalyzerError(f"gold call ids not in {calls_path}: {missing[:5]}")
    recs = {r["call_id"]: r for r in records} if records else {cid: az.analyze(calls[cid]) for cid in gold}
    out: dict[str, Any] = {"n_calls": len(gold)}
    for dim in ("anger", "urgency"):
        out[dim] = level_metrics([gold[c][f"{dim}_level"] for c in gold], [recs[c][dim]["level"] for c in gold])
    # escalation
    out["escalate"] = binary_f1([bool(gold[c]["escalate"]) for c in gold], [recs[c]["escalation"]["needed"] for c in gold])
    kinds = {}
    yt_all, yp_all = [], []
    for k in ("functional", "hierarchical", "automatic"):
        yt = [k in (gold[c].get("escalation_types") or []) for c in gold]
        yp = [k in recs[c]["escalation"]["types"] for c in gold]
        kinds[k] = binary_f1(yt, yp)
        yt_all += yt
        yp_all += yp
    kinds["micro"] = binary_f1(yt_all, yp_all)
    kinds["macro_f1"] = round(sum(kinds[k]["f1"] for k in ("functional", "hierarchical", "automatic")) / 3, 4)
    out["escalation_kinds"] = kinds
    leads_t, leads_s, before, n_sup = [], [], 0, 0
    for c in gold:
        if gold[c].get("supervisor_steps") is None:
            continue
        ho = recs[c]["escalation"].get("handoff_turn")
        if ho is None:
            continue
        n_sup += 1
        ff = recs[c]["escalation"]["first_flag_turn"]
        if ff is not None and ff < ho:
            before += 1
            leads_t.append(ho - ff)
            turns = calls[c].turns
            if turns[ho].start is not None and turns[ff].start is not None:
                leads_s.append(turns[ho].start - (turns[ff].end or turns[ff].start))
    out["early_warning"] = {"supervisor_calls": n_sup, "flag_before_handoff": before,
                            "rate": round(before / n_sup, 4) if n_sup else None,
                            "mean_lead_turns": round(sum(leads_t) / len(leads_t), 2) if leads_t else None,
                            "mean_lead_seconds": round(sum(leads_s) / len(leads_s), 1) if leads_s else None}
    # supervisor steps
    steps: dict[str, Any] = {}
    yt_all, yp_all = [], []
    for s in STEPS:
        yt, yp = [], []
        for c in gold:
            gs = gold[c].get("supervisor_steps")
            if gs is None:
                continue
            sup = recs[c].get("supervisor") or {}
            pred = bool(((sup.get("steps") or {}).get(s) or {}).get("done"))
            yt.append(bool(gs.get(s)))
            yp.append(pred)
        m = binary_f1(yt, yp)
        m["accuracy"] = round(sum(a == b for a, b in zip(yt, yp)) / len(yt), 4) if yt else None
        steps[s] = m
        yt_all += yt
        yp_all += yp
    steps["all"] = binary_f1(yt_all, yp_all)
    steps["all"]["accuracy"] = round(sum(a == b for a, b in zip(yt_all, yp_all)) / len(yt_all), 4) if yt_all else None
    out["supervisor_steps"] = steps
    # 6W3H slot recall
    hit = total = pred_nonnull_gold_null = 0
    per_slot = {s: [0, 0] for s in SLOTS}
    for c in gold:
        texts = [t.text for t in calls[c].turns]
        gf = gold[c].get("facts") or {}
        for s in SLOTS:
            gv = gf.get(s)
            items = recs[c]["facts"].get(s) or []
            if gv is None:
                pred_nonnull_gold_null += bool(items)
                continue
            total += 1
            per_slot[s][1] += 1
            loc = _locate(gv, texts)
            ok = False
            for it in items:
                if loc and loc[1] is not None:
                    ok = it["turn"] == loc[0] and it["start"] < loc[2] and loc[1] < it["end"]
                else:
                    a, b = _norm(it["text"]), _norm(gv)
                    ok = bool(a) and (a in b or b in a)
                if ok:
                    break
            hit += ok
            per_slot[s][0] += ok
    out["facts"] = {"slot_recall": round(hit / total, 4) if total else None, "gold_slots": total,
                    "predicted_where_gold_null": pred_nonnull_gold_null,
                    "per_slot_recall": {s: (round(a / b, 3) if b else None) for s, (a, b) in per_slot.items()}}
    # fact vs emotion
    e2e = [0, 0]
    gb = [0, 0]
    for c in gold:
        texts = [t.text for t in calls[c].turns]
        speakers = [t.speaker for t in calls[c].turns]
        sents = recs[c]["sentences"]
        for kind, key in (("fact", "fact_sentences"), ("emotion", "emotion_sentences")):
            for gs in gold[c].get(key) or []:
                loc = _locate(gs, texts, speakers, only="customer")
                e2e[1] += 1
                gb[1] += 1
                if loc is None or loc[1] is None:
                    continue
                ti, a, b = loc
                votes: dict[str, int] = {}
                for s in sents:
                    if s["turn"] == ti and s["start"] < b and a < s["end"]:
                        ov = min(b, s["end"]) - max(a, s["start"])
                        votes[s["kind"]] = votes.get(s["kind"], 0) + ov
                if votes and max(votes, key=votes.get) == kind:
                    e2e[0] += 1
                doc = az.nlp(texts[ti])
                (_s, _e, k2, _p, _h), = az.sentence_clf.classify(doc, [(a, b)])
                gb[0] += k2 == kind
    out["sentences"] = {"accuracy": round(e2e[0] / e2e[1], 4) if e2e[1] else None, "n": e2e[1],
                        "accuracy_gold_boundaries": round(gb[0] / gb[1], 4) if gb[1] else None}
    return out


def format_report(r: dict[str, Any]) -> str:
    lines = [f"escalyzer evaluate: {r['n_calls']} calls", ""]
    lines.append(f"{'dimension':<10} {'acc':>6} {'macroF1':>8} {'within1':>8} {'QWK':>6}")
    for dim in ("anger", "urgency"):
        m = r[dim]
        lines.append(f"{dim:<10} {m['accuracy']:>6.3f} {m['macro_f1']:>8.3f} {m['within_one']:>8.3f} {m['qwk'] if m['qwk'] is not None else float('nan'):>6.3f}")
    for dim in ("anger", "urgency"):
        lines.append(f"{dim} confusion (rows gold 0-3, cols predicted): {r[dim]['confusion']}")
    e = r["escalate"]
    k = r["escalation_kinds"]
    lines += ["", f"escalate: P {e['precision']:.3f} R {e['recall']:.3f} F1 {e['f1']:.3f}",
              "kinds F1: " + ", ".join(f"{x} {k[x]['f1']:.3f}" for x in ("functional", "hierarchical", "automatic"))
              + f"; micro {k['micro']['f1']:.3f}, macro {k['macro_f1']:.3f}"]
    w = r["early_warning"]
    lines.append(f"early warning: flag before handoff in {w['flag_before_handoff']}/{w['supervisor_calls']} supervisor calls "
                 f"(rate {w['rate']}), mean lead {w['mean_lead_turns']} turns / {w['mean_lead_seconds']} s")
    s = r["supervisor_steps"]
    lines += ["", "supervisor steps F1: " + ", ".join(f"{x} {s[x]['f1']:.2f}" for x in STEPS),
              f"supervisor steps overall: F1 {s['all']['f1']:.3f}, accuracy {s['all']['accuracy']}"]
    f = r["facts"]
    lines += ["", f"6W3H slot recall {f['slot_recall']} ({f['gold_slots']} gold slots; filled where gold is null: "
              f"{f['predicted_where_gold_null']})", "per slot: " + ", ".join(f"{a} {b}" for a, b in f["per_slot_recall"].items())]
    se = r["sentences"]
    lines.append(f"fact/emotion accuracy {se['accuracy']} (n={se['n']}, end to end); with gold boundaries {se['accuracy_gold_boundaries']}")
    return "\n".join(lines)
