"""Supervisor takeover scoring (二次対応): the seven steps, their order, a score, warnings and phrasing.

``score_supervisor(ctx)`` returns None when nobody took over, else::

    {"handoff_turn": 9, "handoff_rule": "handoff.speaker_role", "name": "平田",
     "steps": {"introduce": {"done": True, "turn": 9, "evidence": [...], "note": "..."}, ...},
     "order_ok": True, "order": ["apologize_wait", "introduce", ...], "score": 100,
     "warnings": [{"id", "message", "evidence"}], "phrasing": [...]}

Only the supervisor's turns from ``handoff_turn`` on count. The steps, their lexicon labels, weights, the
order bonus and the listening thresholds are data (``resources/rules/supervisor_steps.yaml``); the phrases
are ``resources/lexicons/supervisor.jsonl`` and ``apology.jsonl``. Every decision carries evidence in the
one shape used everywhere (``turn, start, end, text, rule, score``; offsets into the turn's original text).

How each step is judged (LABELING.md, "The supervisor's seven steps"):

- introduce: in the opening turns, the supervisor's own name (…と申します, or a proper noun + です/でございます)
  AND a team or title in the same turn AND a takeover phrase (代わりまして, 引き継ぎまして). A bare name fails.
- apologize_wait: お待たせして申し訳ございません (the wait phrase joined to a real apology) in the opening turns;
  a bare お待たせしました or すみません fails.
- apologize_first_response: a formal/standard apology whose sentence names the first response (先ほどの…,
  至らぬ点, ご案内ができず, ご不快な思いをさせ, the first agent's name); conditional apologies fail.
- confirm_situation: a restatement of what was handed over (…と伺っております, …とのことですが) followed in the
  same turn (or after a backchannel) by a check (お間違いないでしょうか), or a cushioned request to hear it again (心苦しいのですが、改めて…
  お聞かせいただけますでしょうか). 「最初から説明してください」 with no cushion fails (and warns).
- listen: judged from turns and timestamps: a supervisor turn that starts before the customer's turn ended
  is an interruption; a reply opening with でも/ですから, or 規則ですので/先ほども申し上げましたが, is a
  counter-argument; the customer saying 最後まで聞いて is a complaint; the supervisor's share of talk in the
  first exchanges is recorded. Any of them fails the step; a passive supervisor still listens.
- propose_solution: a sentence with a concrete action and a time (本日十五時までにお電話いたします) and no vague
  wording (なるべく早く, 分かり次第, 検討); a committed action without a time (全額返金いたします) counts at a lower
  score; where nothing is possible (いたしかねます), an apology with empathy in that turn.
- apologize_delay_empathy: an apology with empathy words (お気持ちお察しいたします, ご不便をおかけし, 私も同じように
  感じると思います) in the same turn; an apology alone or empathy alone fails.

Warnings: the customer made to repeat everything with no cushion; the first agent's work never
acknowledged (no restatement of what was handed over); a restated amount, date or count that contradicts
what the customer said before the handoff (``ctx.results["facts"]``).

Notes
-----
Steps and example phrasings: shared/seeds/000_b54099cb27bdd303.txt (「いよいよ二次対応!動作編」 1-6, 「心編」).
"""
from __future__ import annotations

import re
from typing import Any

from ..lexicons import Hit
from ..textnorm import NormText
from .context import CallContext
from .phrasing import (STEP_IDS, TurnView, audit_phrasing, bare_prefix, build_views, evidence, grade, labels_of,
                       real_apologies, step_rules)

_TITLE_WORDS = {"者", "担当", "担当者", "責任者", "係", "私", "わたくし", "当社", "弊社", "窓口", "主任", "課長", "係長",
                "部長", "室長", "所長", "店長", "リーダー", "マネージャー", "統括", "お客様", "お客さま"}
_SHORT_NAME = re.compile(r"[\u4e00-\u9fff]{1,2}")
_NOT_NAMES = {"者", "担当", "係", "私", "以上", "本日", "今日", "件", "方", "結構", "大丈夫", "確認", "失礼", "本当",
              "了解", "承知", "無理", "同じ", "当然", "残念", "心配", "以下", "今", "前", "後", "上", "下", "中"}
_GA_TAKEOVER = re.compile(r"[、,\s]*(?:代わ|替わ|かわ|引き継|承|ご?対応|担当|お話|伺)")


def _step(done: bool, turn: int | None, ev: list[dict], note: str) -> dict[str, Any]:
    return {"done": bool(done), "turn": turn, "evidence": ev, "note": note}


def _span_ev(i: int, text: str, start: int, end: int, rule: str, score: float = 1.0) -> dict[str, Any]:
    return {"turn": i, "start": start, "end": end, "text": text[start:end], "rule": rule,
            "score": round(float(score), 4)}


# ------------------------------------------------------------------------------------------------
# names


def _name_in_turn(ctx: CallContext, i: int, tv: TurnView, name_hits: list[Hit]) -> tuple[str, int, int, str] | None:
    """The speaker's own name: a noun run before と申します, or a proper noun right before です/でございます."""
    doc = ctx.docs[i]
    if doc.text != tv.text:
        return None
    toks = list(doc)
    starts = {t.idx: k for k, t in enumerate(toks)}
    for h in name_hits:  # …と申します
        k = starts.get(h.start)
        if k is None:
            continue
        j = k
        while j > 0 and toks[j - 1].tag_.startswith("名詞") and toks[j - 1].text not in ("、", " "):
            j -= 1
        name = "".join(t.text for t in toks[j:k])
        if name and name not in _TITLE_WORDS and not name.endswith(("者", "長", "担当")):
            return name, toks[j].idx, toks[k - 1].idx + len(toks[k - 1].text), "intro.name.moushimasu"
    for k, t in enumerate(toks[:-1]):  # 佐藤です / 佐藤でございます / (…の)森です / 田中が代わって
        proper = t.tag_.startswith("名詞-固有名詞")
        # one-kanji surnames (森, 林, 堀) are common nouns in UniDic: accept a short kanji noun after の/、/start
        short = (t.tag_.startswith("名詞-普通名詞") and _SHORT_NAME.fullmatch(t.text) is not None
                 and t.text not in _NOT_NAMES and (k == 0 or toks[k - 1].text in ("の", "、", "。", " ", "\u3000")
                                                   or toks[k - 1].tag_.startswith(("補助記号", "空白"))))
        if not (proper or short):
            continue
        nxt = toks[k + 1]
        desu = nxt.text in ("です", "でございます") or (nxt.text == "で" and k + 2 < len(toks) and toks[k + 2].lemma_ == "御座る")
        ga = proper and nxt.text == "が" and _GA_TAKEOVER.match(tv.text, nxt.idx + 1) is not None
        if desu or ga:
            j = k
            while proper and j > 0 and toks[j - 1].tag_.startswith("名詞-固有名詞"):
                j -= 1
            name = "".join(x.text for x in toks[j:k + 1])
            if name not in _TITLE_WORDS:
                return name, toks[j].idx, t.idx + len(t.text), "intro.name.desu" if desu else "intro.name.ga"
    return None


def _agent_names(ctx: CallContext) -> list[str]:
    """The first agent's name(s): from the export's names or their own introduction (田村でございます)."""
    names: list[str] = []
    for i in ctx.pre_handoff():
        t = ctx.turns[i]
        if t.speaker != "agent":
            continue
        if t.name and t.name not in names:
            names.append(t.name)
        doc = ctx.docs[i]
        toks = list(doc)
        for k, tok in enumerate(toks[:-1]):
            if tok.tag_.startswith("名詞-固有名詞") and toks[k + 1].text in ("です", "でございます", "と", "で"):
                if toks[k + 1].text == "と" and not (k + 2 < len(toks) and toks[k + 2].lemma_ == "申す"):
                    continue
                if toks[k + 1].text == "で" and not (k + 2 < len(toks) and toks[k + 2].lemma_ == "御座る"):
                    continue
                if tok.text not in names and len(tok.text) >= 2:
                    names.append(tok.text)
    return names


def _agent_name_hits(tv: TurnView, names: list[str], follow: str, rule: str) -> list[tuple[int, int, str]]:
    out = []
    for n in names:
        for m in re.finditer(re.escape(n) + follow, tv.text):
            out.append((m.start(), m.end(), rule))
    return out


# ------------------------------------------------------------------------------------------------
# the steps


def _introduce(ctx, rules, opening: list[int], views) -> tuple[dict[str, Any], str | None]:
    name_labels = labels_of(rules, "introduce", "name")
    best: tuple[int, list[dict], list[str]] | None = None
    name_found: str | None = None
    takeover = [(i, h) for i in opening for h in views[i].get(*labels_of(rules, "introduce", "takeover"))]
    for i in opening:
        tv = views[i]
        nm = _name_in_turn(ctx, i, tv, tv.get(*name_labels))
        if nm is None:
            continue
        name_found = name_found or nm[0]
        titles = tv.get(*labels_of(rules, "introduce", "title"))
        ev = [_span_ev(i, tv.text, nm[1], nm[2], nm[3])]
        missing = []
        if titles:
            ev.append(evidence(titles[0], i))
        else:
            missing.append("no team or title")
        if takeover:
            ti, th = takeover[0]
            ev.append(evidence(th, ti))
        else:
            missing.append("no takeover phrase (先ほどの者に代わりまして)")
        if best is None or len(missing) < len(best[2]):
            best = (i, ev, missing)
    if best is None:
        note = "no own name given" + (" (a takeover phrase only)" if takeover else "")
        ev = [evidence(h, i) for i, h in takeover[:1]]
        return _step(False, None, ev, note), None
    i, ev, missing = best
    if not missing:
        return _step(True, i, ev, "name, team/title and takeover"), name_found
    return _step(False, i, ev, "bare name: " + "; ".join(missing)), name_found


def _apologize_wait(rules, opening: list[int], views) -> dict[str, Any]:
    bare_labels = labels_of(rules, "apologize_wait", "bare")
    for i in opening:
        hits = views[i].get(*labels_of(rules, "apologize_wait", "apology"))
        if hits:
            return _step(True, i, [evidence(hits[0], i)], "apology for the wait")
    # お待たせしました。大変申し訳ございません。 (a bare apology sentence right after the wait phrase)
    for i in opening:
        tv = views[i]
        for w in tv.get(*bare_labels):
            k = tv.sent_of(w.start)
            for a in real_apologies(tv):
                if tv.sent_of(a.start) == k + 1 and len(bare_prefix(tv, a)) == 0:
                    return _step(True, i, [evidence(w, i), evidence(a, i)], "wait phrase followed by an apology")
    ev: list[dict] = []
    notes = []
    for i in opening:
        tv = views[i]
        ev += [evidence(h, i) for h in tv.get(*bare_labels)]
        ev += [evidence(h, i) for h in tv.get("apology:APOLOGY") if grade(h) == "casual"]
        if tv.get(*bare_labels):
            notes.append("お待たせしました with no apology")
        if any(grade(h) == "casual" for h in tv.get("apology:APOLOGY")):
            notes.append("casual すみません only")
    return _step(False, None, ev[:3], "; ".join(dict.fromkeys(notes)) or "no apology for the wait")


def _apologize_first_response(rules, sup: list[int], views, agent_names: list[str]) -> dict[str, Any]:
    cue_labels = labels_of(rules, "apologize_first_response", "cue")
    ap_labels = labels_of(rules, "apologize_first_response", "apology")
    non_labels = labels_of(rules, "apologize_first_response", "not_apology")
    conditional: list[dict] = []
    for i in sup:
        tv = views[i]
        walls = tv.get("supervisor:WAIT_APOLOGY", "supervisor:TAKEOVER", "supervisor:HANDOVER_SOURCE")
        cues = [(h.start, h.end, h.id, h) for h in tv.get(*cue_labels)]
        cues += [(s, e, r, None) for s, e, r in _agent_name_hits(tv, agent_names, r"(?:の|が|も|では)(?!者)",
                                                                  "step.first_response.agent_name")]
        for a in real_apologies(tv, ap_labels, non_labels):
            if any(w.start <= a.start < w.end for w in walls if w.label == "WAIT_APOLOGY"):
                continue  # the wait apology
            s, _ = tv.sent_span(a.start)
            if len(bare_prefix(tv, a)) < 4 and tv.sent_of(a.start) > 0:  # 「…ご不快な思いをおかけしました。申し訳ございません。」
                s = tv.sents[tv.sent_of(a.start) - 1][0]
            for w in walls:
                if s <= w.start and w.end <= a.start:
                    s = max(s, w.end)
            found = [c for c in cues if s <= c[0] and c[1] <= a.start + 1]
            if found:
                c = found[-1]
                ev = [evidence(c[3], i) if c[3] is not None else _span_ev(i, tv.text, c[0], c[1], c[2]),
                      evidence(a, i)]
                return _step(True, i, ev, "apology for the first response")
        for n in tv.get(*non_labels):
            conditional.append(evidence(n, i))
    if conditional:
        return _step(False, None, conditional[:2], "conditional apology only (…のであれば): not an apology")
    return _step(False, None, [], "no apology for the first response")


def _only_backchannel(ctx: CallContext, a: int, b: int, max_chars: int = 12) -> bool:
    """Turns strictly between ``a`` and ``b`` are only the customer's short backchannels (はい, ええ)."""
    return all(ctx.turns[k].speaker == "customer" and len(ctx.turns[k].text.strip()) <= max_chars
               for k in range(a + 1, b))


def _confirm_situation(ctx, rules, sup: list[int], views) -> tuple[dict[str, Any], list[dict]]:
    """(step, uncushioned re-asks as evidence)."""
    restate_labels = labels_of(rules, "confirm_situation", "restate")
    uncushioned: list[dict] = []
    prev: TurnView | None = None
    result = None
    for i in sup:
        tv = views[i]
        restates = [(h.start, evidence(h, i)) for h in tv.get(*restate_labels)]
        for c in tv.get(*labels_of(rules, "confirm_situation", "check")):
            before = [ev for s, ev in restates if s < c.start]
            if not before and prev is not None and _only_backchannel(ctx, prev.i, i):
                before = [evidence(h, prev.i) for h in prev.get(*restate_labels)]
            if before and result is None:
                result = _step(True, i, [before[0], evidence(c, i)], "restated what was handed over and checked it")
        cushions = tv.get(*labels_of(rules, "confirm_situation", "cushion"))
        for r in tv.get(*labels_of(rules, "confirm_situation", "reask")):
            k = tv.sent_of(r.start)
            near = [c for c in cushions if tv.sent_of(c.start) in (k, k - 1) and c.start < r.end]
            if near and result is None:
                result = _step(True, i, [evidence(near[-1], i), evidence(r, i)], "cushioned request to hear it again")
            elif not near:
                uncushioned.append(evidence(r, i))
        prev = tv
    if result is not None:
        return result, uncushioned
    if uncushioned:
        return _step(False, None, uncushioned[:2], "asked the customer to repeat it with no cushion"), uncushioned
    return _step(False, None, [], "no restatement of what was handed over"), uncushioned


def _listen(ctx, rules, ho: int, views) -> dict[str, Any]:
    cfg = rules["listen"]
    turns = ctx.turns
    fails: list[dict] = []
    notes: list[str] = []
    n_checked = 0
    counter_labels = labels_of(rules, "listen", "counter")
    complaint_labels = labels_of(rules, "listen", "complaint")
    for j in range(max(ho, 1), len(turns)):
        t, p = turns[j], turns[j - 1]
        if t.speaker == "supervisor" and p.speaker == "customer":
            if t.start is not None and p.end is not None:
                n_checked += 1
                overlap = p.end - t.start
                if overlap >= cfg["overlap_tolerance_seconds"]:
                    fails.append(_span_ev(j, t.text, 0, min(len(t.text), 20), "listen.interruption", round(overlap, 2)))
                    notes.append(f"turn {j} starts {overlap:.1f}s before the customer finished")
            tv = views[j]
            for h in tv.get(*counter_labels):
                if h.id.endswith("counter_start") and h.start > cfg["counter_start_chars"]:
                    continue
                fails.append(evidence(h, j))
                notes.append(f"counter-argument in turn {j} ({h.text.strip()})")
                break
        if t.speaker == "customer" and j > ho:
            tv = views.get(j)
            if tv is not None:
                for h in tv.get(*complaint_labels):
                    fails.append(evidence(h, j))
                    notes.append(f"the customer complains of being cut off (turn {j})")
                    break
    # talk share over the first exchanges
    seg = range(ho, min(len(turns), ho + cfg["first_exchanges_turns"]))
    sup_chars = sum(len(turns[k].text) for k in seg if turns[k].speaker == "supervisor")
    all_chars = sum(len(turns[k].text) for k in seg) or 1
    n_cust = sum(1 for k in seg if turns[k].speaker == "customer")
    share = sup_chars / all_chars
    if share > cfg["max_talk_share"] and n_cust >= cfg["min_customer_turns"]:
        fails.append({"turn": ho, "start": None, "end": None, "text": f"supervisor talk share {share:.2f}",
                      "rule": "listen.talk_share", "score": round(share, 4)})
        notes.append(f"the supervisor took {share:.0%} of the talk in the first exchanges")
    if fails:
        return _step(False, fails[0]["turn"], fails[:4], "; ".join(dict.fromkeys(notes)))
    how = f"no interruption in {n_checked} timed replies" if n_checked else "no timestamps; no counter-argument"
    return _step(True, None, [], f"{how}; talk share {share:.2f} in the first exchanges")


def _propose_solution(rules, sup: list[int], views) -> dict[str, Any]:
    L = lambda role: labels_of(rules, "propose_solution", role)  # noqa: E731
    weak_rx = rules["_weak"]
    weak: tuple[int, list[dict]] | None = None
    vague_ev: list[dict] = []
    for i in sup:
        tv = views[i]
        excluded = tv.get("supervisor:TAKEOVER", "supervisor:RESTATE", "supervisor:CHECK", "supervisor:REASK")
        excl_sents = {tv.sent_of(h.start) for h in excluded}
        verified = tv.get("supervisor:VERIFIED", *L("apology"))
        times = tv.get(*L("time"))
        vague = tv.get(*L("vague"))
        for a in tv.get(*L("action")):
            k = tv.sent_of(a.start)
            if k in excl_sents or any(v.start <= a.start < v.end or a.start <= v.start < a.end for v in verified):
                continue
            vs = [v for v in vague if tv.sent_of(v.start) == k]
            if vs:
                vague_ev.append(evidence(vs[0], i))
                continue
            ts = [t for t in times if tv.sent_of(t.start) == k]
            if ts:
                return _step(True, i, [evidence(ts[0], i), evidence(a, i)], "concrete next action with a time")
            if weak is None and not weak_rx.search(tv.text[a.start:a.end]):
                score = rules["solution"]["action_without_time_score"]
                weak = (i, [evidence(a, i, score)])
    if weak is not None:
        return _step(True, weak[0], weak[1], "committed action, no time given")
    for i in sup:  # nothing possible: an apology with empathy in the same turn
        tv = views[i]
        imp = tv.get(*L("impossible"))
        aps = real_apologies(tv, L("apology"))
        emp = [h for h in tv.get(*L("empathy")) if grade(h) in ("formal", "standard")]
        if imp and aps and emp:
            return _step(True, i, [evidence(imp[0], i), evidence(aps[0], i), evidence(emp[0], i)],
                         "nothing possible: apology with empathy")
    if vague_ev:
        return _step(False, None, vague_ev[:2], "vague promise only (no concrete action or time)")
    return _step(False, None, [], "no concrete next action")


def _owned_burden(tv: TurnView, emp: list[Hit]) -> bool:
    """Both kinds of empathy words in one turn: the burden owned (ご不便をおかけしております) and feelings (お察し)."""
    labels = {h.label for h in emp}
    return "INCONVENIENCE" in labels and "EMPATHY" in labels


def _apologize_delay_empathy(rules, sup: list[int], views) -> dict[str, Any]:
    ap_labels = labels_of(rules, "apologize_delay_empathy", "apology")
    emp_labels = labels_of(rules, "apologize_delay_empathy", "empathy")
    non_labels = labels_of(rules, "apologize_delay_empathy", "not_apology")
    found: list[tuple[int, list[dict]]] = []
    lone_ap: list[dict] = []
    lone_emp: list[dict] = []
    for i in sup:
        tv = views[i]
        aps = real_apologies(tv, ap_labels, non_labels)
        emp = [h for h in tv.get(*emp_labels) if grade(h) != "casual"]
        if aps and emp:
            found.append((i, [evidence(emp[0], i), evidence(aps[-1], i)]))
        elif emp and _owned_burden(tv, emp):
            # 「ご迷惑とご不便をおかけしております。お気持ち、お察しいたします。」: owning the burden is the apology
            b = next(h for h in emp if h.label == "INCONVENIENCE")
            e2 = next(h for h in emp if h.label == "EMPATHY")
            found.append((i, [evidence(e2, i), evidence(b, i, 0.8)]))
        elif emp:
            lone_emp.append(evidence(emp[0], i))
        elif aps:
            lone_ap.append(evidence(aps[0], i))
    if found:
        i, ev = found[0]
        step = _step(True, i, ev, "apology with empathy words")
        step["_last_turn"] = found[-1][0]
        return step
    if lone_emp:
        return _step(False, None, lone_emp[:2], "empathy with no apology in the same turn")
    return _step(False, None, [], "apology without empathy words" if lone_ap else "no apology with empathy")


# ------------------------------------------------------------------------------------------------
# warnings


_NUM = r"[0-9〇一二三四五六七八九十百千万億,.]+"
_MONEY = re.compile(rf"({_NUM})円")
_ANY_NUMBER = re.compile(_NUM)
_DATE = re.compile(rf"({_NUM})月の?({_NUM})日")
_DAY = re.compile(rf"(?<![0-9〇一二三四五六七八九十百千万億,.月])({_NUM})日(?!間|分|以内|ほど|後|前)")
_RELATIVE_DAY = re.compile(r"一昨日|おととい|昨日|本日|今日|明後日|明日")
_COUNT = re.compile(rf"({_NUM})(台|個|件|枚|名様|名|人|回|本|点|箱|通|泊|室|部屋|か月|ヶ月|日分)(?!目)")
_COUNT_UNIT = {"名様": "名", "人": "名", "ヶ月": "か月"}


def _values(text: str, kind: str, ref=None) -> list[tuple[Any, int, int]]:
    """(value, start, end) of each amount (yen), month-day date or count in ``text`` (original offsets)."""
    from ..components.facts import parse_number, resolve_when

    norm = NormText(text)
    out: list[tuple[Any, int, int]] = []

    def add(v, m):
        if v is not None:
            s, e = norm.span(m.start(), m.end())
            out.append((v, s, e))

    if kind == "money":
        for m in _MONEY.finditer(norm.norm):
            add(parse_number(m.group(1)), m)
    elif kind == "date":
        for m in _DATE.finditer(norm.norm):
            mo, d = parse_number(m.group(1)), parse_number(m.group(2))
            add((int(mo), int(d)) if mo and d and 1 <= mo <= 12 and 1 <= d <= 31 else None, m)
        if ref is not None:
            for m in _RELATIVE_DAY.finditer(norm.norm):
                r = resolve_when(m.group(0), ref) or {}
                day = r.get("date") or (r.get("datetime") or "")[:10]
                add((int(day[5:7]), int(day[8:10])) if len(day) == 10 else None, m)
    else:
        for m in _COUNT.finditer(norm.norm):
            n = parse_number(m.group(1))
            add((n, _COUNT_UNIT.get(m.group(2), m.group(2))) if n is not None else None, m)
    return out


def _said(texts: list[str], kind: str, ref) -> set:
    """Every value of ``kind`` said before the handoff (money: any number, so 八十六万 matches 八十六万円;
    dates: month-day pairs plus ('day', d) for a bare 九日)."""
    from ..components.facts import parse_number

    said: set = set()
    for t in texts:
        said |= {v for v, _, _ in _values(t, kind, ref)}
        n = NormText(t).norm
        if kind == "money":
            said |= {v for m in _ANY_NUMBER.finditer(n) if (v := parse_number(m.group(0))) is not None}
        elif kind == "date":
            said |= {("day", int(v)) for m in _DAY.finditer(n) if (v := parse_number(m.group(1)))}
    return said


def _fact_value(item: dict[str, Any], kind: str):
    nv = item.get("normalized")
    if kind == "money" and isinstance(nv, (int, float)):
        return nv
    if kind == "date" and isinstance(nv, dict):
        d = nv.get("date") or (nv.get("datetime") or "")[:10]
        if len(d) == 10:
            return int(d[5:7]), int(d[8:10])
    if kind == "count" and isinstance(nv, dict) and nv.get("value") is not None and not nv.get("ordinal"):
        return nv["value"], _COUNT_UNIT.get(nv.get("unit"), nv.get("unit"))
    return None


def _contradictions(ctx: CallContext, rules, confirm: dict[str, Any]) -> list[dict[str, Any]]:
    """Restated values that contradict the customer's: the supervisor's confirmation names an amount, date
    or count that nobody said before the handoff, and none of the 6W3H values of that kind (``facts``)."""
    if not confirm["done"] or confirm["turn"] is None or ctx.handoff_turn is None:
        return []
    facts = (ctx.results.get("facts") or {}).get("slots") or {}
    slot_of = {"money": "how_much", "date": "when", "count": "how_many"}
    i = confirm["turn"]
    text = ctx.turns[i].text
    ref = ctx.transcript.received_at
    pre = [ctx.turns[k].text for k in ctx.pre_handoff()]
    out = []
    for kind in rules["warnings"].get("contradiction_kinds", ()):
        fvals = [(v, it) for it in facts.get(slot_of[kind]) or []
                 if it.get("turn") is not None and it["turn"] < ctx.handoff_turn
                 and (v := _fact_value(it, kind)) is not None]
        if not fvals:
            continue
        restated = _values(text, kind, ref)
        if kind == "count":
            restated = [r for r in restated if any(fv[1] == r[0][1] for fv, _ in fvals)]
        if not restated or any(fv in {v for v, _, _ in restated} for fv, _ in fvals):
            continue  # nothing restated, or the customer's value restated correctly
        said = _said(pre, kind, ref)
        for v, s, e in restated:
            if v in said or (kind == "date" and ("day", v[1]) in said):
                continue
            fv, it = fvals[0]
            out.append({"id": "supervisor.confirm_contradicts_facts",
                        "message": f"the supervisor restated {text[s:e]} but before the handoff the customer said "
                                   f"{it['text']} ({slot_of[kind]})",
                        "evidence": [_span_ev(i, text, s, e, f"warning.contradiction.{kind}"),
                                     {"turn": it["turn"], "start": it["start"], "end": it["end"], "text": it["text"],
                                      "rule": it.get("rule") or f"facts.{slot_of[kind]}", "score": 1.0}]})
    return out


def _warnings(ctx, rules, sup, views, confirm, uncushioned, ho) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    complaints = [evidence(h, j) for j in range(ho, len(ctx.turns)) if ctx.turns[j].speaker == "customer"
                  and j in views for h in views[j].get("supervisor:REPEAT_COMPLAINT")]
    if uncushioned:
        out.append({"id": "supervisor.repeat_without_cushion",
                    "message": "the customer was asked to explain again with no cushion (心編: 同じことをお伺いするのは"
                               "心苦しいのですが、改めて…)", "evidence": uncushioned[:2] + complaints[:1]})
    acknowledged = any(views[i].get("supervisor:RESTATE", "supervisor:HANDOVER_SOURCE") for i in sup) or confirm["done"]
    if not acknowledged:
        out.append({"id": "supervisor.no_acknowledgement",
                    "message": "the supervisor never restated what the first agent had already heard or done "
                               "(「きちんと引き継いでいますよ」)", "evidence": complaints[:2]})
    out.extend(_contradictions(ctx, rules, confirm))
    return out


# ------------------------------------------------------------------------------------------------


def score_supervisor(ctx: CallContext) -> dict[str, Any] | None:
    """Score the supervisor's takeover; None when nobody took over (see the module docstring)."""
    ho = ctx.handoff_turn
    if ho is None:
        return None
    rules = step_rules(ctx.config)
    turns = ctx.turns
    sup = [i for i in range(ho, len(turns)) if turns[i].speaker == "supervisor"]
    views = build_views(ctx, [i for i in range(len(turns)) if i >= ho or turns[i].speaker == "agent"])
    opening = sup[: rules["opening_turns"]]
    agent_names = _agent_names(ctx)

    steps: dict[str, dict[str, Any]] = {}
    steps["introduce"], name = _introduce(ctx, rules, opening, views)
    steps["apologize_wait"] = _apologize_wait(rules, opening, views)
    steps["apologize_first_response"] = _apologize_first_response(rules, sup, views, agent_names)
    steps["confirm_situation"], uncushioned = _confirm_situation(ctx, rules, sup, views)
    steps["listen"] = _listen(ctx, rules, ho, views)
    steps["propose_solution"] = _propose_solution(rules, sup, views)
    steps["apologize_delay_empathy"] = _apologize_delay_empathy(rules, sup, views)
    if not sup:
        for s in STEP_IDS:
            steps[s] = _step(False, None, [], "no supervisor turn")

    # order: the article's ranks must not go down along the call
    positions = []
    for s in STEP_IDS:
        st = steps[s]
        rank = rules["by_id"][s].get("rank")
        if not st["done"] or rank is None or st["turn"] is None:
            continue
        turn = st.pop("_last_turn", st["turn"]) if s == "apologize_delay_empathy" else st["turn"]
        ev = [e for e in st["evidence"] if e.get("turn") == turn and e.get("start") is not None]
        positions.append(((turn, ev[0]["start"] if ev else 0), rank, s))
    for st in steps.values():
        st.pop("_last_turn", None)
    positions.sort()
    order = [s for _, _, s in positions]
    ranks = [r for _, r, _ in positions]
    order_ok = all(a <= b for a, b in zip(ranks, ranks[1:]))
    score = sum(rules["by_id"][s]["weight"] for s in STEP_IDS if steps[s]["done"])
    oc = rules["order"]
    if len(order) >= oc["min_steps"]:
        score += oc["bonus"] if order_ok else -oc["penalty"]
    score = max(0, min(100, round(score)))

    return {
        "handoff_turn": ho,
        "handoff_rule": ctx.handoff_rule,
        "name": name or next((turns[i].name for i in sup if turns[i].name), None),
        "steps": steps,
        "order_ok": order_ok,
        "order": order,
        "score": score,
        "warnings": _warnings(ctx, rules, sup, views, steps["confirm_situation"], uncushioned, ho),
        "phrasing": audit_phrasing(ctx, views, rules=rules),
    }
