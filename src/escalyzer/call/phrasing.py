"""The apology phrasing audit: how the agent and the supervisor apologise, empathise and ask.

``audit_phrasing(ctx)`` reads every agent and supervisor turn and returns a list of findings::

    {"id": "apology.casual.sumimasen", "kind": "apology", "grade": "casual", "severity": "high",
     "speaker": "supervisor", "turn": 13, "message": "...", "better": "お待たせして申し訳ございません。",
     "evidence": [{"turn", "start", "end", "text", "rule", "score"}]}

Kinds of finding (the lexicon is ``resources/lexicons/apology.jsonl``; thresholds are in
``resources/rules/supervisor_steps.yaml``, section ``phrasing``):

- ``apology`` / ``empathy``: each expression graded ``formal`` (申し訳ございません, お詫び申し上げます,
  お気持ちお察しいたします), ``standard`` (申し訳ありません, 失礼いたしました, よくわかります) or ``casual``
  (すみません, ごめんなさい, わかる), with the severity written in the lexicon for a supervisor (one step lower
  for a first-line agent) and a better phrasing taken from the article;
- ``non_apology``: conditional apologies and deflections (ご不快に感じられたのであれば, と言われましても);
- ``blame_shift``: 担当が勝手に, システムのせいで, 業者の責任になります;
- ``premature_liability``: 全面的に弊社の責任です / 全額補償いたします said before the speaker checked the
  facts (no 確認いたしましたところ / と伺っております…お間違いないでしょうか earlier);
- ``repetition``: the same apology by one speaker ``repeat_min`` times or more, bare (no reason attached);
- ``cushion_present`` / ``cushion_missing``: a request to the customer (教えてください, 最初から説明してください,
  お聞かせいただけますでしょうか) with or without a cushion word (恐れ入りますが, お手数ですが, 心苦しいのですが).

This module also holds the helpers the takeover scoring shares (:class:`TurnView`, :func:`step_rules`).

Notes
-----
Grades and better phrasings follow shared/seeds/000_b54099cb27bdd303.txt (動作編 1-6, 心編) and LABELING.md
("a bare すみません ... does not count").
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable

from ..errors import ResourceError
from ..lexicons import Hit, get_lexicon
from ..resources_io import load_yaml, read_yaml_file
from ..sentences import sentence_spans

LEXICONS = ("supervisor", "apology")
SEVERITIES = ("ok", "low", "medium", "high")
RULES_FILE = "rules/supervisor_steps.yaml"
STEP_IDS = ("introduce", "apologize_wait", "apologize_first_response", "confirm_situation", "listen",
            "propose_solution", "apologize_delay_empathy")


# ------------------------------------------------------------------------------------------------
# rules


@lru_cache(maxsize=8)
def _load_rules(path: str | None) -> dict[str, Any]:
    data = read_yaml_file(path) if path else load_yaml(RULES_FILE)
    where = path or RULES_FILE
    if not isinstance(data, dict) or not isinstance(data.get("steps"), list):
        raise ResourceError(f"[E031] {where}: expected a mapping with a 'steps' list")
    ids = [s.get("id") for s in data["steps"]]
    if sorted(ids) != sorted(STEP_IDS):
        raise ResourceError(f"[E031] {where}: steps must be exactly {list(STEP_IDS)}, got {ids}")
    for s in data["steps"]:
        if not isinstance(s.get("weight"), (int, float)) or s["weight"] < 0:
            raise ResourceError(f"[E031] {where}: step {s['id']}: weight must be a number >= 0")
        for role, labels in (s.get("labels") or {}).items():
            for q in labels:
                lex, _, label = q.partition(":")
                if lex not in LEXICONS or not label:
                    raise ResourceError(f"[E031] {where}: step {s['id']}: label {q!r} must be "
                                        "'supervisor:X' or 'apology:X'")
    for key in ("order", "listen", "solution", "phrasing", "warnings"):
        if not isinstance(data.get(key), dict):
            raise ResourceError(f"[E031] {where}: missing section {key!r}")
    data = dict(data)
    data["by_id"] = {s["id"]: s for s in data["steps"]}
    data["_weak"] = re.compile(data["solution"]["weak_actions"])
    return data


def step_rules(config: dict[str, Any] | None = None) -> dict[str, Any]:
    """The takeover rules: ``resources/rules/supervisor_steps.yaml`` or ``config.supervisor.weights_file``."""
    path = ((config or {}).get("supervisor") or {}).get("weights_file")
    return _load_rules(str(path) if path else None)


def labels_of(rules: dict[str, Any], step: str, role: str) -> tuple[str, ...]:
    return tuple((rules["by_id"][step].get("labels") or {}).get(role, ()))


# ------------------------------------------------------------------------------------------------
# one turn, matched once


@dataclass
class TurnView:
    """A turn's text, sentences and lexicon hits (``"lexicon:LABEL" -> [Hit]``, active hits only)."""

    i: int
    speaker: str
    text: str
    sents: list[tuple[int, int]]
    hits: dict[str, list[Hit]] = field(default_factory=dict)

    def get(self, *keys: str) -> list[Hit]:
        out: list[Hit] = []
        for k in keys:
            out.extend(self.hits.get(k, ()))
        out.sort(key=lambda h: (h.start, -(h.end - h.start)))
        return out

    def sent_of(self, pos: int) -> int:
        for k, (s, e) in enumerate(self.sents):
            if pos < e:
                return k if pos >= s else max(k - 1, 0)
        return max(len(self.sents) - 1, 0)

    def sent_span(self, pos: int) -> tuple[int, int]:
        if not self.sents:
            return 0, len(self.text)
        return self.sents[self.sent_of(pos)]

    def in_sentence(self, hits: Iterable[Hit], pos: int) -> list[Hit]:
        k = self.sent_of(pos)
        return [h for h in hits if self.sent_of(h.start) == k]


def _sentences(doc) -> list[tuple[int, int]]:
    """Sentence character spans: the pipeline's own boundaries (esc_sentencizer) when set."""
    if doc.has_annotation("SENT_START"):
        return [(s.start_char, s.end_char) for s in doc.sents if s.end_char > s.start_char]
    return sentence_spans(doc)


def build_views(ctx, turns: Iterable[int]) -> dict[int, TurnView]:
    lexdir = ctx.config.get("lexicon_dir")
    lexes = {name: get_lexicon(name, lexdir) for name in LEXICONS}
    views: dict[int, TurnView] = {}
    for i in turns:
        t = ctx.turns[i]
        doc = ctx.docs[i] if i < len(ctx.docs) else None
        sents = _sentences(doc) if doc is not None and doc.text == t.text else [(0, len(t.text))]
        tv = TurnView(i, t.speaker, t.text, sents or [(0, len(t.text))])
        for name, lex in lexes.items():
            for h in lex.find(ctx.norms[i]):
                if h.active:
                    tv.hits.setdefault(f"{name}:{h.label}", []).append(h)
        views[i] = tv
    return views


def ensure_views(ctx, views: dict[int, TurnView] | None, turns: Iterable[int]) -> dict[int, TurnView]:
    views = {} if views is None else views
    missing = [i for i in turns if i not in views]
    if missing:
        views.update(build_views(ctx, missing))
    return views


# ------------------------------------------------------------------------------------------------
# apologies shared with the step scoring


def grade(h: Hit) -> str | None:
    return h.entry.extra.get("kind")


def is_cushion_use(tv: TurnView, h: Hit) -> bool:
    """申し訳ございませんが…: the apology words used as a cushion for a request."""
    rest = tv.text[h.end:h.end + 3].lstrip(" 、,\u3000")
    return rest.startswith(("が", "けど", "けれど"))


def is_conditional(tv: TurnView, h: Hit, nonapologies: list[Hit], gap: int = 12) -> bool:
    """An apology right after a conditional (ご不快に感じられたのであれば、申し訳ございません)."""
    k = tv.sent_of(h.start)
    return any(n.start <= h.start and 0 <= h.start - n.end <= gap and tv.sent_of(n.start) in (k, k - 1)
               for n in nonapologies)


def real_apologies(tv: TurnView, apology_labels=("apology:APOLOGY",),
                   non_labels=("apology:NON_APOLOGY",)) -> list[Hit]:
    """Formal or standard apologies that are not conditional and not a cushion (すみません never counts)."""
    nons = tv.get(*non_labels)
    return [h for h in tv.get(*apology_labels)
            if grade(h) in ("formal", "standard") and not is_cushion_use(tv, h) and not is_conditional(tv, h, nons)]


def bare_prefix(tv: TurnView, h: Hit) -> str:
    """What precedes ``h`` in its sentence, minus fillers and intensifiers (はい, 大変, 誠に, 本当に)."""
    s, _ = tv.sent_span(h.start)
    before = tv.text[s:h.start]
    return re.sub(r"[\s、,。.!?！？…]|はい|あ(?:ー|っ)?|えー?|大変|誠に|本当に|まことに|たいへん|どうも|いや|ほんと(?:う)?に", "", before)


def evidence(h: Hit, turn: int, score: float | None = None) -> dict[str, Any]:
    return h.evidence(turn, score)


def _shift(sev: str, by: int) -> str:
    if sev == "ok" or by == 0:
        return sev
    k = SEVERITIES.index(sev) + by
    return SEVERITIES[max(1, min(len(SEVERITIES) - 1, k))]


def _finding(h: Hit, tv: TurnView, kind: str, message: str, *, severity: str | None = None,
             shift: int = 0, extra_ev: list[dict] | None = None) -> dict[str, Any]:
    sev = severity or h.entry.extra.get("severity", "low")
    f = {"id": h.id, "kind": kind, "grade": h.entry.extra.get("kind"), "severity": _shift(sev, shift),
         "speaker": tv.speaker, "turn": tv.i, "message": message,
         "better": h.entry.extra.get("better"), "evidence": [evidence(h, tv.i)] + (extra_ev or [])}
    return f


# ------------------------------------------------------------------------------------------------
# the audit


def audit_phrasing(ctx, views: dict[int, TurnView] | None = None, *, speakers: Iterable[str] | None = None,
                   rules: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Phrasing findings for the agent and supervisor turns of a call (see the module docstring).

    Parameters
    ----------
    ctx: the call's :class:`~escalyzer.call.context.CallContext`.
    views: turn views already built (reused, and extended with the turns it lacks).
    speakers: which speakers to audit (default ``phrasing.audit_speakers``: agent and supervisor);
        ``("agent",)`` audits the first-line agent only.
    rules: the loaded ``supervisor_steps.yaml`` (default: :func:`step_rules` of ``ctx.config``).

    Examples
    --------
    >>> findings = audit_phrasing(ctx, speakers=("agent",))        # doctest: +SKIP
    >>> [f["id"] for f in findings if f["severity"] == "high"]     # doctest: +SKIP
    ['apology.casual.sumimasen']
    """
    rules = rules or step_rules(ctx.config)
    cfg = rules["phrasing"]
    speakers = tuple(speakers or cfg["audit_speakers"])
    turns = [i for i, t in enumerate(ctx.turns) if t.speaker in speakers]
    views = ensure_views(ctx, views, turns)
    out: list[dict[str, Any]] = []
    repeats: dict[tuple[str, str], list[tuple[TurnView, Hit]]] = {}
    verified_at: dict[str, tuple[int, int] | None] = {}  # speaker -> first (turn, pos) where facts were checked

    for i in turns:
        tv = views[i]
        shift = cfg.get("agent_severity_shift", -1) if tv.speaker == "agent" else 0
        nons = tv.get("apology:NON_APOLOGY")
        for h in tv.get("supervisor:VERIFIED"):
            verified_at.setdefault(tv.speaker, (i, h.start))
        for h in tv.get("apology:APOLOGY"):
            g = grade(h)
            cushion = is_cushion_use(tv, h)
            if cushion:
                msg = f"{g} apology words used as a cushion for a request"
            elif g == "casual":
                msg = ("casual apology: unfit for a supervisor speaking for the organisation"
                       if tv.speaker == "supervisor" else "casual apology")
            elif g == "standard":
                msg = f"standard apology ({h.text}); 申し訳ございません is the formal register"
            else:
                msg = "formal apology"
            out.append(_finding(h, tv, "apology", msg, severity="ok" if cushion else None, shift=shift))
            bare = len(bare_prefix(tv, h)) < cfg["bare_context_chars"] and not is_conditional(tv, h, nons)
            if bare or g == "casual":
                repeats.setdefault((tv.speaker, h.id), []).append((tv, h))
        for h in tv.get("apology:EMPATHY"):
            g = grade(h)
            out.append(_finding(h, tv, "empathy", f"{g} empathy ({h.text})", shift=shift))
        for h in nons:
            out.append(_finding(h, tv, "non_apology", h.entry.extra.get("note") or "non-apology", shift=shift))
        for h in tv.get("apology:BLAME_SHIFT"):
            out.append(_finding(h, tv, "blame_shift", h.entry.extra.get("note") or "blame shifting", shift=shift))
        for h in tv.get("apology:LIABILITY"):
            v = verified_at.get(tv.speaker)
            if v is None or v > (i, h.start):
                out.append(_finding(h, tv, "premature_liability",
                                    "full liability admitted before the facts were checked " + (
                                        "(no check of the facts earlier in the call)" if v is None else
                                        f"(the first check comes later, turn {v[0]})"), shift=shift))
        if tv.speaker in cfg.get("cushion_speakers", ()):
            out.extend(_cushion_findings(tv))

    for (speaker, rid), uses in repeats.items():
        if len(uses) >= cfg["repeat_min"]:
            tv0, h0 = uses[0]
            ev = [evidence(h, tv.i) for tv, h in uses]
            out.append({"id": "phrasing.repetition", "kind": "repetition", "grade": grade(h0),
                        "severity": "medium" if speaker == "supervisor" else "low", "speaker": speaker,
                        "turn": tv0.i, "message": f"the same apology ({h0.text}) {len(uses)} times with no reason "
                        "attached: sounds mechanical", "better": "ご不便をおかけしてしまい大変申し訳ございませんでした。"
                        "/ お気持ちお察しいたします。(理由と心情理解を添えて)", "evidence": ev})
    out.sort(key=lambda f: (f["turn"], f["evidence"][0]["start"] or 0))
    return out


_REPEAT_BETTER = ("すでに一度、ご説明くださったにも関わらず、同じことをお伺いするのは心苦しいのですが、"
                  "改めて、状況をお聞かせいただけますでしょうか。")


def _cushion_findings(tv: TurnView) -> list[dict[str, Any]]:
    """One finding per request sentence: a cushion word in it or in the sentence before, or none."""
    out = []
    cushions = tv.get("apology:CUSHION")
    done_sents: set[int] = set()
    for h in tv.get("supervisor:REQUEST", "supervisor:REASK"):
        k = tv.sent_of(h.start)
        if k in done_sents:
            continue
        done_sents.add(k)
        near = [c for c in cushions if tv.sent_of(c.start) in (k, k - 1) and c.start < h.end]
        repeat = h.label == "REASK" or any(r.start >= tv.sents[k][0] and tv.sent_of(r.start) == k
                                           for r in tv.get("supervisor:REASK"))
        if near:
            c = near[-1]
            out.append({"id": "phrasing.cushion_present", "kind": "cushion_present", "grade": None, "severity": "ok",
                        "speaker": tv.speaker, "turn": tv.i, "message": f"request with a cushion ({c.text})",
                        "better": None, "evidence": [evidence(c, tv.i), evidence(h, tv.i)]})
        else:
            out.append({"id": "phrasing.cushion_missing", "kind": "cushion_missing", "grade": None,
                        "severity": "high" if repeat else "low", "speaker": tv.speaker, "turn": tv.i,
                        "message": ("asks the customer to repeat what they already said, with no cushion" if repeat
                                    else "request to the customer with no cushion word"),
                        "better": _REPEAT_BETTER if repeat else "恐れ入りますが、〜いただけますでしょうか。",
                        "evidence": [evidence(h, tv.i)]})
    return out
