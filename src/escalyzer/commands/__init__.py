"""Extra CLI commands, one module each, each exposing a click ``command``; registered by ``cli.py``."""
from __future__ import annotations

import importlib

MODULES = ("watch", "summary", "report", "audit")


def register(group) -> None:
    for name in MODULES:
        mod = importlib.import_module(f"{__name__}.{name}")
        group.add_command(mod.command)
