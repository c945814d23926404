"""Anger and urgency levels on real Japanese: hard cases from LABELING.md and issue #3."""
from __future__ import annotations

import pytest

from conftest import make_call


def _levels(analyzer, turns, **meta):
    rec = analyzer.analyze(make_call(turns, **meta))
    return rec


def _cust(text):
    return [("agent", "お電話ありがとうございます。担当の山田でございます。"), ("customer", text)]


def test_probabilities_sum_to_one_and_levels_have_labels(analyzer):
    rec = _levels(analyzer, _cust("先週注文した商品がまだ届かないんですけど、どうなってますか。"))
    for dim, labels in (("anger", ("平静", "不満", "立腹", "激怒")), ("urgency", ("なし", "早めに", "至急", "緊急"))):
        d = rec[dim]
        assert abs(sum(d["probabilities"]) - 1) < 1e-3
        assert d["label"] == labels[d["level"]]
        for bt in d["by_turn"]:
            assert abs(sum(bt["probabilities"]) - 1) < 1e-3


def test_calm_inquiry_is_calm_and_not_urgent(analyzer):
    rec = _levels(analyzer, _cust("来月引っ越す予定なので、住所変更の手続きを教えていただけますか。急ぎではないです。"))
    assert rec["anger"]["level"] == 0
    assert rec["urgency"]["level"] <= 1


def test_insults_and_manager_demand_are_furious(analyzer):
    rec = _levels(analyzer, _cust("ふざけんなよ、何回同じこと言わせんだよ。話にならねえ、責任者出せ！"))
    assert rec["anger"]["level"] == 3


def test_quoted_anger_of_someone_else_is_not_the_callers(analyzer):
    quoted = _levels(analyzer, _cust("主人に「ふざけるな、SNSに書いてやる」って怒鳴られまして。私は確認したいだけなんです。"))
    own = _levels(analyzer, _cust("ふざけるな、SNSに書いてやる。確認しろって言ってんだよ。"))
    assert quoted["anger"]["level"] <= 1
    assert own["anger"]["level"] >= 2
    # the quoted insult is evidence only as a quoted (inactive) cue, never as the caller's
    assert not any(e["rule"] == "anger.insult.fuzakeru" for e in quoted["anger"]["evidence"])


def test_negated_anger_is_at_most_dissatisfied(analyzer):
    rec = _levels(analyzer, _cust("怒ってはいないんですけど、請求の金額が少し違う気がして、確認してもらえますか。"))
    assert rec["anger"]["level"] <= 1


def test_negated_urgency_is_not_urgent(analyzer):
    rec = _levels(analyzer, _cust("別に急ぎではないんですが、来月までに交換していただければ助かります。"))
    assert rec["urgency"]["level"] <= 1


def test_quiet_sarcasm_is_angry(analyzer):
    rec = _levels(analyzer, _cust("さすが御社ですね。同じミスでこれで三回目ですよ、ずいぶん丁寧なお仕事で。"))
    assert rec["anger"]["level"] >= 2


def test_keigo_collapse_raises_anger_over_the_call(analyzer):
    rec = _levels(analyzer, [
        ("agent", "お電話ありがとうございます。"),
        ("customer", "すみません、昨日届いた炊飯器のことでお電話しました。電源が入らないんです。"),
        ("agent", "ご迷惑をおかけしております。お手数ですが、型番を教えていただけますか。"),
        ("customer", "型番はさっき言ったでしょ。だから早く交換しろって言ってんだよ。"),
    ])
    by_turn = {b["turn"]: b["level"] for b in rec["anger"]["by_turn"]}
    assert by_turn[1] <= 1 and by_turn[3] >= 2


def test_calm_caller_with_serious_harm_is_urgent_not_angry(analyzer):
    rec = _levels(analyzer, _cust("お世話になっております。朝からお店のレジが止まっていて営業ができない状態です。お昼の営業までに何とかならないでしょうか。"))
    assert rec["urgency"]["level"] >= 2
    assert rec["anger"]["level"] <= 1


def test_recurring_trouble_with_harm_is_emergency(analyzer):
    rec = _levels(analyzer, _cust("先月も同じように停電して、今また電気が全部止まってます。冷蔵庫の中の薬がだめになるので今すぐ来てください。"))
    assert rec["urgency"]["level"] == 3


def test_repeat_contact_is_dissatisfied_or_worse(analyzer):
    rec = _levels(analyzer, _cust("これで三回目の電話なんですけど、まだ返金されてないんですよね。何度も電話させないでください。"))
    assert rec["anger"]["level"] >= 1


def test_anger_does_not_fall_from_furious_to_calm_in_one_turn(analyzer):
    rec = _levels(analyzer, [
        ("agent", "お電話ありがとうございます。"),
        ("customer", "ふざけんな！何回電話させるんだよ、責任者出せ！"),
        ("agent", "大変申し訳ございません。"),
        ("customer", "はい。"),
    ])
    levels = [b["level"] for b in rec["anger"]["by_turn"]]
    assert levels[0] == 3 and levels[1] >= 2


def test_evidence_points_into_the_original_turn_text(analyzer):
    call = make_call([("agent", "はい、カスタマーセンターです。"),
                      ("customer", "ＳＮＳに書きますからね！！弁護士にも相談します。今日中に返事ください。")])
    rec = analyzer.analyze(call)
    assert rec["anger"]["evidence"] and rec["urgency"]["evidence"]
    for dim in ("anger", "urgency"):
        for ev in rec[dim]["evidence"]:
            assert call.turns[ev["turn"]].text[ev["start"]:ev["end"]] == ev["text"]
            assert ev["rule"]
    rules = {e["rule"] for e in rec["anger"]["evidence"]}
    assert "anger.threat.sns" in rules and "anger.threat.lawyer" in rules
    assert any(r.startswith("model.anger.") for r in rules)


@pytest.mark.parametrize("text,low,high", [
    ("なんやねんこれ、ほんまええ加減にしてや。昨日も電話したやろ。", 1, 3),           # 関西弁, repeat + irritation
    ("あのですね わたし昨日も電話したんですけど まだ直ってないんですよ いつ来てくれるんですか", 1, 2),  # ASR, no punctuation
    ("ご丁寧にありがとうございます。助かりました。", 0, 0),
])
def test_varied_voices(analyzer, text, low, high):
    rec = _levels(analyzer, _cust(text))
    assert low <= rec["anger"]["level"] <= high


def test_overdue_promised_callback_makes_the_call_at_least_urgent(analyzer):
    turns = [("agent", "お電話ありがとうございます。"), ("customer", "先日の修理の件で、その後どうなったかと思いまして。")]
    overdue = _levels(analyzer, turns, received_at="2026-11-20T10:00:00+09:00",
                      callback_promised_at="2026-11-19T10:00:00+09:00")
    assert overdue["urgency"]["level"] >= 2
    assert overdue["urgency"]["evidence"][0]["rule"] == "urgency.floor.callback_overdue"
    assert abs(sum(overdue["urgency"]["probabilities"]) - 1) < 1e-3
    not_due = _levels(analyzer, turns, received_at="2026-11-20T10:00:00+09:00",
                      callback_promised_at="2026-11-20T17:00:00+09:00")
    assert not_due["urgency"]["level"] <= 1


def test_anger_and_urgency_share_one_feature_matrix_only_when_their_vectorizers_match(analyzer):
    """The bundled models are fitted on the same texts, so one TF-IDF matrix per call serves both; a
    model whose features differ (here: another cue scale) gets its own transform."""
    from escalyzer.textclf import TextClassifier

    scorer = analyzer.levels
    assert scorer.shared == {"anger", "urgency"}
    anger, urgency = scorer.models["anger"], scorer.models["urgency"]
    assert anger.same_features(urgency)
    other = TextClassifier({**urgency.parts, "cue_scale": urgency.parts["cue_scale"] * 2}, urgency.meta)
    assert not anger.same_features(other)


def test_dated_deadline_evidence_says_how_far_it_is_from_the_call_date(analyzer):
    turns = _cust("会社に出す書類なんですけど、金曜までに再発行してもらわないと手続きが間に合わないんです。")
    thu = _levels(analyzer, turns, received_at="2026-11-19T10:00:00+09:00")  # a Thursday
    sat = _levels(analyzer, turns, received_at="2026-11-21T10:00:00+09:00")  # a Saturday
    days = {name: [e.get("days_from_call") for e in rec["urgency"]["evidence"] if e["rule"] == "urgency.deadline.dated"]
            for name, rec in (("thu", thu), ("sat", sat))}
    assert days == {"thu": [1], "sat": [6]}
    # a deadline tomorrow is pressing; the same words a week ahead are not more pressing than that
    assert thu["urgency"]["level"] >= 1
    assert sat["urgency"]["level"] <= thu["urgency"]["level"]


def test_call_anger_is_never_above_its_highest_turn_but_urgency_may_add_up(analyzer):
    """levels.cap_peak_at_turn_level (anger by default): a caller whose turns read as at most 立腹 is not
    called 激怒 by the learned peak. Sample call S-003 is one the uncapped peak lifts above every turn."""
    import copy
    import json
    from pathlib import Path

    from escalyzer.readers import read

    sample = next(t for t in read([str(Path(__file__).parents[1] / "data/samples/calls.jsonl")]) if t.call_id == "S-003")
    capped = analyzer.analyze(sample)["anger"]
    assert capped["level"] <= max(b["level"] for b in capped["by_turn"])
    assert abs(sum(capped["probabilities"]) - 1) < 1e-3
    assert max(range(4), key=lambda k: capped["probabilities"][k]) == capped["level"]
    old = copy.deepcopy(analyzer.levels.config["levels"])
    try:
        analyzer.levels.config["levels"]["cap_peak_at_turn_level"] = {"anger": False, "urgency": False}
        free = analyzer.analyze(sample)["anger"]
    finally:
        analyzer.levels.config["levels"] = old
    assert free["level"] > max(b["level"] for b in free["by_turn"])
    assert json.dumps(free["by_turn"]) == json.dumps(capped["by_turn"])  # only the call's level moves


def test_the_urgency_peak_sees_which_cues_the_call_has_anywhere(analyzer):
    import numpy as np

    from escalyzer.components.levels import call_peak_features, call_turn_inputs
    from escalyzer.textnorm import NormText

    labels = analyzer.levels.metas["urgency"]["peak_cue_labels"]  # what the bundled model was trained with
    assert "NO_RUSH" in labels and "HARM" in labels
    assert not analyzer.levels.metas["anger"].get("peak_cue_labels")
    texts = ["お電話ありがとうございます。", "急ぎませんので、お手すきのときで結構です。", "承知しました。",
             "あと、先週注文した商品の領収書もお願いできますか。"]
    speakers = ["agent", "customer", "agent", "customer"]
    items = call_turn_inputs([analyzer.nlp(t) for t in texts], [NormText(t) for t in texts], speakers)
    cues = [inp.cues for _, _, inp in items]
    P = np.array([[0.7, 0.2, 0.1, 0.0], [0.6, 0.3, 0.1, 0.0]])
    f = call_peak_features(P, cues, labels)
    assert len(f) == 10 + len(labels)
    present = {lab for lab, v in zip(labels, f[10:]) if v}
    assert {"NO_RUSH", "PAST_REF"} <= present and "HARM" not in present and "DEADLINE_TODAY" not in present
    assert np.array_equal(call_peak_features(P), f[:10])  # without labels: the turn distribution's shape only


def test_a_call_that_says_no_hurry_throughout_is_not_urgent(analyzer):
    rec = _levels(analyzer, [
        ("agent", "お電話ありがとうございます。ひかり電気サービスの森でございます。"),
        ("customer", "あ、どうも。エアコンの定期点検のことで電話したんですけど、別に急ぎじゃないんです。"),
        ("agent", "ありがとうございます。ご希望の時期はございますか。"),
        ("customer", "来月でも再来月でも、そちらの空いてるときでいいですよ。いつでも大丈夫なので。"),
        ("agent", "かしこまりました。では来月の候補日を後日メールでお送りします。"),
        ("customer", "はい、それでお願いします。"),
    ])
    assert rec["urgency"]["level"] == 0 and rec["urgency"]["probabilities"][0] > 0.5
