"""The lossless Japanese tokenizer (fugashi + unidic-lite). Assumes unidic-lite 1.0.8."""
from __future__ import annotations

import pickle

import pytest

AWKWARD = [
    "",
    " ",
    "\n",
    "\t\t",
    "   申し訳ございません",
    "申し訳ございません   ",
    "お客様：はい\r\nオペレーター：ええ",
    "ＡＢＣａｂｃ１２３ｶﾀｶﾅﾊﾝｶｸ",
    "😀😡🙇‍♂️ すみません🙏",
    "3,980円（税込）",
    "全角　スペース　混じり",
    "\u200b不可視\u200bの文字",
    "a\x00b",
    "ｶﾞｷﾞｸﾞ",
    "!!!???ーーー〜〜〜",
    "改行\n\n\n三つ\tタブ",
]


@pytest.mark.parametrize("text", AWKWARD)
def test_doc_text_equals_input(nlp, text):
    doc = nlp(text)
    assert doc.text == text
    # every token's offsets point into the original
    for tok in doc:
        assert text[tok.idx: tok.idx + len(tok.text)] == tok.text


def test_tokens_carry_unidic_attributes(nlp):
    doc = nlp("申し訳ございません、すぐに対応いたします")
    by_text = {t.text: t for t in doc}
    assert by_text["ござい"].lemma_ == "御座る"
    assert by_text["ござい"].tag_.startswith("動詞")
    assert by_text["ござい"]._.esc_reading == "ゴザイ"
    assert by_text["いたし"].lemma_ == "致す"
    assert by_text["、"].pos_ == "PUNCT"


def test_whitespace_becomes_space_tokens(nlp):
    doc = nlp("はい  わかりました")
    assert [t.pos_ for t in doc if not t.text.strip()] == ["SPACE"]


def test_tokenizer_pickles_for_worker_processes(nlp):
    tok = pickle.loads(pickle.dumps(nlp.tokenizer))
    assert tok("今日中にお願いします").text == "今日中にお願いします"


def test_pipeline_serialises_to_bytes(nlp):
    from escalyzer.pipeline import build_nlp

    data = nlp.to_bytes()
    nlp2 = build_nlp().from_bytes(data)
    assert [t.text for t in nlp2("明日届きますか")] == [t.text for t in nlp("明日届きますか")]
