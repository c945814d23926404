"""Deadlines relative to the call's own date; time words that are not the caller's deadline."""
from __future__ import annotations

from datetime import datetime

import pytest

from escalyzer.components.deadlines import bucket, deadline_days
from escalyzer.components.levels import call_turn_inputs
from escalyzer.pipeline import build_nlp
from escalyzer.textnorm import NormText

THU = datetime.fromisoformat("2026-11-19T10:00:00+09:00")
SAT = datetime.fromisoformat("2026-11-21T10:00:00+09:00")


@pytest.mark.parametrize("expr,ref,days,name", [
    ("金曜までに", THU, 1, "tomorrow"),     # said on a Thursday: tomorrow
    ("金曜までに", SAT, 6, "later"),        # said on a Saturday: next week
    ("19日まで", THU, 0, "today"),
    ("11月22日必着", THU, 3, "days"),
    ("来週の月曜まで", SAT, 2, "days"),
    ("十八日まで", THU, -1, "past"),        # kanji numerals; a date already gone
    ("二十五日が締め切り", THU, 6, "later"),
])
def test_named_deadline_is_resolved_against_the_call_date(expr, ref, days, name):
    assert deadline_days(expr, ref) == days
    assert bucket(days) == name


def test_no_call_date_no_deadline_feature():
    assert deadline_days("金曜までに", None) is None


def test_buckets_come_from_configuration():
    assert bucket(2) == "days"
    assert bucket(2, {"tomorrow": 2}) == "tomorrow"


def _inputs(turns, ref=None):
    nlp = build_nlp()
    texts = [t for _, t in turns]
    return call_turn_inputs(list(nlp.pipe(texts)), [NormText(t) for t in texts], [s for s, _ in turns], ref=ref)


def test_turn_features_carry_the_deadline_bucket_of_this_call():
    turns = [("agent", "お電話ありがとうございます。"), ("customer", "金曜までに書類を提出しないといけないんです。")]
    thu = _inputs(turns, THU)[-1][2].cues
    sat = _inputs(turns, SAT)[-1][2].cues
    undated = _inputs(turns)[-1][2].cues
    assert thu.get("deadline_in:tomorrow") == 1.0
    assert sat.get("deadline_in:later") == 1.0 and "deadline_in:tomorrow" not in sat
    assert not any(k.startswith("deadline_in:") for k in undated)


def test_accepting_a_proposed_time_is_marked_as_a_schedule_not_a_deadline():
    cues = _inputs([("agent", "担当部署から明日中に折り返しご連絡いたします。"), ("customer", "明日中ですね、わかりました。")])[-1][2].cues
    assert cues.get("id:urgency.schedule.confirm") == 1.0
    own = _inputs([("customer", "明日中に直してもらわないと店が開けられないんです。")])[-1][2].cues
    assert "id:urgency.schedule.confirm" not in own


def test_past_time_word_is_marked_as_a_past_reference_not_a_deadline():
    cues = _inputs([("customer", "昨日の夕方に注文した者なんですけど、住所を間違えてしまって。")])[-1][2].cues
    assert cues.get("id:urgency.time.past_reference") == 1.0
    need = _inputs([("customer", "昨日から待ってるんです、今日中に何とかしてください。")])[-1][2].cues
    assert "id:urgency.time.past_reference" not in need
