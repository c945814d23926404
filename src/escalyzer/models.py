"""Model persistence that never executes code from a model file.

A model lives in ``models/<name>/<version>/`` as ``model.npz`` (plain arrays, read with
``allow_pickle=False``: see :mod:`escalyzer.arrays`) beside ``meta.json`` (the model card data: version,
label scheme, training-data hash, metrics, package versions, the parts' description and the file's
sha256). :func:`load_model` checks the sha256 against ``meta.json`` (a tampered file is refused, E020),
reads numbers and strings only, and rebuilds scikit-learn objects of the four known kinds; anything else
is refused.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .errors import ModelError

def default_models_dir() -> Path:
    env = os.environ.get("ESCALYZER_MODELS")
    if env:
        return Path(env)
    # bundled with the package (wheel) or the repository's models/ (editable install)
    pkg = Path(__file__).resolve().parent / "resources" / "models"
    if (pkg / "MANIFEST.json").exists():
        return pkg
    return Path(__file__).resolve().parents[2] / "models"


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def package_versions() -> dict[str, str | None]:
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in ("escalyzer", "scikit-learn", "spacy", "fugashi", "unidic-lite", "numpy", "scipy"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def latest_version_dir(models_dir: Path, name: str) -> Path:
    base = models_dir / name
    manifest = models_dir / "MANIFEST.json"
    if manifest.exists():
        m = json.loads(manifest.read_text("utf-8"))
        v = m.get(name)
        if v and (base / v).exists():
            return base / v
    if not base.exists():
        raise ModelError(f"[E021] model not found: {base} (run `escalyzer train`)")
    versions = sorted((p for p in base.iterdir() if (p / "meta.json").exists()), key=lambda p: p.name)
    if not versions:
        raise ModelError(f"[E021] model not found: {base} (run `escalyzer train`)")
    return versions[-1]


def save_model(obj: Any, models_dir: Path, name: str, version: str, meta: dict[str, Any],
               set_default: bool = True) -> Path:
    from . import arrays

    d = Path(models_dir) / name / version
    d.mkdir(parents=True, exist_ok=True)
    path = d / "model.npz"
    spec = arrays.dump(obj, path)
    meta = {"name": name, "version": version, "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "format": "npz-arrays", "file": "model.npz", "parts": spec, "sha256": sha256_file(path),
            "packages": package_versions(), **meta}
    (d / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", "utf-8")
    if set_default:
        manifest = Path(models_dir) / "MANIFEST.json"
        m = json.loads(manifest.read_text("utf-8")) if manifest.exists() else {}
        m[name] = version
        manifest.write_text(json.dumps(m, ensure_ascii=False, indent=2, sort_keys=True) + "\n", "utf-8")
    return d


def load_model(version_dir: str | Path) -> tuple[Any, dict[str, Any]]:
    """Load ``model.npz`` from ``version_dir`` after verifying its checksum against ``meta.json``.

    The file holds numbers and strings only (``numpy.load(allow_pickle=False)``); the parts are rebuilt
    from scikit-learn's own classes as ``meta.json`` "parts" describes (:mod:`escalyzer.arrays`).
    """
    from . import arrays

    d = Path(version_dir)
    meta_path = d / "meta.json"
    if not meta_path.exists():
        raise ModelError(f"[E021] model not found: {meta_path}")
    try:
        meta = json.loads(meta_path.read_text("utf-8"))
    except json.JSONDecodeError as exc:
        raise ModelError(f"[E020] model file {meta_path} failed verification: meta.json is not JSON ({exc.msg})") from None
    if meta.get("format") != "npz-arrays" or not isinstance(meta.get("parts"), dict):
        raise ModelError(f"[E020] model file {meta_path} failed verification: format {meta.get('format')!r} is not "
                         "'npz-arrays' (retrain with `escalyzer train`)")
    path = d / meta.get("file", "model.npz")
    if path.name != "model.npz" or not path.exists():
        raise ModelError(f"[E021] model not found: {path}")
    digest = sha256_file(path)
    if digest != meta.get("sha256"):
        raise ModelError(f"[E020] model file {path} failed verification: sha256 {digest[:12]}… does not match "
                         f"meta.json ({str(meta.get('sha256'))[:12]}…); the file was changed after training")
    return arrays.load(path, meta["parts"]), meta
