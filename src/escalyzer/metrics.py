"""Ordinal-level metrics: accuracy, macro-F1, within-one-level accuracy, quadratic weighted kappa."""
from __future__ import annotations

from typing import Any

import numpy as np


def level_metrics(y_true: list[int], y_pred: list[int], labels=(0, 1, 2, 3)) -> dict[str, Any]:
    from sklearn.metrics import accuracy_score, cohen_kappa_score, confusion_matrix, f1_score

    yt, yp = np.asarray(y_true), np.asarray(y_pred)
    if len(yt) == 0:
        return {"n": 0}
    qwk = cohen_kappa_score(yt, yp, weights="quadratic", labels=list(labels)) if len(set(yt) | set(yp)) > 1 else 1.0
    return {
        "n": int(len(yt)),
        "accuracy": round(float(accuracy_score(yt, yp)), 4),
        "macro_f1": round(float(f1_score(yt, yp, labels=list(labels), average="macro", zero_division=0)), 4),
        "within_one": round(float(np.mean(np.abs(yt - yp) <= 1)), 4),
        "qwk": round(float(qwk), 4) if not np.isnan(qwk) else None,
        "confusion": confusion_matrix(yt, yp, labels=list(labels)).tolist(),
    }


def binary_f1(y_true: list[bool], y_pred: list[bool]) -> dict[str, Any]:
    tp = sum(1 for a, b in zip(y_true, y_pred) if a and b)
    fp = sum(1 for a, b in zip(y_true, y_pred) if not a and b)
    fn = sum(1 for a, b in zip(y_true, y_pred) if a and not b)
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else (1.0 if not any(y_true) and not any(y_pred) else 0.0)
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "tp": tp, "fp": fp, "fn": fn,
            "support": sum(1 for a in y_true if a)}


def expected_calibration_error(probs: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    conf = probs.max(axis=1)
    pred = probs.argmax(axis=1)
    ece = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        m = (conf > lo) & (conf <= hi)
        if m.any():
            ece += m.mean() * abs(conf[m].mean() - (pred[m] == y[m]).mean())
    return round(float(ece), 4)
