"""6W3H facts: who, whom, where, when, what, how, how_much, how_many, why, as spans of the call's own words.

``extract_facts(ctx)`` reads the customer's turns and the first agent's turns before the handoff (what the
supervisor must know when taking over; the seed article's 「6W3Hで状況を整理する」) and returns::

    {"slots": {"who": [item, ...], ..., "why": []},
     "missing_slots": ["why", ...]}

with items ``{"text", "turn", "start", "end", "normalized", "rule"}``, best first, at most ``max_items`` per
slot. ``start``/``end`` are character offsets into the *original* text of turn ``turn``, so
``ctx.turns[turn].text[start:end] == text``. A slot is left empty rather than guessed; ``missing_slots``
is what a supervisor must still ask.

The rules are data: ``resources/rules/w6h3.yaml`` (regular expressions over normalised text, vocabulary
lists, scores, each with an example that must match). The code adds what a regex cannot see: person names
(UniDic proper-noun runs addressed with 様 or introduced with です/と申します), cause clauses ending in
ので/から (only when から is a UniDic conjunctive particle), clause boundaries for ``what`` and the
promise filter for agent sentences.

Pure helpers ``normalize_money``, ``normalize_count``, ``resolve_when`` and ``parse_number`` turn
Japanese amounts, counts and temporal expressions (kanji numerals included) into values.

Notes
-----
- Slots follow the seed article's 6W3H table (shared/seeds/000_b54099cb27bdd303.txt) and LABELING.md
  ("Slots are short spans of the call's own words; null when the call never says it").
- Names: UniDic tags person and place names alike as 名詞-固有名詞; a run followed by の/で/に is taken as a
  place, one followed by です/と申します/様 as a person (after textacy's rule of bailing out when unsure).
"""
from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any, Iterator, NamedTuple

from ..errors import ResourceError
from ..resources_io import load_yaml, resource_path
from ..textnorm import NormText

RULES_FILE = "rules/w6h3.yaml"

WHO, WHOM, WHERE, WHEN, WHAT, HOW, HOW_MUCH, HOW_MANY, WHY = (
    "who", "whom", "where", "when", "what", "how", "how_much", "how_many", "why")
SLOTS = (WHO, WHOM, WHERE, WHEN, WHAT, HOW, HOW_MUCH, HOW_MANY, WHY)
SPEAKERS = ("customer", "agent")
NORMALIZERS = ("money", "count", "when", "ratio")


class Fact(NamedTuple):
    """One candidate for a slot (textacy-style typed record); offsets are into the original turn text."""

    slot: str
    text: str
    turn: int
    start: int
    end: int
    normalized: Any
    rule: str
    score: float

    def to_item(self) -> dict[str, Any]:
        return {"text": self.text, "turn": self.turn, "start": self.start, "end": self.end,
                "normalized": self.normalized, "rule": self.rule}


# ----------------------------------------------------------------------------------------------------------
# numbers

_KANJI_DIGITS = {"〇": 0, "零": 0, "一": 1, "壱": 1, "二": 2, "弐": 2, "三": 3, "参": 3, "四": 4, "五": 5,
                 "六": 6, "七": 7, "八": 8, "九": 9}
_SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "千": 1000, "阡": 1000}
_LARGE_UNITS = {"万": 10 ** 4, "萬": 10 ** 4, "億": 10 ** 8, "兆": 10 ** 12}
_NUM_CHARS = "0-9〇零一二三四五六七八九十百千万億兆"
#: a number in Arabic digits, kanji numerals or both (over NFKC text: full-width digits are ASCII)
NUM_RE = rf"(?:[{_NUM_CHARS}](?:[{_NUM_CHARS}]|[,.](?=[0-9]))*)"


def parse_number(text: str) -> int | float | None:
    """The value of a number written in Arabic digits, kanji numerals or a mix.

    ``"3,980"`` → 3980, ``"一万二千三百"`` → 12300, ``"2万5千"`` → 25000, ``"1.5万"`` → 15000,
    ``"一九八五"`` → 1985 (digit by digit), ``"十一"`` → 11. None when ``text`` holds no number.
    """
    s = unicodedata.normalize("NFKC", text or "").strip().replace(",", "")
    if not s:
        return None
    total = 0.0
    section = 0.0
    digits = ""
    seen = False
    for ch in s:
        if ch.isdigit() and ch.isascii():
            digits += ch
            seen = True
        elif ch == "." and digits and "." not in digits:
            digits += ch
        elif ch in _KANJI_DIGITS:
            digits += str(_KANJI_DIGITS[ch])
            seen = True
        elif ch in _SMALL_UNITS:
            section += (float(digits) if digits else 1.0) * _SMALL_UNITS[ch]
            digits = ""
            seen = True
        elif ch in _LARGE_UNITS:
            if not (digits or section):
                return None
            total += (section + (float(digits) if digits else 0.0)) * _LARGE_UNITS[ch]
            section = 0.0
            digits = ""
        else:
            return None
    if not seen:
        return None
    if digits.endswith("."):
        digits = digits[:-1]
    value = total + section + (float(digits) if digits else 0.0)
    return int(value) if value == int(value) else value


_MONEY_RE = re.compile(rf"({NUM_RE})円")


def normalize_money(text: str) -> int | None:
    """Yen amount as an integer: ``3,980円``/``３，９８０円`` → 3980, ``一万円`` → 10000, ``2万5千円`` → 25000,
    ``1.5万円`` → 15000, ``一万二千三百円`` → 12300. The last amount in ``text`` wins (一日六千円 → 6000)."""
    norm = unicodedata.normalize("NFKC", text or "")
    found = [m.group(1) for m in _MONEY_RE.finditer(norm)]
    if not found:
        return None
    value = parse_number(found[-1])
    if value is None:
        return None
    return int(round(value))


_MANY_RE = re.compile(r"何(度|回|べん|遍|十回|台|件|個)も|何回となく|幾度も|数(回|件|台|個|人|名)")
_ORDINAL_RE = re.compile(rf"第({NUM_RE})([^\s、。]{{1,3}}?)(?:まで)?$")
_COUNT_RE = None  # compiled lazily from the rule file's count units


def _count_re() -> re.Pattern:
    global _COUNT_RE
    if _COUNT_RE is None:
        units = _alternation(_rules().vocab.get("count_units", []))
        _COUNT_RE = re.compile(rf"(?P<approx>約|およそ)?(?P<num>{NUM_RE})(?P<unit>{units})(?P<ord>目)?")
    return _COUNT_RE


def normalize_count(text: str) -> dict[str, Any] | None:
    """A count: ``2回`` → ``{"value": 2, "unit": "回"}``, ``三件`` → ``{"value": 3, "unit": "件"}``,
    ``何度も`` → ``{"value": None, "unit": "回", "approx": "many"}``, ``三回目`` → ``{"value": 3, "unit": "回",
    "ordinal": True}``, ``約300名分`` → ``{"value": 300, "unit": "名", "approx": "about"}``."""
    norm = unicodedata.normalize("NFKC", text or "")
    m = _MANY_RE.search(norm)
    if m:
        unit = m.group(1) or m.group(2) or "回"
        unit = {"度": "回", "べん": "回", "遍": "回", "十回": "回"}.get(unit, unit)
        return {"value": None, "unit": unit, "approx": "several" if norm.startswith("数") or "数" in m.group(0)
                else "many"}
    m = _ORDINAL_RE.search(norm)
    if m:
        v = parse_number(m.group(1))
        if v is not None:
            return {"value": v, "unit": m.group(2), "ordinal": True}
    m = _count_re().search(norm)
    if not m:
        return None
    v = parse_number(m.group("num"))
    if v is None:
        return None
    out: dict[str, Any] = {"value": v, "unit": m.group("unit")}
    if m.group("ord"):
        out["ordinal"] = True
    if m.group("approx") or re.search(r"くらい|ぐらい|ほど|近く", norm):
        out["approx"] = "about"
    elif re.search(r"以上", norm):
        out["approx"] = "at_least"
    return out


def normalize_ratio(text: str) -> dict[str, Any] | None:
    """``7割`` → ``{"ratio": 0.7}``, ``30%`` → ``{"ratio": 0.3}``."""
    norm = unicodedata.normalize("NFKC", text or "")
    m = re.search(rf"({NUM_RE})(割|%|パーセント)", norm)
    if not m:
        return None
    v = parse_number(m.group(1))
    if v is None:
        return None
    return {"ratio": round(v / 10 if m.group(2) == "割" else v / 100, 4)}


# ----------------------------------------------------------------------------------------------------------
# when

_WEEKDAYS = {"月": 0, "火": 1, "水": 2, "木": 3, "金": 4, "土": 5, "日": 6}
_WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_WORDS = {"一昨日": -2, "おととい": -2, "昨日": -1, "きのう": -1, "昨夜": -1, "昨晩": -1, "今日": 0, "本日": 0,
              "きょう": 0, "今朝": 0, "今夜": 0, "今晩": 0, "明日": 1, "あした": 1, "あす": 1, "明後日": 2,
              "あさって": 2}
_DAY_WORD_PART = {"今朝": "morning", "昨夜": "night", "昨晩": "night", "今夜": "night", "今晩": "night"}
_WEEK_WORDS = {"先々週": -2, "先週": -1, "今週": 0, "来週": 1, "再来週": 2}
_MONTH_WORDS = {"先々月": -2, "先月": -1, "今月": 0, "来月": 1}
_YEAR_WORDS = {"去年": -1, "昨年": -1, "今年": 0, "来年": 1}
_PARTS = {"午前中": "morning", "午前": "morning", "朝": "morning", "昼": "noon", "午後": "afternoon",
          "夕方": "evening", "夜": "night", "深夜": "night"}
_N = NUM_RE
_DUR_UNITS = (("日間", "D"), ("週間", "W"), ("か月", "M"), ("ヶ月", "M"), ("カ月", "M"), ("ヵ月", "M"), ("箇月", "M"),
              ("ケ月", "M"), ("年間", "Y"), ("時間", "H"), ("日", "D"), ("週", "W"), ("年", "Y"), ("分", "MIN"))
_DUR_RE = re.compile(rf"({_N})(日間|週間|か月|ヶ月|カ月|ヵ月|箇月|ケ月|年間|時間|日|週|年|分)(半)?(間)?"
                     r"(以上|以内|近く|ほど|くらい|ぐらい)?(経って|経った|たって|たった|経ち|も|連続|間)?")
_OFFSET_RE = re.compile(rf"({_N})(日|週間|週|か月|ヶ月|カ月|ヵ月|箇月|ケ月|年)(前|後)")
_DATE_RE = re.compile(rf"(?:({_N})年)?({_N})月の?({_N})日")
_DAY_ONLY_RE = re.compile(rf"(?<!月)(?<!月の)({_N})日(?!間)")
_MONTH_ONLY_RE = re.compile(rf"(?<![{_NUM_CHARS}])({_N})月(?!曜)")
_TIME_RE = re.compile(rf"(午前|午後|朝|夜|夕方)?の?({_N})時(?!間)(半|({_N})分)?(過ぎ|すぎ|ごろ|頃)?")
_WEEK_RE = re.compile(r"(先々週|先週|今週|来週|再来週)(?:の?([月火水木金土日])曜)?")
_WEEKDAY_RE = re.compile(r"([月火水木金土日])曜")
_DAYWORD_RE = re.compile("|".join(sorted(_DAY_WORDS, key=len, reverse=True)))
_MONTHWORD_RE = re.compile("|".join(sorted(list(_MONTH_WORDS) + list(_YEAR_WORDS), key=len, reverse=True)))
_PART_RE = re.compile("|".join(sorted(_PARTS, key=len, reverse=True)))


def _iso_duration(n: float, unit: str, half: bool = False) -> str:
    if half:
        n = n + 0.5
    if unit == "MIN":
        return f"PT{_fmt(n)}M"
    if unit == "H":
        if n != int(n):
            return f"PT{int(n)}H{int(round((n - int(n)) * 60))}M"
        return f"PT{int(n)}H"
    return f"P{_fmt(n)}{unit}"


def _fmt(n: float) -> str:
    return str(int(n)) if n == int(n) else str(n)


def _add_months(d: date, months: int) -> date:
    m = d.month - 1 + months
    y = d.year + m // 12
    m = m % 12 + 1
    return date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def _nearest_year(month: int, day: int, ref: date) -> date | None:
    best = None
    for y in (ref.year - 1, ref.year, ref.year + 1):
        try:
            cand = date(y, month, day)
        except ValueError:
            continue
        # a date up to ~2 months ahead is taken as future, anything else as the past year
        if best is None or abs((cand - ref).days) < abs((best - ref).days):
            best = cand
    return best


def _nearest_month(day: int, ref: date) -> date | None:
    best = None
    for k in (-1, 0, 1):
        first = _add_months(ref.replace(day=1), k)
        try:
            cand = first.replace(day=day)
        except ValueError:
            continue
        if best is None or abs((cand - ref).days) < abs((best - ref).days):
            best = cand
    return best


def _time_of(m: re.Match) -> tuple[int, int, bool] | None:
    h = parse_number(m.group(2))
    if h is None or h != int(h) or h > 29:
        return None
    h = int(h)
    minute = 30 if m.group(3) == "半" else 0
    if m.group(4):
        mm = parse_number(m.group(4))
        if mm is None or mm != int(mm) or mm >= 60:
            return None
        minute = int(mm)
    part = m.group(1)
    if part in ("午後", "夜", "夕方") and h < 12:
        h += 12
    return h, minute, bool(m.group(5))


def resolve_when(text: str, ref: datetime | None = None) -> dict[str, Any] | None:
    """Resolve a Japanese temporal expression against the call's ``received_at``.

    Returns one of ``{"date": "2026-11-17"}``, ``{"datetime": "2026-11-18T15:00:00+09:00"}``,
    ``{"duration": "P3D"}``, ``{"month": "2026-10"}``, ``{"week": "2026-W48"}``, ``{"year": "2025"}``, or,
    when ``ref`` is None and the expression is relative, ``{"relative": "-1d"}`` (``"-1w"`` with
    ``"weekday": "fri"``, ``"time": "15:00"``...). ``"part"`` (morning/afternoon/evening/night) and
    ``"approx": True`` (ごろ, 過ぎ) are added when said. None when nothing temporal is found.

    Examples
    --------
    >>> ref = datetime.fromisoformat("2026-11-18T14:05:00+09:00")
    >>> resolve_when("昨日", ref)
    {'date': '2026-11-17'}
    >>> resolve_when("先週の金曜", ref)
    {'date': '2026-11-13'}
    >>> resolve_when("3日経っても", ref)
    {'duration': 'P3D'}
    >>> resolve_when("午後三時", ref)
    {'datetime': '2026-11-18T15:00:00+09:00'}
    """
    try:
        return _resolve_when(unicodedata.normalize("NFKC", text or ""), ref)
    except (ValueError, OverflowError):  # out-of-range dates (9999年, 100000日前): nothing to resolve
        return None


def _resolve_when(s: str, ref: datetime | None) -> dict[str, Any] | None:
    if not s:
        return None
    refd = ref.date() if ref is not None else None
    extra: dict[str, Any] = {}

    m = _OFFSET_RE.search(s)
    if m:
        n = parse_number(m.group(1))
        if n is None:
            return None
        unit = m.group(2)
        sign = -1 if m.group(3) == "前" else 1
        code = "d" if unit == "日" else "w" if unit.startswith("週") else "y" if unit == "年" else "m"
        if refd is None:
            return {"relative": f"{'-' if sign < 0 else '+'}{_fmt(n)}{code}"}
        n = int(n)
        if code == "d":
            return {"date": (refd + timedelta(days=sign * n)).isoformat()}
        if code == "w":
            return {"date": (refd + timedelta(weeks=sign * n)).isoformat()}
        return {"date": _add_months(refd, sign * n * (12 if code == "y" else 1)).isoformat()}

    # durations need a duration unit (日間, 週間, か月, 時間) or a duration cue (経っても, 以上, も)
    for dm in _DUR_RE.finditer(s):
        unit_word, half, kan, cue, cue2 = dm.group(2), dm.group(3), dm.group(4), dm.group(5), dm.group(6)
        is_dur = unit_word in ("日間", "週間", "か月", "ヶ月", "カ月", "ヵ月", "箇月", "ケ月", "年間", "時間", "週") \
            or bool(kan) or bool(cue) or bool(cue2)
        if unit_word in ("日", "年", "分") and not (kan or cue or cue2):
            is_dur = False
        if unit_word == "分" and _TIME_RE.search(s[:dm.end()]) and re.search(r"時", s[:dm.start()]):
            is_dur = False
        if not is_dur:
            continue
        n = parse_number(dm.group(1))
        if n is None:
            continue
        code = dict(_DUR_UNITS)[unit_word]
        out: dict[str, Any] = {"duration": _iso_duration(n, code, bool(half))}
        if cue in ("以上",):
            out["bound"] = "at_least"
        elif cue in ("以内",):
            out["bound"] = "at_most"
        elif cue in ("近く", "ほど", "くらい", "ぐらい"):
            out["approx"] = True
        return out

    base: date | None = None
    rel: str | None = None
    weekday: int | None = None

    mo = _DATE_RE.search(s)
    if mo:
        y = parse_number(mo.group(1)) if mo.group(1) else None
        mth, d = parse_number(mo.group(2)), parse_number(mo.group(3))
        if mth is None or d is None or not (1 <= mth <= 12 and 1 <= d <= 31):
            return None
        mth, d = int(mth), int(d)
        try:
            if y is not None:
                base = date(int(y), mth, d)
            elif refd is not None:
                base = _nearest_year(mth, d, refd)
            else:
                extra_out = {"month_day": f"--{mth:02d}-{d:02d}"}
                return _with_time(extra_out, s, None)
        except ValueError:
            return None
    if base is None:
        dw = _DAYWORD_RE.search(s)
        if dw:
            off = _DAY_WORDS[dw.group(0)]
            if dw.group(0) in _DAY_WORD_PART:
                extra["part"] = _DAY_WORD_PART[dw.group(0)]
            if refd is None:
                rel = f"{'+' if off >= 0 else '-'}{abs(off)}d"
            else:
                base = refd + timedelta(days=off)
    if base is None and rel is None:
        wk = _WEEK_RE.search(s)
        if wk:
            off = _WEEK_WORDS[wk.group(1)]
            if wk.group(2):
                weekday = _WEEKDAYS[wk.group(2)]
                if refd is None:
                    return _with_time({"relative": f"{'+' if off >= 0 else '-'}{abs(off)}w",
                                       "weekday": _WEEKDAY_NAMES[weekday]}, s, None)
                monday = refd - timedelta(days=refd.weekday()) + timedelta(weeks=off)
                base = monday + timedelta(days=weekday)
            else:
                if refd is None:
                    return {"relative": f"{'+' if off >= 0 else '-'}{abs(off)}w"}
                y, w, _ = (refd + timedelta(weeks=off)).isocalendar()
                return {"week": f"{y}-W{w:02d}"}
    if base is None and rel is None:
        mw = _MONTHWORD_RE.search(s)
        if mw:
            word = mw.group(0)
            rest = s[mw.end():]
            if word in _MONTH_WORDS:
                off = _MONTH_WORDS[word]
                if refd is None:
                    return {"relative": f"{'+' if off >= 0 else '-'}{abs(off)}m"}
                first = _add_months(refd.replace(day=1), off)
                dd = re.match(rf"の?({_N})日", rest)
                if dd and parse_number(dd.group(1)):
                    try:
                        base = first.replace(day=int(parse_number(dd.group(1))))
                    except ValueError:
                        return {"month": first.strftime("%Y-%m")}
                else:
                    return {"month": first.strftime("%Y-%m")}
            else:
                off = _YEAR_WORDS[word]
                if refd is None:
                    return {"relative": f"{'+' if off >= 0 else '-'}{abs(off)}y"}
                return {"year": str(refd.year + off)}
    if base is None and rel is None:
        dm = _DAY_ONLY_RE.search(s)
        if dm and not _TIME_RE.search(s[:dm.start()]):
            d = parse_number(dm.group(1))
            if d is not None and 1 <= d <= 31 and d == int(d):
                if refd is None:
                    return _with_time({"day": int(d)}, s, None)
                base = _nearest_month(int(d), refd)
    if base is None and rel is None:
        mm = _MONTH_ONLY_RE.search(s)
        if mm:
            mth = parse_number(mm.group(1))
            if mth is not None and 1 <= mth <= 12 and mth == int(mth):
                if refd is None:
                    return {"month_of_year": int(mth)}
                cand = _nearest_year(int(mth), 1, refd)
                return {"month": cand.strftime("%Y-%m")} if cand else None
    if base is None and rel is None:
        wd = _WEEKDAY_RE.search(s)
        if wd:
            weekday = _WEEKDAYS[wd.group(1)]
            out = {"weekday": _WEEKDAY_NAMES[weekday]}
            return _with_time(out, s, None)

    pm = _PART_RE.search(s)
    if pm and "part" not in extra:
        extra["part"] = _PARTS[pm.group(0)]

    if base is None and rel is None:
        # a bare clock time: on the call's day
        tm = _TIME_RE.search(s)
        if not tm or _time_of(tm) is None:
            return None
        if ref is None:
            return _with_time({}, s, None) or None
        base = refd
    if rel is not None:
        out = {"relative": rel, **extra}
        return _with_time(out, s, None)
    return _with_time({"date": base.isoformat(), **extra}, s, ref)


def _with_time(out: dict[str, Any], s: str, ref: datetime | None) -> dict[str, Any]:
    tm = _TIME_RE.search(s)
    t = _time_of(tm) if tm else None
    if t is None:
        return out
    h, minute, approx = t
    if ref is not None and "date" in out:
        d = date.fromisoformat(out.pop("date"))
        if h >= 24:
            d, h = d + timedelta(days=1), h - 24
        dt = datetime(d.year, d.month, d.day, h, minute, tzinfo=ref.tzinfo)
        out = {"datetime": dt.isoformat(), **out}
        out.pop("part", None)
    else:
        out["time"] = f"{h:02d}:{minute:02d}"
    if approx:
        out["approx"] = True
    return out


# ----------------------------------------------------------------------------------------------------------
# the rule file


@dataclass(frozen=True)
class Rule:
    id: str
    slot: str
    regex: re.Pattern
    score: float
    example: str
    speakers: tuple[str, ...]
    normalize: str | None
    expand: str | None
    skip_promise: bool
    boundary: str | None
    trim: str | None


@dataclass(frozen=True)
class Rules:
    rules: tuple[Rule, ...]
    vocab: dict[str, list[str]]
    min_score: dict[str, float]
    max_items: int
    speaker_bonus: dict[str, float]
    promise_re: re.Pattern
    request_re: re.Pattern
    request_slots: frozenset
    greeting_re: re.Pattern
    when_skip_after_agent_re: re.Pattern
    when_max_years_back: int
    names: dict[str, Any]
    name_after_re: re.Pattern
    place_after_re: re.Pattern
    place_locative_re: re.Pattern
    name_request_re: re.Pattern
    role_prefix_re: re.Pattern
    intro_res: tuple[re.Pattern, ...]
    agent_confirm_res: tuple[re.Pattern, ...]
    problem_re: re.Pattern
    cause_trigger_re: re.Pattern
    procedure_re: re.Pattern
    reason: dict[str, Any]
    keep_one: frozenset
    detail_score: float
    weights: dict[str, float]
    question_re: re.Pattern


DEFAULT_WEIGHTS = {"turn_decay": 0.002, "what_customer_turn_decay": 0.04, "problem_sentence_bonus": 0.15,
                   "past_bonus": 0.05, "future_penalty": 0.15, "max_count": 10000.0}


def _alternation(words: list[str]) -> str:
    return "(?:" + "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True)) + ")"


_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def _expand(pattern: str, vocab: dict[str, list[str]], where: str) -> str:
    def sub(m: re.Match) -> str:
        name = m.group(1)
        if name == "num":
            return NUM_RE
        if name not in vocab:
            raise ResourceError(f"[E030] {where}: unknown vocabulary {{{name}}}")
        return _alternation(vocab[name])

    return _PLACEHOLDER.sub(sub, pattern)


def _raw_alternation(parts: list[str]) -> str:
    """Vocabulary entries that are themselves regex fragments (problem predicates)."""
    return "(?:" + "|".join(sorted(set(parts), key=len, reverse=True)) + ")"


def load_rules(data: dict[str, Any] | None = None, *, where: str | None = None) -> Rules:
    """Validate and compile a 6W3H rule table (default: the bundled ``resources/rules/w6h3.yaml``).

    Raises :class:`~escalyzer.errors.ResourceError` (``[E030]``) naming the rule at fault: unknown slot,
    duplicate id, score outside [0, 1], a pattern that does not compile, or an example its pattern misses.
    """
    where = where or str(resource_path(RULES_FILE))
    data = load_yaml(RULES_FILE) if data is None else data
    if not isinstance(data, dict):
        raise ResourceError(f"[E030] {where}: expected a mapping")
    vocab = {k: [str(x) for x in v] for k, v in (data.get("vocab") or {}).items()}
    plain_vocab = {k: v for k, v in vocab.items() if k != "problem_predicates"}
    seen: set[str] = set()
    rules: list[Rule] = []
    for n, r in enumerate(data.get("rules") or []):
        rid = r.get("id") if isinstance(r, dict) else None
        loc = f"{where}: rules[{n}] ({rid})"
        if not isinstance(r, dict):
            raise ResourceError(f"[E030] {loc}: a rule must be a mapping")
        for k in ("id", "slot", "pattern", "score", "example"):
            if k not in r:
                raise ResourceError(f"[E030] {loc}: missing field {k!r}")
        if not re.fullmatch(r"[a-z_]+(\.[a-z0-9_]+)+", rid):
            raise ResourceError(f"[E030] {loc}: id must be dotted lower case")
        if rid in seen:
            raise ResourceError(f"[E030] {loc}: duplicate id")
        seen.add(rid)
        if r["slot"] not in SLOTS:
            raise ResourceError(f"[E030] {loc}: unknown slot {r['slot']!r} (known: {', '.join(SLOTS)})")
        score = r["score"]
        if not isinstance(score, (int, float)) or not 0 <= score <= 1:
            raise ResourceError(f"[E030] {loc}: score {score!r} must be in [0, 1]")
        if r.get("trim") not in (None, "left") or r.get("expand") not in (None, "clause"):
            raise ResourceError(f"[E030] {loc}: trim must be 'left', expand must be 'clause'")
        if r.get("boundary") not in (None, "token"):
            raise ResourceError(f"[E030] {loc}: boundary must be 'token'")
        unknown = set(r) - {"id", "slot", "pattern", "score", "example", "speakers", "normalize", "expand",
                            "skip_promise", "boundary", "trim", "note"}
        if unknown:
            raise ResourceError(f"[E030] {loc}: unknown field(s) {sorted(unknown)}")
        norm = r.get("normalize")
        if norm is not None and norm not in NORMALIZERS:
            raise ResourceError(f"[E030] {loc}: unknown normalize {norm!r}")
        speakers = tuple(r.get("speakers") or SPEAKERS)
        if any(s not in SPEAKERS for s in speakers):
            raise ResourceError(f"[E030] {loc}: speakers must be among {SPEAKERS}")
        pat = r["pattern"]
        if "{problem_predicates}" in pat:
            pat = pat.replace("{problem_predicates}", _raw_alternation(vocab.get("problem_predicates", [])))
        try:
            rx = re.compile(_expand(pat, plain_vocab, loc))
        except re.error as exc:
            raise ResourceError(f"[E030] {loc}: pattern does not compile: {exc}") from None
        if not rx.search(NormText(str(r["example"])).norm):
            raise ResourceError(f"[E030] {loc}: pattern does not match its example {r['example']!r}")
        rules.append(Rule(rid, r["slot"], rx, float(score), str(r["example"]), speakers, norm, r.get("expand"),
                          bool(r.get("skip_promise", False)), r.get("boundary"), r.get("trim")))
    names = dict(data.get("names") or {})
    return Rules(
        rules=tuple(rules), vocab=vocab,
        min_score={s: float((data.get("min_score") or {}).get(s, 0.5)) for s in SLOTS},
        max_items=int(data.get("max_items", 3)),
        speaker_bonus={k: float(v) for k, v in (data.get("speaker_bonus") or {}).items()},
        promise_re=re.compile(data.get("promise_markers") or r"(?!x)x"),
        request_re=re.compile(data.get("request_markers") or r"(?!x)x"),
        request_slots=frozenset(data.get("request_slots") or ()),
        greeting_re=re.compile(data.get("greeting_markers") or r"(?!x)x"),
        when_skip_after_agent_re=re.compile(data.get("when_skip_after_agent") or r"(?!x)x"),
        when_max_years_back=int(data.get("when_max_years_back", 3)),
        names=names,
        name_after_re=re.compile(names.get("name_after", r"^(?:です|と申します)")),
        place_after_re=re.compile(names.get("place_after", r"^(?:の|で|に)")),
        place_locative_re=re.compile(names.get("place_locative", r"(?!x)x")),
        name_request_re=re.compile(names.get("name_request", r"名前")),
        role_prefix_re=re.compile(names.get("role_prefix", r"(?!x)x")),
        intro_res=tuple(re.compile(p) for p in names.get("intro_patterns", [])),
        agent_confirm_res=tuple(re.compile(p) for p in names.get("agent_confirm_patterns", [])),
        problem_re=re.compile(_raw_alternation(vocab.get("problem_predicates", ["(?!x)x"]))),
        cause_trigger_re=re.compile(_raw_alternation(vocab.get("cause_clause_triggers", ["(?!x)x"]))),
        procedure_re=re.compile(_alternation(vocab.get("procedure_words", ["(?!x)x"]))),
        reason=dict(data.get("reason_clause") or {}),
        keep_one=frozenset(vocab.get("count_units_keep_one", [])),
        detail_score=float(data.get("detail_score", 0.5)),
        weights={**DEFAULT_WEIGHTS, **{k: float(v) for k, v in (data.get("weights") or {}).items()}},
        question_re=re.compile(data.get("question_starts") or r"(?!x)x"),
    )


@lru_cache(maxsize=1)
def _rules() -> Rules:
    return load_rules()


# ----------------------------------------------------------------------------------------------------------
# per-turn view


class _Tok(NamedTuple):
    """The token attributes the rules read, copied once out of the spaCy Doc (iterating a Doc is slow)."""

    i: int
    idx: int
    text: str
    tag_: str
    lemma_: str


class _Turn:
    """What the rules need of one turn: normalised text, sentences, tokens, promise sentences."""

    __slots__ = ("i", "speaker", "text", "nt", "doc", "sents", "tok_at", "promise", "request", "skip")

    def __init__(self, i: int, speaker: str, text: str, nt: NormText, doc, rules: Rules):
        self.i, self.speaker, self.text, self.nt = i, speaker, text, nt
        self.doc: list[_Tok] | None = None
        self.sents: list[tuple[int, int]] = []
        self.tok_at: list[int] = [-1] * (len(text) + 1)
        if doc is not None and doc.text == text:
            self.doc = [_Tok(t.i, t.idx, t.text, t.tag_, t.lemma_) for t in doc]
            if len(doc):
                try:
                    self.sents = [(s.start_char, s.end_char) for s in doc.sents]
                except ValueError:  # no sentence boundaries set
                    self.sents = []
            for t in self.doc:
                for c in range(t.idx, t.idx + len(t.text)):
                    self.tok_at[c] = t.i
        if not self.sents:
            self.sents = [(0, len(text))]
        self.promise = [speaker == "agent" and bool(rules.promise_re.search(
            unicodedata.normalize("NFKC", text[a:b]))) for a, b in self.sents]
        self.request = [speaker == "agent" and bool(rules.request_re.search(
            unicodedata.normalize("NFKC", text[a:b]))) for a, b in self.sents]
        self.skip = False

    def sent_of(self, pos: int) -> int:
        for k, (a, b) in enumerate(self.sents):
            if a <= pos < b:
                return k
        return len(self.sents) - 1

    def token(self, pos: int):
        if self.doc is None or pos < 0 or pos >= len(self.tok_at) or self.tok_at[pos] < 0:
            return None
        return self.doc[self.tok_at[pos]]


def _turns(ctx) -> list[_Turn]:
    rules = _rules()
    out: list[_Turn] = []
    seen_agent = False
    for i in ctx.pre_handoff():
        turn = ctx.transcript.turns[i]
        if turn.speaker not in SPEAKERS:
            continue
        doc = ctx.docs[i] if i < len(ctx.docs) else None
        nt = ctx.norms[i] if i < len(ctx.norms) else NormText(turn.text)
        t = _Turn(i, turn.speaker, turn.text, nt, doc, rules)
        if turn.speaker == "agent" and not seen_agent:
            t.skip = bool(rules.greeting_re.search(nt.norm))
        if turn.speaker == "agent":
            seen_agent = True
        out.append(t)
    return out


# ----------------------------------------------------------------------------------------------------------
# candidate generation

_FILLER_RE = re.compile(r"^(?:(?:あ|え|あの|あのー|あのね|あのさ|えーと|えっと|えー|えと|もしもし|すみません|すいません|"
                        r"ちょっと|で|それで|実は|いや|うん|はい|そうです|そうそう|ほんで|ほな|だから|でも|あんな|あのな)"
                        r"(?:[、,\s…!！?？]+|(?=もしもし|すみません|すいません))|[、,\s…]+)+")
_CLAUSE_BREAK = re.compile(r"[、,]|けど|けれど|ので|から|て(?=[^ぁ-ん])")


def _clause(t: _Turn, s: int, e: int, max_len: int = 40, min_lead: int = 4) -> tuple[int, int]:
    """The clause around a problem predicate at original ``[s, e)``.

    Right: to the end of the predicate's token and its auxiliaries (ない, た, て...). Left: back to the last
    clause break (、, けど, ので, から) before the predicate that leaves at least ``min_lead`` characters of
    its own (荷物届いてなくて goes back one more clause: 配達完了ってなってるんですけど荷物届いてなくて), never past
    the sentence start nor more than ``max_len`` characters; fillers (あの、もしもし) are dropped.
    """
    text = t.text
    k = t.sent_of(s)
    ss, se = t.sents[k]
    tok = t.token(max(s, e - 1))
    if tok is not None:
        e = max(e, tok.idx + len(tok.text))
        doc = t.doc
        j = tok.i + 1
        while j < len(doc) and doc[j].idx + len(doc[j].text) <= se:
            tg, tx = doc[j].tag_, doc[j].text
            if text[e - 1] == "っ" or tg.startswith(("助動詞", "動詞-非自立", "形容詞-非自立", "接尾辞")):
                e = doc[j].idx + len(tx)
                j += 1
                continue
            if tg.startswith("助詞-接続助詞") and tx in ("て", "で"):
                e = doc[j].idx + len(tx)
            break
    e = min(e, se)
    breaks = [ss] + [ss + m.end() for m in _CLAUSE_BREAK.finditer(text[ss:s])]
    a = ss
    for b in reversed(breaks):
        lead = text[b:s]
        f = _FILLER_RE.match(lead)
        if len(lead) - (f.end() if f else 0) >= min_lead:
            a = b
            break
    if e - a > max_len:
        lo = e - max_len
        later = [b for b in breaks if lo <= b < s]
        a = later[0] if later else lo
    m = _FILLER_RE.match(text[a:s])
    if m and m.end() > 0:
        a += m.end()
    while e > a and text[e - 1] in "、。,.!！?？… 　":
        e -= 1
    return a, e


_LEFT_BREAK_CONJ = {"けど", "けれど", "けれども", "が", "し", "ので", "から", "のに"}


def _trim_left(t: _Turn, s: int, e: int, keep: int = 4) -> int:
    """Move ``s`` past the last clause break (conjunctive けど/が/から, final よ/ね, punctuation) inside
    ``[s, e - keep)``, onto a token start; fillers at the new start are dropped."""
    if t.doc is None:
        return s
    tok = t.token(s)
    if tok is not None and tok.idx < s:
        s = tok.idx + len(tok.text)
    new = s
    for tk in t.doc:
        a = tk.idx
        if a < s or a + len(tk.text) > e - keep:
            continue
        tg = tk.tag_
        if tg.startswith("補助記号") or tg.startswith("助詞-終助詞") or tg.startswith("感動詞") \
                or (tg.startswith("助詞-接続助詞") and tk.text in _LEFT_BREAK_CONJ):
            new = a + len(tk.text)
    m = _FILLER_RE.match(t.text[new:e])
    if m and m.end() > 0 and new + m.end() < e:
        new += m.end()
    return new


def _normalize(kind: str | None, text: str, ref: datetime | None) -> Any:
    if kind == "money":
        return normalize_money(text)
    if kind == "count":
        return normalize_count(text)
    if kind == "when":
        return resolve_when(text, ref)
    if kind == "ratio":
        return normalize_ratio(text)
    return None


def _regex_facts(turns: list[_Turn], rules: Rules, ref: datetime | None) -> Iterator[Fact]:
    w = rules.weights
    cust_seen = 0
    problem_sent: dict[tuple[int, int], bool] = {}
    skip_when_turn = set()
    for idx, t in enumerate(turns):
        if t.speaker == "agent" and rules.when_skip_after_agent_re.search(t.nt.norm):
            nxt = next((u for u in turns[idx + 1:] if u.speaker == "customer"), None)
            if nxt is not None:
                skip_when_turn.add(nxt.i)
    for t in turns:
        if t.skip:
            continue
        if t.speaker == "customer":
            cust_seen += 1
        for r in rules.rules:
            if t.speaker not in r.speakers:
                continue
            if r.slot == WHEN and t.i in skip_when_turn:
                continue
            for m in r.regex.finditer(t.nt.norm):
                gs, ge = (m.start("v"), m.end("v")) if "v" in r.regex.groupindex and m.group("v") is not None \
                    else (m.start(), m.end())
                if ge <= gs:
                    continue
                s, e = t.nt.span(gs, ge)
                if r.boundary == "token":
                    tok = t.token(s)
                    if tok is not None and tok.idx != s:
                        continue
                k = t.sent_of(s)
                if r.skip_promise and t.promise[k]:
                    continue
                if r.slot in rules.request_slots and t.request[k]:
                    continue
                if r.expand == "clause":
                    s, e = _clause(t, s, e)
                    if rules.question_re.match(NormText(t.text[s:e]).norm):
                        continue
                if r.trim == "left":
                    s = _trim_left(t, s, e)
                if e <= s:
                    continue
                text = t.text[s:e]
                normalized = _normalize(r.normalize, text, ref)
                if r.normalize in ("money", "count", "ratio") and normalized is None:
                    continue
                if r.normalize == "when" and normalized is None:
                    continue
                score = r.score + rules.speaker_bonus.get(t.speaker, 0.0)
                if r.slot == HOW_MANY and isinstance(normalized, dict):
                    v = normalized.get("value")
                    if v is not None and v <= 1 and normalized.get("unit") not in rules.keep_one \
                            and not normalized.get("ordinal"):
                        continue
                    if v is not None and v > w["max_count"]:
                        continue
                if r.slot == WHEN:
                    adj = _when_adjust(normalized, ref, rules)
                    if adj is None:
                        continue
                    score += adj
                    if (t.i, k) not in problem_sent:
                        problem_sent[(t.i, k)] = _in_problem_sentence(t, k, rules)
                    if problem_sent[(t.i, k)]:
                        score += w["problem_sentence_bonus"]
                if r.slot == WHAT and t.speaker == "customer":
                    score -= w["what_customer_turn_decay"] * max(0, cust_seen - 1)
                score -= w["turn_decay"] * t.i
                yield Fact(r.slot, text, t.i, s, e, normalized, r.id, round(score, 4))


def _in_problem_sentence(t: _Turn, k: int, rules: Rules) -> bool:
    a, b = t.sents[k]
    return bool(rules.problem_re.search(NormText(t.text[a:b]).norm))


def _when_adjust(normalized: Any, ref: datetime | None, rules: Rules) -> float | None:
    """Score adjustment for a temporal expression: past events rank above promises about the future;
    dates years back (birth dates) are dropped."""
    if not isinstance(normalized, dict):
        return 0.0
    value = normalized.get("date") or normalized.get("datetime")
    if value is None or ref is None:
        return 0.0
    try:
        d = date.fromisoformat(value[:10])
    except ValueError:
        return 0.0
    refd = ref.date()
    if d.year < refd.year - rules.when_max_years_back:
        return None
    if d > refd:
        return -rules.weights["future_penalty"]
    return rules.weights["past_bonus"]


# ---------------------------------------------------------------- who: names (token based)

def _proper_runs(t: _Turn) -> list[tuple[int, int]]:
    """Token index ranges ``[i, j)`` of UniDic proper-noun runs (名詞-固有名詞)."""
    if t.doc is None:
        return []
    runs = []
    i = 0
    doc = t.doc
    while i < len(doc):
        if doc[i].tag_ == "名詞-固有名詞":
            j = i
            while j < len(doc) and doc[j].tag_ == "名詞-固有名詞":
                j += 1
            runs.append((i, j))
            i = j
        else:
            i += 1
    return runs


def _name_facts(turns: list[_Turn], rules: Rules) -> Iterator[Fact]:
    cfg = rules.names
    not_names = set(cfg.get("not_names", []))
    asked_name = False
    for t in turns:
        if t.skip or t.doc is None:
            continue
        doc = t.doc
        if t.speaker == "agent":
            asked_name = bool(rules.name_request_re.search(t.nt.norm))
            seen_spans: list[tuple[int, int]] = []
            for i, j in _proper_runs(t):
                if j < len(doc) and doc[j].text == "様":
                    s = doc[i].idx
                    e = doc[j - 1].idx + len(doc[j - 1].text)
                    name = t.text[s:e]
                    if name in not_names:
                        continue
                    seen_spans.append((s, e))
                    yield Fact(WHO, name, t.i, s, e, {"name": name}, "who.agent_confirm",
                               round(float(cfg.get("agent_confirm_score", 0.9))
                                     - rules.weights["turn_decay"] * t.i, 4))
            for rx in rules.agent_confirm_res:
                for m in rx.finditer(t.nt.norm):
                    s, e = t.nt.span(m.start("n"), m.end("n"))
                    tok = t.token(s)
                    name = t.text[s:e]
                    if e <= s or name in not_names or (tok is not None and tok.idx != s) \
                            or any(a < e and s < b for a, b in seen_spans):
                        continue
                    seen_spans.append((s, e))
                    yield Fact(WHO, name, t.i, s, e, {"name": name}, "who.agent_confirm",
                               round(float(cfg.get("agent_confirm_fallback_score", 0.85))
                                     - rules.weights["turn_decay"] * t.i, 4))
            continue
        surnames: list[str] = []
        emitted: list[tuple[int, int]] = []
        for i, j in _proper_runs(t):
            s = doc[i].idx
            e = doc[j - 1].idx + len(doc[j - 1].text)
            after = NormText(t.text[e:e + 8]).norm
            if rules.place_after_re.match(after):
                if rules.place_locative_re.match(after):
                    yield Fact(WHERE, t.text[s:e], t.i, s, e, None, "where.proper_place",
                               round(float(cfg.get("place_score", 0.5)) - rules.weights["turn_decay"] * t.i, 4))
                continue
            if after.startswith(("さん", "様", "君", "ちゃん")):
                continue  # the customer naming someone else (the agent, a family member)
            name = t.text[s:e]
            # 中島です。中島あかり: a repeated surname followed by a given name UniDic did not tag as proper
            if name in surnames and j < len(doc):
                k = j
                while k < len(doc) and doc[k].tag_.startswith("名詞") \
                        and len(t.text[e:doc[k].idx + len(doc[k].text)]) <= 4:
                    e = doc[k].idx + len(doc[k].text)
                    k += 1
                name = t.text[s:e]
                after = NormText(t.text[e:e + 8]).norm
            surnames.append(t.text[doc[i].idx:doc[i].idx + len(doc[i].text)])
            intro = bool(rules.name_after_re.match(after))
            if not (intro or asked_name):
                continue
            score = float(cfg.get("self_intro_score", 0.85) if intro else cfg.get("reply_score", 0.75))
            if asked_name and intro:
                score += float(cfg.get("asked_bonus", 0.03))
            rule = "who.self_intro" if intro else "who.name_reply"
            emitted.append((s, e))
            score -= rules.weights["turn_decay"] * t.i
            yield _with_role(Fact(WHO, name, t.i, s, e, {"name": name}, rule, round(score, 4)), t, rules)
        for rx in rules.intro_res:
            for m in rx.finditer(t.nt.norm):
                s, e = t.nt.span(m.start("n"), m.end("n"))
                if e <= s or any(a < e and s < b for a, b in emitted):
                    continue
                tok = t.token(s)
                if tok is not None and tok.idx != s:
                    continue
                name = t.text[s:e]
                if name in not_names:
                    continue
                emitted.append((s, e))
                score = float(cfg.get("self_intro_score", 0.85))
                yield _with_role(Fact(WHO, name, t.i, s, e, {"name": name}, "who.self_intro",
                                      round(score - rules.weights["turn_decay"] * t.i, 4)), t, rules)
        asked_name = False


def _with_role(f: Fact, t: _Turn, rules: Rules) -> Fact:
    """Extend a customer's name leftwards over the organisation/role/address said before it."""
    s = f.start
    left = t.text[max(0, s - 40):s]
    nl = NormText(left)
    pm = rules.role_prefix_re.search(nl.norm)
    if not pm:
        return f
    ps, _ = nl.span(pm.start(), pm.end())
    s2 = max(0, s - 40) + ps
    if s2 >= s:
        return f
    return f._replace(text=t.text[s2:f.end], start=s2, rule=f.rule + "+role")


# ---------------------------------------------------------------- why: ので/から clauses (token based)

_CLAUSE_STOP_TAGS = ("補助記号",)
_CLAUSE_STOP_CONJ = {"けど", "けれど", "けれども", "が", "し", "のに"}


def _reason_facts(turns: list[_Turn], rules: Rules) -> Iterator[Fact]:
    cfg = rules.reason
    max_cturn = int(cfg.get("max_customer_turn", 5))
    c_score = float(cfg.get("customer_score", 0.55))
    a_score = float(cfg.get("agent_score", 0.5))
    purpose = set(cfg.get("purpose_nouns", []))
    state_re = re.compile(cfg.get("agent_state", r"され|ている|ておる|状態|なって"))
    proc_end_re = re.compile(cfg.get("agent_procedure_end", r"(?!x)x"))
    cust_n = 0
    for t in turns:
        if t.skip or t.doc is None:
            continue
        if t.speaker == "customer":
            cust_n += 1
            if cust_n > max_cturn:
                continue
        doc = t.doc
        for j, tok in enumerate(doc):
            marker_start = None
            if tok.text == "から" and tok.tag_ == "助詞-接続助詞":
                marker_start = j
            elif tok.text == "で" and tok.tag_.startswith("助動詞") and j > 0 \
                    and doc[j - 1].tag_ == "助詞-準体助詞" and doc[j - 1].text in ("の", "ん"):
                nxt = doc[j + 1] if j + 1 < len(doc) else None
                if nxt is not None and (nxt.text in ("す", "ござい", "しょ", "ある") or nxt.tag_.startswith("助動詞")):
                    continue
                marker_start = j - 1
            elif tok.lemma_ in ("為", "ため") and tok.tag_.startswith("名詞") and j > 0:
                prev = doc[j - 1]
                if prev.text == "の" and j > 1 and doc[j - 2].text in purpose:
                    continue
                marker_start = j - 1 if prev.text == "の" else j
            if marker_start is None or marker_start == 0:
                continue
            # walk back to the clause start
            k = marker_start - 1
            while k >= 0:
                tg = doc[k].tag_
                if tg.startswith(_CLAUSE_STOP_TAGS) and doc[k].text not in ("・",):
                    break
                if tg.startswith("助詞-接続助詞") and doc[k].text in _CLAUSE_STOP_CONJ:
                    break
                if doc[marker_start].idx - doc[k].idx > 30:
                    break
                k -= 1
            a = doc[k + 1].idx
            b = doc[marker_start].idx
            if b - a < 3:
                continue
            clause = t.text[a:b]
            m = _FILLER_RE.match(clause)
            if m:
                a += m.end()
                clause = t.text[a:b]
            if len(clause) < 3:
                continue
            ncl = NormText(clause).norm
            if t.speaker == "customer":
                if not rules.cause_trigger_re.search(ncl):
                    continue
                score = c_score
            else:
                if rules.procedure_re.search(ncl) or t.promise[t.sent_of(a)] or proc_end_re.search(ncl):
                    continue
                if not (rules.cause_trigger_re.search(ncl) or state_re.search(ncl)):
                    continue
                score = a_score
            score += rules.speaker_bonus.get(t.speaker, 0.0) - rules.weights["turn_decay"] * t.i
            rid = "why.reason_clause" + ("" if t.speaker == "customer" else "_agent")
            yield Fact(WHY, clause, t.i, a, b, None, rid, round(score, 4))


# ----------------------------------------------------------------------------------------------------------
# selection


def iter_facts(ctx) -> Iterator[Fact]:
    """Every candidate fact of the call (unranked, possibly overlapping): the pure generator behind
    :func:`extract_facts`."""
    rules = _rules()
    turns = _turns(ctx)
    ref = ctx.transcript.received_at
    yield from _name_facts(turns, rules)
    yield from _regex_facts(turns, rules, ref)
    yield from _reason_facts(turns, rules)


_WHOM_SUFFIX = re.compile(r"(?:さん|様|の方|の人)$")


def _dedupe_key(f: Fact) -> str:
    if f.slot == WHO and isinstance(f.normalized, dict):
        return "name:" + f.normalized["name"].rstrip("様")
    if f.slot == WHOM:
        return "t:" + _WHOM_SUFFIX.sub("", NormText(f.text).norm)
    if f.slot == WHEN and isinstance(f.normalized, dict):
        v = f.normalized.get("date") or (f.normalized.get("datetime") or "")[:13]
        if v:
            return "d:" + v
    return "t:" + NormText(f.text).norm


def _name(f: Fact) -> str:
    return f.normalized.get("name", "") if isinstance(f.normalized, dict) else f.text


def _better_name(new: Fact, old: Fact) -> bool:
    """Of two mentions of one person, keep the fuller one (山口健二 over 山口; 店主の松岡 over 松岡様)."""
    return (len(_name(new)), len(new.text), new.rule != "who.agent_confirm") > \
        (len(_name(old)), len(old.text), old.rule != "who.agent_confirm")


def select_facts(facts: list[Fact], rules: Rules | None = None) -> dict[str, list[Fact]]:
    """Best-first, de-duplicated, at most ``max_items`` facts per slot, each above its slot's ``min_score``."""
    rules = rules or _rules()
    by_slot: dict[str, list[Fact]] = {s: [] for s in SLOTS}
    keys: dict[int, str] = {}

    def key_of(f: Fact) -> str:
        k = keys.get(id(f))
        if k is None:
            k = keys[id(f)] = _dedupe_key(f)
        return k

    for f in sorted(facts, key=lambda f: (-f.score, f.turn, f.start, -(f.end - f.start))):
        if f.score < rules.min_score[f.slot]:
            continue
        chosen = by_slot[f.slot]
        if f.slot == WHO:
            same = [k for k, c in enumerate(chosen) if _name(c) and _name(f)
                    and (_name(c) in _name(f) or _name(f) in _name(c))]
            if same:
                k = same[0]
                if _better_name(f, chosen[k]):
                    chosen[k] = f
                continue
        if len(chosen) >= rules.max_items:
            continue
        key = key_of(f)
        if any(key_of(c) == key for c in chosen):
            continue
        if any(c.turn == f.turn and c.start < f.end and f.start < c.end for c in chosen):
            continue
        chosen.append(f)
    return by_slot


def _details(facts: list[Fact], what: list[Fact], rules: Rules) -> list[Fact]:
    """``how`` candidates: the customer's problem clauses after the core one (what[0])."""
    if not what:
        return []
    core = what[0]
    out = []
    for f in facts:
        if f.rule != "what.problem" or (f.turn, f.start) <= (core.turn, core.start):
            continue
        if f.turn == core.turn and f.start < core.end:
            continue
        out.append(f._replace(slot=HOW, rule="how.detail",
                              score=round(rules.detail_score - rules.weights["turn_decay"] * f.turn, 4)))
    return out


def extract_facts(ctx) -> dict[str, Any]:
    """The call's 6W3H facts.

    Parameters
    ----------
    ctx: a :class:`~escalyzer.call.context.CallContext` (parsed docs and NormText per turn; the handoff
        already applied). Reads customer and agent turns before the handoff.

    Returns
    -------
    ``{"slots": {slot: [item, ...]}, "missing_slots": [slot, ...]}``; items are
    ``{"text", "turn", "start", "end", "normalized", "rule"}``, best first.
    """
    rules = _rules()
    facts = list(iter_facts(ctx))
    chosen = select_facts(facts, rules)
    if chosen[WHAT]:
        # the customer's later problem clauses tell how it happened; what keeps the core one
        details = _details(facts, chosen[WHAT], rules)
        moved = {(d.turn, d.start) for d in details}
        facts = [f for f in facts if not (f.slot == WHAT and (f.turn, f.start) in moved)] + details
        chosen = select_facts(facts, rules)
    slots = {s: [f.to_item() for f in chosen[s]] for s in SLOTS}
    return {"slots": slots, "missing_slots": [s for s in SLOTS if not slots[s]]}
