"""A model format of plain arrays: fitted scikit-learn parts as ``.npz`` (``allow_pickle=False``) + a JSON spec.

Only four kinds of part exist in escalyzer's models — ``TfidfVectorizer``, ``DictVectorizer``,
``LogisticRegression`` and plain numbers — so each is written as its learned arrays (vocabulary as a
string array, ``idf_``, ``coef_``, ``intercept_``, ``classes_``, feature names) plus the constructor
parameters, and rebuilt on load from scikit-learn's own classes. Loading reads numbers and strings only:
no pickle, no object construction chosen by the file, so a model file can never run code. It also loads
in milliseconds (a skops archive of a 60,000-entry vocabulary stores one member per entry).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .errors import ModelError

_TFIDF_PARAMS = ("analyzer", "ngram_range", "min_df", "max_df", "max_features", "sublinear_tf", "lowercase",
                 "token_pattern", "norm", "use_idf", "smooth_idf")


def to_arrays(parts: dict[str, Any]) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    spec: dict[str, Any] = {}
    arrays: dict[str, np.ndarray] = {}
    for key, v in parts.items():
        if isinstance(v, TfidfVectorizer):
            params = {p: getattr(v, p) for p in _TFIDF_PARAMS}
            params["ngram_range"] = list(params["ngram_range"])
            vocab = np.empty(len(v.vocabulary_), dtype=object)
            for term, i in v.vocabulary_.items():
                vocab[i] = term
            spec[key] = {"type": "tfidf", "params": params}
            arrays[f"{key}.vocab"] = vocab.astype(str)
            arrays[f"{key}.idf"] = np.asarray(v.idf_, dtype=np.float64)
        elif isinstance(v, DictVectorizer):
            spec[key] = {"type": "dictvec", "params": {"separator": v.separator, "sparse": bool(v.sparse)}}
            arrays[f"{key}.names"] = np.asarray(v.feature_names_, dtype=str)
        elif isinstance(v, LogisticRegression):
            spec[key] = {"type": "logreg", "params": {"C": float(v.C)}}
            arrays[f"{key}.coef"] = np.asarray(v.coef_, dtype=np.float64)
            arrays[f"{key}.intercept"] = np.asarray(v.intercept_, dtype=np.float64)
            arrays[f"{key}.classes"] = np.asarray(v.classes_, dtype=np.int64)
        elif isinstance(v, (int, float, str, bool)) or v is None:
            spec[key] = {"type": "value", "value": v}
        else:
            raise ModelError(f"[E020] cannot store a {type(v).__name__} in the array model format")
    return spec, arrays


def dump(parts: dict[str, Any], path) -> dict[str, Any]:
    spec, arrays = to_arrays(parts)
    np.savez_compressed(path, **arrays)
    return spec


def load(path, spec: dict[str, Any]) -> dict[str, Any]:
    """Rebuild the parts from ``path`` (an .npz) and ``spec``; anything unexpected is refused (E020)."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
    except (ValueError, OSError, EOFError) as exc:
        raise ModelError(f"[E020] model file {path} failed verification: not a plain-array model ({exc})") from None

    def arr(name: str) -> np.ndarray:
        if name not in arrays:
            raise ModelError(f"[E020] model file {path} failed verification: array {name!r} is missing")
        return arrays[name]

    parts: dict[str, Any] = {}
    for key, s in spec.items():
        kind = s.get("type")
        if kind == "tfidf":
            params = {k: v for k, v in s["params"].items() if k in _TFIDF_PARAMS}
            params["ngram_range"] = tuple(params["ngram_range"])
            tv = TfidfVectorizer(**params)
            tv.vocabulary_ = {str(t): i for i, t in enumerate(arr(f"{key}.vocab").tolist())}
            tv.idf_ = arr(f"{key}.idf")
            parts[key] = tv
        elif kind == "dictvec":
            dv = DictVectorizer(**s["params"])
            names = [str(n) for n in arr(f"{key}.names").tolist()]
            dv.feature_names_ = names
            dv.vocabulary_ = {n: i for i, n in enumerate(names)}
            parts[key] = dv
        elif kind == "logreg":
            lr = LogisticRegression(**s.get("params", {}))
            lr.coef_ = arr(f"{key}.coef")
            lr.intercept_ = arr(f"{key}.intercept")
            lr.classes_ = arr(f"{key}.classes")
            lr.n_features_in_ = lr.coef_.shape[1]
            lr.n_iter_ = np.zeros(1, dtype=np.int32)
            parts[key] = lr
        elif kind == "value":
            parts[key] = s.get("value")
        else:
            raise ModelError(f"[E020] model file {path} failed verification: unknown part type {kind!r}")
    return parts
