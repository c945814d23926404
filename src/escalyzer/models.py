"""Model persistence that never executes code from a model file.

A model lives in ``models/<name>/<version>/`` as ``model.skops`` (skops.io: a declarative format, no
pickle) beside ``meta.json`` (the model card data: version, label scheme, training-data hash, metrics,
package versions, and the file's sha256). :func:`load_model`:

1. checks the sha256 of ``model.skops`` against ``meta.json`` (a tampered file is refused, E020);
2. asks skops which types the file would build and refuses any type outside :data:`ALLOWED_TYPE_PREFIXES`
   (a foreign file with, say, a custom class or ``builtins.eval`` is refused before anything is built);
3. only then loads it.
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .errors import ModelError

ALLOWED_TYPE_PREFIXES = ("sklearn.", "numpy.", "scipy.sparse.", "builtins.dict", "builtins.list", "builtins.tuple",
                         "builtins.str", "builtins.int", "builtins.float", "builtins.bool", "builtins.NoneType",
                         "builtins.slice", "collections.OrderedDict", "collections.defaultdict")
ALLOWED_EXACT = {"builtins.type", "numpy.dtype", "re.Pattern", "builtins.set", "builtins.frozenset"}


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
    for name in ("escalyzer", "scikit-learn", "spacy", "fugashi", "unidic-lite", "skops", "numpy", "scipy"):
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
    import skops.io as sio

    d = Path(models_dir) / name / version
    d.mkdir(parents=True, exist_ok=True)
    path = d / "model.skops"
    _strip(obj)
    sio.dump(obj, path, compression=zipfile.ZIP_DEFLATED, compresslevel=9)
    meta = {"name": name, "version": version, "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "format": "skops", "file": "model.skops", "sha256": sha256_file(path),
            "packages": package_versions(), **meta}
    (d / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", "utf-8")
    if set_default:
        manifest = Path(models_dir) / "MANIFEST.json"
        m = json.loads(manifest.read_text("utf-8")) if manifest.exists() else {}
        m[name] = version
        manifest.write_text(json.dumps(m, ensure_ascii=False, indent=2, sort_keys=True) + "\n", "utf-8")
    return d


def _strip(obj: Any) -> None:
    """Drop what a fitted model does not need at prediction time (TfidfVectorizer.stop_words_ holds every
    pruned n-gram: most of the file; scikit-learn documents it as safe to delete)."""
    items = obj.values() if isinstance(obj, dict) else [obj]
    for v in items:
        if hasattr(v, "stop_words_"):
            delattr(v, "stop_words_")


def _type_allowed(t: str) -> bool:
    return t in ALLOWED_EXACT or t.startswith(ALLOWED_TYPE_PREFIXES)


def load_model(version_dir: str | Path) -> tuple[Any, dict[str, Any]]:
    """Load ``model.skops`` from ``version_dir`` after verifying its checksum and its types."""
    import skops.io as sio

    d = Path(version_dir)
    meta_path = d / "meta.json"
    if not meta_path.exists():
        raise ModelError(f"[E021] model not found: {meta_path}")
    try:
        meta = json.loads(meta_path.read_text("utf-8"))
    except json.JSONDecodeError as exc:
        raise ModelError(f"[E020] model file {meta_path} failed verification: meta.json is not JSON ({exc.msg})") from None
    path = d / meta.get("file", "model.skops")
    if not path.exists():
        raise ModelError(f"[E021] model not found: {path}")
    digest = sha256_file(path)
    if digest != meta.get("sha256"):
        raise ModelError(f"[E020] model file {path} failed verification: sha256 {digest[:12]}… does not match "
                         f"meta.json ({str(meta.get('sha256'))[:12]}…); the file was changed after training")
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:  # not a skops archive at all
        raise ModelError(f"[E020] model file {path} failed verification: not a skops file ({exc})") from None
    bad = [t for t in untrusted if not _type_allowed(t)]
    if bad:
        raise ModelError(f"[E020] model file {path} failed verification: refuses to build types {bad}")
    try:
        obj = sio.load(path, trusted=untrusted)
    except Exception as exc:
        raise ModelError(f"[E020] model file {path} failed verification: {exc}") from None
    return obj, meta
