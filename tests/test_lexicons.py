"""Every lexicon entry matches its own example, and its counter-example does not (spacy-lookups-data style)."""
from __future__ import annotations

import json

import pytest

from escalyzer.errors import ResourceError
from escalyzer.lexicons import bundled_lexicon_names, get_lexicon, load_lexicon_file

ENTRIES = [(name, e) for name in bundled_lexicon_names() for e in get_lexicon(name).entries]


def test_there_are_lexicons():
    names = bundled_lexicon_names()
    for required in ("anger_cues", "urgency_cues", "escalation_cues", "topics", "fact_emotion_cues", "handoff"):
        assert required in names


@pytest.mark.parametrize("name,entry", ENTRIES, ids=[e.id for _, e in ENTRIES])
def test_entry_matches_its_own_example(name, entry):
    hits = [h for h in get_lexicon(name).find(entry.example) if h.id == entry.id]
    assert hits, f"{entry.id} does not match its example {entry.example!r}"
    assert all(entry.example[h.start:h.end] == h.text for h in hits)


@pytest.mark.parametrize("name,entry", [(n, e) for n, e in ENTRIES if e.extra.get("counter_example")],
                         ids=[e.id for n, e in ENTRIES if e.extra.get("counter_example")])
def test_entry_does_not_match_its_counter_example(name, entry):
    hits = [h for h in get_lexicon(name).find(entry.extra["counter_example"]) if h.id == entry.id and h.active]
    assert not hits


def test_ids_are_unique_across_lexicons():
    ids = [e.id for _, e in ENTRIES]
    assert len(ids) == len(set(ids))


def test_every_entry_names_its_source():
    assert all(e.source.strip() for _, e in ENTRIES)


def test_negation_marks_the_hit():
    hits = get_lexicon("urgency_cues").find("今日中じゃなくても大丈夫です")
    today = [h for h in hits if h.id == "urgency.deadline.today"]
    assert today and today[0].negated and not today[0].active


def test_hedge_is_found_and_not_negated():
    hits = get_lexicon("anger_cues").find("怒ってはいないんですけど、確認したくて")
    assert [h.id for h in hits] == ["anger.hedge.not_angry"]


def test_someone_elses_quoted_words_are_marked_quoted():
    hits = get_lexicon("anger_cues").find("主人に「ふざけるな」って怒鳴られまして")
    insult = [h for h in hits if h.id == "anger.insult.fuzakeru"]
    assert insult and insult[0].quoted and not insult[0].active


def test_own_words_are_not_quoted():
    hits = get_lexicon("anger_cues").find("ふざけるなよ、いい加減にしろ")
    assert any(h.id == "anger.insult.fuzakeru" and h.active for h in hits)


def test_offsets_survive_full_width_normalisation():
    text = "ＳＮＳに書きますからね！！"
    hits = [h for h in get_lexicon("anger_cues").find(text) if h.id == "anger.threat.sns"]
    assert hits and text[hits[0].start:hits[0].end] == "ＳＮＳ"


def test_a_past_reference_suppresses_the_deadline_inside_it():
    hits = get_lexicon("urgency_cues").find("今日の午前中に一度お電話した者なんですけど")
    today = [h for h in hits if h.id == "urgency.deadline.today"]
    assert today and today[0].suppressed_by == "urgency.time.past_reference" and not today[0].active
    assert today[0].evidence(1)["rule"] == "urgency.deadline.today#suppressed"
    # a past event and a separate deadline in one turn: the deadline still counts
    hits = get_lexicon("urgency_cues").find("昨日注文したんですけど、今日中に届かないと困るんです")
    assert any(h.id == "urgency.deadline.today" and h.active for h in hits)


def test_accepting_a_proposed_time_suppresses_the_deadline_but_asking_for_one_does_not():
    accept = get_lexicon("urgency_cues").find("明日中ですね、わかりました")
    assert [h.id for h in accept if h.active] == ["urgency.schedule.confirm"]
    ask = get_lexicon("urgency_cues").find("明日までにお願いします、月曜の朝イチで使うので")
    assert [h.id for h in ask if h.active] == ["urgency.deadline.tomorrow"]


def test_a_promised_callback_time_is_the_companys_deadline_not_the_customers():
    promise = get_lexicon("urgency_cues").find("担当から明日までに折り返しますって言われたので待ってます")
    assert {h.id for h in promise if h.active} == {"urgency.callback.promised_by", "urgency.callback.expected"}
    assert any(h.id == "urgency.deadline.tomorrow" and h.suppressed_by == "urgency.callback.promised_by" for h in promise)
    # the customer's own need by the same time is a deadline
    need = get_lexicon("urgency_cues").find("明日までに連絡もらえないと契約に間に合わないんです")
    assert any(h.id == "urgency.deadline.tomorrow" and h.active for h in need)
    assert not any(h.id == "urgency.callback.promised_by" for h in need)


def test_a_date_attached_to_a_threat_is_not_the_customers_deadline():
    threat = get_lexicon("urgency_cues").find("今日中に返金しないなら、口コミに全部書きますから")
    today = [h for h in threat if h.id == "urgency.deadline.today"]
    assert today and today[0].suppressed_by == "urgency.threat.conditional_deadline"
    # a real need with a consequence for the customer keeps its deadline
    need = get_lexicon("urgency_cues").find("今日中に直らないと店が開けられないんです")
    assert any(h.id == "urgency.deadline.today" and h.active for h in need)
    assert not any(h.id == "urgency.threat.conditional_deadline" for h in need)


@pytest.mark.parametrize("bad,message", [
    ({"id": "x.y", "label": "L", "pattern": "(", "weight": 0.5, "source": "s", "example": "e"}, "does not compile"),
    ({"id": "x.y", "label": "L", "pattern": "a", "weight": 3, "source": "s", "example": "a"}, "weight"),
    ({"id": "Bad Id", "label": "L", "pattern": "a", "weight": 0.5, "source": "s", "example": "a"}, "dotted lower case"),
    ({"id": "x.y", "label": "L", "pattern": "a", "weight": 0.5, "example": "a"}, "missing field 'source'"),
    ({"id": "x.y", "label": "L", "pattern": "a", "weight": 0.5, "source": "s", "example": "a", "colour": 1}, "unknown field"),
    ({"id": "x.y", "label": "L", "pattern": "a", "weight": 0.5, "source": "s", "example": "a", "suppresses": "L2"},
     "suppresses must be a list"),
])
def test_invalid_entries_are_reported_with_file_and_line(tmp_path, bad, message):
    p = tmp_path / "my.jsonl"
    good = {"id": "ok.one", "label": "L", "pattern": "a", "weight": 0.5, "source": "s", "example": "a"}
    p.write_text(json.dumps(good) + "\n" + json.dumps(bad, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(ResourceError) as exc:
        load_lexicon_file(p)
    assert f"{p}:2" in str(exc.value) and message in str(exc.value)


def test_duplicate_ids_are_refused(tmp_path):
    p = tmp_path / "dup.jsonl"
    e = {"id": "ok.one", "label": "L", "pattern": "a", "weight": 0.5, "source": "s", "example": "a"}
    p.write_text(json.dumps(e) + "\n" + json.dumps(e) + "\n", encoding="utf-8")
    with pytest.raises(ResourceError, match="duplicate id"):
        load_lexicon_file(p)


def test_user_lexicon_dir_adds_and_replaces_entries(tmp_path):
    e = {"id": "anger.custom.word", "label": "INSULT", "pattern": "ポンコツ会社", "weight": 0.9,
         "source": "our QA team", "example": "このポンコツ会社が"}
    (tmp_path / "anger_cues.jsonl").write_text(json.dumps(e, ensure_ascii=False) + "\n", encoding="utf-8")
    lex = get_lexicon("anger_cues", tmp_path)
    assert "anger.custom.word" in lex.by_id and "anger.threat.sns" in lex.by_id
