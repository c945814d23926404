"""Sentence boundaries for Japanese call turns, punctuated or not.

Rules (data in ``resources/sentences.yaml``):

1. after a run of terminal punctuation (。！？!?…) and any closing brackets/quotes;
2. at line ends;
3. in unpunctuated speech-recognition text, after a sentence-final form — an auxiliary (です/ます/た/だ/
   ない...) or verb in 終止形/命令形, plus optional final particles (よ/ね/か/かしら) — unless the next
   token continues the clause (けど/ので/から/て...);
4. a length cap: a clause longer than ``max_chars`` is broken after a conjunctive particle (けど/ので/て).
"""
from __future__ import annotations

from functools import lru_cache

from spacy.language import Language
from spacy.tokens import Doc

from .resources_io import load_yaml


@lru_cache(maxsize=1)
def _rules() -> dict:
    r = load_yaml("sentences.yaml")
    r["_punct"] = set(r["terminal_punct"])
    r["_closing"] = set(r["closing"])
    r["_final_aux"] = set(r["final_aux_lemmas"])
    r["_particles"] = set(r["final_particles"])
    r["_cont"] = set(r["continuation_lemmas"])
    r["_cap"] = set(r["cap_break_lemmas"])
    return r


def _is_final_form(tok) -> bool:
    r = _rules()
    ctype = tok._.esc_ctype or ""
    tag = tok.tag_
    if tag.startswith("助動詞") and tok.lemma_ in r["_final_aux"]:
        if tok.lemma_ in r["polite_aux_lemmas"] and ctype.startswith("連体形"):
            return True
        return any(ctype.startswith(p) for p in r["final_cforms_prefix"])
    if tag.startswith(("動詞", "形容詞")):
        return any(ctype.startswith(p) for p in r["final_verb_cforms_prefix"])
    return False


def sentence_starts(doc: Doc) -> list[int]:
    """Token indices where a sentence starts (always includes 0 for a non-empty doc)."""
    r = _rules()
    n = len(doc)
    if n == 0:
        return []
    starts = [0]
    since = 0  # chars since the last start
    i = 0
    while i < n:
        tok = doc[i]
        text = tok.text
        boundary_after = None
        if text in r["_punct"] or (len(text) > 1 and all(c in r["_punct"] for c in text)):
            j = i + 1
            while j < n and (doc[j].text in r["_punct"] or doc[j].text in r["_closing"]):
                j += 1
            boundary_after = j
        elif "\n" in text:
            boundary_after = i + 1
        elif _is_final_form(tok):
            j = i + 1
            while j < n and doc[j].tag_.startswith("助詞-終助詞") and doc[j].text in r["_particles"]:
                j += 1
            while j < n and (doc[j].text in r["_punct"] or doc[j].text in r["_closing"]):
                j += 1
            nxt = doc[j] if j < n else None
            if nxt is None or nxt.pos_ == "SPACE" or not (nxt.lemma_ in r["_cont"] or nxt.text in r["_cont"]
                                                          or nxt.tag_.startswith(("助詞-接続助詞", "助詞-準体助詞"))):
                boundary_after = j
        elif since > r["max_chars"] and tok.tag_.startswith("助詞-接続助詞") and tok.lemma_ in r["_cap"]:
            boundary_after = i + 1
        since += len(text)
        if boundary_after is not None and boundary_after < n:
            # leading whitespace belongs to the previous sentence's tail
            k = boundary_after
            while k < n and doc[k].pos_ == "SPACE":
                k += 1
            if k < n and k > starts[-1]:
                starts.append(k)
                since = 0
            i = max(k, i + 1)
            continue
        i += 1
    return starts


def sentence_spans(doc: Doc) -> list[tuple[int, int]]:
    """Character ``(start, end)`` of each sentence, trailing whitespace excluded.

    Uses the boundaries ``esc_sentencizer`` already set on the doc (no second pass), else computes them."""
    if len(doc) and doc.has_annotation("SENT_START"):
        starts = [t.i for t in doc if t.is_sent_start]
    else:
        starts = sentence_starts(doc)
    out = []
    for a, b in zip(starts, starts[1:] + [len(doc)]):
        span = doc[a:b]
        s, e = span.start_char, span.end_char
        while e > s and doc.text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


@Language.component("esc_sentencizer")
def esc_sentencizer(doc: Doc) -> Doc:
    starts = set(sentence_starts(doc))
    for i, tok in enumerate(doc):
        tok.is_sent_start = i in starts
    return doc
