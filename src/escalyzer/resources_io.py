"""Loading package data files (``escalyzer/resources``) and user overrides, with clear errors."""
from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .errors import ResourceError


def resource_path(name: str) -> Path:
    return Path(str(resources.files("escalyzer").joinpath("resources", name)))


@lru_cache(maxsize=64)
def load_yaml(name: str) -> Any:
    path = resource_path(name)
    try:
        return yaml.safe_load(path.read_text("utf-8"))
    except yaml.YAMLError as exc:
        raise ResourceError(f"[E030] {path}: {exc}") from exc


def read_yaml_file(path: str | Path) -> Any:
    p = Path(path)
    try:
        return yaml.safe_load(p.read_text("utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ResourceError(f"[E040] {p}: {exc}") from exc


def iter_jsonl_resource(path: Path):
    """Yield ``(line_no, obj)`` from a JSONL data file; bad JSON raises with file:line."""
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip() or line.lstrip().startswith("//"):
                continue
            try:
                yield n, json.loads(line)
            except json.JSONDecodeError as exc:
                raise ResourceError(f"[E030] {path}:{n}: invalid JSON: {exc.msg}") from exc
