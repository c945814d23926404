"""Supervisor takeover scoring: each of the seven steps (positive and negative), order, score, warnings.

The transcripts are synthetic, written for these tests after the seed article's examples
(shared/seeds/000_b54099cb27bdd303.txt, 動作編 1-6) and LABELING.md ("The supervisor's seven steps").
Token expectations assume unidic-lite 1.0.8 (UniDic 2.1.2) with fugashi 1.5.
"""
from __future__ import annotations

import copy

import pytest
from conftest import make_call

from escalyzer.call.supervisor import score_supervisor
from escalyzer.writers import STEPS

PRE = [
    ("agent", "お電話ありがとうございます。ミドリ電器サポートの川口でございます。"),
    ("customer", "先週買った炊飯器が三日で動かなくなったんです。一万九千八百円もしたのに。交換してほしいんですけど、"
                 "さっきから話が進まないので上の人に代わってください。"),
    ("agent", "承知いたしました。責任者に代わりますので、少々お待ちください。"),
]
INTRO = "大変お待たせして申し訳ございません。お客様サポート課の責任者をしております、高田と申します。川口に代わりまして、私が承ります。"
FIRST = ("先ほどのご案内ではご希望に沿えず、至らぬ点があり申し訳ございませんでした。川口から、先週ご購入の炊飯器が三日で"
         "動かなくなり、一万九千八百円の商品の交換をご希望と伺っております。お間違いないでしょうか。")
EMPATHY = "せっかくご購入いただいたのに、ご不便をおかけして誠に申し訳ございません。お気持ちお察しいたします。"
SOLUTION = "明日の午前中に新しい炊飯器をお届けし、その際に故障品をお引き取りいたします。"


def good_call(**replace):
    """A takeover that does all seven steps; ``replace`` swaps a supervisor line by its key."""
    lines = {"intro": INTRO, "first": FIRST, "empathy": EMPATHY, "solution": SOLUTION}
    lines.update(replace)
    turns = PRE + [
        ("supervisor", lines["intro"]),
        ("customer", "はい、お願いします。"),
        ("supervisor", lines["first"]),
        ("customer", "そうです。楽しみにしていたのに、本当にがっかりですよ。"),
        ("supervisor", lines["empathy"]),
        ("customer", "それで、どうなりますか。"),
        ("supervisor", lines["solution"]),
        ("customer", "わかりました。お願いします。"),
    ]
    return [t for t in turns if t[1]]


@pytest.fixture(scope="module")
def score(analyzer):
    def run(turns, **meta):
        return analyzer.analyze(make_call(turns, **meta))["supervisor"]
    return run


@pytest.fixture(scope="module")
def good(score):
    return score(good_call())


def done(sup):
    return {s for s, st in sup["steps"].items() if st["done"]}


def assert_offsets(call_turns, sup):
    texts = [t[1] for t in call_turns]
    items = [e for st in sup["steps"].values() for e in st["evidence"]]
    items += [e for w in sup["warnings"] for e in w["evidence"]]
    items += [e for f in sup["phrasing"] for e in f["evidence"]]
    assert items
    for e in items:
        if e["start"] is not None:
            assert texts[e["turn"]][e["start"]:e["end"]] == e["text"], e


# ------------------------------------------------------------------------------------------------
# the whole takeover


def test_when_every_step_is_done_then_all_seven_and_full_score(good):
    assert done(good) == set(STEPS)
    assert good["score"] == 100 and good["order_ok"] is True
    assert good["name"] == "高田"
    assert good["handoff_turn"] == 3 and good["handoff_rule"] == "handoff.speaker_role"
    assert good["order"][:2] == ["apologize_wait", "introduce"]
    assert set(good) >= {"handoff_turn", "handoff_rule", "name", "steps", "order_ok", "order", "score", "warnings",
                         "phrasing"}
    assert good["warnings"] == []


def test_evidence_offsets_point_into_the_original_turns(good):
    assert_offsets(good_call(), good)
    for st in good["steps"].values():
        for e in st["evidence"]:
            assert set(e) >= {"turn", "start", "end", "text", "rule", "score"}


def test_when_nobody_takes_over_then_no_supervisor(analyzer):
    rec = analyzer.analyze(make_call(PRE[:2] + [("agent", "確認いたします。明日までにご連絡いたします。")]))
    assert rec["supervisor"] is None


def test_when_the_export_has_no_supervisor_role_then_the_takeover_is_found(score, analyzer):
    turns = [(("agent" if s == "supervisor" else s), t) for s, t in good_call()]
    rec = analyzer.analyze(make_call(turns))
    sup = rec["supervisor"]
    assert sup is not None and sup["handoff_turn"] == 3
    assert sup["handoff_rule"] != "handoff.speaker_role"
    assert done(sup) == set(STEPS)
    assert any(w.get("code") == "W010" for w in rec["warnings"])


# ------------------------------------------------------------------------------------------------
# 1. introduce


def test_when_only_a_bare_name_is_given_then_introduce_fails(score):
    sup = score(good_call(intro="お電話代わりました。高田です。大変お待たせして申し訳ございません。"))
    st = sup["steps"]["introduce"]
    assert st["done"] is False and "bare name" in st["note"]
    assert sup["name"] == "高田"
    assert sup["steps"]["apologize_wait"]["done"] is True


def test_when_name_and_title_but_no_takeover_then_introduce_fails(score):
    sup = score(good_call(intro="大変お待たせして申し訳ございません。サポート課の課長、高田でございます。"))
    assert sup["steps"]["introduce"]["done"] is False
    assert "takeover" in sup["steps"]["introduce"]["note"]


def test_when_a_one_kanji_surname_with_team_and_takeover_then_introduce_passes(score):
    sup = score(good_call(intro="お電話代わりました。お客様相談室の森です。大変お待たせして申し訳ございません。"))
    assert sup["steps"]["introduce"]["done"] is True and sup["name"] == "森"


# ------------------------------------------------------------------------------------------------
# 2. apologize_wait


@pytest.mark.parametrize("intro", [
    "すみません、お待たせしました。サポート課の責任者、高田と申します。川口に代わりまして承ります。",
    "お待たせしました。サポート課の責任者、高田と申します。川口に代わりまして承ります。",
])
def test_when_the_wait_gets_a_bare_sumimasen_or_omatase_then_apologize_wait_fails(score, intro):
    sup = score(good_call(intro=intro))
    assert sup["steps"]["apologize_wait"]["done"] is False
    assert sup["steps"]["introduce"]["done"] is True


def test_when_the_wait_gets_a_formal_apology_then_apologize_wait_passes(score):
    sup = score(good_call(intro="サポート課の責任者、高田と申します。川口に代わりまして承ります。"
                                "長らくお待たせいたしまして、誠に申し訳ございませんでした。"))
    st = sup["steps"]["apologize_wait"]
    assert st["done"] is True and "お待たせいたしまして" in st["evidence"][0]["text"]


# ------------------------------------------------------------------------------------------------
# 3. apologize_first_response


def test_when_the_apology_is_conditional_then_first_response_fails(score):
    first = FIRST.replace("先ほどのご案内ではご希望に沿えず、至らぬ点があり申し訳ございませんでした。",
                          "先ほどの者の対応でご不快に感じられたのであれば申し訳ございません。")
    sup = score(good_call(first=first))
    st = sup["steps"]["apologize_first_response"]
    assert st["done"] is False and "conditional" in st["note"]


def test_when_only_the_incident_is_apologised_for_then_first_response_fails(score):
    first = FIRST.replace("先ほどのご案内ではご希望に沿えず、至らぬ点があり申し訳ございませんでした。",
                          "このたびは製品の不具合でご迷惑をおかけし、申し訳ございません。")
    sup = score(good_call(first=first))
    assert sup["steps"]["apologize_first_response"]["done"] is False


def test_when_the_first_agent_is_named_in_the_apology_then_first_response_passes(score):
    first = FIRST.replace("先ほどのご案内ではご希望に沿えず、至らぬ点があり申し訳ございませんでした。",
                          "川口がご事情を十分に伺えず、申し訳ございませんでした。")
    sup = score(good_call(first=first))
    st = sup["steps"]["apologize_first_response"]
    assert st["done"] is True and st["evidence"][0]["rule"] == "step.first_response.agent_name"


# ------------------------------------------------------------------------------------------------
# 4. confirm_situation


def test_when_told_to_explain_from_the_start_without_cushion_then_confirm_fails_and_warns(score):
    sup = score(good_call(first="先ほどのご案内に至らぬ点があり申し訳ございませんでした。では、最初から説明してください。"))
    st = sup["steps"]["confirm_situation"]
    assert st["done"] is False and "no cushion" in st["note"]
    assert "最初から説明してください" in st["evidence"][0]["text"]
    ids = {w["id"] for w in sup["warnings"]}
    assert {"supervisor.repeat_without_cushion", "supervisor.no_acknowledgement"} <= ids


def test_when_asked_again_with_a_cushion_then_confirm_passes(score):
    sup = score(good_call(first="先ほどのご案内に至らぬ点があり申し訳ございませんでした。すでにご説明いただいたところ"
                                "恐縮ですが、改めて状況をお聞かせいただけますでしょうか。"))
    st = sup["steps"]["confirm_situation"]
    assert st["done"] is True and st["note"].startswith("cushioned")
    assert "supervisor.repeat_without_cushion" not in {w["id"] for w in sup["warnings"]}


def test_when_the_check_is_not_a_restatement_then_confirm_fails(score):
    first = "先ほどのご案内に至らぬ点があり申し訳ございませんでした。ご連絡先はご登録のお電話番号でよろしいでしょうか。"
    sup = score(good_call(first=first))
    assert sup["steps"]["confirm_situation"]["done"] is False


def test_when_the_restated_amount_contradicts_the_customer_then_a_warning(score):
    sup = score(good_call(first=FIRST.replace("一万九千八百円", "二万九千八百円")))
    assert sup["steps"]["confirm_situation"]["done"] is True
    w = [w for w in sup["warnings"] if w["id"] == "supervisor.confirm_contradicts_facts"]
    assert w and w[0]["evidence"][0]["text"] == "二万九千八百円"
    assert "一万九千八百円" in w[0]["evidence"][1]["text"]


def test_when_the_restated_amount_matches_then_no_contradiction(good):
    assert not [w for w in good["warnings"] if w["id"] == "supervisor.confirm_contradicts_facts"]


# ------------------------------------------------------------------------------------------------
# 5. listen (timestamps)


def _timed(sup_reply_start: float, reply: str = "はい、承知いたしました。"):
    turns = good_call()
    timed = []
    t = 0.0
    for spk, text in turns:
        timed.append((spk, text, t, t + 4.0))
        t += 5.0
    # the customer complains at turn 7 (ends at 39.0); the supervisor's reply at turn 8 starts at sup_reply_start
    timed[7] = ("customer", "そうです。楽しみにしていたのに、本当にがっかりですよ。", 35.0, 39.0)
    timed[8] = ("supervisor", reply, sup_reply_start, sup_reply_start + 3.0)
    return timed


def test_when_the_supervisor_starts_before_the_customer_finished_then_listen_fails(score):
    sup = score(_timed(38.1))
    st = sup["steps"]["listen"]
    assert st["done"] is False
    assert st["evidence"][0]["rule"] == "listen.interruption" and st["evidence"][0]["turn"] == 8
    assert st["evidence"][0]["score"] == pytest.approx(0.9)


def test_when_the_supervisor_waits_for_the_customer_then_listen_passes(score):
    st = score(_timed(39.4))["steps"]["listen"]
    assert st["done"] is True and "no interruption" in st["note"]


def test_when_the_supervisor_argues_back_then_listen_fails_even_without_overlap(score):
    st = score(_timed(39.4, reply="ですから、規則ですので交換はできかねます。"))["steps"]["listen"]
    assert st["done"] is False and any(e["rule"].startswith("step.listen.counter") for e in st["evidence"])


def test_when_the_customer_complains_of_being_cut_off_then_listen_fails(score):
    turns = good_call()
    turns.insert(8, ("customer", "ちょっと、まだ話してる途中なんですけど。"))
    st = score(turns)["steps"]["listen"]
    assert st["done"] is False and st["evidence"][0]["rule"] == "step.listen.customer_complaint"


# ------------------------------------------------------------------------------------------------
# 6. propose_solution


def test_when_only_a_vague_promise_then_propose_fails(score):
    st = score(good_call(solution="担当部署に確認いたしまして、分かり次第ご連絡するようにいたします。"))["steps"]["propose_solution"]
    assert st["done"] is False and "vague" in st["note"]


def test_when_a_committed_action_has_no_time_then_propose_passes_with_a_lower_score(score):
    st = score(good_call(solution="今回は新品と交換いたします。"))["steps"]["propose_solution"]
    assert st["done"] is True and st["evidence"][0]["score"] < 1.0


def test_when_action_and_time_then_propose_passes(good):
    st = good["steps"]["propose_solution"]
    assert st["done"] is True and st["turn"] == 9 and st["evidence"][0]["text"] == "明日"


# ------------------------------------------------------------------------------------------------
# 7. apologize_delay_empathy


def test_when_empathy_has_no_apology_then_delay_empathy_fails(score):
    st = score(good_call(empathy="そうでしたか。お気持ちお察しいたします。"))["steps"]["apologize_delay_empathy"]
    assert st["done"] is False and "no apology" in st["note"]


def test_when_the_apology_has_no_empathy_then_delay_empathy_fails(score):
    st = score(good_call(empathy="誠に申し訳ございません。"))["steps"]["apologize_delay_empathy"]
    assert st["done"] is False


def test_when_apology_and_same_position_empathy_then_delay_empathy_passes(score):
    st = score(good_call(empathy="長らくお時間をいただき申し訳ございません。お客様と同じ立場であれば、私も同じように感じると思います。"))
    st = st["steps"]["apologize_delay_empathy"]
    assert st["done"] is True and {e["label"] for e in st["evidence"]} == {"EMPATHY", "APOLOGY"}


# ------------------------------------------------------------------------------------------------
# order and score


def test_when_the_solution_comes_before_the_confirmation_then_order_is_not_ok(score):
    turns = good_call()
    sol = turns.pop(9)
    turns.insert(5, sol)
    sup = score(turns)
    assert sup["order_ok"] is False
    assert sup["order"].index("propose_solution") < sup["order"].index("confirm_situation")
    assert done(sup) == set(STEPS)
    # weights 90, and the order penalty 10 instead of the bonus (resources/rules/supervisor_steps.yaml)
    assert sup["score"] == 80


def test_when_weights_come_from_a_user_file_then_the_score_follows_them(analyzer, tmp_path):
    import yaml

    from escalyzer.components.facts import extract_facts
    from escalyzer.resources_io import load_yaml

    rules = copy.deepcopy(load_yaml("rules/supervisor_steps.yaml"))
    for s in rules["steps"]:
        s["weight"] = 5
    rules["order"]["bonus"] = 0
    path = tmp_path / "steps.yaml"
    path.write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")
    ctx = analyzer.context(make_call(good_call()))
    ctx.results["facts"] = extract_facts(ctx)
    ctx.config = copy.deepcopy(ctx.config)
    ctx.config["supervisor"]["weights_file"] = str(path)
    assert score_supervisor(ctx)["score"] == 35
