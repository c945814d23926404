"""pandas in and out: ``score_frame(turns_df)`` → one row per call (:data:`~escalyzer.writers.SCORE_COLUMNS`)."""
from __future__ import annotations

from typing import Any

from .errors import InputError
from .readers.canonical import transcript_from_dict
from .speakers import SpeakerMap
from .writers import SCORE_COLUMNS, flatten


def score_frame(df, *, analyzer=None, id_col: str = "call_id", speaker_col: str = "speaker", text_col: str = "text",
                start_col: str = "start", end_col: str = "end", return_records: bool = False):
    """Score a DataFrame of turns (one row per turn, rows of a call contiguous or not).

    Returns a DataFrame with one row per call and the fixed columns of ``SCORE_COLUMNS`` (explicit dtypes,
    stable order). With ``return_records=True`` also returns the full JSON records. Calls that fail
    validation get a row with only ``call_id`` and an ``error`` column naming the problem.

    Examples
    --------
    >>> import pandas as pd, escalyzer
    >>> df = pd.DataFrame({"call_id": ["c1", "c1"], "speaker": ["agent", "customer"],
    ...                    "text": ["お電話ありがとうございます。", "責任者を出してください！"]})
    >>> escalyzer.score_frame(df)[["call_id", "anger_level", "escalate"]]  # doctest: +SKIP
    """
    import pandas as pd

    if analyzer is None:
        from .analyzer import Analyzer

        analyzer = Analyzer()
    for col in (id_col, speaker_col, text_col):
        if col not in df.columns:
            raise InputError("E016", "<DataFrame>", None, col, None, {"detail": f"a {col}"})
    speakers = SpeakerMap()
    rows: list[dict[str, Any]] = []
    records = []
    for call_id, g in df.groupby(id_col, sort=False):
        turns = []
        for _, r in g.iterrows():
            t: dict[str, Any] = {"speaker": r[speaker_col], "text": r[text_col]}
            for key, col in (("start", start_col), ("end", end_col)):
                if col in g.columns and pd.notna(r[col]):
                    t[key] = float(r[col])
            turns.append(t)
        try:
            tr = transcript_from_dict({"call_id": call_id, "turns": turns}, file="<DataFrame>", line=None,
                                      speakers=speakers)
        except InputError as err:
            rows.append({"call_id": str(call_id), "error": err.message})
            continue
        rec = analyzer.analyze(tr)
        records.append(rec)
        rows.append(flatten(rec))
    out = pd.DataFrame(rows)
    for name, dtype in SCORE_COLUMNS:
        if name not in out.columns:
            out[name] = pd.Series([None] * len(out), dtype="object")
        out[name] = out[name].astype(dtype) if dtype != "string" else out[name].astype("string")
    cols = [c for c, _ in SCORE_COLUMNS] + (["error"] if "error" in out.columns else [])
    out = out[cols]
    return (out, records) if return_records else out
