"""Configuration: defaults in ``resources/config.yaml``, overridden by a user YAML file (deep merge)."""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from .errors import ResourceError
from .resources_io import load_yaml, read_yaml_file


def _merge(base: dict[str, Any], over: dict[str, Any], path: str = "") -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if k not in base:
            raise ResourceError(f"[E040] config key {path + k!r} is unknown (known: {', '.join(sorted(base))})")
        if isinstance(v, dict) and isinstance(base[k], dict):
            out[k] = _merge(base[k], v, path + k + ".")
        else:
            out[k] = v
    return out


def load_config(path: str | Path | None = None) -> dict[str, Any]:
    cfg = copy.deepcopy(load_yaml("config.yaml"))
    if path is not None:
        user = read_yaml_file(path) or {}
        if not isinstance(user, dict):
            raise ResourceError(f"[E040] {path}: expected a mapping")
        cfg = _merge(cfg, user)
    return cfg
