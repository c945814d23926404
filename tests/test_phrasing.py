"""The apology phrasing audit: grades, non-apologies, blame shifting, premature liability, repetition, cushions;
and the ``escalyzer audit`` command (HTML and CSV, transcript text escaped).

Synthetic transcripts after shared/seeds/000_b54099cb27bdd303.txt (動作編 1-6, 心編) and LABELING.md.
Token expectations assume unidic-lite 1.0.8 (UniDic 2.1.2) with fugashi 1.5.
"""
from __future__ import annotations

import csv
import json

import pytest
from click.testing import CliRunner
from conftest import make_call

from escalyzer.call.phrasing import audit_phrasing

PRE = [
    ("agent", "お電話ありがとうございます。ハヤテ配送サポートの小島でございます。"),
    ("customer", "昨日届くはずの荷物がまだ来ないんです。もう上の方に代わってもらえますか。"),
    ("agent", "承知いたしました。責任者に代わりますので、お待ちください。"),
    ("supervisor", "大変お待たせして申し訳ございません。配送管理課の主任をしております、松井と申します。小島に代わりまして承ります。"),
    ("customer", "はい。"),
]


@pytest.fixture(scope="module")
def audit(analyzer):
    """Phrasing findings of a call whose supervisor says ``lines`` (customer turns in between)."""
    def run(lines, speakers=None, pre=PRE):
        turns = list(pre)
        for line in lines:
            turns += [line if isinstance(line, tuple) else ("supervisor", line), ("customer", "はい。")]
        call = make_call(turns)
        ctx = analyzer.context(call)
        return audit_phrasing(ctx, speakers=speakers), call
    return run


def by_id(findings, rid, speaker="supervisor"):
    return [f for f in findings if f["id"] == rid and f["speaker"] == speaker]


def test_apologies_are_graded_formal_standard_casual(audit):
    f, _ = audit(["ご迷惑をおかけして申し訳ありません。", "すみません、確認します。"])
    formal = by_id(f, "apology.formal.moushiwake_gozaimasen")
    assert formal and formal[0]["grade"] == "formal" and formal[0]["severity"] == "ok"
    std = by_id(f, "apology.standard.moushiwake_arimasen")
    assert std and std[0]["grade"] == "standard" and std[0]["severity"] == "low"
    casual = by_id(f, "apology.casual.sumimasen")
    assert casual and casual[0]["grade"] == "casual" and casual[0]["severity"] == "high"
    assert casual[0]["better"] and "申し訳ございません" in casual[0]["better"]


def test_a_casual_apology_from_the_first_agent_is_one_step_less_severe(audit):
    pre = [("agent", "すみません、お調べします。"), ("customer", "お願いします。")]
    f, _ = audit([], speakers=("agent",), pre=pre)
    casual = by_id(f, "apology.casual.sumimasen", "agent")
    assert casual and casual[0]["severity"] == "medium"
    assert all(x["speaker"] == "agent" for x in f)


def test_a_conditional_apology_is_a_non_apology(audit):
    f, _ = audit(["先ほどの者の対応でご不快に感じられたのであれば、申し訳ございません。"])
    non = by_id(f, "nonapology.conditional.fukai")
    assert non and non[0]["severity"] == "high" and non[0]["kind"] == "non_apology"
    assert "ご不快な思いにさせてしまい" in non[0]["better"]


def test_a_sincere_apology_is_not_a_non_apology(audit):
    f, _ = audit(["先ほどのお電話の中でご不快な思いにさせてしまい、申し訳ございません。"])
    assert not [x for x in f if x["kind"] == "non_apology"]


def test_deflection_iwaremashitemo_is_a_non_apology(audit):
    f, _ = audit(["そう言われましても、規定ですので。"])
    assert by_id(f, "nonapology.iwaremashitemo")


@pytest.mark.parametrize("line,rid", [
    ("それは担当が勝手にやったことでして。", "blame.katte"),
    ("システムのせいで遅れが出てしまったんです。", "blame.system"),
    ("床の件は設置業者の責任になりますので。", "blame.noseide"),
])
def test_blame_shifting_is_found(audit, line, rid):
    f, _ = audit([line])
    hits = by_id(f, rid)
    assert hits and hits[0]["kind"] == "blame_shift" and hits[0]["severity"] == "high"


def test_owning_the_mistake_is_not_blame_shifting(audit):
    f, _ = audit(["配送の手配漏れは当社の誤りでございます。"])
    assert not [x for x in f if x["kind"] == "blame_shift"]


def test_full_liability_before_checking_the_facts_is_premature(audit):
    f, _ = audit(["全面的に弊社の責任です。全額補償いたします。"])
    kinds = [x["id"] for x in f if x["kind"] == "premature_liability"]
    assert kinds == ["liability.zenmen", "liability.zengaku"]


def test_full_liability_after_checking_the_facts_is_not_premature(audit):
    f, _ = audit(["記録を確認いたしましたところ、当社の手配漏れでございました。", "送料は全額返金いたします。"])
    assert not [x for x in f if x["kind"] == "premature_liability"]


def test_the_same_bare_apology_three_times_is_mechanical(audit):
    f, _ = audit(["申し訳ございません。", "はい、申し訳ございません。", "大変申し訳ございません。"])
    rep = by_id(f, "phrasing.repetition")
    assert rep and len(rep[0]["evidence"]) == 3 and rep[0]["severity"] == "medium"


def test_apologies_with_different_reasons_are_not_mechanical(audit):
    f, _ = audit(["ご連絡が遅れ、申し訳ございません。", "配達日を誤ってお伝えし、申し訳ございません。",
                  "ご不便をおかけして申し訳ございません。"])
    assert not by_id(f, "phrasing.repetition")


def test_a_request_with_a_cushion_is_noted(audit):
    f, _ = audit(["恐れ入りますが、お問い合わせ番号を教えていただけますでしょうか。"])
    ok = by_id(f, "phrasing.cushion_present")
    assert ok and ok[0]["severity"] == "ok" and ok[0]["evidence"][0]["text"].startswith("恐れ入ります")
    assert not by_id(f, "phrasing.cushion_missing")


def test_a_request_without_a_cushion_is_flagged(audit):
    f, _ = audit(["お問い合わせ番号を教えてください。"])
    miss = by_id(f, "phrasing.cushion_missing")
    assert miss and miss[0]["severity"] == "low"


def test_asking_to_explain_from_the_start_without_cushion_is_severe(audit):
    f, _ = audit(["では、最初から説明してください。"])
    miss = by_id(f, "phrasing.cushion_missing")
    assert miss and miss[0]["severity"] == "high" and "心苦しいのですが" in miss[0]["better"]


def test_empathy_is_graded(audit):
    f, _ = audit(["お気持ちお察しいたします。", "わかる、それは嫌ですよね。"])
    assert by_id(f, "empathy.formal.osasshi")[0]["grade"] == "formal"
    casual = by_id(f, "empathy.casual.wakaru")
    assert casual and casual[0]["severity"] == "medium"


def test_finding_offsets_point_into_the_turns(audit):
    f, call = audit(["すみません、システムのせいで。", "全額補償いたします。", "最初から説明してください。"])
    assert f
    for x in f:
        for e in x["evidence"]:
            assert call.turns[e["turn"]].text[e["start"]:e["end"]] == e["text"]


def test_the_supervisor_record_carries_the_phrasing(analyzer):
    turns = PRE + [("supervisor", "すみませんね、確認します。"), ("customer", "はい。")]
    sup = analyzer.analyze(make_call(turns))["supervisor"]
    assert by_id(sup["phrasing"], "apology.casual.sumimasen")


# ------------------------------------------------------------------------------------------------
# escalyzer audit


SCRIPT = "<script>alert(1)</script>"


def test_audit_command_writes_html_and_csv_with_transcript_text_escaped(analyzer, tmp_path):
    from escalyzer.cli import cli

    call = make_call(PRE[:3] + [
        ("supervisor", "お電話代わりました。"),
        ("customer", "はい。"),
        ("supervisor", f"では、最初から{SCRIPT}説明してください。すみません。"),
        ("customer", "また最初からですか。"),
    ], call_id="C-<b>1</b>")
    for t in call.turns:
        if t.speaker == "supervisor":
            t.name = f"sv-{SCRIPT}"
    calls = tmp_path / "calls.jsonl"
    calls.write_text(json.dumps(call.to_dict(), ensure_ascii=False) + "\n", encoding="utf-8")
    runner = CliRunner()
    html_out = tmp_path / "audit.html"
    res = runner.invoke(cli, ["audit", str(calls), "-o", str(html_out)])
    assert res.exit_code == 0, res.output
    page = html_out.read_text(encoding="utf-8")
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "C-&lt;b&gt;1&lt;/b&gt;" in page and "<b>1</b>" not in page
    assert "名乗り" in page and "cushion" in page

    # CSV from a results file (records with "supervisor")
    results = tmp_path / "results.jsonl"
    rec = analyzer.analyze(call)
    results.write_text(json.dumps(rec, ensure_ascii=False) + "\n", encoding="utf-8")
    csv_out = tmp_path / "audit.csv"
    res = runner.invoke(cli, ["audit", str(results), "-o", str(csv_out)])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(csv_out.open(encoding="utf-8-sig")))
    assert len(rows) == 1 and rows[0]["supervisor"] == f"sv-{SCRIPT}" and rows[0]["n_calls"] == "1"
    assert rows[0]["step_introduce"] == "0.0" and int(rows[0]["findings_high"]) >= 2
    assert "phrasing.cushion_missing" in rows[0]["top_findings"]


def test_audit_command_refuses_an_unknown_output_type(tmp_path):
    from escalyzer.cli import cli

    res = CliRunner().invoke(cli, ["audit", str(tmp_path / "x.jsonl"), "-o", str(tmp_path / "audit.pdf")])
    assert res.exit_code != 0 and ".html or .csv" in res.output
