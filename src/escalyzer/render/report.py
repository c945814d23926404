"""The QA report: one self-contained HTML page over a scored batch (``escalyzer report``).

Sections: distributions of anger and urgency; escalation rate by kind and by reason; the calls ranked
by risk, each linking to a mini summary further down the page; supervisor step coverage (a heatmap by
supervisor and step); trends over ``received_at``. Every chart is a matplotlib PNG embedded as base64,
drawn with the Agg canvas (no pyplot state, no display) in a real Japanese font, and has its numbers in a
table beside it.

**Japanese font.** Labels are drawn in IPAexGothic from the ``matplotlib-fontja`` wheel (installed with
pip everywhere), or else in Noto Sans CJK JP from Debian's ``fonts-noto-cjk``. The family is set
explicitly on every chart and :func:`missing_glyphs` checks that the font has a glyph for every label
character, so a chart never shows tofu boxes; :func:`japanese_font` raises when no such font is installed.

Examples
--------
>>> from escalyzer.render.report import build_report, render_report_html
>>> from escalyzer.writers import read_results
>>> rep = build_report(read_results("out/results.jsonl"))          # doctest: +SKIP
>>> open("report.html", "w").write(render_report_html(rep))        # doctest: +SKIP
"""
from __future__ import annotations

import base64
import importlib.util
import io
import warnings
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from ..levels_scale import ANGER_LABELS, URGENCY_LABELS
from ..writers import SLOTS, STEPS
from .summary import _jinja, labels, slot_questions

KINDS = ("functional", "hierarchical", "automatic")
# system locations of Noto Sans CJK (Debian fonts-noto-cjk) and IPAex (fonts-ipaexfont), tried in order
SYSTEM_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/truetype/fonts-japanese-gothic.ttf",
)


class FontError(RuntimeError):
    """No Japanese font is installed (pip install matplotlib-fontja, or apt-get install fonts-noto-cjk)."""


@dataclass(frozen=True)
class FontInfo:
    path: str
    name: str
    source: str


@lru_cache(maxsize=1)
def japanese_font() -> FontInfo:
    """The Japanese font the charts use, registered with matplotlib's font manager."""
    from matplotlib import font_manager

    candidates: list[tuple[str, str]] = []
    spec = importlib.util.find_spec("matplotlib_fontja")
    if spec is not None and spec.submodule_search_locations:
        p = Path(list(spec.submodule_search_locations)[0]) / "fonts" / "ipaexg.ttf"
        candidates.append((str(p), "matplotlib-fontja (IPAexGothic)"))
    candidates += [(p, "system") for p in SYSTEM_FONTS]
    for path, source in candidates:
        if Path(path).exists():
            font_manager.fontManager.addfont(path)
            name = font_manager.FontProperties(fname=path).get_name()
            return FontInfo(path, name, source)
    raise FontError("no Japanese font for the report charts: pip install matplotlib-fontja "
                    "(or apt-get install -y fonts-noto-cjk)")


@lru_cache(maxsize=4)
def _charmap(path: str) -> frozenset[int]:
    from matplotlib.ft2font import FT2Font

    return frozenset(FT2Font(path).get_charmap())


def missing_glyphs(text: str, font: FontInfo | None = None) -> set[str]:
    """Characters of ``text`` that the chart font cannot draw (would be tofu boxes)."""
    font = font or japanese_font()
    cmap = _charmap(font.path)
    return {ch for ch in text if not ch.isspace() and ord(ch) not in cmap}


# -- data ---------------------------------------------------------------------------------------------

def _risk(rec: dict[str, Any]) -> float:
    r = ((rec.get("escalation") or {}).get("risk_by_turn") or [None])[-1]
    return float(r) if isinstance(r, (int, float)) else 0.0


def _parse_dt(s: Any) -> datetime | None:
    if not isinstance(s, str) or not s:
        return None
    try:
        return datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        return None


def _top_quote(res: dict[str, Any]) -> str | None:
    ev = [e for e in res.get("evidence") or [] if isinstance(e, dict) and e.get("text")]
    ev.sort(key=lambda e: (0 if not str(e.get("rule", "")).startswith("model.") else
                           1 if ".cue:" in str(e.get("rule", "")) else 2, -(e.get("score") or 0)))
    return ev[0]["text"] if ev else None


def _sentence_quote(rec: dict[str, Any], dim: str) -> str | None:
    """The customer's sentence holding the strongest cue of ``dim`` (from the record's own sentences)."""
    res = rec.get(dim) or {}
    ev = [e for e in res.get("evidence") or [] if isinstance(e, dict) and isinstance(e.get("turn"), int)]
    ev.sort(key=lambda e: (0 if not str(e.get("rule", "")).startswith("model.") else
                           1 if ".cue:" in str(e.get("rule", "")) else 2, -(e.get("score") or 0)))
    return _sentence_for(rec, ev[0]) if ev else None


def _sentence_for(rec: dict[str, Any], e: dict[str, Any]) -> str | None:
    """The record's sentence (customer turns) holding evidence ``e``, else the evidence text itself."""
    if not isinstance(e.get("turn"), int) or not isinstance(e.get("start"), int):
        return e.get("text")
    for s in rec.get("sentences") or []:
        if s.get("turn") == e["turn"] and s.get("start", 0) <= e["start"] < s.get("end", 0):
            return s.get("text")
    return e.get("text")


def mini_summary(rec: dict[str, Any]) -> dict[str, Any]:
    """What the report shows for one call under its anchor."""
    lab = labels()
    esc = rec.get("escalation") or {}
    sup = rec.get("supervisor") or None
    anger, urg = rec.get("anger") or {}, rec.get("urgency") or {}
    steps = []
    if sup:
        for s in STEPS:
            st = (sup.get("steps") or {}).get(s)
            steps.append({"step": s, "label": (lab.get("steps") or {}).get(s, s),
                          "done": None if st is None else bool(st.get("done"))})
    qs = slot_questions()
    return {
        "call_id": rec.get("call_id"),
        "anchor": f"call-{rec.get('call_id')}",
        "received_at": rec.get("received_at"),
        "n_turns": rec.get("n_turns"),
        "risk": round(_risk(rec), 3),
        "anger": {"level": anger.get("level"), "label": anger.get("label"),
                  "quote": _sentence_quote(rec, "anger"), "cue": _top_quote(anger),
                  "trajectory": [b.get("level") for b in anger.get("by_turn") or []]},
        "urgency": {"level": urg.get("level"), "label": urg.get("label"),
                    "quote": _sentence_quote(rec, "urgency"), "cue": _top_quote(urg),
                    "trajectory": [b.get("level") for b in urg.get("by_turn") or []]},
        "escalate": bool(esc.get("needed")),
        "kinds": [{"kind": k, "label": (lab.get("kinds") or {}).get(k, k), "short": (lab.get("kinds_short") or {}).get(k, k)}
                  for k in esc.get("types") or []],
        "reasons": [{"rule": r.get("rule"), "label": (lab.get("reasons") or {}).get(r.get("rule"), r.get("description") or r.get("rule")),
                     "turn": r.get("turn"),
                     "quote": next((_sentence_for(rec, e) for e in r.get("evidence") or [] if e.get("turn") is not None), None)}
                    for r in esc.get("reasons") or []],
        "route_to": list(esc.get("route_to") or []),
        "harassment": bool((esc.get("harassment") or {}).get("flag")),
        "first_flag_turn": esc.get("first_flag_turn"),
        "missing_slots": [{"slot": s, "label": (qs.get(s) or {}).get("label", s), "question": (qs.get(s) or {}).get("question")}
                          for s in SLOTS if s in (rec.get("missing_slots") or [])],
        "supervisor": None if not sup else {"name": sup.get("name"), "handoff_turn": sup.get("handoff_turn"),
                                            "score": sup.get("score"), "steps": steps},
        "warnings": [w.get("message") for w in rec.get("warnings") or [] if isinstance(w, dict)],
    }


def build_report(records: Iterable[dict[str, Any]], *, title: str | None = None, source: str | None = None,
                 charts: bool = True) -> dict[str, Any]:
    """Tables (and charts) for a scored batch. ``records`` are result records (``writers.read_results``)."""
    recs = [r for r in records if isinstance(r, dict) and r.get("call_id") is not None]
    n = len(recs)
    lab = labels()

    def dist(dim: str, names: tuple[str, ...]) -> list[dict[str, Any]]:
        c = Counter((r.get(dim) or {}).get("level") for r in recs)
        return [{"level": lvl, "label": names[lvl], "name": f"{lvl} {names[lvl]}", "count": c.get(lvl, 0),
                 "pct": _pct(c.get(lvl, 0), n)} for lvl in range(4)]

    anger = dist("anger", ANGER_LABELS)
    urgency = dist("urgency", URGENCY_LABELS)
    n_esc = sum(bool((r.get("escalation") or {}).get("needed")) for r in recs)
    by_kind = []
    for k in KINDS:
        cnt = sum(k in ((r.get("escalation") or {}).get("types") or []) for r in recs)
        by_kind.append({"kind": k, "label": (lab.get("kinds") or {}).get(k, k), "count": cnt, "pct": _pct(cnt, n)})
    harass = sum(bool(((r.get("escalation") or {}).get("harassment") or {}).get("flag")) for r in recs)
    by_kind.append({"kind": "harassment", "label": (lab.get("kinds") or {}).get("harassment", "harassment"),
                    "count": harass, "pct": _pct(harass, n)})
    reason_calls: dict[str, set] = defaultdict(set)
    for r in recs:
        for rs in (r.get("escalation") or {}).get("reasons") or []:
            if rs.get("rule"):
                reason_calls[rs["rule"]].add(r["call_id"])
    by_reason = sorted(({"rule": rule, "label": (lab.get("reasons") or {}).get(rule, rule), "count": len(ids),
                         "pct": _pct(len(ids), n)} for rule, ids in reason_calls.items()),
                       key=lambda x: (-x["count"], x["rule"]))
    ranked = sorted(recs, key=lambda r: (-_risk(r), -((r.get("anger") or {}).get("level") or 0),
                                         -((r.get("urgency") or {}).get("level") or 0), str(r["call_id"])))
    calls = [mini_summary(r) for r in ranked]
    # supervisor step coverage
    cover: dict[str, dict[str, list[int]]] = {}
    for r in recs:
        sup = r.get("supervisor")
        if not sup:
            continue
        name = sup.get("name") or "（名前不明）"
        steps = sup.get("steps") or {}
        row = cover.setdefault(name, {s: [0, 0] for s in STEPS})
        for s in STEPS:
            st = steps.get(s)
            if isinstance(st, dict) and st.get("done") is not None:
                row[s][1] += 1
                row[s][0] += bool(st.get("done"))
    supervisors = sorted(cover)
    coverage = [{"supervisor": name, "cells": [{"step": s, "done": cover[name][s][0], "of": cover[name][s][1],
                                                "rate": (cover[name][s][0] / cover[name][s][1]) if cover[name][s][1] else None}
                                               for s in STEPS],
                 "calls": sum(1 for r in recs if (r.get("supervisor") or {}) and
                              ((r.get("supervisor") or {}).get("name") or "（名前不明）") == name)}
                for name in supervisors]
    has_steps = any(c["of"] for row in coverage for c in row["cells"])
    trends, period = _trends(recs)
    rep = {
        "title": title or "escalyzer QA レポート",
        "source": source,
        "generated_at": datetime.now().astimezone().strftime("%Y-%m-%d %H:%M"),
        "n_calls": n,
        "n_escalated": n_esc,
        "escalation_rate": _pct(n_esc, n),
        "anger": anger,
        "urgency": urgency,
        "by_kind": by_kind,
        "by_reason": by_reason,
        "calls": calls,
        "steps": [{"step": s, "label": (lab.get("steps") or {}).get(s, s)} for s in STEPS],
        "coverage": coverage,
        "has_steps": has_steps,
        "n_supervised": sum(1 for r in recs if r.get("supervisor")),
        "trends": trends,
        "trend_period": period,
        "charts": {},
        "font": None,
    }
    if charts and n:
        rep["charts"], rep["font"] = _charts(rep)
    return rep


def _pct(k: int, n: int) -> float:
    return round(100.0 * k / n, 1) if n else 0.0


def _trends(recs: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str]:
    dated = [(d, r) for r in recs if (d := _parse_dt(r.get("received_at"))) is not None]
    if not dated:
        return [], "day"
    span = (max(d for d, _ in dated) - min(d for d, _ in dated)).days
    period = "day" if span <= 45 else "week" if span <= 400 else "month"

    def key(d: datetime) -> str:
        if period == "day":
            return d.strftime("%Y-%m-%d")
        if period == "week":
            iso = d.isocalendar()
            return f"{iso[0]}-W{iso[1]:02d}"
        return d.strftime("%Y-%m")

    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for d, r in dated:
        groups[key(d)].append(r)
    out = []
    for k in sorted(groups):
        g = groups[k]
        m = len(g)
        esc = sum(bool((r.get("escalation") or {}).get("needed")) for r in g)
        a = [lv for r in g if isinstance(lv := (r.get("anger") or {}).get("level"), int)]
        u = [lv for r in g if isinstance(lv := (r.get("urgency") or {}).get("level"), int)]
        out.append({"period": k, "calls": m, "escalated": esc, "rate": _pct(esc, m),
                    "mean_anger": round(sum(a) / len(a), 2) if a else None,
                    "mean_urgency": round(sum(u) / len(u), 2) if u else None})
    return out, period


# -- charts -------------------------------------------------------------------------------------------

def _png(fig) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _charts(rep: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    import matplotlib
    from matplotlib.figure import Figure

    font = japanese_font()
    texts: list[str] = []
    rc = {"font.family": [font.name], "axes.unicode_minus": False, "svg.fonttype": "none"}
    out: dict[str, str] = {}
    with matplotlib.rc_context(rc), warnings.catch_warnings():
        warnings.filterwarnings("error", message=r"Glyph .* missing from")  # tofu is an error, not a warning

        def bars(key: str, rows: list[dict[str, Any]], title: str, colors: list[str], horizontal: bool = False,
                 value: str = "count", xlabel: str = "件数"):
            fig = Figure(figsize=(5.2, 2.9 if not horizontal else max(2.2, 0.42 * len(rows) + 1)))
            ax = fig.add_subplot()
            names = [r["name"] if "name" in r else r["label"] for r in rows]
            vals = [r[value] for r in rows]
            texts.extend(names + [title, xlabel])
            if horizontal:
                ax.barh(range(len(rows)), vals, color=colors[: len(rows)] if colors else "#4a78b0")
                ax.set_yticks(range(len(rows)), names)
                ax.invert_yaxis()
                ax.set_xlabel(xlabel)
                for i, v in enumerate(vals):
                    ax.text(v, i, f" {v:g}", va="center", fontsize=8)
            else:
                ax.bar(range(len(rows)), vals, color=colors)
                ax.set_xticks(range(len(rows)), names)
                ax.set_ylabel(xlabel)
                for i, v in enumerate(vals):
                    ax.text(i, v, f"{v:g}", ha="center", va="bottom", fontsize=8)
            ax.set_title(title)
            ax.spines[["top", "right"]].set_visible(False)
            out[key] = _png(fig)

        level_colors = ["#2e7d32", "#c9a100", "#e06c00", "#c62828"]
        bars("anger", rep["anger"], "お怒り度の分布（通話数）", level_colors)
        bars("urgency", rep["urgency"], "緊急度の分布（通話数）", level_colors)
        bars("by_kind", rep["by_kind"], "種類別エスカレーション率（%）", [], horizontal=True, value="pct",
             xlabel="全通話に対する割合（%）")
        if rep["by_reason"]:
            bars("by_reason", rep["by_reason"][:12], "理由別エスカレーション（通話数）", [], horizontal=True)
        if rep["has_steps"]:
            out["coverage"] = _heatmap(rep, texts)
        if rep["trends"]:
            out["trends"] = _trend_chart(rep, texts)
    bad = missing_glyphs("".join(texts), font)
    if bad:
        raise FontError(f"the chart font {font.name} has no glyph for {''.join(sorted(bad))!r}")
    return out, {"name": font.name, "source": font.source}


def _heatmap(rep: dict[str, Any], texts: list[str]) -> str:
    import numpy as np
    from matplotlib.figure import Figure

    rows = rep["coverage"]
    cols = rep["steps"]
    mat = np.full((len(rows), len(cols)), np.nan)
    for i, row in enumerate(rows):
        for j, c in enumerate(row["cells"]):
            if c["rate"] is not None:
                mat[i, j] = c["rate"]
    fig = Figure(figsize=(max(6.5, 0.95 * len(cols) + 2.5), max(2.0, 0.5 * len(rows) + 1.6)))
    ax = fig.add_subplot()
    im = ax.imshow(np.ma.masked_invalid(mat), vmin=0, vmax=1, cmap="YlGn", aspect="auto")
    ylabels = [r["supervisor"] for r in rows]
    xlabels = [c["label"] for c in cols]
    texts.extend(ylabels + xlabels + ["実施率", "スーパーバイザー別・ステップ実施率"])
    ax.set_yticks(range(len(rows)), ylabels)
    ax.set_xticks(range(len(cols)), xlabels, rotation=35, ha="right")
    for i, row in enumerate(rows):
        for j, c in enumerate(row["cells"]):
            txt = f"{c['done']}/{c['of']}" if c["of"] else "-"
            ax.text(j, i, txt, ha="center", va="center", fontsize=8,
                    color="white" if (c["rate"] or 0) > 0.6 else "black")
    fig.colorbar(im, ax=ax, fraction=0.04, pad=0.02, label="実施率")
    ax.set_title("スーパーバイザー別・ステップ実施率")
    return _png(fig)


def _trend_chart(rep: dict[str, Any], texts: list[str]) -> str:
    from matplotlib.figure import Figure

    tr = rep["trends"]
    x = list(range(len(tr)))
    fig = Figure(figsize=(7.2, 3.2))
    ax = fig.add_subplot()
    ax.bar(x, [t["calls"] for t in tr], color="#c9d6ea", label="通話数")
    ax.set_ylabel("通話数")
    ax2 = ax.twinx()
    ax2.plot(x, [t["mean_anger"] for t in tr], marker="o", color="#c62828", label="平均お怒り度")
    ax2.plot(x, [t["mean_urgency"] for t in tr], marker="s", color="#e06c00", label="平均緊急度")
    ax2.plot(x, [t["rate"] / 100 * 3 for t in tr], linestyle="--", color="#333", label="エスカレーション率（×3）")
    ax2.set_ylim(0, 3.2)
    ax2.set_ylabel("レベル（0–3）")
    step = max(1, len(tr) // 12)
    ax.set_xticks(x[::step], [t["period"] for t in tr][::step], rotation=35, ha="right")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, fontsize=7, loc="upper left", frameon=False)
    title = {"day": "日別の推移", "week": "週別の推移", "month": "月別の推移"}[rep["trend_period"]]
    ax.set_title(title)
    texts.extend(["通話数", "平均お怒り度", "平均緊急度", "エスカレーション率（×3）", "レベル（0–3）", title]
                 + [t["period"] for t in tr])
    return _png(fig)


# -- HTML ---------------------------------------------------------------------------------------------

def render_report_html(rep: dict[str, Any]) -> str:
    """One self-contained page: charts are data: URIs, CSS is inline, there is no script; every string
    is HTML-escaped (autoescape)."""
    return _jinja().get_template("report.html.j2").render(r=rep)


def load_records(path: str | Path, *, redact: bool = False) -> list[dict[str, Any]]:
    """Result records from a JSONL or Parquet results file, redacted when asked."""
    from ..writers import read_results

    recs = list(read_results(path))
    if redact:
        from ..redact import redact_record

        recs = [redact_record(r) for r in recs]
    return recs
