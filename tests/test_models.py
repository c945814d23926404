"""Model persistence: safe loading (checksum + type allow-list), and retraining on a user's own file."""
from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from escalyzer.errors import ModelError
from escalyzer.models import default_models_dir, latest_version_dir, load_model, save_model

ROOT = Path(__file__).resolve().parents[1]


def _copy_model(tmp_path, name="anger_clf") -> Path:
    src = latest_version_dir(default_models_dir(), name)
    dst = tmp_path / name / src.name
    shutil.copytree(src, dst)
    return dst


def test_bundled_models_load_and_carry_a_card():
    for name in ("anger_clf", "urgency_clf", "fact_emotion_clf"):
        d = latest_version_dir(default_models_dir(), name)
        obj, meta = load_model(d)
        assert meta["sha256"] and meta["training_data"]["sha256"]
        assert meta["label_scheme"] and meta["packages"]["scikit-learn"]
        assert (d / "MODEL_CARD.md").exists()
        assert set(obj) >= {"char", "lemma", "cues", "clf"}


def test_tampered_model_file_is_refused(tmp_path):
    d = _copy_model(tmp_path)
    data = bytearray((d / "model.npz").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (d / "model.npz").write_bytes(bytes(data))
    with pytest.raises(ModelError, match=r"E020.*sha256"):
        load_model(d)


def _foreign(tmp_path, payload: bytes, parts=None) -> Path:
    from escalyzer.models import sha256_file

    d = tmp_path / "foreign" / "1"
    d.mkdir(parents=True)
    (d / "model.npz").write_bytes(payload)
    meta = {"format": "npz-arrays", "file": "model.npz", "parts": parts or {"clf": {"type": "logreg"}},
            "sha256": sha256_file(d / "model.npz")}
    (d / "meta.json").write_text(json.dumps(meta))
    return d


def test_a_file_that_needs_pickle_is_refused(tmp_path):
    import io

    import numpy as np

    buf = io.BytesIO()
    np.savez(buf, **{"clf.coef": np.array([{"a": 1}], dtype=object)})  # object arrays need pickle to load
    with pytest.raises(ModelError, match="E020"):
        load_model(_foreign(tmp_path, buf.getvalue()))


def test_a_pickle_renamed_as_model_is_refused(tmp_path):
    import pickle

    with pytest.raises(ModelError, match="E020"):
        load_model(_foreign(tmp_path, pickle.dumps({"a": 1})))


def test_an_unknown_part_type_is_refused(tmp_path):
    import io

    import numpy as np

    buf = io.BytesIO()
    np.savez(buf, x=np.zeros(2))
    with pytest.raises(ModelError, match="unknown part type"):
        load_model(_foreign(tmp_path, buf.getvalue(), {"x": {"type": "builtins.eval"}}))


def test_an_old_or_foreign_format_is_refused(tmp_path):
    d = tmp_path / "old" / "1"
    d.mkdir(parents=True)
    (d / "model.skops").write_bytes(b"PK")
    (d / "meta.json").write_text(json.dumps({"format": "skops", "file": "model.skops", "sha256": "x"}))
    with pytest.raises(ModelError, match="npz-arrays"):
        load_model(d)


def test_array_round_trip_gives_identical_predictions(tmp_path):
    import numpy as np

    from escalyzer.textclf import FeatureInput, TextClassifier

    src = latest_version_dir(default_models_dir(), "anger_clf")
    parts, meta = load_model(src)
    d = save_model(parts, tmp_path, "anger_clf", "rt.1", {"training_data": meta["training_data"]})
    again, _ = load_model(d)
    inp = [FeatureInput("ふざけるな、今日中に返事しろ", "ふざける な 今日 中", {"lab:THREAT": 0.8}),
           FeatureInput("ありがとうございます", "有る 難い", {})]
    assert np.allclose(TextClassifier(parts).predict_proba(inp), TextClassifier(again).predict_proba(inp))


def test_missing_model_says_how_to_fix(tmp_path):
    with pytest.raises(ModelError, match="escalyzer train"):
        latest_version_dir(tmp_path, "anger_clf")


def test_retraining_on_a_small_user_file_gives_a_loadable_model(tmp_path):
    from click.testing import CliRunner

    from escalyzer.cli import cli

    rows = [json.loads(line) for line in open(ROOT / "data" / "utterances" / "wa.jsonl", encoding="utf-8")][:80]
    p = tmp_path / "my_labels.csv"
    with open(p, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["id", "text", "anger", "urgency"])
        w.writeheader()
        for r in rows:
            w.writerow({k: r[k] for k in ("id", "text", "anger", "urgency")})
    out = tmp_path / "models"
    res = CliRunner().invoke(cli, ["train", "--data", str(p), "--models-dir", str(out), "--only", "levels",
                                   "--version", "test.1"])
    assert res.exit_code == 0, res.output
    obj, meta = load_model(out / "anger_clf" / "test.1")
    assert meta["training_data"]["examples"] == 80 and meta["version"] == "test.1"
    assert json.loads((out / "MANIFEST.json").read_text())["anger_clf"] == "test.1"


def test_training_data_errors_name_file_line_and_field(tmp_path):
    from escalyzer.errors import EscalyzerError
    from escalyzer.training import train_levels

    p = tmp_path / "bad.jsonl"
    p.write_text('{"text": "遅いです", "anger": 1, "urgency": 0}\n{"text": "最悪", "anger": 7, "urgency": 0}\n', encoding="utf-8")
    with pytest.raises(EscalyzerError, match=r"bad.jsonl:2: field anger must be 0-3"):
        train_levels(p, tmp_path / "m", log=lambda m: None)


def test_save_model_records_versions_and_checksum(tmp_path):
    d = save_model({"cue_scale": 1.0}, tmp_path, "toy", "0.0.1", {"training_data": {"sha256": "x"}})
    meta = json.loads((d / "meta.json").read_text())
    assert meta["name"] == "toy" and len(meta["sha256"]) == 64 and meta["packages"]["python"]
    assert meta["format"] == "npz-arrays" and load_model(d)[0] == {"cue_scale": 1.0}


def test_parts_of_unknown_kinds_cannot_be_saved(tmp_path):
    with pytest.raises(ModelError, match="cannot store"):
        save_model({"a": [1, 2]}, tmp_path, "toy", "0.0.2", {})


def _one_call(tmp_path):
    """A real call from our data, with its own labels, and the annotation loader's view of it."""
    row = json.loads(open(ROOT / "data" / "calls" / "cf.jsonl", encoding="utf-8").readline())
    calls = tmp_path / "calls.jsonl"
    calls.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    customer = [i for i, t in enumerate(row["turns"]) if t["speaker"] == "customer" and "urgency" in t]
    return row, calls, customer


def test_a_second_annotators_labels_add_a_copy_of_the_call(tmp_path):
    from escalyzer.training import load_level_data

    row, calls, customer = _one_call(tmp_path)
    flipped = {str(i): 3 - row["turns"][i]["urgency"] for i in customer}
    ann = tmp_path / "second.jsonl"
    ann.write_text(json.dumps({"call_id": row["call_id"], "urgency_level": 3 - row["labels"]["urgency_level"],
                               "turn_urgency": flipped}) + "\n", encoding="utf-8")
    # the annotation file sorts first: annotations are applied after every call is read
    utts, out = load_level_data([ann, calls])
    assert utts == [] and len(out) == 2
    first, second = out
    assert first.call_id == second.call_id == row["call_id"]  # split and folded together
    assert second.peak["urgency"] == 3 - first.peak["urgency"]
    assert second.peak["anger"] == first.peak["anger"]  # not labelled by this annotator: the call's own
    assert [e.y["urgency"] for e in second.turn_examples] == [flipped[str(i)] for i in customer]
    assert [e.y["anger"] for e in second.turn_examples] == [e.y["anger"] for e in first.turn_examples]
    assert [e.text for e in second.turn_examples] == [row["turns"][i]["text"] for i in customer]


def test_annotation_errors_name_file_line_and_field(tmp_path):
    from escalyzer.errors import EscalyzerError
    from escalyzer.training import load_level_data

    row, calls, customer = _one_call(tmp_path)
    ann = tmp_path / "second.jsonl"
    ann.write_text(json.dumps({"call_id": "nope-1", "urgency_level": 1}) + "\n", encoding="utf-8")
    with pytest.raises(EscalyzerError, match=r"second.jsonl:1: field call_id: no call 'nope-1'"):
        load_level_data([calls, ann])
    partial = {str(i): 1 for i in customer[:-1]}
    ann.write_text("\n" + json.dumps({"call_id": row["call_id"], "turn_urgency": partial}) + "\n", encoding="utf-8")
    with pytest.raises(EscalyzerError, match=rf"second.jsonl:2: field turn_urgency has no level for customer turn {customer[-1]}"):
        load_level_data([calls, ann])
    ann.write_text(json.dumps({"call_id": row["call_id"], "urgency_level": 5}) + "\n", encoding="utf-8")
    with pytest.raises(EscalyzerError, match=r"second.jsonl:1: field urgency_level must be 0-3"):
        load_level_data([calls, ann])
