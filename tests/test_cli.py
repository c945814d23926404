"""The escalyzer command: score (JSONL/CSV/Parquet, errors file, strict), info, evaluate, python -m."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from escalyzer.cli import cli


@pytest.fixture(scope="module")
def runner():
    return CliRunner()


def _records(path):
    return [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]


def test_jsonl_and_text_inputs_give_the_same_calls_and_turns(runner, dev_dir, tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    r1 = runner.invoke(cli, ["score", str(dev_dir / "calls.jsonl"), "-o", str(a), "--no-table"])
    r2 = runner.invoke(cli, ["score", str(dev_dir / "text"), "-o", str(b), "--no-table"])
    assert r1.exit_code == 0, r1.output
    assert r2.exit_code == 0, r2.output
    ra, rb = _records(a), _records(b)
    assert [r["call_id"] for r in ra] == [r["call_id"] for r in rb] and len(ra) == 16
    assert [r["n_turns"] for r in ra] == [r["n_turns"] for r in rb]
    assert "scored 16 calls, failed 0" in r1.stderr


def test_record_has_the_public_contract(runner, dev_dir, tmp_path):
    out = tmp_path / "r.jsonl"
    runner.invoke(cli, ["score", str(dev_dir / "calls.jsonl"), "-o", str(out), "--no-table"])
    rec = _records(out)[0]
    assert set(rec) >= {"call_id", "anger", "urgency", "facts", "sentences", "escalation", "supervisor", "warnings"}
    assert set(rec["anger"]) >= {"level", "label", "probabilities", "evidence", "by_turn"}
    assert set(rec["facts"]) == {"who", "whom", "where", "when", "what", "how", "how_much", "how_many", "why"}
    assert set(rec["escalation"]) >= {"needed", "types", "reasons", "first_flag_turn", "route_to"}


def test_bad_records_go_to_the_errors_file_and_good_ones_are_written(runner, tmp_path):
    src = tmp_path / "in.jsonl"
    good = {"call_id": "g1", "turns": [{"speaker": "customer", "text": "荷物が届きません。"}]}
    src.write_text(json.dumps(good, ensure_ascii=False) + "\n"
                   + '{"call_id": "bad1", "turns": [{"speaker": "客", "text": ""}]}\n'
                   + "{not json\n"
                   + json.dumps({**good, "call_id": "g2"}, ensure_ascii=False) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    res = runner.invoke(cli, ["score", str(src), "-o", str(out), "--no-table"])
    assert res.exit_code == 1
    assert [r["call_id"] for r in _records(out)] == ["g1", "g2"]
    errs = _records(str(out) + ".errors.jsonl")
    assert [(e["line"], e["code"]) for e in errs] == [(2, "E007"), (3, "E001")]
    assert errs[0]["field"] == "turns[0].text" and errs[0]["file"] == str(src)
    assert "scored 2 calls, failed 2" in res.stderr


def test_strict_stops_at_the_first_bad_record(runner, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"call_id": "x", "turns": [{"speaker": "宇宙人", "text": "はい"}]}\n', encoding="utf-8")
    res = runner.invoke(cli, ["score", str(src), "-o", str(tmp_path / "o.jsonl"), "--strict"])
    assert res.exit_code != 0 and "E003" in res.output and "宇宙人" in res.output


@pytest.mark.parametrize("ext", ["csv", "parquet"])
def test_flat_outputs_have_one_row_per_call(runner, dev_dir, tmp_path, ext):
    import pandas as pd

    out = tmp_path / f"r.{ext}"
    res = runner.invoke(cli, ["score", str(dev_dir / "calls.jsonl"), "-o", str(out), "--no-table"])
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out) if ext == "csv" else pd.read_parquet(out)
    assert len(df) == 16 and {"anger_level", "escalate", "step_introduce", "supervisor_score"} <= set(df.columns)


def test_info_prints_versions(runner):
    res = runner.invoke(cli, ["info"])
    assert res.exit_code == 0
    for word in ("escalyzer", "spaCy", "fugashi", "UniDic", "anger_clf", "urgency_clf", "fact_emotion_clf"):
        assert word in res.output


def test_python_dash_m_works():
    res = subprocess.run([sys.executable, "-m", "escalyzer", "--help"], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and "score" in res.stdout


def test_evaluate_prints_every_metric(runner, dev_dir):
    res = runner.invoke(cli, ["evaluate", str(dev_dir / "gold.jsonl"), str(dev_dir / "calls.jsonl")])
    assert res.exit_code == 0, res.output
    for word in ("anger", "urgency", "macroF1", "within1", "QWK", "escalate", "kinds F1", "early warning",
                 "supervisor steps", "6W3H slot recall", "fact/emotion accuracy"):
        assert word in res.output
