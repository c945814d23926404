"""The Python API for notebooks: read, load, analyze_many, score_frame; and the watch replay."""
from __future__ import annotations

import pandas as pd
from click.testing import CliRunner

import escalyzer
from escalyzer.cli import cli


def test_read_load_analyze_many(analyzer, dev_dir):
    calls = list(escalyzer.read(dev_dir / "calls.jsonl"))
    recs = list(analyzer.analyze_many(calls[:3]))
    assert [r["call_id"] for r in recs] == [c.call_id for c in calls[:3]]
    assert analyzer.nlp.lang == "ja" and "esc_sentencizer" in analyzer.nlp.pipe_names


def test_score_frame_returns_one_row_per_call_with_fixed_columns(analyzer):
    from escalyzer.writers import SCORE_COLUMNS

    df = pd.DataFrame({
        "call_id": ["c1", "c1", "c2", "c2"],
        "speaker": ["オペレーター", "お客様", "agent", "customer"],
        "text": ["お電話ありがとうございます。", "ふざけんな、責任者を出せ！", "はい、サポートです。", "住所変更をお願いしたいです。"],
    })
    out = escalyzer.score_frame(df, analyzer=analyzer)
    assert list(out.columns) == [c for c, _ in SCORE_COLUMNS]
    assert list(out["call_id"]) == ["c1", "c2"]
    assert bool(out.loc[0, "escalate"]) is True and bool(out.loc[1, "escalate"]) is False
    assert out.loc[0, "anger_level"] >= 2


def test_score_frame_reports_bad_calls_in_an_error_column(analyzer):
    df = pd.DataFrame({"call_id": ["c1"], "speaker": ["宇宙人"], "text": ["はい"]})
    out = escalyzer.score_frame(df, analyzer=analyzer)
    assert "E003" in out.loc[0, "error"]


def test_watch_alerts_at_the_turn_the_signals_arrive():
    feed = "\n".join([
        "オペレーター: お電話ありがとうございます。",
        "お客様: 先週注文した件です。",
        "オペレーター: 確認いたします。",
        "お客様: 何回電話させるんだよ、責任者出せ！",
        "オペレーター: 少々お待ちください。",
    ]) + "\n"
    res = CliRunner().invoke(cli, ["watch", "-"], input=feed)
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    alert = next(i for i, l in enumerate(lines) if "ALERT at turn" in l)
    assert "ALERT at turn 3" in lines[alert] and "hierarchical" in lines[alert]
    assert any("hierarchical.manager_request" in l for l in lines[alert:])


def test_watch_replays_a_file_and_says_when_nothing_is_flagged(tmp_path):
    p = tmp_path / "c.txt"
    p.write_text("オペレーター: お電話ありがとうございます。\nお客様: 住所変更をお願いします。\nオペレーター: 承りました。\n",
                 encoding="utf-8")
    res = CliRunner().invoke(cli, ["watch", str(p)])
    assert res.exit_code == 0 and "no escalation flagged" in res.output


def test_escalation_ticket_links_earlier_calls_of_the_same_customer(analyzer, tmp_path):
    import json

    from escalyzer.batch import score

    def call(cid, text):
        return {"call_id": cid, "received_at": "2026-11-20T10:00:00+09:00", "turns": [
            {"speaker": "agent", "text": "お電話ありがとうございます。お名前をお願いします。"},
            {"speaker": "customer", "text": "山口健二と申します。" + text}]}

    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps(c, ensure_ascii=False) for c in [
        call("c1", "住所変更をお願いしたいです。"),
        call("c2", "規則はわかるけど、今回だけ特別に手数料を免除してもらえませんか。"),
        call("c3", "別件ですが、責任者を出してください！")]) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    score([str(src)], str(out), analyzer=analyzer)
    recs = {r["call_id"]: r for r in map(json.loads, open(out, encoding="utf-8"))}
    assert recs["c2"]["escalation"]["ticket"]["linked_call_ids"] == ["c1"]
    assert recs["c3"]["escalation"]["ticket"]["linked_call_ids"] == ["c1", "c2"]
