"""PII redaction (escalyzer.redact, --redact): what is masked, what is left alone, offsets kept, and no raw
personal data from the fixtures surviving in any output (JSONL, CSV, Parquet, summaries, reports).

Fixtures: tests/fixtures/pii/calls.jsonl (three invented calls full of personal data, and transcript
text that is also HTML/Markdown/rich markup) and tests/fixtures/pii/raw_pii.txt (every piece of that
personal data, as written). Token expectations assume unidic-lite 1.0.8.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalyzer.readers import read
from escalyzer.redact import find_pii, mask, redact_record, redact_text, redact_transcript, rules

FIX = Path(__file__).resolve().parent / "fixtures" / "pii"
CALLS = FIX / "calls.jsonl"
RAW_PII = [ln.strip() for ln in (FIX / "raw_pii.txt").read_text("utf-8").splitlines()
           if ln.strip() and not ln.startswith("#")]


def assert_no_raw_pii(text: str, where: str) -> None:
    left = [p for p in RAW_PII if p in text]
    assert not left, f"raw personal data survived in {where}: {left}"


# -- the recognizers, one behaviour per row -----------------------------------------------------------

@pytest.mark.parametrize("rule", rules(), ids=lambda r: r.id)
def test_every_rule_masks_its_example(rule):
    red, spans = redact_text(rule.example, speaker="customer")
    assert red != rule.example and spans


@pytest.mark.parametrize("rule", [r for r in rules() if r.counter_example], ids=lambda r: r.id)
def test_no_rule_masks_its_counter_example(rule):
    assert redact_text(rule.counter_example, speaker="customer")[0] == rule.counter_example


MASKED = [
    # (text, raw piece that must go, kind)
    ("〇四二、五五五の、一二三四です", "五五五の、一二三四", "phone"),
    ("電話は０９０－１２３４－５６７８です", "１２３４－５６７８", "phone"),
    ("090-1234-5678にお願いします", "1234-5678", "phone"),
    ("メールはｙａｍａｄａ＠ｅｘａｍｐｌｅ．ｃｏｍです", "ｙａｍａｄａ", "email"),
    ("taro.yamada@example.co.jpに送って", "taro.yamada", "email"),
    ("カードは4111 1111 1111 1111で", "4111 1111 1111 1111", "card"),
    ("カード番号の下四桁が四四〇二です", "四四〇二", "card"),
    ("口座番号は一二三四五六七です", "一二三四五六七", "account"),
    ("注文番号はHM20261117 0458です", "HM20261117 0458", "id"),
    ("受付番号はJ-2611-0483です", "J-2611-0483", "id"),
    ("えっとHM二〇二六一一一七〇四五八ですね", "二〇二六一一一七", "id"),
    ("〒150-0042です", "150-0042", "postal"),
    ("神奈川県横浜市港北区新横浜二丁目3番4号", "横浜市港北区", "address"),
    ("大阪市東淀川区の、西田です。", "東淀川区", "address"),
    ("山口健二です。", "山口健二", "name"),
    ("名前は川口です", "川口", "name"),
    ("小島と申します。", "小島", "name"),
    ("山中和子様でいらっしゃいますね", "山中和子", "name"),
    ("担当の佐々木さんが", "佐々木", "name"),
    ("生年月日は昭和六十年九月十日です", "昭和六十年九月十日", "birth_date"),
]


@pytest.mark.parametrize("text,raw,kind", MASKED)
def test_when_pii_is_given_then_it_is_masked(text, raw, kind):
    red, spans = redact_text(text, speaker="customer")
    assert raw not in red
    assert len(red) == len(text)
    assert kind in {s["kind"] for s in spans}


UNTOUCHED = [
    "一万二千七百六十円です",          # an amount in kanji
    "12,760円になります",              # an amount with a comma
    "十一月十四日にご注文いただいた",  # a date
    "2026-11-21に発送しました",        # an ISO date
    "はい、二回目です。",              # a counter before です
    "はい、大丈夫です",                # a common word before です
    "お客様のご注文ですね",            # お客様 is not a name
    "加盟店様側で処理されております",  # an institution before 様
    "渋谷区のお店で買いました",        # one ward is not an address
    "3割もつくんですか",               # 〜くん inside a verb
    "同じ間違いです。",                # a verb form before です
    "USB3の端子です",
]


@pytest.mark.parametrize("text", UNTOUCHED)
def test_when_no_pii_then_text_is_left_alone(text):
    assert redact_text(text, speaker="customer")[0] == text


def test_the_agent_reading_back_a_name_is_masked_but_the_agent_introducing_themself_is_not():
    red, _ = redact_text("佐藤と申します。", speaker="agent")
    assert red == "佐藤と申します。"  # staff names are not customer PII
    assert "森本" not in redact_text("森本様でいらっしゃいますね", speaker="agent")[0]


def test_a_bare_name_answering_the_agents_question_is_masked():
    red, _ = redact_text("大塚です。大塚萌。", speaker="customer", reply_to="お名前をお伺いしてもよろしいでしょうか。")
    assert "大塚" not in red and "萌" not in red


def test_masks_keep_the_length_and_name_the_kind():
    assert mask("〇四二、五五五の、一二三四", "phone") == "［電話］＊＊＊＊＊＊＊＊＊"
    assert mask("佐藤", "name") == "＊＊"
    assert len(mask("x" * 7, "email")) == 7


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("0123456789０１２３〇一二三四五六七八九十-ー、の@.abcXYZ様さん山田太郎です。 \n〒市区町県丁目番号")),
               max_size=60))
def test_redacted_text_always_has_the_original_length(text):
    red, spans = redact_text(text)
    assert len(red) == len(text)
    for s in spans:
        assert 0 <= s["start"] < s["end"] <= len(text)


def test_redaction_is_idempotent():
    text = "電話は〇四二、五五五の、一二三四、名前は川口です。"
    once = redact_text(text)[0]
    assert redact_text(once)[0] == once


def test_spans_never_carry_the_raw_text():
    _, spans = redact_text("メールはyamada@example.comです")
    assert all(set(s) == {"start", "end", "kind", "rule"} for s in spans)


# -- records and outputs ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def calls():
    return list(read(CALLS))


@pytest.fixture(scope="module")
def records(analyzer, calls):
    return [analyzer.analyze(t) for t in calls]


def test_the_fixture_really_carries_pii(records, calls):
    """Guard: without redaction the fixtures' personal data does reach the outputs."""
    blob = json.dumps(records, ensure_ascii=False) + "".join(t.text for c in calls for t in c.turns)
    assert sum(p in blob for p in RAW_PII) >= len(RAW_PII) // 2


def test_transcript_redaction_masks_every_raw_pii_and_keeps_lengths(calls):
    for t in calls:
        red, names = redact_transcript(t)
        assert [len(x.text) for x in red.turns] == [len(x.text) for x in t.turns]
        assert_no_raw_pii("\n".join(x.text for x in red.turns), f"transcript {t.call_id}")
    assert "森本沙織" in calls[0].turns[1].text  # the input transcript is not modified


def _spans(obj, out):
    from escalyzer.redact import _span_items

    _span_items(obj, out)
    return out


@pytest.mark.parametrize("with_transcript", [True, False], ids=["with-transcript", "record-only"])
def test_record_redaction_keeps_offsets_meaningful(records, calls, with_transcript):
    for rec, t in zip(records, calls):
        red = redact_record(rec, t if with_transcript else None)
        assert_no_raw_pii(json.dumps(red, ensure_ascii=False), f"record {rec['call_id']}")
        red_t, _ = redact_transcript(t)
        for sp in _spans(red, []):
            assert sp["end"] - sp["start"] == len(sp["text"])
            if with_transcript:
                assert red_t.turns[sp["turn"]].text[sp["start"]:sp["end"]] == sp["text"]
        assert red["call_id"] == rec["call_id"] and red["received_at"] == rec["received_at"]
        assert red["anger"]["level"] == rec["anger"]["level"]


def test_redact_record_does_not_modify_its_input(records, calls):
    before = json.dumps(records[0], ensure_ascii=False)
    redact_record(records[0], calls[0])
    assert json.dumps(records[0], ensure_ascii=False) == before


@pytest.fixture(scope="module")
def scored(analyzer, tmp_path_factory):
    """`escalyzer score --redact` into JSONL, CSV and Parquet (the batch path the CLI uses)."""
    from escalyzer.batch import score

    d = tmp_path_factory.mktemp("redacted")
    outs = {}
    for ext in ("jsonl", "csv", "parquet"):
        out = d / f"scores.{ext}"
        summary = score([str(CALLS)], str(out), analyzer=analyzer, redact=True)
        assert summary.scored == 3 and summary.failed == 0
        outs[ext] = out
    return outs


def test_no_raw_pii_in_redacted_jsonl(scored):
    assert_no_raw_pii(scored["jsonl"].read_text("utf-8"), "scores.jsonl")


def test_no_raw_pii_in_redacted_csv(scored):
    text = scored["csv"].read_text("utf-8-sig")
    assert_no_raw_pii(text, "scores.csv")
    rows = list(csv.DictReader(text.splitlines()))
    assert [r["call_id"] for r in rows] == ["PII-001", "PII-002", "PII-003"]


def test_no_raw_pii_in_redacted_parquet(scored):
    from escalyzer.writers import read_results

    assert_no_raw_pii(json.dumps(list(read_results(scored["parquet"])), ensure_ascii=False), "scores.parquet")


@pytest.fixture(scope="module")
def redacted_summaries(analyzer, calls):
    from escalyzer.render.summary import build_summary

    return [build_summary(t, analyzer, redact=True) for t in calls]


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_no_raw_pii_in_redacted_summaries(redacted_summaries, fmt):
    from escalyzer.render.summary import render

    out = render(redacted_summaries, fmt)
    assert_no_raw_pii(out, f"summary ({fmt})")
    assert "［電話］" in out or "［番号］" in out  # masked, not dropped


def test_unredacted_summary_shows_the_data(analyzer, calls):
    """Guard: the summary does show personal data when --redact is not given."""
    from escalyzer.render.summary import build_summary, render_text

    out = render_text([build_summary(calls[0], analyzer)])
    assert "森本" in out


def test_no_raw_pii_in_reports(scored, records, tmp_path):
    from escalyzer.render.report import build_report, load_records, render_report_html

    # a report over results already scored with --redact
    html_a = render_report_html(build_report(load_records(scored["jsonl"]), charts=False))
    assert_no_raw_pii(html_a, "report of redacted scores")
    # `escalyzer report --redact` over results scored without it
    raw = tmp_path / "raw.jsonl"
    raw.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    html_b = render_report_html(build_report(load_records(raw, redact=True), charts=False))
    assert_no_raw_pii(html_b, "report --redact")


def test_cli_report_accepts_redact(tmp_path, scored):
    from click.testing import CliRunner

    from escalyzer.cli import cli

    runner = CliRunner()
    res = runner.invoke(cli, ["report", str(scored["jsonl"]), "-o", str(tmp_path / "r.html"), "--redact"])
    assert res.exit_code == 0, res.output
    assert_no_raw_pii((tmp_path / "r.html").read_text("utf-8"), "report CLI")


def test_find_pii_spans_are_sorted_and_disjoint():
    spans = find_pii("森本沙織です。電話は〇九〇、一二三四、五六七八、メールはa.b@example.jpです。", speaker="customer")
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:]))
    assert {s.kind for s in spans} >= {"name", "phone", "email"}
