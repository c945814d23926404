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
    data = bytearray((d / "model.skops").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (d / "model.skops").write_bytes(bytes(data))
    with pytest.raises(ModelError, match=r"E020.*sha256"):
        load_model(d)


def test_foreign_model_with_untrusted_types_is_refused(tmp_path):
    import skops.io as sio
    from collections import Counter

    d = tmp_path / "evil" / "1"
    d.mkdir(parents=True)
    # a skops file that would build a type outside the allow-list (here: collections.Counter)
    sio.dump({"x": Counter("abc")}, d / "model.skops")
    from escalyzer.models import sha256_file

    (d / "meta.json").write_text(json.dumps({"file": "model.skops", "sha256": sha256_file(d / "model.skops")}))
    with pytest.raises(ModelError, match="refuses to build types"):
        load_model(d)


def test_a_pickle_renamed_as_model_is_refused(tmp_path):
    import pickle

    d = tmp_path / "pickled" / "1"
    d.mkdir(parents=True)
    (d / "model.skops").write_bytes(pickle.dumps({"a": 1}))
    from escalyzer.models import sha256_file

    (d / "meta.json").write_text(json.dumps({"file": "model.skops", "sha256": sha256_file(d / "model.skops")}))
    with pytest.raises(ModelError, match="E020"):
        load_model(d)


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
    d = save_model({"a": [1, 2]}, tmp_path, "toy", "0.0.1", {"training_data": {"sha256": "x"}})
    meta = json.loads((d / "meta.json").read_text())
    assert meta["name"] == "toy" and len(meta["sha256"]) == 64 and meta["packages"]["python"]
