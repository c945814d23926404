"""escalyzer: when, why and how a Japanese contact-centre call must be escalated."""
from __future__ import annotations

__version__ = "0.1.0"

from .errors import EscalyzerError, InputError  # noqa: E402
from .readers import read  # noqa: E402

__all__ = ["EscalyzerError", "InputError", "__version__", "load", "read", "score_frame"]


def load(**kwargs):
    """Load the analyzer (spaCy pipeline + bundled models). See :class:`escalyzer.analyzer.Analyzer`."""
    from .analyzer import Analyzer

    return Analyzer(**kwargs)


def score_frame(df, **kwargs):
    """Score a turns DataFrame (``call_id, speaker, text[, start, end]``) and return one row per call."""
    from .frames import score_frame as _score_frame

    return _score_frame(df, **kwargs)
