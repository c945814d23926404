"""Cue lexicons as data files: ``resources/lexicons/*.jsonl``, one validated entry per line.

Entry shape (after presidio's ``Pattern`` and spacy-lookups-data)::

    {"id": "anger.threat.lawyer", "label": "THREAT", "pattern": "弁護士", "weight": 0.9,
     "source": "000_b54099cb27bdd303.txt / LABELING.md", "added": "2026-11-23",
     "example": "弁護士に相談しますから", "counter_example": "弁護士費用特約について伺いたい"}

``pattern`` is a regular expression over the *normalised* text (NFKC, lower case, repeated ー/〜/！
collapsed: see :mod:`escalyzer.textnorm`); hits are mapped back to original offsets. Loading
validates every entry (unique ids, known fields, weight in [-1, 1], the regex compiles, the example
matches) and reports ``file:line`` on error. Users can point ``--lexicon-dir`` at a folder whose
files add entries or replace entries with the same id.

Two context rules apply to every hit, from ``resources/rules/context.yaml``:
- **negation**: a hit directly followed by a negation (ではない, じゃなくて, てはいない ...) is marked
  ``negated`` unless the entry says ``"negatable": false``;
- **quoted speech**: a hit inside someone else's quoted words (「ふざけるな」って主人に言われて) is marked
  ``quoted``: it is not the caller's own voice.

And one rule between entries: an entry with ``"suppresses": [LABEL, ...]`` marks the hits of those labels
that overlap it ``suppressed_by`` its id — 「今日の午前中に一度電話した」 is a past reference
(``urgency.time.past_reference``), so the 今日の午前 inside it is no deadline. Suppressed hits stay in
the evidence (``#suppressed``) but do not count.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import ResourceError
from .resources_io import iter_jsonl_resource, load_yaml, resource_path
from .textnorm import NormText

REQUIRED = ("id", "label", "pattern", "weight", "source", "example")
OPTIONAL = ("added", "counter_example", "negatable", "note", "kind", "severity", "better", "route", "topic",
            "step", "quoted_ok", "level", "suppresses")


@dataclass(frozen=True)
class Entry:
    id: str
    label: str
    pattern: re.Pattern
    weight: float
    source: str
    example: str
    extra: dict[str, Any]
    file: str
    line: int

    @property
    def negatable(self) -> bool:
        return bool(self.extra.get("negatable", True))


@dataclass(frozen=True)
class Hit:
    entry: Entry
    start: int  # original offsets
    end: int
    text: str
    negated: bool = False
    quoted: bool = False
    suppressed_by: str | None = None

    @property
    def id(self) -> str:
        return self.entry.id

    @property
    def label(self) -> str:
        return self.entry.label

    @property
    def weight(self) -> float:
        return self.entry.weight

    @property
    def active(self) -> bool:
        """The hit speaks for the caller: not negated and not someone else's quoted words."""
        return (not self.negated and self.suppressed_by is None
                and not (self.quoted and not self.entry.extra.get("quoted_ok", False)))

    def evidence(self, turn: int | None, score: float | None = None) -> dict[str, Any]:
        rule = self.entry.id
        if self.negated:
            rule += "#negated"
        if self.quoted:
            rule += "#quoted"
        if self.suppressed_by:
            rule += "#suppressed"
        return {"turn": turn, "start": self.start, "end": self.end, "text": self.text, "rule": rule,
                "score": round(float(self.weight if score is None else score), 4), "label": self.label}


class Lexicon:
    """A named set of entries with one combined matcher."""

    def __init__(self, name: str, entries: list[Entry]):
        self.name = name
        self.entries = entries
        self.by_id = {e.id: e for e in entries}

    def __len__(self) -> int:
        return len(self.entries)

    def labels(self) -> set[str]:
        return {e.label for e in self.entries}

    def find(self, text: str | NormText, labels: set[str] | None = None) -> list[Hit]:
        nt = text if isinstance(text, NormText) else NormText(text)
        ctx = _context()
        quotes = quoted_regions(nt)
        hits: list[Hit] = []
        for e in self.entries:
            if labels is not None and e.label not in labels:
                continue
            for m in e.pattern.finditer(nt.norm):
                if m.end() == m.start():
                    continue
                s, t = nt.span(m.start(), m.end())
                negated = e.negatable and bool(ctx["negation_re"].match(nt.norm, m.end()))
                quoted = any(a <= m.start() and m.end() <= b for a, b in quotes)
                hits.append(Hit(e, s, t, nt.orig[s:t], negated, quoted))
        hits.sort(key=lambda h: (h.start, -(h.end - h.start)))
        return _suppress(hits)


def _suppress(hits: list[Hit]) -> list[Hit]:
    """Mark hits overlapped by an active hit of an entry that ``suppresses`` their label."""
    sup = [h for h in hits if h.entry.extra.get("suppresses") and h.active]
    if not sup:
        return hits
    out = []
    for h in hits:
        by = next((x.id for x in sup if x is not h and h.label in x.entry.extra["suppresses"]
                   and x.start < h.end and h.start < x.end), None)
        out.append(replace(h, suppressed_by=by) if by else h)
    return out


@lru_cache(maxsize=1)
def _context() -> dict[str, Any]:
    c = dict(load_yaml("rules/context.yaml"))
    c["negation_re"] = re.compile(c["negation_after"])
    c["quote_res"] = [re.compile(p) for p in c["quoted_speech"]]
    return c


def quoted_regions(nt: NormText) -> list[tuple[int, int]]:
    """Normalised ``(start, end)`` of other people's quoted words in ``nt``; computed once per text."""
    if nt.quotes is None:
        nt.quotes = _quoted_regions(nt.norm, _context())
    return nt.quotes


def _quoted_regions(norm: str, ctx: dict[str, Any]) -> list[tuple[int, int]]:
    regions = []
    for rx in ctx["quote_res"]:
        for m in rx.finditer(norm):
            if "q" in rx.groupindex:
                regions.append((m.start("q"), m.end("q")))
    return regions


def _parse_entry(obj: Any, file: str, line: int, seen: dict[str, str]) -> Entry:
    def fail(msg: str) -> ResourceError:
        return ResourceError(f"[E030] {file}:{line}: {msg}")

    if not isinstance(obj, dict):
        raise fail("an entry must be a JSON object")
    for k in REQUIRED:
        if k not in obj:
            raise fail(f"missing field {k!r}")
    unknown = set(obj) - set(REQUIRED) - set(OPTIONAL)
    if unknown:
        raise fail(f"unknown field(s) {sorted(unknown)}")
    eid = obj["id"]
    if not isinstance(eid, str) or not re.fullmatch(r"[a-z0-9_]+(\.[a-z0-9_]+)+", eid):
        raise fail(f"id {eid!r} must be dotted lower case (anger.threat.lawyer)")
    if eid in seen:
        raise fail(f"duplicate id {eid!r} (first at {seen[eid]})")
    w = obj["weight"]
    if not isinstance(w, (int, float)) or not -1.0 <= float(w) <= 1.0:
        raise fail(f"weight {w!r} must be a number in [-1, 1]")
    try:
        pat = re.compile(obj["pattern"])
    except re.error as exc:
        raise fail(f"pattern does not compile: {exc}") from None
    extra = {k: obj[k] for k in OPTIONAL if k in obj}
    sup = extra.get("suppresses")
    if sup is not None and not (isinstance(sup, list) and all(isinstance(x, str) and x for x in sup)):
        raise fail(f"suppresses must be a list of labels, got {sup!r}")
    seen[eid] = f"{file}:{line}"
    return Entry(eid, str(obj["label"]), pat, float(w), str(obj["source"]), str(obj["example"]), extra, file, line)


def load_lexicon_file(path: Path, seen: dict[str, str] | None = None) -> list[Entry]:
    seen = {} if seen is None else seen
    return [_parse_entry(obj, str(path), n, seen) for n, obj in iter_jsonl_resource(path)]


@lru_cache(maxsize=32)
def _load_cached(name: str, user_dir: str | None) -> Lexicon:
    path = resource_path(f"lexicons/{name}.jsonl")
    if not path.exists():
        raise ResourceError(f"[E030] {path}: no such lexicon")
    entries = load_lexicon_file(path)
    if user_dir:
        upath = Path(user_dir) / f"{name}.jsonl"
        if upath.exists():
            user_entries = load_lexicon_file(upath)
            ids = {e.id for e in user_entries}
            entries = [e for e in entries if e.id not in ids] + user_entries
    return Lexicon(name, entries)


def get_lexicon(name: str, user_dir: str | Path | None = None) -> Lexicon:
    """The lexicon ``resources/lexicons/<name>.jsonl``, extended/overridden by ``user_dir/<name>.jsonl``."""
    return _load_cached(name, str(user_dir) if user_dir else None)


def bundled_lexicon_names() -> list[str]:
    return sorted(p.stem for p in resource_path("lexicons").glob("*.jsonl"))
