"""Sentence boundaries for punctuated and unpunctuated (speech-recognition) Japanese."""
from __future__ import annotations

import json

from escalyzer.sentences import sentence_spans


def _sents(nlp, text):
    doc = nlp(text)
    return [doc.text[s:e] for s, e in sentence_spans(doc)]


def test_punctuated_text_splits_at_terminal_marks(nlp):
    assert _sents(nlp, "先日注文しました。まだ届きません！どうなってますか？") == [
        "先日注文しました。", "まだ届きません！", "どうなってますか？"]


def test_closing_quote_stays_with_its_sentence(nlp):
    assert _sents(nlp, "「ダークグリーン」って書いてあります。確認しました。") == [
        "「ダークグリーン」って書いてあります。", "確認しました。"]


def test_line_ends_split(nlp):
    assert _sents(nlp, "はい\nお願いします") == ["はい", "お願いします"]


def test_unpunctuated_speech_splits_after_polite_final_forms(nlp):
    text = "昨日注文したんですけど届いてないんですよね今日中に届けてもらえますか急いでるんです"
    assert _sents(nlp, text) == ["昨日注文したんですけど届いてないんですよね", "今日中に届けてもらえますか", "急いでるんです"]


def test_conjunctive_particles_do_not_split(nlp):
    # 〜ますので / 〜ですけど continue the sentence
    assert len(_sents(nlp, "確認しますので少々お待ちください")) == 1


def test_run_on_dev_calls_are_split(nlp, dev_dir):
    # the speech-recognition calls in the dev set have no punctuation at all
    n_multi = 0
    for line in open(dev_dir / "calls.jsonl", encoding="utf-8"):
        call = json.loads(line)
        for t in call["turns"]:
            text = t["text"]
            if any(p in text for p in "。！？!?") or len(text) < 60:
                continue
            spans = _sents(nlp, text)
            assert "".join(spans).replace(" ", "") == text.replace(" ", "")
            n_multi += len(spans) > 1
    assert n_multi >= 3


def test_length_cap_breaks_very_long_clauses(nlp):
    text = "えっと" + "あのそれでその荷物なんですけど配達の人が来たって言ってるんですけど" * 3 + "まだなんです"
    spans = _sents(nlp, text)
    assert len(spans) >= 2
    assert max(len(s) for s in spans) <= 120
