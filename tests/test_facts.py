"""6W3H facts (escalyzer.components.facts) on real Japanese text.

Token expectations assume unidic-lite 1.0.8 (UniDic 2.1.2) through escalyzer's fugashi tokenizer.
Every call below is synthetic, written for these tests (no customer data, no dev-set text).
"""
from __future__ import annotations

import copy
from datetime import datetime

import pytest

from escalyzer.call.context import CallContext
from escalyzer.components import facts as F
from escalyzer.components.facts import (SLOTS, extract_facts, load_rules, normalize_count, normalize_money,
                                        parse_number, resolve_when)
from escalyzer.config import load_config
from escalyzer.errors import ResourceError
from escalyzer.resources_io import load_yaml
from escalyzer.textnorm import NormText
from escalyzer.transcript import Transcript, Turn

REF = datetime.fromisoformat("2026-11-18T14:05:00+09:00")  # a Wednesday


@pytest.fixture(scope="module")
def make_ctx(nlp):  # nlp: escalyzer.pipeline.build_nlp(), the session fixture in conftest.py
    config = load_config()

    def make(turns: list[tuple[str, str]], received_at: datetime | None = REF,
             handoff_turn: int | None = None) -> CallContext:
        tr = Transcript("T-1", [Turn(sp, text) for sp, text in turns], received_at=received_at)
        texts = [t.text for t in tr.turns]
        ctx = CallContext(tr, list(nlp.pipe(texts)), [NormText(x) for x in texts], config)
        ctx.handoff_turn = handoff_turn
        return ctx

    return make


def texts(result: dict, slot: str) -> list[str]:
    return [item["text"] for item in result["slots"][slot]]


def assert_offsets(ctx: CallContext, result: dict) -> None:
    for slot, items in result["slots"].items():
        for item in items:
            assert ctx.turns[item["turn"]].text[item["start"]:item["end"]] == item["text"], (slot, item)


# ------------------------------------------------------------------------------------------- pure helpers

@pytest.mark.parametrize("text, expected", [
    ("3,980円", 3980),
    ("３，９８０円", 3980),
    ("一万円", 10000),
    ("六千円", 6000),
    ("2万5千円", 25000),
    ("二万五千円", 25000),
    ("1.5万円", 15000),
    ("一万二千三百円", 12300),
    ("千五百円", 1500),
    ("月額二千九百八十円", 2980),
    ("１２万円", 120000),
])
def test_when_money_is_written_any_way_then_it_normalises_to_integer_yen(text, expected):
    assert normalize_money(text) == expected


@pytest.mark.parametrize("text", ["何円", "円高", "送料はかかりません", ""])
def test_when_there_is_no_amount_then_money_is_none(text):
    assert normalize_money(text) is None


@pytest.mark.parametrize("text, expected", [
    ("十一", 11), ("二十", 20), ("三百五", 305), ("一九八五", 1985), ("〇四二", 42), ("2万5千", 25000),
    ("1.5万", 15000), ("12,300", 12300), ("一億二千万", 120000000), ("ありがとう", None), ("万", None),
])
def test_when_parsing_numbers_then_kanji_arabic_and_mixed_forms_work(text, expected):
    assert parse_number(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("2回", {"value": 2, "unit": "回"}),
    ("3台", {"value": 3, "unit": "台"}),
    ("三件", {"value": 3, "unit": "件"}),
    ("５個", {"value": 5, "unit": "個"}),
    ("何度も", {"value": None, "unit": "回", "approx": "many"}),
    ("何回も", {"value": None, "unit": "回", "approx": "many"}),
    ("三回目", {"value": 3, "unit": "回", "ordinal": True}),
    ("約40名分", {"value": 40, "unit": "名", "approx": "about"}),
])
def test_when_a_count_is_said_then_it_normalises_to_value_and_unit(text, expected):
    assert normalize_count(text) == expected


def test_when_no_counter_follows_the_number_then_count_is_none():
    assert normalize_count("2026年") is None
    assert normalize_count("よろしくお願いします") is None


@pytest.mark.parametrize("text, expected", [
    ("昨日", {"date": "2026-11-17"}),
    ("一昨日", {"date": "2026-11-16"}),
    ("今日", {"date": "2026-11-18"}),
    ("明日", {"date": "2026-11-19"}),
    ("先週の金曜", {"date": "2026-11-13"}),
    ("先々週の月曜日", {"date": "2026-11-02"}),
    ("来週の月曜日", {"date": "2026-11-23"}),
    ("3日前", {"date": "2026-11-15"}),
    ("三日前", {"date": "2026-11-15"}),
    ("15時", {"datetime": "2026-11-18T15:00:00+09:00"}),
    ("午後三時", {"datetime": "2026-11-18T15:00:00+09:00"}),
    ("昨日の夜9時半", {"datetime": "2026-11-17T21:30:00+09:00"}),
    ("11月14日", {"date": "2026-11-14"}),
    ("十一月十四日", {"date": "2026-11-14"}),
    ("１１月１４日", {"date": "2026-11-14"}),
    ("先月", {"month": "2026-10"}),
    ("来週", {"week": "2026-W48"}),
    ("3日経っても", {"duration": "P3D"}),
    ("3日間", {"duration": "P3D"}),
    ("二週間", {"duration": "P2W"}),
    ("2時間半", {"duration": "PT2H30M"}),
])
def test_when_resolved_against_the_call_date_then_iso_values(text, expected):
    assert resolve_when(text, REF) == expected


def test_when_a_date_is_near_new_year_then_the_nearest_year_is_chosen():
    ref = datetime.fromisoformat("2027-01-05T10:00:00+09:00")
    assert resolve_when("12月28日", ref) == {"date": "2026-12-28"}
    assert resolve_when("先月", ref) == {"month": "2026-12"}


@pytest.mark.parametrize("text, expected", [
    ("昨日", {"relative": "-1d"}),
    ("明日", {"relative": "+1d"}),
    ("3日前", {"relative": "-3d"}),
    ("先週の金曜", {"relative": "-1w", "weekday": "fri"}),
    ("15時", {"time": "15:00"}),
    ("3日経っても", {"duration": "P3D"}),
])
def test_when_there_is_no_call_date_then_relative_expressions_stay_relative(text, expected):
    assert resolve_when(text, None) == expected


def test_when_text_has_no_time_expression_then_resolve_when_is_none():
    assert resolve_when("ありがとうございます", REF) is None


# ------------------------------------------------------------------------------------------- whole calls

def test_when_relative_dates_are_said_then_when_items_resolve_against_received_at(make_ctx):
    ctx = make_ctx([
        ("agent", "お電話ありがとうございます。サクラ家電サポートの田村でございます。"),
        ("customer", "先週の金曜に届いた洗濯機なんですけど、昨日から脱水の途中で止まってしまうんです。"),
        ("agent", "ご不便をおかけしております。"),
        ("customer", "3日前にも一度問い合わせて、今日の15時までに折り返すって言われたんです。"),
    ])
    res = extract_facts(ctx)
    assert_offsets(ctx, res)
    by_text = {i["text"]: i["normalized"] for i in res["slots"]["when"]}
    assert by_text == {"先週の金曜": {"date": "2026-11-13"}, "昨日": {"date": "2026-11-17"},
                       "3日前": {"date": "2026-11-15"}}
    # the past events rank above the promise about this afternoon (今日の15時)
    assert "今日の15時" not in by_text


def test_when_the_call_date_is_unknown_then_when_items_stay_relative(make_ctx):
    ctx = make_ctx([("customer", "昨日の夜から冷蔵庫が冷えないんです。")], received_at=None)
    res = extract_facts(ctx)
    assert res["slots"]["when"][0]["text"] == "昨日の夜"
    assert res["slots"]["when"][0]["normalized"] == {"relative": "-1d", "part": "night"}


def test_when_a_duration_is_said_then_it_is_kept_as_a_duration(make_ctx):
    ctx = make_ctx([
        ("customer", "ネットで注文したんですけど、3日経っても届かないんです。"),
    ])
    res = extract_facts(ctx)
    durations = [i for i in res["slots"]["when"] if i["normalized"] and "duration" in i["normalized"]]
    assert durations and durations[0]["normalized"]["duration"] == "P3D"
    assert durations[0]["text"].startswith("3日")


def test_when_money_is_said_in_kanji_full_width_and_mixed_forms_then_how_much_is_integer_yen(make_ctx):
    ctx = make_ctx([
        ("customer", "今月の請求を見たら、二万五千円も引き落とされてるんです。"),
        ("agent", "確認いたします。"),
        ("customer", "いつもは３，９８０円なのに。"),
    ])
    res = extract_facts(ctx)
    assert_offsets(ctx, res)
    values = {i["text"]: i["normalized"] for i in res["slots"]["how_much"]}
    assert values["二万五千円"] == 25000
    assert values["３，９８０円"] == 3980


def test_when_a_count_or_many_times_is_said_then_how_many_is_normalised(make_ctx):
    ctx = make_ctx([
        ("customer", "ルーターを2台買ったんですけど、何度も再起動してもつながらないんです。"),
    ])
    res = extract_facts(ctx)
    norm = {i["text"]: i["normalized"] for i in res["slots"]["how_many"]}
    assert norm["2台"] == {"value": 2, "unit": "台"}
    assert norm["何度も"] == {"value": None, "unit": "回", "approx": "many"}


def test_when_the_count_is_just_once_then_how_many_stays_empty(make_ctx):
    ctx = make_ctx([
        ("customer", "午前中に一回電話した者なんですけど、解約の書類がまだ届かなくて。"),
    ])
    res = extract_facts(ctx)
    assert res["slots"]["how_many"] == []
    assert "how_many" in res["missing_slots"]


def test_when_no_reason_is_given_then_why_is_empty_and_missing(make_ctx):
    ctx = make_ctx([
        ("agent", "お電話ありがとうございます。ミドリ通販の森でございます。"),
        ("customer", "注文した本がまだ届かないんですけど。"),
        ("agent", "お調べいたしますので、少々お待ちください。"),
        ("customer", "はい、お願いします。"),
    ])
    res = extract_facts(ctx)
    assert res["slots"]["why"] == []
    assert "why" in res["missing_slots"]


def test_when_the_cause_is_stated_then_why_holds_the_cause(make_ctx):
    ctx = make_ctx([
        ("customer", "エアコンが動かないんです。"),
        ("agent", "確認いたしました。原因は室外機の基板の故障でした。"),
    ])
    res = extract_facts(ctx)
    assert res["slots"]["why"], res
    assert "室外機の基板の故障" in res["slots"]["why"][0]["text"]


def test_when_the_customer_gives_a_negative_reason_clause_then_why_is_filled(make_ctx):
    ctx = make_ctx([
        ("customer", "保証書がないと修理できないって言われて困ってるんです。"),
    ])
    res = extract_facts(ctx)
    assert any("保証書がないと修理できない" in t for t in texts(res, "why"))


def test_when_an_asr_turn_runs_on_without_punctuation_then_who_and_what_are_found(make_ctx):
    ctx = make_ctx([
        ("agent", "お電話ありがとうございますアオバ電力お客様センター担当の西村でございます"),
        ("customer", "あもしもし株式会社ハヤテ運輸の経理の小池ですけど今月の請求書がまだ届いてないんですよ先月も遅れてて"
                     "困ってるんですけどどうなってますか"),
    ])
    res = extract_facts(ctx)
    assert_offsets(ctx, res)
    who = texts(res, "who")
    assert who and who[0].endswith("小池") and "ハヤテ運輸" in who[0]
    what = texts(res, "what")
    assert what and "届いてない" in what[0]
    assert len(what[0]) <= 40


def test_when_the_agent_confirms_the_name_then_who_is_the_customer_not_the_agent(make_ctx):
    ctx = make_ctx([
        ("agent", "お電話ありがとうございます。ヒカリ銀行の大西でございます。"),
        ("customer", "振り込んだはずのお金が相手に届いてないみたいで。"),
        ("agent", "ありがとうございます。藤田様でいらっしゃいますね。"),
    ])
    res = extract_facts(ctx)
    assert texts(res, "who") == ["藤田"]
    assert res["slots"]["who"][0]["rule"] == "who.agent_confirm"
    assert "大西" not in " ".join(texts(res, "who"))


def test_when_the_customer_repeats_surname_then_full_name_wins(make_ctx):
    ctx = make_ctx([
        ("agent", "お名前をお伺いしてもよろしいでしょうか。"),
        ("customer", "野口です。野口恵美。"),
        ("agent", "野口様、ありがとうございます。"),
    ])
    res = extract_facts(ctx)
    assert texts(res, "who") == ["野口恵美"]
    assert res["slots"]["who"][0]["turn"] == 1


def test_when_family_and_third_parties_are_mentioned_then_whom_is_filled(make_ctx):
    ctx = make_ctx([
        ("customer", "娘の携帯の契約なんですけど、販売店の店員に勧められて勝手にプランが変わってたんです。"),
    ])
    res = extract_facts(ctx)
    whom = texts(res, "whom")
    assert any(w.startswith("娘") for w in whom)
    assert any("店員" in w for w in whom)


def test_when_daijoubu_is_said_then_husband_is_not_found_inside_it(make_ctx):
    ctx = make_ctx([("customer", "いえ、大丈夫です。")])
    res = extract_facts(ctx)
    assert res["slots"]["who"] == [] and res["slots"]["whom"] == []


def test_when_places_and_channels_are_said_then_where_and_how_are_filled(make_ctx):
    ctx = make_ctx([
        ("customer", "先週、新宿西口店で買ったプリンターなんですけど、アプリから印刷すると紙が詰まるんです。"),
    ])
    res = extract_facts(ctx)
    assert "新宿西口店" in texts(res, "where")
    assert any(t.startswith("アプリから") for t in texts(res, "how"))


def test_when_the_agent_promises_a_channel_then_it_is_not_how_it_happened(make_ctx):
    ctx = make_ctx([
        ("customer", "解約の手続きの件で電話しました。"),
        ("agent", "かしこまりました。結果は後ほどメールでお知らせいたします。"),
    ])
    res = extract_facts(ctx)
    assert not any("メール" in t for t in texts(res, "how"))


def test_when_the_supervisor_has_taken_over_then_later_turns_are_not_read(make_ctx):
    turns = [
        ("customer", "注文した椅子の脚が折れてたんですけど。"),
        ("agent", "申し訳ございません。責任者に代わります。"),
        ("supervisor", "お電話代わりました。"),
        ("customer", "購入金額の一万八千円を返してほしいんです。"),
    ]
    res = extract_facts(make_ctx(turns, handoff_turn=2))
    assert res["slots"]["how_much"] == []
    res_all = extract_facts(make_ctx(turns, handoff_turn=None))
    assert [i["normalized"] for i in res_all["slots"]["how_much"]] == [18000]


def test_when_the_customer_gives_a_birth_date_then_it_is_not_an_event_date(make_ctx):
    ctx = make_ctx([
        ("agent", "ご本人様確認のため、お名前と生年月日をお願いいたします。"),
        ("customer", "木村直樹、1979年4月2日です。"),
        ("agent", "ありがとうございます。"),
        ("customer", "昨日からネットがつながらないんです。"),
    ])
    res = extract_facts(ctx)
    assert all("1979" not in t for t in texts(res, "when"))
    assert "昨日" in texts(res, "when")


def test_when_extracting_then_the_result_has_every_slot_and_missing_slots_are_the_empty_ones(make_ctx):
    ctx = make_ctx([
        ("customer", "昨日届いたテレビが映らないんです。"),
    ])
    res = extract_facts(ctx)
    assert set(res["slots"]) == set(SLOTS)
    assert res["missing_slots"] == [s for s in SLOTS if not res["slots"][s]]
    for items in res["slots"].values():
        assert len(items) <= 3
        for item in items:
            assert set(item) == {"text", "turn", "start", "end", "normalized", "rule"}
    assert_offsets(ctx, res)


def test_when_the_input_is_a_greeting_only_then_every_slot_is_missing(make_ctx):
    ctx = make_ctx([("agent", "お電話ありがとうございます。ミナト保険の岡でございます。")])
    res = extract_facts(ctx)
    assert res["missing_slots"] == list(SLOTS)


def test_when_the_agent_asks_for_the_address_then_the_word_address_is_not_a_place(make_ctx):
    ctx = make_ctx([
        ("customer", "玄関の鍵が壊れて開かないんです。"),
        ("agent", "ご住所をお伺いしてもよろしいでしょうか。"),
        ("customer", "吉村です。住所は札幌市中央区の北一条です。"),
    ])
    res = extract_facts(ctx)
    where = texts(res, "where")
    assert "札幌市中央区" in where
    assert not any("住所" in w for w in where)
    assert not any(w == "吉村" for w in where)  # a surname ending in 村 is not a village


def test_when_a_cause_is_linked_by_sono_tame_then_the_previous_clause_is_why(make_ctx):
    ctx = make_ctx([
        ("customer", "保険料が急に高くなってたんですけど。"),
        ("agent", "昨年度に事故のご報告が一件ございまして、そのため等級が下がっております。"),
    ])
    res = extract_facts(ctx)
    assert any("事故のご報告" in t for t in texts(res, "why"))
    assert "保険料が急に高くなって" in texts(res, "what")[0]


def test_when_the_agent_explains_procedure_with_node_then_it_is_not_a_cause(make_ctx):
    ctx = make_ctx([
        ("customer", "カードの再発行をお願いしたいんです。"),
        ("agent", "新しいカードはご自宅に郵送いたしますので、届きましたらご署名をお願いいたします。"),
        ("agent", "お手続きの内容は書面で引き継がれますので、ご安心ください。"),
    ])
    res = extract_facts(ctx)
    assert res["slots"]["why"] == []
    assert res["slots"]["where"] == []  # ご自宅 is where the agent will send the card, not where it happened
    assert texts(res, "what") == ["カードの再発行をお願いしたい"]


def test_when_a_third_party_is_named_with_and_without_honorific_then_whom_keeps_one(make_ctx):
    ctx = make_ctx([
        ("customer", "販売店さんに聞いたらメーカーに聞けって言われて、販売店も分からないって。"),
    ])
    res = extract_facts(ctx)
    assert [w for w in texts(res, "whom") if w.startswith("販売店")] == ["販売店さん"]


def test_when_the_customer_introduces_a_role_then_who_holds_it(make_ctx):
    ctx = make_ctx([
        ("customer", "契約者の家族の者なんですけど、父が入院してしまって、代わりに手続きをしたいんです。"),
    ])
    res = extract_facts(ctx)
    assert texts(res, "who") == ["家族の者"]
    assert res["slots"]["who"][0]["rule"] == "who.role_self"


# ------------------------------------------------------------------------------------------- the rule file

def test_when_loading_the_bundled_rules_then_every_example_matches_its_pattern():
    rules = load_rules()
    assert {r.slot for r in rules.rules} >= {"whom", "where", "when", "what", "how", "how_much", "how_many", "why"}
    for r in rules.rules:
        assert r.regex.search(NormText(r.example).norm), r.id


def _rules_copy() -> dict:
    return copy.deepcopy(load_yaml(F.RULES_FILE))


@pytest.mark.parametrize("field, value, message", [
    ("slot", "whenever", "unknown slot"),
    ("pattern", "(unclosed", "does not compile"),
    ("example", "関係のない文", "does not match its example"),
    ("score", 1.5, "must be in [0, 1]"),
])
def test_when_a_rule_is_invalid_then_loading_fails_with_e030_naming_it(field, value, message):
    data = _rules_copy()
    data["rules"][0][field] = value
    with pytest.raises(ResourceError, match=r"\[E030\].*" + data["rules"][0]["id"].replace(".", r"\.")) as exc:
        load_rules(data, where="w6h3.yaml")
    assert message in str(exc.value)


def test_when_two_rules_share_an_id_then_loading_fails():
    data = _rules_copy()
    data["rules"].append(dict(data["rules"][0]))
    with pytest.raises(ResourceError, match="duplicate id"):
        load_rules(data, where="w6h3.yaml")
