"""The supervisor summary: the one screen a supervisor reads seconds before picking up a call.

It is built from the part of the call *before* the handoff (all of it when nobody took over yet) and
follows the article's preparation steps (000_b54099cb27bdd303.txt, 準備編):

1. current status: on hold, callback promised (and when), in call;
2. the customer's state: anger and urgency with the quotes that show them, and their trajectory;
3. what the customer wants, and the 6W3H table with the missing slots as questions still to ask;
4. facts and emotions, separated;
5. what the first agent already said, checked or promised (so the customer is not asked again);
6. escalation kind, reasons and route; time on the call and since the first contact against the SLA;
7. suggested opening lines (introduction, apologies, confirmation) adapted from the article's examples.

:func:`build_summary` returns a plain dict (the data); :func:`render_text`, :func:`render_markdown` and
:func:`render_html` lay it out. Every piece of transcript text is escaped in Markdown and HTML, and
printed as plain text (never as markup) in the terminal.

Examples
--------
>>> import escalyzer
>>> from escalyzer.render.summary import build_summary, render_text
>>> az = escalyzer.load()                                            # doctest: +SKIP
>>> call = next(escalyzer.read("data/samples/calls.jsonl"))          # doctest: +SKIP
>>> print(render_text([build_summary(call, az)]))                    # doctest: +SKIP
"""
from __future__ import annotations

import copy
import html
import io
import re
from contextvars import ContextVar
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from ..lexicons import get_lexicon
from ..resources_io import load_yaml, resource_path
from ..writers import SLOTS, STEPS

SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?]*|[。！？!?]+")
# which slot's question comes first when several are missing (what happened matters most)
QUESTION_ORDER = ("what", "when", "who", "where", "how_much", "how", "how_many", "whom", "why")
ACTION_ORDER = ("CHECKED", "ASKED", "EXPLAINED", "PROMISED", "CALLBACK", "REFERRAL", "APOLOGIZED", "HOLD")
MAX_QUOTES = 3
MAX_PER_ACTION = 4


@lru_cache(maxsize=1)
def labels() -> dict[str, Any]:
    """``resources/rules/summary_labels.yaml``: Japanese labels for levels, kinds, reasons, steps."""
    return load_yaml("rules/summary_labels.yaml")


@lru_cache(maxsize=1)
def slot_questions() -> dict[str, Any]:
    return load_yaml("rules/slot_questions.yaml")["slots"]


@lru_cache(maxsize=1)
def opening_templates() -> dict[str, Any]:
    return load_yaml("rules/opening_lines.yaml")


# -- small helpers shared with the report -------------------------------------------------------------

def sentence_at(text: str, start: int, end: int) -> tuple[str, int, int]:
    """The sentence of ``text`` around ``[start, end)`` and the span's offsets inside it."""
    for m in SENTENCE.finditer(text):
        if m.start() <= start < m.end() or (start == end == m.end()):
            s0 = m.start()
            s1 = max(m.end(), end)
            return text[s0:s1], start - s0, end - s0
    return text, start, end


def fmt_seconds(sec: float | None) -> str | None:
    """``754`` → ``12分34秒``; ``5400`` → ``1時間30分``."""
    if sec is None:
        return None
    sec = int(round(sec))
    neg = sec < 0
    sec = abs(sec)
    d, rem = divmod(sec, 86400)
    h, rem = divmod(rem, 3600)
    m, s = divmod(rem, 60)
    if d:
        out = f"{d}日{h}時間" if h else f"{d}日"
    elif h:
        out = f"{h}時間{m}分" if m else f"{h}時間"
    elif m:
        out = f"{m}分{s}秒" if s else f"{m}分"
    else:
        out = f"{s}秒"
    return ("-" if neg else "") + out


def fmt_datetime(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    return f"{dt.month}月{dt.day}日 {dt.hour:02d}:{dt.minute:02d}"


def level_words(dim: str, level: int | None) -> str:
    if level is None:
        return "-"
    from ..levels_scale import LABELS

    state = (labels().get(f"{dim}_state") or {}).get(level) or ""
    name = LABELS[dim][level]
    return f"{level} {name}" + (f"（{state}）" if state and state != name else "")


def trend_word(levels: list[int]) -> str:
    if len(levels) < 2:
        return "変化なし" if levels else "-"
    first, last, peak = levels[0], levels[-1], max(levels)
    if last > first:
        return "上昇中"
    if last < peak:
        return "ピークから低下"
    if last < first:
        return "低下"
    return "横ばい"


# sentence boundaries of customer turns found by the analysis (record["sentences"]): they also split ASR
# text that has no punctuation. Set per call by build_summary (a context variable: safe across threads);
# punctuation is the fallback.
_SENTENCES: ContextVar[dict[int, list[tuple[int, int]]]] = ContextVar("escalyzer_summary_sentences", default={})


def _quote(turn: int, text: str, start: int | None = None, end: int | None = None,
           speaker: str | None = None) -> dict[str, Any]:
    if start is None or end is None:
        return {"turn": turn, "speaker": speaker, "before": text, "mark": "", "after": ""}
    span = next(((a, b) for a, b in _SENTENCES.get().get(turn, ()) if a <= start < b), None)
    if span is not None:
        a0, b0 = span[0], max(span[1], end)
        sent, a, b = text[a0:b0], start - a0, end - a0
    else:
        sent, a, b = sentence_at(text, start, end)
    return {"turn": turn, "speaker": speaker, "before": sent[:a], "mark": sent[a:b], "after": sent[b:]}


def quote_text(q: dict[str, Any]) -> str:
    return q["before"] + q["mark"] + q["after"]


# -- building -----------------------------------------------------------------------------------------

def handoff_turn_of(record: dict[str, Any] | None) -> int | None:
    if not record:
        return None
    sup = record.get("supervisor") or {}
    if sup.get("handoff_turn") is not None:
        return sup["handoff_turn"]
    return (record.get("escalation") or {}).get("handoff_turn")


def build_summary(transcript, analyzer, *, record: dict[str, Any] | None = None, redact: bool = False,
                  team: str | None = None, supervisor: str | None = None) -> dict[str, Any]:
    """The summary data for one call (a plain dict, see the module docstring).

    Parameters
    ----------
    transcript: the call (:class:`~escalyzer.transcript.Transcript`).
    analyzer: a loaded :class:`~escalyzer.analyzer.Analyzer`.
    record: the call's result record if already scored (saves finding the handoff again).
    redact: mask personal data (:mod:`escalyzer.redact`) in everything shown.
    team, supervisor: the supervisor's team and name for the introduction line (the article's ○○/●●).
    """
    if record is not None:
        handoff = handoff_turn_of(record)
        handoff_rule = (record.get("supervisor") or {}).get("handoff_rule")
    else:
        ctx = analyzer.context(transcript)
        handoff, handoff_rule = ctx.handoff_turn, ctx.handoff_rule
    warnings: list[str] = []
    pre = copy.deepcopy(transcript)
    if handoff:
        pre.turns = pre.turns[:handoff]
    elif handoff == 0:
        warnings.append("the supervisor speaks first: the summary covers the whole call")
    rec = analyzer.analyze(pre)
    shown = pre
    if redact:
        from ..redact import redact_record, redact_transcript

        rec = redact_record(rec, pre)
        shown, _ = redact_transcript(pre)
    turns = shown.turns
    sentences = [s for s in rec.get("sentences") or [] if isinstance(s, dict)]
    spans: dict[int, list[tuple[int, int]]] = {}
    for s in sentences:
        if isinstance(s.get("turn"), int) and isinstance(s.get("start"), int) and isinstance(s.get("end"), int):
            spans.setdefault(s["turn"], []).append((s["start"], s["end"]))
    token = _SENTENCES.set(spans)
    try:
        return _build(transcript, pre, rec, turns, sentences, handoff, handoff_rule, warnings, analyzer,
                      redact=redact, team=team, supervisor=supervisor)
    finally:
        _SENTENCES.reset(token)


def _build(transcript, pre, rec, turns, sentences, handoff, handoff_rule, warnings, analyzer, *, redact, team,
           supervisor) -> dict[str, Any]:
    cfg = analyzer.config
    lab = labels()

    # -- time
    t0 = next((t.start for t in pre.turns if t.start is not None), None)
    t_end = max(((t.end if t.end is not None else t.start) for t in pre.turns
                 if (t.end if t.end is not None else t.start) is not None), default=None)
    call_seconds = (t_end - t0) if (t0 is not None and t_end is not None) else None
    hold_seconds = None
    if handoff and handoff < len(transcript.turns) and t_end is not None:
        hs = transcript.turns[handoff].start
        if hs is not None and hs >= t_end:
            hold_seconds = hs - t_end
    takeover = float(cfg["escalation"]["takeover_seconds"])
    now = transcript.received_at + timedelta(seconds=call_seconds or 0) if transcript.received_at else None
    time_info: dict[str, Any] = {
        "call_seconds": call_seconds, "call": fmt_seconds(call_seconds),
        "takeover_seconds": takeover, "takeover": fmt_seconds(takeover),
        "over_takeover": bool(call_seconds is not None and call_seconds > takeover),
        "hold_seconds": hold_seconds, "hold": fmt_seconds(hold_seconds),
        "received_at": fmt_datetime(transcript.received_at),
        "first_contact_at": fmt_datetime(transcript.first_contact_at),
        "since_first_contact": None, "sla_hours": transcript.sla_hours, "sla_due": None,
        "sla_remaining": None, "sla_overdue": False, "sla_clock": None,
    }
    if now is not None and transcript.first_contact_at is not None:
        try:
            time_info["since_first_contact"] = fmt_seconds((now - transcript.first_contact_at).total_seconds())
        except TypeError:
            pass
    if now is not None and transcript.sla_hours is not None:
        start = transcript.first_contact_at or transcript.received_at
        try:
            due = start + timedelta(hours=transcript.sla_hours)
            left = (due - now).total_seconds()
            time_info.update(sla_due=fmt_datetime(due), sla_remaining=fmt_seconds(abs(left)), sla_overdue=left < 0,
                             sla_clock="初回連絡から" if transcript.first_contact_at else "受付から")
        except TypeError:
            pass

    # -- status
    actions = get_lexicon("agent_actions", cfg.get("lexicon_dir"))
    agent_hits = []
    for i, t in enumerate(pre.turns):
        if t.speaker == "agent":
            for h in actions.find(t.text):
                if h.active:
                    agent_hits.append((i, h))
    status = _status(transcript, pre, agent_hits, turns, handoff)
    callback = _callback(transcript, now, agent_hits, turns)

    # -- customer state
    state = {dim: _state(dim, rec.get(dim) or {}, turns) for dim in ("anger", "urgency")}

    # -- wants
    requests = get_lexicon("customer_requests", cfg.get("lexicon_dir"))
    wants: list[dict[str, Any]] = []
    seen = set()
    for i, t in enumerate(pre.turns):
        if t.speaker != "customer":
            continue
        for h in requests.find(t.text):
            if not h.active:
                continue
            q = _quote(i, turns[i].text, h.start, h.end, "customer")
            key = (i, quote_text(q))
            if key not in seen:
                seen.add(key)
                wants.append(q)
    wants = wants[-5:]

    # -- 6W3H
    facts = rec.get("facts") or {}
    missing = list(rec.get("missing_slots") or [])
    questions = slot_questions()
    slots = []
    for s in SLOTS:
        qs = questions.get(s) or {}
        vals = [{"text": f.get("text"), "turn": f.get("turn")} for f in facts.get(s) or [] if f.get("text")]
        slots.append({"slot": s, "label": qs.get("label", s), "en": qs.get("en", s), "values": vals,
                      "missing": (s in missing) or not vals, "question": qs.get("question"), "hint": qs.get("hint")})

    # -- facts and emotions
    kinds = {"fact": [], "emotion": [], "mixed": []}
    for s in sentences:
        kinds.setdefault(s.get("kind") or "mixed", []).append({"turn": s.get("turn"), "text": s.get("text")})

    # -- the first agent
    by_label: dict[str, list[dict[str, Any]]] = {}
    seen_q: dict[str, set] = {}
    for i, h in agent_hits:
        q = _quote(i, turns[i].text, h.start, h.end, "agent")
        key = (i, quote_text(q))
        if key in seen_q.setdefault(h.label, set()):
            continue
        seen_q[h.label].add(key)
        by_label.setdefault(h.label, []).append(q)
    agent = [{"label": k, "title": (lab.get("actions") or {}).get(k, k), "items": by_label[k][-MAX_PER_ACTION:]}
             for k in ACTION_ORDER if by_label.get(k)]

    # -- escalation
    esc = rec.get("escalation") or {}
    reasons = []
    for r in esc.get("reasons") or []:
        ev = next((e for e in r.get("evidence") or [] if isinstance(e.get("turn"), int) and e["turn"] >= 0
                   and e["turn"] < len(turns)), None)
        quote = _quote(ev["turn"], turns[ev["turn"]].text, ev.get("start"), ev.get("end"),
                       pre.turns[ev["turn"]].speaker) if ev else None
        meta = [e.get("text") for e in r.get("evidence") or [] if e.get("turn") is None]
        reasons.append({"rule": r.get("rule"), "kind": r.get("kind"),
                        "label": (lab.get("reasons") or {}).get(r.get("rule"), r.get("description") or r.get("rule")),
                        "turn": r.get("turn"), "quote": quote, "meta": meta,
                        "overdue_hours": r.get("overdue_hours")})
    harass = esc.get("harassment") or {}
    escalation = {
        "needed": bool(esc.get("needed")),
        "types": [{"kind": k, "label": (lab.get("kinds") or {}).get(k, k)} for k in esc.get("types") or []],
        "reasons": reasons,
        "route_to": list(esc.get("route_to") or []),
        "topics": list(esc.get("topics") or []),
        "harassment": bool(harass.get("flag")),
        "harassment_quotes": [_quote(e["turn"], turns[e["turn"]].text, e.get("start"), e.get("end"), "customer")
                              for e in harass.get("evidence") or []
                              if isinstance(e.get("turn"), int) and 0 <= e["turn"] < len(turns)][:3],
        "first_flag_turn": esc.get("first_flag_turn"),
        "risk": (esc.get("risk_by_turn") or [None])[-1],
    }

    summary = {
        "call_id": transcript.call_id,
        "redacted": bool(redact),
        "handoff_turn": handoff,
        "handoff_rule": handoff_rule,
        "n_turns": len(transcript.turns),
        "n_turns_before": len(pre.turns),
        "status": status,
        "callback": callback,
        "anger": state["anger"],
        "urgency": state["urgency"],
        "wants": wants,
        "what": [v["text"] for v in slots[SLOTS.index("what")]["values"]],
        "slots": slots,
        "missing_slots": [s["slot"] for s in slots if s["missing"]],
        "sentences": kinds,
        "agent": agent,
        "escalation": escalation,
        "time": time_info,
        "warnings": warnings + [w.get("message", "") for w in rec.get("warnings") or [] if isinstance(w, dict)],
    }
    summary["opening_lines"] = opening_lines(summary, pre, rec, team=team, supervisor=supervisor, redact=redact,
                                             lexicon_dir=cfg.get("lexicon_dir"))
    return summary


def _status(transcript, pre, agent_hits, turns, handoff) -> dict[str, Any]:
    lab = labels()
    names = lab.get("status") or {}
    if transcript.status:
        raw = str(transcript.status).strip()
        code = next((k for k, vals in (lab.get("status_values") or {}).items()
                     if raw.lower() in [str(v).lower() for v in vals]), None)
        return {"code": code or "other", "label": names.get(code, raw), "source": "metadata", "raw": raw,
                "detail": None, "evidence": None}
    last_agent = max((i for i, t in enumerate(pre.turns) if t.speaker == "agent"), default=None)
    holds = [(i, h) for i, h in agent_hits if h.label == "HOLD" and i == last_agent]
    if holds and last_agent is not None and last_agent >= len(pre.turns) - 2:
        i, h = holds[-1]
        detail = "責任者への交代待ち" if handoff else None
        return {"code": "on_hold", "label": names.get("on_hold", "on_hold"), "source": "transcript", "raw": None,
                "detail": detail, "evidence": _quote(i, turns[i].text, h.start, h.end, "agent")}
    cbs = [(i, h) for i, h in agent_hits if h.label == "CALLBACK"]
    if cbs and last_agent is not None and cbs[-1][0] >= last_agent - 2 and not handoff:
        i, h = cbs[-1]
        return {"code": "callback", "label": names.get("callback", "callback"), "source": "transcript", "raw": None,
                "detail": None, "evidence": _quote(i, turns[i].text, h.start, h.end, "agent")}
    return {"code": "in_call", "label": names.get("in_call", "in_call"), "source": "transcript", "raw": None,
            "detail": None, "evidence": None}


def _callback(transcript, now, agent_hits, turns) -> dict[str, Any] | None:
    promised = transcript.callback_promised_at
    promise = next(((i, h) for i, h in reversed(agent_hits) if h.label == "CALLBACK"), None)
    if promised is None and promise is None:
        return None
    out: dict[str, Any] = {"promised_at": fmt_datetime(promised), "overdue": None, "delta": None, "promise": None}
    if promised is not None and now is not None:
        try:
            late = (now - promised).total_seconds()
            out["overdue"] = late > 0
            out["delta"] = fmt_seconds(abs(late))
        except TypeError:
            pass
    if promise is not None:
        i, h = promise
        out["promise"] = _quote(i, turns[i].text, h.start, h.end, "agent")
    return out


def _state(dim: str, res: dict[str, Any], turns) -> dict[str, Any]:
    level = res.get("level")
    ev = [e for e in res.get("evidence") or [] if isinstance(e.get("turn"), int) and 0 <= e["turn"] < len(turns)]
    # lexicon cues first (they name a reason), then the model's cue features, then its strongest n-grams
    def rank(e):
        rule = e.get("rule") or ""
        if not rule.startswith("model."):
            return 0
        if ".cue:" in rule:
            return 1
        return 2

    ev.sort(key=lambda e: (rank(e), -(e.get("score") or 0)))
    quotes: list[dict[str, Any]] = []
    seen = set()
    for e in ev:
        if rank(e) == 2 and quotes:
            break
        q = _quote(e["turn"], turns[e["turn"]].text, e.get("start"), e.get("end"), "customer")
        key = (e["turn"], quote_text(q))
        if key in seen:
            continue
        seen.add(key)
        quotes.append(q)
        if len(quotes) >= MAX_QUOTES:
            break
    traj = [{"turn": b.get("turn"), "level": b.get("level"), "label": b.get("label")} for b in res.get("by_turn") or []]
    return {"level": level, "label": res.get("label"), "words": level_words(dim, level),
            "state": (labels().get(f"{dim}_state") or {}).get(level), "peak_turn": res.get("peak_turn"),
            "quotes": quotes, "trajectory": traj, "trend": trend_word([t["level"] for t in traj if t["level"] is not None])}


def _repeat_contact(transcript, lexicon_dir) -> bool:
    if transcript.first_contact_at and transcript.received_at:
        try:
            if transcript.received_at - transcript.first_contact_at > timedelta(minutes=30):
                return True
        except TypeError:
            pass
    lex = get_lexicon("anger_cues", lexicon_dir)
    for t in transcript.turns:
        if t.speaker == "customer" and any(h.active and h.label in ("REPEAT_CONTACT", "REPEAT_ANGER")
                                           for h in lex.find(t.text)):
            return True
    return False


class _Fields(dict):
    def __missing__(self, key):
        return ""


def opening_lines(summary: dict[str, Any], pre, rec: dict[str, Any], *, team: str | None = None,
                  supervisor: str | None = None, redact: bool = False, lexicon_dir=None) -> list[dict[str, Any]]:
    """The article's example lines, chosen by this call's state and filled with its facts."""
    spec = opening_templates()
    lab = labels()
    slots = {s["slot"]: s for s in summary["slots"]}

    def first(slot: str) -> str:
        vals = slots[slot]["values"]
        return vals[0]["text"] if vals else ""

    customer = "お客様"
    if not redact:
        for f in (rec.get("facts") or {}).get("who") or []:
            n = (f.get("normalized") or {}).get("name") if isinstance(f.get("normalized"), dict) else None
            if n:
                customer = f"{n}様"
                break
    missing = [s for s in QUESTION_ORDER if s in summary["missing_slots"]]
    question = slot_questions()[missing[0]]["question"] if missing else ""
    what = first("what")
    fields = _Fields(
        team=team or "○○チーム", supervisor=supervisor or "●●", customer=customer,
        first_agent="先ほど対応した者", issue=f"『{what}』とのこと" if what else "",
        when=first("when"), where=first("where"), how_much=first("how_much"), how_many=first("how_many"),
        callback_at=(summary.get("callback") or {}).get("promised_at") or "", question=question,
    )
    reasons = {r["rule"] for r in summary["escalation"]["reasons"]}
    cond = {
        "anger": summary["anger"]["level"] or 0,
        "urgency": summary["urgency"]["level"] or 0,
        "callback_overdue": bool((summary.get("callback") or {}).get("overdue"))
        or bool(reasons & {"automatic.callback_overdue", "automatic.waiting_mentioned"}),
        "on_hold": summary["status"]["code"] == "on_hold",
        "long_wait": bool((summary["time"].get("hold_seconds") or 0) >= 60 or summary["time"]["over_takeover"]),
        "repeat_contact": _repeat_contact(pre, lexicon_dir) if pre is not None else False,
        "missing_slots": bool(missing),
        "sla_overdue": bool(summary["time"]["sla_overdue"]) or "automatic.sla_breach" in reasons,
    }

    def holds(when: dict[str, Any]) -> bool:
        for k, v in (when or {}).items():
            if k == "anger_at_least" and not cond["anger"] >= v:
                return False
            if k == "anger_below" and not cond["anger"] < v:
                return False
            if k == "urgency_at_least" and not cond["urgency"] >= v:
                return False
            if k in ("callback_overdue", "on_hold", "long_wait", "repeat_contact", "missing_slots", "sla_overdue"):
                if bool(cond[k]) != bool(v):
                    return False
        return True

    many = set(spec.get("many_per_step") or [])
    done_steps: set[str] = set()
    out = []
    for line in spec["lines"]:
        step = line["step"]
        if spec.get("one_per_step", True) and step in done_steps and step not in many:
            continue
        if not holds(line.get("when") or {}):
            continue
        if any(not fields.get(f) for f in line.get("requires") or []):
            continue
        if step in many and any(o["step"] == step for o in out) and len([o for o in out if o["step"] == step]) >= 2:
            continue
        out.append({"id": line["id"], "step": step, "step_label": (lab.get("steps") or {}).get(step, step),
                    "text": line["text"].format_map(fields), "source": line.get("source")})
        done_steps.add(step)
    order = {s: n for n, s in enumerate(STEPS)}
    out.sort(key=lambda o: order.get(o["step"], 99))
    return out


# -- rendering: text (rich) ---------------------------------------------------------------------------

LEVEL_STYLES = ("green", "yellow", "dark_orange", "bold red")


def _rich_quote(q: dict[str, Any]):
    from rich.text import Text

    t = Text()
    t.append(f"[{q['turn']}]", style="dim")
    t.append("「")
    t.append(q["before"])
    t.append(q["mark"], style="bold underline")
    t.append(q["after"])
    t.append("」")
    return t


def print_summary(summary: dict[str, Any], console) -> None:
    """Lay one summary out on a rich console (transcript text is never read as markup)."""
    from rich.panel import Panel
    from rich.rule import Rule
    from rich.table import Table
    from rich.text import Text

    s = summary
    head = Text()
    head.append(f"二次対応サマリー  {s['call_id']}", style="bold")
    if s["redacted"]:
        head.append("  [個人情報マスク済み]", style="cyan")
    sub = f"引き継ぎ: ターン{s['handoff_turn']}（{s['n_turns_before']}ターン分を要約）" if s["handoff_turn"] is not None \
        else f"引き継ぎ前（{s['n_turns_before']}ターン全体を要約）"
    console.print(Panel(Text.assemble(head, "\n", Text(sub, style="dim")), expand=True))

    # 1 status
    console.print(Rule("1. 現在の状況", align="left"))
    st = s["status"]
    line = Text()
    line.append(st["label"], style="bold")
    if st.get("detail"):
        line.append(f"（{st['detail']}）")
    line.append(f"  ({'入力データ' if st['source'] == 'metadata' else '通話内容から'})", style="dim")
    console.print(line)
    if st.get("evidence"):
        console.print(_rich_quote(st["evidence"]))
    cb = s.get("callback")
    if cb:
        t = Text("折り返し: ")
        if cb.get("promised_at"):
            t.append(f"{cb['promised_at']} の約束")
            if cb.get("overdue") is True:
                t.append(f"（{cb['delta']} 超過・未履行）", style="bold red")
            elif cb.get("overdue") is False:
                t.append(f"（あと {cb['delta']}）")
        console.print(t)
        if cb.get("promise"):
            console.print(_rich_quote(cb["promise"]))
    tm = s["time"]
    t = Text("通話時間（引き継ぎまで）: ")
    t.append(tm["call"] or "-")
    t.append(f" / 交代の目安 {tm['takeover']}")
    if tm["over_takeover"]:
        t.append("  目安超過", style="bold red")
    if tm.get("hold"):
        t.append(f" / 保留 {tm['hold']}")
    console.print(t)
    if tm.get("since_first_contact"):
        console.print(Text(f"初回連絡（{tm['first_contact_at']}）から: {tm['since_first_contact']}"))
    if tm.get("sla_hours") is not None and tm.get("sla_due"):
        t = Text(f"SLA {tm['sla_hours']:g}時間（{tm['sla_clock']}、期限 {tm['sla_due']}）: ")
        if tm["sla_overdue"]:
            t.append(f"{tm['sla_remaining']} 超過", style="bold red")
        else:
            t.append(f"残り {tm['sla_remaining']}")
        console.print(t)

    # 2 customer state
    console.print(Rule("2. お客さまの状況", align="left"))
    for dim, name in (("anger", "お怒り度"), ("urgency", "緊急度")):
        d = s[dim]
        t = Text(f"{name}: ")
        lvl = d["level"] if d["level"] is not None else 0
        t.append(d["words"], style=LEVEL_STYLES[min(lvl, 3)])
        traj = " → ".join(str(x["level"]) for x in d["trajectory"])
        if traj:
            t.append(f"   推移: {traj}（{d['trend']}）", style="dim")
        console.print(t)
        for q in d["quotes"]:
            console.print(Text("   ").append_text(_rich_quote(q)))

    # 3 wants + 6W3H
    console.print(Rule("3. ご要望と 6W3H", align="left"))
    if s["wants"]:
        for q in s["wants"]:
            console.print(_rich_quote(q))
    else:
        console.print(Text("（要望の発言は見つかりませんでした）", style="dim"))
    table = Table(show_header=True, header_style="bold", expand=True)
    table.add_column("項目", no_wrap=True)
    table.add_column("内容 / まだ聞くこと", overflow="fold")
    for sl in s["slots"]:
        if sl["missing"]:
            table.add_row(Text(f"{sl['label']} ({sl['en']})"), Text(f"未確認 → 質問: {sl['question']}", style="yellow"))
        else:
            table.add_row(Text(f"{sl['label']} ({sl['en']})"),
                          Text(" / ".join(f"{v['text']} [{v['turn']}]" for v in sl["values"])))
    console.print(table)

    # 4 facts vs emotions
    console.print(Rule("4. 事実と解釈・感情", align="left"))
    names = labels().get("sentence_kinds") or {}
    for kind in ("fact", "emotion", "mixed"):
        items = s["sentences"].get(kind) or []
        if not items:
            continue
        console.print(Text(f"{names.get(kind, kind)}:", style="bold"))
        for it in items:
            console.print(Text(f"  [{it['turn']}] {it['text']}"))

    # 5 first agent
    console.print(Rule("5. 一次対応者が対応済みのこと（繰り返し聞かない）", align="left"))
    if not s["agent"]:
        console.print(Text("（該当なし）", style="dim"))
    for grp in s["agent"]:
        console.print(Text(grp["title"], style="bold"))
        for q in grp["items"]:
            console.print(Text("  ").append_text(_rich_quote(q)))

    # 6 escalation
    console.print(Rule("6. エスカレーション", align="left"))
    e = s["escalation"]
    t = Text("種類: ")
    t.append(" / ".join(x["label"] for x in e["types"]) or "なし", style="bold")
    if e["harassment"]:
        t.append("  カスハラの兆候あり", style="bold red")
    console.print(t)
    if e["route_to"]:
        console.print(Text("取り次ぎ先: " + " → ".join(e["route_to"])))
    for r in e["reasons"]:
        t = Text(f"・{r['label']}")
        if r.get("overdue_hours") is not None:
            t.append(f"（{r['overdue_hours']}時間超過）")
        console.print(t)
        if r.get("quote"):
            console.print(Text("   ").append_text(_rich_quote(r["quote"])))
    for q in e["harassment_quotes"]:
        console.print(Text("   カスハラ: ").append_text(_rich_quote(q)))

    # 7 opening lines
    console.print(Rule("7. 第一声の例（記事の例文をこの通話に合わせたもの）", align="left"))
    for o in s["opening_lines"]:
        console.print(Text(f"{o['step_label']}:", style="bold"))
        console.print(Text(f"  {o['text']}"))
    for w in s["warnings"]:
        console.print(Text(f"注意: {w}", style="dim"))


def render_text(summaries: list[dict[str, Any]], *, width: int = 100) -> str:
    """Plain text (no colour codes), as the terminal layout would show it."""
    from rich.console import Console

    buf = io.StringIO()
    console = Console(file=buf, width=width, color_system=None, force_terminal=False, force_jupyter=False,
                      highlight=False, emoji=False, markup=False)
    for n, s in enumerate(summaries):
        if n:
            console.print()
        print_summary(s, console)
    return buf.getvalue()


# -- rendering: Markdown ------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~>])")


def md(text: Any) -> str:
    """Escape text for Markdown: HTML is neutralised (&lt;script&gt;) and Markdown syntax is literal."""
    s = "" if text is None else str(text)
    s = s.replace("\r", " ").replace("\n", " ")
    s = html.escape(s, quote=False)
    return _MD_SPECIAL.sub(r"\\\1", s)


def _md_quote(q: dict[str, Any]) -> str:
    mark = f"**{md(q['mark'])}**" if q["mark"] else ""
    return f"\\[{q['turn']}\\] 「{md(q['before'])}{mark}{md(q['after'])}」"


def render_markdown(summaries: list[dict[str, Any]]) -> str:
    parts = []
    for s in summaries:
        parts.append(_markdown_one(s))
    return "\n\n---\n\n".join(parts) + "\n"


def _markdown_one(s: dict[str, Any]) -> str:
    L: list[str] = []
    L.append(f"# 二次対応サマリー: {md(s['call_id'])}")
    if s["redacted"]:
        L.append("\n*個人情報はマスク済みです（文字数は元のまま）。*")
    if s["handoff_turn"] is not None:
        L.append(f"\n引き継ぎ: ターン{s['handoff_turn']}（{s['n_turns_before']}ターン分を要約）")
    else:
        L.append(f"\n引き継ぎ前（{s['n_turns_before']}ターン全体を要約）")
    L.append("\n## 1. 現在の状況\n")
    st = s["status"]
    L.append(f"- **{md(st['label'])}**" + (f"（{md(st['detail'])}）" if st.get("detail") else "")
             + f" — {'入力データ' if st['source'] == 'metadata' else '通話内容から'}")
    if st.get("evidence"):
        L.append(f"  - {_md_quote(st['evidence'])}")
    cb = s.get("callback")
    if cb:
        line = "- 折り返し: "
        if cb.get("promised_at"):
            line += f"{md(cb['promised_at'])} の約束"
            if cb.get("overdue") is True:
                line += f"（**{md(cb['delta'])} 超過・未履行**）"
            elif cb.get("overdue") is False:
                line += f"（あと {md(cb['delta'])}）"
        L.append(line)
        if cb.get("promise"):
            L.append(f"  - {_md_quote(cb['promise'])}")
    tm = s["time"]
    L.append(f"- 通話時間（引き継ぎまで）: {md(tm['call'] or '-')} / 交代の目安 {md(tm['takeover'])}"
             + ("（**目安超過**）" if tm["over_takeover"] else "") + (f" / 保留 {md(tm['hold'])}" if tm.get("hold") else ""))
    if tm.get("since_first_contact"):
        L.append(f"- 初回連絡（{md(tm['first_contact_at'])}）から: {md(tm['since_first_contact'])}")
    if tm.get("sla_hours") is not None and tm.get("sla_due"):
        L.append(f"- SLA {tm['sla_hours']:g}時間（{md(tm['sla_clock'])}、期限 {md(tm['sla_due'])}）: "
                 + (f"**{md(tm['sla_remaining'])} 超過**" if tm["sla_overdue"] else f"残り {md(tm['sla_remaining'])}"))
    L.append("\n## 2. お客さまの状況\n")
    for dim, name in (("anger", "お怒り度"), ("urgency", "緊急度")):
        d = s[dim]
        traj = " → ".join(str(x["level"]) for x in d["trajectory"])
        L.append(f"- **{name}: {md(d['words'])}**" + (f" — 推移 {md(traj)}（{md(d['trend'])}）" if traj else ""))
        for q in d["quotes"]:
            L.append(f"  - {_md_quote(q)}")
    L.append("\n## 3. ご要望と 6W3H\n")
    if s["wants"]:
        for q in s["wants"]:
            L.append(f"- {_md_quote(q)}")
    else:
        L.append("- （要望の発言は見つかりませんでした）")
    L.append("\n| 項目 | 内容 / まだ聞くこと |\n| --- | --- |")
    for sl in s["slots"]:
        if sl["missing"]:
            L.append(f"| {md(sl['label'])} ({md(sl['en'])}) | **未確認** → 質問: {md(sl['question'])} |")
        else:
            L.append(f"| {md(sl['label'])} ({md(sl['en'])}) | "
                     + " / ".join(f"{md(v['text'])} \\[{v['turn']}\\]" for v in sl["values"]) + " |")
    L.append("\n## 4. 事実と解釈・感情\n")
    names = labels().get("sentence_kinds") or {}
    for kind in ("fact", "emotion", "mixed"):
        items = s["sentences"].get(kind) or []
        if items:
            L.append(f"**{md(names.get(kind, kind))}**\n")
            L.extend(f"- \\[{it['turn']}\\] {md(it['text'])}" for it in items)
            L.append("")
    L.append("## 5. 一次対応者が対応済みのこと（繰り返し聞かない）\n")
    if not s["agent"]:
        L.append("- （該当なし）")
    for grp in s["agent"]:
        L.append(f"- **{md(grp['title'])}**")
        L.extend(f"  - {_md_quote(q)}" for q in grp["items"])
    L.append("\n## 6. エスカレーション\n")
    e = s["escalation"]
    L.append("- 種類: **" + (" / ".join(md(x["label"]) for x in e["types"]) or "なし") + "**"
             + ("（**カスハラの兆候あり**）" if e["harassment"] else ""))
    if e["route_to"]:
        L.append("- 取り次ぎ先: " + " → ".join(md(x) for x in e["route_to"]))
    for r in e["reasons"]:
        L.append(f"- {md(r['label'])}" + (f"（{r['overdue_hours']}時間超過）" if r.get("overdue_hours") is not None else ""))
        if r.get("quote"):
            L.append(f"  - {_md_quote(r['quote'])}")
    for q in e["harassment_quotes"]:
        L.append(f"- カスハラ: {_md_quote(q)}")
    L.append("\n## 7. 第一声の例（記事の例文をこの通話に合わせたもの）\n")
    for o in s["opening_lines"]:
        L.append(f"- **{md(o['step_label'])}**: {md(o['text'])}")
    for w in s["warnings"]:
        L.append(f"\n> 注意: {md(w)}")
    return "\n".join(L)


# -- rendering: HTML ----------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _jinja():
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(resource_path("templates"))),
                             autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return env


def render_html(summaries: list[dict[str, Any]], *, title: str | None = None) -> str:
    """One self-contained, printable HTML page (inline CSS, no scripts, no external assets).

    Every string is HTML-escaped by the template engine (autoescape); nothing is marked safe.
    """
    if title is None:
        title = "二次対応サマリー" + (f" {summaries[0]['call_id']}" if len(summaries) == 1 else "")
    return _jinja().get_template("summary.html.j2").render(summaries=summaries, title=title,
                                                           sentence_kinds=labels().get("sentence_kinds") or {})


def render(summaries: list[dict[str, Any]], fmt: str, *, width: int = 100) -> str:
    if fmt == "text":
        return render_text(summaries, width=width)
    if fmt == "markdown":
        return render_markdown(summaries)
    if fmt == "html":
        return render_html(summaries)
    raise ValueError(f"unknown format {fmt!r} (text, markdown, html)")
