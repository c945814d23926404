"""Shared fixtures. Token expectations assume unidic-lite 1.0.8 (UniDic 2.1.2) with fugashi 1.5."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "dev"


@pytest.fixture(scope="session")
def analyzer():
    import escalyzer

    return escalyzer.load()


@pytest.fixture(scope="session")
def nlp():
    from escalyzer.pipeline import build_nlp

    return build_nlp()


@pytest.fixture(scope="session")
def dev_dir():
    if not (DEV / "calls.jsonl").exists():
        pytest.skip("../shared/dev is not beside the repository")
    return DEV


def make_call(turns, call_id="T-1", **meta):
    """A Transcript from ``[(speaker, text), ...]`` or ``[(speaker, text, start, end), ...]``."""
    from escalyzer.transcript import Transcript, Turn, parse_datetime

    ts = []
    t = 0.0
    for item in turns:
        if len(item) == 4:
            spk, text, start, end = item
        else:
            spk, text = item
            start, end = t, t + max(2.0, len(text) / 6)
        t = (end or t) + 1.0
        ts.append(Turn(spk, text, start, end))
    kw = {k: parse_datetime(v, file=None, line=None, field_name=k, call_id=call_id) if k.endswith("_at") else v
          for k, v in meta.items()}
    return Transcript(call_id=call_id, turns=ts, **kw)
