"""Escalation rules: positive and negative cases for each kind, harassment, early warning."""
from __future__ import annotations

from conftest import make_call

RECEIVED = "2026-11-20T10:00:00+09:00"


def _esc(analyzer, turns, **meta):
    return analyzer.analyze(make_call(turns, **meta))["escalation"]


def _rules(esc):
    return {r["rule"] for r in esc["reasons"]}


CALM = [
    ("agent", "お電話ありがとうございます。サポートセンターの木村でございます。"),
    ("customer", "お世話になっております。先日お願いした修理の件で、その後どうなったかなと思いまして。"),
    ("agent", "ご確認いたします。お名前をお伺いできますか。"),
    ("customer", "佐藤と申します。よろしくお願いします。"),
]


def test_when_calm_caller_callback_two_days_overdue_then_automatic(analyzer):
    esc = _esc(analyzer, CALM, received_at=RECEIVED, callback_promised_at="2026-11-18T10:00:00+09:00")
    assert "automatic" in esc["types"] and "automatic.callback_overdue" in _rules(esc)
    reason = next(r for r in esc["reasons"] if r["rule"] == "automatic.callback_overdue")
    assert reason["overdue_hours"] == 48.0
    assert any(e["text"].startswith("callback_promised_at=") for e in reason["evidence"])
    assert "hierarchical" not in esc["types"]
    assert esc["first_flag_turn"] == 0  # known from the metadata before anyone speaks


def test_when_callback_not_yet_due_then_no_automatic_flag(analyzer):
    esc = _esc(analyzer, CALM, received_at=RECEIVED, callback_promised_at="2026-11-20T17:00:00+09:00")
    assert "automatic" not in esc["types"]


def test_when_response_sla_missed_then_automatic(analyzer):
    esc = _esc(analyzer, CALM, received_at=RECEIVED, first_contact_at="2026-11-18T09:00:00+09:00", sla_hours=24)
    assert "automatic.sla_breach" in _rules(esc)


def test_when_sla_not_yet_missed_then_no_flag(analyzer):
    esc = _esc(analyzer, CALM, received_at=RECEIVED, first_contact_at="2026-11-20T09:00:00+09:00", sla_hours=24)
    assert "automatic" not in esc["types"]
    assert esc["needed"] is False


def test_when_customer_says_promised_callback_never_came_then_automatic(analyzer):
    esc = _esc(analyzer, [
        ("agent", "お電話ありがとうございます。"),
        ("customer", "昨日から折り返しのお電話を待っているんですけど、まだ来ないんです。"),
    ])
    assert "automatic.waiting_mentioned" in _rules(esc)


def test_when_earlier_contact_but_no_promise_then_no_automatic(analyzer):
    esc = _esc(analyzer, [
        ("agent", "お電話ありがとうございます。"),
        ("customer", "昨日も一度お電話したんですけど、その時は混んでいたみたいで。住所変更をお願いしたいです。"),
        ("agent", "承知いたしました。住所変更の手続きを完了いたしました。"),
    ])
    assert "automatic" not in esc["types"]


def test_when_polite_request_is_outside_agents_domain_then_functional_with_route(analyzer):
    esc = _esc(analyzer, [
        ("agent", "お電話ありがとうございます。カスタマーセンターの田中でございます。"),
        ("customer", "恐れ入ります、今月のカードの引き落としが二重にされているようなのですが、確認していただけますか。"),
        ("agent", "ご不便をおかけしております。こちらは決済担当の部署から本日中に折り返しご連絡いたします。"),
        ("customer", "承知しました。よろしくお願いいたします。"),
    ])
    assert "functional" in esc["types"]
    assert "hierarchical" not in esc["types"]
    assert any("経理" in r for r in esc["route_to"])
    assert "payment_failure" in esc["topics"]


def test_when_calm_caller_mentions_moving_to_competitor_then_no_hierarchical(analyzer):
    esc = _esc(analyzer, [
        ("agent", "お電話ありがとうございます。"),
        ("customer", "料金プランを見直していて、他社に移ろうかと考えてるんです。解約の手続きってどうなりますか。"),
        ("agent", "ご案内いたします。解約はウェブからお手続きいただけます。"),
        ("customer", "わかりました、ありがとうございます。"),
    ])
    assert "hierarchical" not in esc["types"]


def test_when_customer_demands_a_manager_then_hierarchical(analyzer):
    esc = _esc(analyzer, [
        ("agent", "お電話ありがとうございます。"),
        ("customer", "もうあなたじゃ話にならないので、責任者に代わってください。"),
    ])
    assert "hierarchical" in esc["types"] and "hierarchical.manager_request" in _rules(esc)


def test_when_policy_exception_requested_then_hierarchical(analyzer):
    esc = _esc(analyzer, [
        ("agent", "お電話ありがとうございます。"),
        ("customer", "規則はわかるんですけど、今回だけ特別にキャンセル料を免除してもらえませんか。"),
    ])
    assert "hierarchical.policy_exception" in _rules(esc)


def test_when_threat_then_hierarchical(analyzer):
    esc = _esc(analyzer, [
        ("agent", "お電話ありがとうございます。"),
        ("customer", "これ以上対応が遅れるなら、消費者センターに相談しますから。"),
    ])
    assert "hierarchical.threat" in _rules(esc)


def test_when_first_agent_handles_over_fifteen_minutes_then_automatic(analyzer):
    esc = _esc(analyzer, [
        ("agent", "お電話ありがとうございます。", 0.0, 3.0),
        ("customer", "ネットがつながらないんです。", 4.0, 8.0),
        ("agent", "確認いたしますので少々お待ちください。", 9.0, 12.0),
        ("agent", "お待たせしております。まだ確認中でございます。", 600.0, 605.0),
        ("customer", "まだですか。", 606.0, 608.0),
        ("agent", "引き続き確認しております。", 960.0, 965.0),
    ])
    assert "automatic.takeover_time" in _rules(esc)


def test_when_first_agent_resolves_quickly_then_no_takeover_flag(analyzer):
    esc = _esc(analyzer, [
        ("agent", "お電話ありがとうございます。", 0.0, 3.0),
        ("customer", "パスワードを忘れてしまって。", 4.0, 8.0),
        ("agent", "再設定のメールを送信いたしました。", 60.0, 65.0),
        ("customer", "届きました。ありがとうございます。", 70.0, 75.0),
    ])
    assert esc["needed"] is False and esc["types"] == []


def test_harassment_is_flagged_separately_from_a_legitimate_furious_complaint(analyzer):
    abusive = _esc(analyzer, [
        ("agent", "お電話ありがとうございます。"),
        ("customer", "この役立たずが。今すぐ家まで来て土下座しろ。お前の名前は控えたからな。"),
    ])
    legit = _esc(analyzer, [
        ("agent", "お電話ありがとうございます。"),
        ("customer", "三回も修理に出して直ってないんですよ！どういうことですか、責任者を出してください！"),
    ])
    assert abusive["harassment"]["flag"] is True
    assert {e["rule"] for e in abusive["harassment"]["evidence"]} >= {"esc.harassment.insult", "esc.harassment.dogeza"}
    assert legit["harassment"]["flag"] is False
    # the legitimate complaint keeps its full weight
    assert "hierarchical" in legit["types"] and "hierarchical" in abusive["types"]


def test_risk_is_causal_and_flag_comes_before_the_supervisor(analyzer):
    turns = [
        ("agent", "お電話ありがとうございます。"),
        ("customer", "先週注文した件です。"),
        ("agent", "確認いたします。"),
        ("customer", "何回電話させるんだよ。ふざけんな、責任者出せ！"),
        ("agent", "少々お待ちください。"),
        ("supervisor", "お電話代わりました。責任者の中村と申します。大変お待たせして申し訳ございません。"),
        ("customer", "ああ。"),
    ]
    full = _esc(analyzer, turns)
    assert full["first_flag_turn"] == 3 and full["handoff_turn"] == 5
    assert full["risk_by_turn"][0] < 0.5 <= full["risk_by_turn"][3]
    # no peeking ahead: the risk after turn 2 is the same whether or not the rest of the call exists
    partial = _esc(analyzer, turns[:3])
    assert partial["risk_by_turn"] == full["risk_by_turn"][:3]


def test_every_reason_has_rule_kind_and_evidence_into_the_text(analyzer):
    call = make_call([
        ("agent", "お電話ありがとうございます。"),
        ("customer", "規則はわかるけど特別に何とかしてよ。SNSに書くよ。"),
    ], received_at=RECEIVED, callback_promised_at="2026-11-19T10:00:00+09:00")
    esc = analyzer.analyze(call)["escalation"]
    assert esc["reasons"]
    for r in esc["reasons"]:
        assert r["rule"] and r["kind"] in ("functional", "hierarchical", "automatic") and r["evidence"]
        for e in r["evidence"]:
            if e["turn"] is not None:
                assert call.turns[e["turn"]].text[e["start"]:e["end"]] == e["text"]


def test_ticket_for_flagged_calls(analyzer):
    call = make_call(CALM, received_at=RECEIVED, callback_promised_at="2026-11-18T10:00:00+09:00")
    esc = analyzer.analyze(call)["escalation"]
    t = esc["ticket"]
    assert t["kinds"] == ["automatic"] and t["route_to"] and t["update_by"].startswith("2026-11-20T11:")
