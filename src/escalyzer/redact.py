"""PII redaction (``--redact``): phone numbers, e-mail addresses, card and account numbers, order/receipt/
contract ids, postal codes and addresses, birth dates and personal names are masked in every output.

**Offsets stay meaningful.** Every masked span is replaced by a placeholder of *exactly the same length*
(in Python characters): ``［電話］`` padded with ``＊`` (``〇四二、五五五の、一二三四`` → ``［電話］＊＊＊＊＊＊＊＊＊``),
or only ``＊`` when the tag does not fit (``佐藤`` → ``＊＊``). So ``start``/``end`` of every evidence span
still index the same characters of the (redacted) turn text, and
``redacted_turn[start:end] == redacted_evidence_text`` holds exactly as it did before redaction.

The recognizers are data (``resources/rules/pii.yaml``, after presidio's YAML recognizers); this module
matches them on the normalised text (NFKC: full-width digits and ＠ are read too) and maps hits back to
the original offsets. Names are also learned per call: a name found once (「山口健二です」, the 6W3H ``who``
slot, 「山口健二様」) is masked wherever it occurs in the record, its surname and given name too.

Examples
--------
>>> from escalyzer.redact import redact_text
>>> redact_text("電話番号は〇四二、五五五の、一二三四です")[0]
'電話番号は［電話］＊＊＊＊＊＊＊＊＊です'
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .errors import ResourceError
from .resources_io import load_yaml
from .textnorm import NormText

PAD = "＊"
# record keys whose string values are never personal data (ids, timestamps, labels, codes)
SKIP_KEYS = frozenset({"call_id", "received_at", "first_contact_at", "callback_promised_at", "created_at",
                       "update_by", "due", "label", "kind", "slot", "code", "status", "speaker", "handoff_rule",
                       "types", "kinds", "topics", "route_to", "team", "step", "model", "version"})
_META_EVIDENCE = re.compile(r"^[a-z_]+=")
_DIGITS = "0123456789〇零一二三四五六七八九"
_DIGIT_RE = re.compile(r"(?:ゼロ|ぜろ|[0-9〇零一二三四五六七八九])+")
_ISO_DATE = re.compile(r"^\d{4}[-/]\d{1,2}[-/]\d{1,2}$")
_CLAUSE = re.compile(r"[^、。,.!?！？\s]+")
_GIVEN = re.compile(r"(?P<g>[一-龥々〆ヶ]{1,3}|[ァ-ヴー]{1,5}[一-龥]?|[ぁ-ゖ]{2,4})"
                    r"(?=[、。,.!?！？\s]|$|です|でござい|様|さん|さま)")


@dataclass(frozen=True)
class PiiSpan:
    """One masked span: original character offsets, the kind of data, and the rule that found it."""

    start: int
    end: int
    kind: str
    rule: str

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "kind": self.kind, "rule": self.rule}


@dataclass(frozen=True)
class _Rule:
    id: str
    kind: str
    regex: re.Pattern
    validate: str | None
    speakers: tuple[str, ...] | None
    example: str
    counter_example: str | None


@lru_cache(maxsize=1)
def _spec() -> dict[str, Any]:
    spec = load_yaml("rules/pii.yaml")
    frags = spec.get("fragments") or {}

    def expand(p: str) -> str:
        # fragments may use other fragments; {N} / {N,M} quantifiers are left alone
        for _ in range(3):
            p = re.sub(r"\{([a-z_]+)\}", lambda m: frags[m.group(1)] if m.group(1) in frags else m.group(0), p)
        return p

    rules = []
    seen = set()
    for n, r in enumerate(spec["rules"]):
        rid = r.get("id")
        if not rid or rid in seen:
            raise ResourceError(f"[E030] rules/pii.yaml: rule {n}: missing or duplicate id {rid!r}")
        seen.add(rid)
        if r.get("kind") not in spec["tags"]:
            raise ResourceError(f"[E030] rules/pii.yaml: {rid}: unknown kind {r.get('kind')!r}")
        try:
            rx = re.compile(expand(r["pattern"]))
        except re.error as exc:
            raise ResourceError(f"[E030] rules/pii.yaml: {rid}: pattern does not compile: {exc}") from None
        sp = r.get("speakers")
        rules.append(_Rule(rid, r["kind"], rx, r.get("validate"), tuple(sp) if sp else None, r["example"],
                           r.get("counter_example")))
    nn = spec["not_names"]
    return {
        "tags": spec["tags"],
        "rules": rules,
        "name_re": re.compile(expand("{name}")),
        "muni_re": re.compile(expand("{muni}")),
        "replies": {k: re.compile(v) for k, v in (spec.get("replies") or {}).items()},
        "not_name_words": frozenset(nn["words"]),
        "not_name_suffixes": tuple(nn["suffixes"]),
        "name_ok": frozenset(nn.get("names") or ()),
        "particle_tail": re.compile(nn["particle_tail"]),
        "verb_tail": re.compile(nn["verb_tail"]),
        "digit_run": re.compile(expand(r"{d}(?:{sep}{0,2}{d})*")),
        "id_run": re.compile(expand(r"[0-9a-z〇零一二三四五六七八九](?:[\s\-ー・の]{0,2}[0-9a-z〇零一二三四五六七八九])*")),
        "date_re": re.compile(r"(?:(?:昭和|平成|令和|大正)?[0-9〇一二三四五六七八九十元]{1,4}年)?[0-9〇一二三四五六七八九十]{1,2}月"
                              r"[0-9〇一二三四五六七八九十]{1,3}日?|(?:昭和|平成|令和|大正)?[0-9〇一二三四五六七八九十元]{1,4}年"),
    }


def rules() -> list[_Rule]:
    """The loaded recognizers (for tests and ``lexicon check``-style tools)."""
    return list(_spec()["rules"])


def tag_for(kind: str) -> str:
    return _spec()["tags"].get(kind, "")


def mask(text: str, kind: str) -> str:
    """A placeholder of exactly ``len(text)`` characters: ［tag］＊＊… or ＊… when the tag does not fit."""
    n = len(text)
    tag = tag_for(kind)
    head = f"［{tag}］" if tag else ""
    if not head or len(head) > n:
        return PAD * n
    return head + PAD * (n - len(head))


# -- validation -----------------------------------------------------------------------------------

def _count_digits(s: str) -> int:
    return sum(len(g) - g.count("ゼロ") - g.count("ぜろ") for g in _DIGIT_RE.findall(s))


def _phone_end(s: str) -> int | None:
    """End offset (in ``s``) of the groups that make a 10-11 digit number (9-10 after +81), or None."""
    intl = s.startswith("+81")
    lo, hi = (9, 10) if intl else (10, 11)
    total = 0
    body = s[3:] if intl else s
    off = 3 if intl else 0
    for g in _DIGIT_RE.finditer(body):
        total += len(g.group()) - g.group().count("ゼロ") - g.group().count("ぜろ")
        if lo <= total <= hi:
            # take the 11th digit too when it follows in the same group run
            return off + g.end()
        if total > hi:
            return None
    return None


def is_name(cand: str) -> bool:
    """Name shape: 2+ characters, not a common noun, not ending like a counter or an institution."""
    spec = _spec()
    c = cand.strip()
    if len(c) < 2 or c in spec["not_name_words"]:
        return False
    if c.endswith(spec["not_name_suffixes"]) and not c.startswith(tuple(spec["name_ok"])):
        return False
    if all(ch in _DIGITS + "十百千万" for ch in c):
        return False
    if not spec["name_re"].fullmatch(c):
        return False
    m = re.match(r"^([一-龥々〆ヶ]+)([ぁ-ゖ]+)$", c)
    if m:
        if (spec["particle_tail"].match(m.group(2)) or spec["verb_tail"].search(m.group(2))
                or m.group(1) in spec["not_name_words"]):
            return False
    m = re.match(r"^([一-龥々〆ヶ]+)", c)
    if m and m.group(1) in spec["not_name_words"]:
        return False
    return True


def _validate(rule: _Rule, text: str) -> tuple[int, int] | None:
    """(start, end) inside ``text`` to mask, or None to drop the hit."""
    v = rule.validate
    if v is None:
        return 0, len(text)
    if v == "phone":
        end = _phone_end(text)
        return (0, end) if end else None
    if v.startswith("digits_"):
        spec = v[len("digits_"):]
        n = _count_digits(text)
        if "_" in spec:
            lo, hi = (int(x) for x in spec.split("_"))
            return (0, len(text)) if lo <= n <= hi else None
        return (0, len(text)) if n >= int(spec) else None
    if v == "not_date":
        return None if _ISO_DATE.match(text.strip()) else (0, len(text))
    if v == "name":
        return (0, len(text)) if is_name(text) else None
    if v == "address":
        return (0, len(text)) if len(text) >= 4 else None
    raise ResourceError(f"[E030] rules/pii.yaml: {rule.id}: unknown validate {v!r}")


# -- detection ------------------------------------------------------------------------------------

def _merge(spans: list[PiiSpan]) -> list[PiiSpan]:
    """Overlapping hits become one span (the union), named after the longest hit in it."""
    out: list[PiiSpan] = []
    for s in sorted(spans, key=lambda x: (x.start, -(x.end - x.start))):
        if out and s.start < out[-1].end:
            last = out[-1]
            if s.end > last.end:
                out[-1] = PiiSpan(last.start, s.end, last.kind, last.rule)
            continue
        out.append(s)
    return out


def find_pii(text: str, *, speaker: str | None = None, reply_to: str | None = None,
             names: tuple[str, ...] | list[str] = ()) -> list[PiiSpan]:
    """The PII spans of ``text`` (original offsets, merged, sorted).

    Parameters
    ----------
    speaker: ``customer``/``agent``/``supervisor`` or None (unknown: every rule applies).
    reply_to: the previous agent turn; when it asks for a name, number, address or birth date, the
        customer's answer is read for one (「大塚です。大塚萌。」 after 「お名前をお伺いできますか」).
    names: names already known for this call (masked wherever they occur).
    """
    if not text:
        return []
    spec = _spec()
    nt = NormText(text)
    norm = nt.norm
    spans: list[PiiSpan] = []
    for rule in spec["rules"]:
        if rule.speakers and speaker is not None and speaker not in rule.speakers:
            continue
        for m in rule.regex.finditer(norm):
            grp = next((g for g in ("v", "v2") if g in rule.regex.groupindex and m.group(g) is not None), None)
            a, b = (m.start(grp), m.end(grp)) if grp else (m.start(), m.end())
            if b <= a:
                continue
            cut = _validate(rule, norm[a:b])
            if cut is None:
                continue
            a, b = a + cut[0], a + cut[1]
            if b <= a:
                continue
            s, e = nt.span(a, b)
            spans.append(PiiSpan(s, e, rule.kind, rule.id))
    if reply_to and speaker in (None, "customer"):
        spans.extend(_reply_spans(nt, reply_to))
    for name in sorted({n for n in names if n and len(n) >= 2}, key=len, reverse=True):
        start = 0
        while (i := text.find(name, start)) >= 0:
            end = i + len(name)
            # a known surname followed by a given name (大塚 → 大塚萌) is masked whole
            g = _GIVEN.match(text, end)
            if g and is_name(name + g.group("g")):
                end = g.end("g")
            spans.append(PiiSpan(i, end, "name", "pii.name.known"))
            start = end
    return _merge(spans)


def _reply_spans(nt: NormText, question: str) -> list[PiiSpan]:
    spec = _spec()
    asked = {k for k, rx in spec["replies"].items() if rx.search(NormText(question).norm)}
    if not asked:
        return []
    norm = nt.norm
    out: list[PiiSpan] = []
    if "name" in asked:
        for m in _CLAUSE.finditer(norm):
            clause = m.group()
            core = re.sub(r"(?:です|でございます|と申します|といいます|と言います|でした)(?:けど|が)?$", "", clause)
            core = re.sub(r"^(?:あ|あの|あのー|えっと|えー|はい|もしもし)", "", core)
            if core and is_name(core) and spec["name_re"].fullmatch(core):
                a = m.start() + clause.index(core)
                out.append(PiiSpan(*nt.span(a, a + len(core)), "name", "pii.reply.name"))
    if "birth_date" in asked:
        for m in spec["date_re"].finditer(norm):
            out.append(PiiSpan(*nt.span(m.start(), m.end()), "birth_date", "pii.reply.birth_date"))
    if "id" in asked:
        for m in spec["id_run"].finditer(norm):
            if _count_digits(m.group()) >= 3:
                out.append(PiiSpan(*nt.span(m.start(), m.end()), "id", "pii.reply.id"))
    if "phone" in asked:
        for m in spec["digit_run"].finditer(norm):
            if _count_digits(m.group()) >= 6:
                out.append(PiiSpan(*nt.span(m.start(), m.end()), "phone", "pii.reply.phone"))
    if "address" in asked:
        for m in _CLAUSE.finditer(norm):
            mm = spec["muni_re"].search(m.group())
            if mm and len(mm.group()) >= 2 and m.group().startswith(mm.group()[:1]):
                a = m.start() + mm.start()
                out.append(PiiSpan(*nt.span(a, a + len(mm.group())), "address", "pii.reply.address"))
    return out


def apply_spans(text: str, spans: list[PiiSpan]) -> str:
    """``text`` with every span replaced by a same-length placeholder."""
    if not spans:
        return text
    parts = []
    pos = 0
    for s in spans:
        parts.append(text[pos:s.start])
        parts.append(mask(text[s.start:s.end], s.kind))
        pos = s.end
    parts.append(text[pos:])
    out = "".join(parts)
    assert len(out) == len(text)
    return out


def redact_text(text: str, *, speaker: str | None = None, reply_to: str | None = None,
                names: tuple[str, ...] | list[str] = ()) -> tuple[str, list[dict[str, Any]]]:
    """Mask the PII in ``text``; return ``(redacted, spans)``.

    ``redacted`` has the same length as ``text`` (offsets into it stay valid); ``spans`` lists
    ``{"start", "end", "kind", "rule"}`` in original offsets, never the raw text.
    """
    if not isinstance(text, str) or not text:
        return text, []
    spans = find_pii(text, speaker=speaker, reply_to=reply_to, names=names)
    return apply_spans(text, spans), [s.to_dict() for s in spans]


# -- names learned per call -----------------------------------------------------------------------

def name_variants(name: str) -> set[str]:
    """A full name and its parts worth masking on their own (村上由美子 → 村上, 由美子)."""
    name = name.strip()
    out = {name} if len(name) >= 2 else set()
    kanji = re.fullmatch(r"[一-龥々〆ヶ]+", name)
    if kanji and 3 <= len(name) <= 6:
        cut = 3 if len(name) == 6 else 2
        out.add(name[:cut])
        if len(name) - cut >= 2:
            out.add(name[cut:])
        return out
    m = re.match(r"^([一-龥々〆ヶ]{1,3})([ァ-ヴー]{2,5}[一-龥]?|[ぁ-ゖ]{2,4})$", name)
    if m:
        out.update(x for x in (m.group(1), m.group(2)) if len(x) >= 2)
    return out


def _record_names(record: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    facts = record.get("facts") or {}
    for f in (facts.get("who") or []) if isinstance(facts, dict) else []:
        norm = f.get("normalized") if isinstance(f, dict) else None
        if isinstance(norm, dict) and isinstance(norm.get("name"), str) and is_name(norm["name"]):
            names |= name_variants(norm["name"])
    return names


# -- transcripts and records ----------------------------------------------------------------------

def redact_transcript(transcript, *, names: set[str] | None = None):
    """A deep copy of ``transcript`` with every turn text masked (same lengths), and the names found.

    Returns ``(transcript, names)``: the names (and their parts) learned from the call, to mask
    elsewhere (a record, a summary).
    """
    t = copy.deepcopy(transcript)
    names = set(names or ())
    # pass 1: learn names from the whole call (a name read back by the agent masks the customer's too)
    prev_agent = None
    found: list[list[PiiSpan]] = []
    for turn in t.turns:
        spans = find_pii(turn.text, speaker=turn.speaker, reply_to=prev_agent if turn.speaker == "customer" else None)
        found.append(spans)
        for s in spans:
            if s.kind == "name":
                names |= name_variants(turn.text[s.start:s.end])
        if turn.speaker != "customer":
            prev_agent = turn.text
    # pass 2: mask with the names known
    prev_agent = None
    for turn, spans in zip(t.turns, found):
        more = find_pii(turn.text, speaker=turn.speaker, names=tuple(names),
                        reply_to=prev_agent if turn.speaker == "customer" else None)
        original = turn.text
        turn.text = apply_spans(turn.text, _merge(spans + more))
        if turn.speaker != "customer":
            prev_agent = original
    for k in ("metadata",):
        if getattr(t, k, None):
            setattr(t, k, _walk(getattr(t, k), tuple(names), {}))
    return t, names


def _span_items(obj: Any, out: list[dict[str, Any]]) -> None:
    """Every dict that is a span of a turn: int turn, int start/end, str text of that length."""
    if isinstance(obj, dict):
        t, s, e, x = obj.get("turn"), obj.get("start"), obj.get("end"), obj.get("text")
        if (isinstance(t, int) and not isinstance(t, bool) and t >= 0 and isinstance(s, int) and isinstance(e, int)
                and isinstance(x, str) and e - s == len(x) and s >= 0):
            out.append(obj)
        for v in obj.values():
            _span_items(v, out)
    elif isinstance(obj, list):
        for v in obj:
            _span_items(v, out)


def _reconstruct(items: list[dict[str, Any]]) -> dict[int, list[tuple[int, str]]]:
    """Per turn, the contiguous pieces of its text that the record's spans reveal: [(offset, text)]."""
    chars: dict[int, dict[int, str]] = {}
    for it in items:
        m = chars.setdefault(it["turn"], {})
        for k, ch in enumerate(it["text"]):
            m.setdefault(it["start"] + k, ch)
    out: dict[int, list[tuple[int, str]]] = {}
    for turn, m in chars.items():
        pieces = []
        cur_start, cur = None, []
        for pos in sorted(m):
            if cur and pos != cur_start + len(cur):
                pieces.append((cur_start, "".join(cur)))
                cur = []
            if not cur:
                cur_start = pos
            cur.append(m[pos])
        if cur:
            pieces.append((cur_start, "".join(cur)))
        out[turn] = pieces
    return out


def redact_record(record: dict[str, Any], transcript=None) -> dict[str, Any]:
    """A redacted deep copy of a result record: every string field, offsets kept.

    With ``transcript`` (the call the record was made from) the turn texts are redacted whole and every
    span in the record (evidence, facts, sentences, reasons) takes the masked characters at its offsets,
    so a span's text equals ``redacted_turn[start:end]``. Without it the turns are pieced together from
    the record's own spans (customer turns are covered by ``sentences``). A span whose text changed loses
    its ``normalized`` value (a name or number read from the raw text). Ids, timestamps and labels
    (:data:`SKIP_KEYS`) are left alone; rule ids keep their name and lose only their lemma text.
    """
    rec = copy.deepcopy(record)
    names = _record_names(rec)
    items: list[dict[str, Any]] = []
    _span_items(rec, items)
    masked_turns: dict[int, str] = {}
    if transcript is not None:
        red, names = redact_transcript(transcript, names=names)
        masked_turns = {i: turn.text for i, turn in enumerate(red.turns)}
        originals = {i: turn.text for i, turn in enumerate(transcript.turns)}
        speakers = {i: turn.speaker for i, turn in enumerate(transcript.turns)}
    else:
        originals, speakers = {}, {}
    positions: dict[int, dict[int, str]] = {}
    if transcript is None:
        for turn, pieces in _reconstruct(items).items():
            pos = positions.setdefault(turn, {})
            for off, piece in pieces:
                for s in find_pii(piece):
                    if s.kind == "name":
                        names |= name_variants(piece[s.start:s.end])
        for turn, pieces in _reconstruct(items).items():
            pos = positions.setdefault(turn, {})
            for off, piece in pieces:
                masked = apply_spans(piece, find_pii(piece, names=tuple(names)))
                for k, ch in enumerate(masked):
                    pos[off + k] = ch
    spans_done = set()
    for it in items:
        t, s, e = it["turn"], it["start"], it["end"]
        if t in masked_turns and originals.get(t, "")[s:e] == it["text"]:
            new = masked_turns[t][s:e]
        elif t in positions and all(p in positions[t] for p in range(s, e)):
            new = "".join(positions[t][p] for p in range(s, e))
        else:
            new = redact_text(it["text"], speaker=speakers.get(t), names=tuple(names))[0]
        if new != it["text"]:
            it["text"] = new
            if "normalized" in it:
                it["normalized"] = None
        spans_done.add(id(it))
    return _walk(rec, tuple(names), spans_done)


def _walk(obj: Any, names: tuple[str, ...], done: set[int] | dict, key: str | None = None) -> Any:
    if isinstance(obj, dict):
        is_done = id(obj) in done
        out = {}
        for k, v in obj.items():
            if is_done and k == "text":
                out[k] = v
            elif k in SKIP_KEYS:
                out[k] = v
            elif k == "text" and obj.get("turn") is None and isinstance(v, str) and _META_EVIDENCE.match(v):
                out[k] = v  # metadata evidence: "callback_promised_at=2026-..."
            elif k == "rule" and isinstance(v, str):
                head, sep, tail = v.partition(":")
                out[k] = head + sep + redact_text(tail, names=names)[0] if sep else v
            else:
                out[k] = _walk(v, names, done, k)
        return out
    if isinstance(obj, list):
        return [_walk(v, names, done, key) for v in obj]
    if isinstance(obj, str):
        return redact_text(obj, names=names)[0]
    return obj
