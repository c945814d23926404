"""``escalyzer audit``: a coaching view of supervisor takeovers, per supervisor.

For every supervisor (the name they gave, or the export's participant id): how often each of the seven
takeover steps was done, the distribution of takeover scores, how often the steps came in the article's
order, the warnings (a customer made to repeat everything, the first agent's work not acknowledged, a
restated fact that contradicts the customer), and the phrasing findings with their excerpts and a better
phrasing (casual すみません, conditional apologies, blame shifting, premature liability, mechanical
repetition, requests with no cushion).

Inputs are transcripts (scored on the fly) or a results file written by ``escalyzer score`` (records
with a ``supervisor`` key). The HTML page is one self-contained file (inline CSS, no script), and every
piece of transcript text in it is escaped with :func:`html.escape`.
"""
from __future__ import annotations

import csv
import html
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from statistics import mean, median
from typing import Any

import click

from ..errors import EscalyzerError, InputError
from ..writers import STEPS

SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2, "ok": 3}
BUCKETS = ((0, 20), (20, 40), (40, 60), (60, 80), (80, 101))
UNKNOWN = "(名前不明)"
STEP_JA = {"introduce": "名乗り", "apologize_wait": "待たせたお詫び", "apologize_first_response": "一次対応のお詫び",
           "confirm_situation": "状況の確認", "listen": "傾聴", "propose_solution": "解決策の提示",
           "apologize_delay_empathy": "心情理解のお詫び"}
CSV_COLUMNS = (["supervisor", "n_calls", "score_mean", "score_median", "score_min", "score_max", "order_ok_rate"]
               + [f"step_{s}" for s in STEPS]
               + ["findings_high", "findings_medium", "findings_low", "top_findings", "warnings", "call_ids"])


# ------------------------------------------------------------------------------------------------
# input


def _looks_like_results(path: str) -> bool:
    """A results file: Parquet, or JSONL whose first record has ``supervisor`` and no ``turns``."""
    if path.endswith((".parquet", ".pq")):
        return True
    if not path.endswith((".jsonl", ".ndjson")):
        return False
    try:
        with open(path, encoding="utf-8-sig") as fh:
            for line in fh:
                if line.strip():
                    obj = json.loads(line)
                    return isinstance(obj, dict) and "supervisor" in obj and "turns" not in obj
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    return False


def iter_records(inputs: Iterable[str], *, analyzer_factory=None, encoding: str | None = None,
                 errors: list[str] | None = None) -> Iterator[dict[str, Any]]:
    """Result records from results files (read as they are) and transcripts (analysed on the fly)."""
    from ..readers import expand_paths
    from ..writers import read_results

    analyzer = None
    for path in expand_paths(inputs):
        if path != "-" and _looks_like_results(path):
            yield from read_results(path)
            continue
        from ..readers import read

        for item in read(path, encoding=encoding, errors="collect"):
            if isinstance(item, InputError):
                if errors is not None:
                    errors.append(item.message)
                continue
            if analyzer is None:
                analyzer = analyzer_factory() if analyzer_factory else _default_analyzer()
            yield analyzer.analyze(item)


def _default_analyzer():
    import escalyzer

    return escalyzer.load()


# ------------------------------------------------------------------------------------------------
# aggregation


def build_audit(records: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Group takeovers by supervisor: step coverage, score distribution, warnings and phrasing findings."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    n_records = n_without = 0
    for rec in records:
        n_records += 1
        sup = rec.get("supervisor")
        if not sup:
            n_without += 1
            continue
        groups[sup.get("name") or UNKNOWN].append(rec)
    sups = []
    for name in sorted(groups, key=lambda k: (k == UNKNOWN, k)):
        recs = groups[name]
        calls = []
        for rec in recs:
            sup = rec["supervisor"]
            steps = sup.get("steps") or {}
            findings = [f for f in sup.get("phrasing") or [] if f.get("severity", "ok") != "ok"]
            findings.sort(key=lambda f: (SEVERITY_ORDER.get(f.get("severity"), 9), f.get("turn") or 0))
            calls.append({"call_id": rec.get("call_id"), "score": sup.get("score"), "order_ok": sup.get("order_ok"),
                          "order": sup.get("order") or [],
                          "steps": {s: bool((steps.get(s) or {}).get("done")) for s in STEPS},
                          "notes": {s: (steps.get(s) or {}).get("note") for s in STEPS},
                          "step_evidence": {s: (steps.get(s) or {}).get("evidence") or [] for s in STEPS},
                          "warnings": sup.get("warnings") or [], "findings": findings})
        scores = [c["score"] for c in calls if isinstance(c["score"], (int, float))]
        own = [f for c in calls for f in c["findings"] if f.get("speaker") == "supervisor"]
        sev = Counter(f.get("severity") for f in own)
        sups.append({
            "name": name, "n_calls": len(calls),
            "calls": sorted(calls, key=lambda c: (c["score"] is None, c["score"] or 0)),
            "coverage": {s: sum(c["steps"][s] for c in calls) / len(calls) for s in STEPS},
            "scores": {"mean": round(mean(scores), 1) if scores else None,
                       "median": median(scores) if scores else None,
                       "min": min(scores) if scores else None, "max": max(scores) if scores else None,
                       "histogram": [sum(lo <= x < hi for x in scores) for lo, hi in BUCKETS]},
            "order_ok_rate": sum(bool(c["order_ok"]) for c in calls) / len(calls),
            "severity": {k: sev.get(k, 0) for k in ("high", "medium", "low")},
            "top_findings": Counter(f["id"] for f in own).most_common(5),
            "warnings": Counter(w["id"] for c in calls for w in c["warnings"]).most_common(),
        })
    return {"n_records": n_records, "n_without_supervisor": n_without, "supervisors": sups}


# ------------------------------------------------------------------------------------------------
# output


def write_csv(audit: dict[str, Any], path: str | Path) -> None:
    """One row per supervisor (UTF-8 with BOM so that Excel opens the Japanese correctly)."""
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=CSV_COLUMNS)
        w.writeheader()
        for s in audit["supervisors"]:
            row = {"supervisor": s["name"], "n_calls": s["n_calls"], "score_mean": s["scores"]["mean"],
                   "score_median": s["scores"]["median"], "score_min": s["scores"]["min"],
                   "score_max": s["scores"]["max"], "order_ok_rate": round(s["order_ok_rate"], 3),
                   "findings_high": s["severity"]["high"], "findings_medium": s["severity"]["medium"],
                   "findings_low": s["severity"]["low"],
                   "top_findings": "; ".join(f"{k}×{n}" for k, n in s["top_findings"]),
                   "warnings": "; ".join(f"{k}×{n}" for k, n in s["warnings"]),
                   "call_ids": "|".join(str(c["call_id"]) for c in s["calls"])}
            row.update({f"step_{k}": round(v, 3) for k, v in s["coverage"].items()})
            w.writerow(row)


_CSS = """
body{font-family:"Hiragino Sans","Noto Sans CJK JP","Yu Gothic",sans-serif;margin:2em;color:#222;max-width:1100px}
h1{font-size:1.5em}h2{border-bottom:2px solid #345;padding-bottom:.2em;margin-top:2em}
h3{font-size:1.05em;margin:1.2em 0 .4em}table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ccc;padding:.25em .5em;font-size:.9em;vertical-align:top}
th{background:#eef2f6;text-align:left}.bar{display:inline-block;height:.8em;background:#4a7;vertical-align:middle}
.bad{background:#fbe3e0}.good{background:#e3f4e3}.sev-high{color:#b00;font-weight:bold}.sev-medium{color:#c60}
.sev-low{color:#666}.q{background:#fff7d6;padding:0 .2em}.better{color:#164;font-size:.9em}
.small{color:#666;font-size:.85em}
"""


def _e(x: Any) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def _excerpt(ev: dict[str, Any]) -> str:
    return f"<span class=\"q\">{_e(ev.get('text'))}</span> <span class=\"small\">(turn {_e(ev.get('turn'))})</span>"


def _pct(x: float) -> str:
    return f"{x * 100:.0f}%"


def render_html(audit: dict[str, Any], *, title: str = "二次対応 コーチング監査") -> str:
    """The coaching page. Every string that came from a transcript or a record goes through html.escape."""
    out = [f"<!DOCTYPE html><html lang=\"ja\"><head><meta charset=\"utf-8\"><title>{_e(title)}</title>",
           f"<style>{_CSS}</style></head><body>", f"<h1>{_e(title)}</h1>",
           f"<p class=\"small\">{audit['n_records']} calls read; {audit['n_records'] - audit['n_without_supervisor']} "
           f"with a supervisor takeover; {len(audit['supervisors'])} supervisors.</p>"]
    if not audit["supervisors"]:
        out.append("<p>No supervisor takeover in the input.</p></body></html>")
        return "".join(out)
    # overview
    out.append("<h2>一覧 (overview)</h2><table><tr><th>supervisor</th><th>calls</th><th>score mean / median</th>")
    out += [f"<th>{_e(STEP_JA[s])}<br><span class=\"small\">{_e(s)}</span></th>" for s in STEPS]
    out.append("<th>order ok</th><th>findings (high/med/low)</th></tr>")
    for k, s in enumerate(audit["supervisors"]):
        out.append(f"<tr><td><a href=\"#sup-{k}\">{_e(s['name'])}</a></td><td>{s['n_calls']}</td>"
                   f"<td>{_e(s['scores']['mean'])} / {_e(s['scores']['median'])}</td>")
        for st in STEPS:
            v = s["coverage"][st]
            out.append(f"<td class=\"{'good' if v >= 0.8 else 'bad' if v < 0.5 else ''}\">{_pct(v)}</td>")
        sv = s["severity"]
        out.append(f"<td>{_pct(s['order_ok_rate'])}</td><td>{sv['high']} / {sv['medium']} / {sv['low']}</td></tr>")
    out.append("</table>")
    for k, s in enumerate(audit["supervisors"]):
        out.append(f"<h2 id=\"sup-{k}\">{_e(s['name'])} <span class=\"small\">({s['n_calls']} calls)</span></h2>")
        sc = s["scores"]
        out.append(f"<p>score: mean {_e(sc['mean'])}, median {_e(sc['median'])}, "
                   f"min {_e(sc['min'])}, max {_e(sc['max'])}; "
                   f"steps in the article's order in {_pct(s['order_ok_rate'])} of calls.</p>")
        # score distribution
        top = max(sc["histogram"]) or 1
        out.append("<h3>score distribution</h3><table>")
        for (lo, hi), n in zip(BUCKETS, sc["histogram"]):
            out.append(f"<tr><td>{lo}–{min(hi, 100) if hi <= 100 else 100}</td><td>"
                       f"<span class=\"bar\" style=\"width:{int(200 * n / top)}px\"></span> {n}</td></tr>")
        out.append("</table>")
        # step coverage
        out.append("<h3>step coverage</h3><table><tr><th>step</th><th>done</th></tr>")
        for st in STEPS:
            v = s["coverage"][st]
            out.append(f"<tr><td>{_e(STEP_JA[st])} <span class=\"small\">{_e(st)}</span></td>"
                       f"<td><span class=\"bar\" style=\"width:{int(200 * v)}px\"></span> {_pct(v)}</td></tr>")
        out.append("</table>")
        if s["warnings"]:
            items = "".join(f"<li>{_e(k)} × {n}</li>" for k, n in s["warnings"])
            out.append(f"<h3>warnings</h3><ul>{items}</ul>")
        # per call
        out.append("<h3>calls</h3>")
        for c in s["calls"]:
            missed = [st for st in STEPS if not c["steps"][st]]
            out.append(f"<h4>{_e(c['call_id'])} — score {_e(c['score'])}"
                       f"{'' if c['order_ok'] else ' (steps out of order)'}</h4>")
            if missed:
                out.append("<table><tr><th>missed step</th><th>why</th><th>excerpt</th></tr>")
                for st in missed:
                    ev = c["step_evidence"][st]
                    ex = "<br>".join(_excerpt(x) for x in ev[:2])
                    out.append(f"<tr><td>{_e(STEP_JA[st])}</td><td>{_e(c['notes'][st])}</td><td>{ex}</td></tr>")
                out.append("</table>")
            for w in c["warnings"]:
                ex = ", ".join(f"<span class=\"q\">{_e(x.get('text'))}</span>" for x in (w.get("evidence") or [])[:2])
                out.append(f"<p class=\"sev-medium\">⚠ {_e(w.get('message'))} {ex}</p>")
            if c["findings"]:
                out.append("<table><tr><th>severity</th><th>who</th><th>finding</th><th>excerpt</th>"
                           "<th>better</th></tr>")
                for f in c["findings"]:
                    ex = "<br>".join(_excerpt(x) for x in (f.get("evidence") or [])[:3])
                    out.append(f"<tr><td class=\"sev-{_e(f.get('severity'))}\">{_e(f.get('severity'))}</td>"
                               f"<td>{_e(f.get('speaker'))}</td><td>{_e(f.get('message'))}<br>"
                               f"<span class=\"small\">{_e(f.get('id'))}</span></td><td>{ex}</td>"
                               f"<td class=\"better\">{_e(f.get('better'))}</td></tr>")
                out.append("</table>")
    out.append("<p class=\"small\">Steps: shared/seeds/000_b54099cb27bdd303.txt (二次対応 動作編 1–6) "
               "and LABELING.md.</p>")
    out.append("</body></html>")
    return "\n".join(out)


# ------------------------------------------------------------------------------------------------
# the command


@click.command("audit")
@click.argument("inputs", nargs=-1, required=True)
@click.option("-o", "--output", "out", required=True,
              help="audit.html (one self-contained page) or audit.csv (one row per supervisor).")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False), default=None,
              help="YAML file overriding the default configuration (for transcripts scored on the fly).")
@click.option("--encoding", default=None,
              help="Force the transcript encoding (utf-8, cp932, euc-jp); detected by default.")
@click.option("--redact", is_flag=True, help="Mask personal data in the excerpts.")
def command(inputs, out, config_path, encoding, redact):
    """Coaching audit of supervisor takeovers, per supervisor (name or participant id).

    Shows step coverage of the seven takeover steps, the score distribution, warnings and the apology
    phrasing findings with their excerpts and a better phrasing. INPUTS are transcripts (scored on the
    fly) or a results file from `escalyzer score`. The output type follows the extension of -o.

    Example:

        escalyzer audit out/results.jsonl -o audit.html
    """
    if not out.lower().endswith((".html", ".htm", ".csv")):
        raise click.ClickException(f"-o {out}: the output must end in .html or .csv")
    errors: list[str] = []

    def factory():
        from ..analyzer import Analyzer

        return Analyzer(config=config_path)

    try:
        records: Iterable[dict[str, Any]] = iter_records(inputs, analyzer_factory=factory, encoding=encoding,
                                                         errors=errors)
        if redact:
            from ..redact import redact_record

            records = (redact_record(r) for r in records)
        audit = build_audit(records)
    except EscalyzerError as exc:
        raise click.ClickException(str(exc)) from None
    if out.lower().endswith(".csv"):
        write_csv(audit, out)
    else:
        Path(out).write_text(render_html(audit), encoding="utf-8")
    n_sup = audit["n_records"] - audit["n_without_supervisor"]
    click.echo(f"audited {n_sup} takeovers by {len(audit['supervisors'])} supervisors "
               f"({audit['n_records']} calls read) -> {out}", err=True)
    for m in errors[:5]:
        click.echo(f"  skipped: {m}", err=True)
