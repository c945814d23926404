"""A linear text classifier over three feature views, persisted as plain arrays (no custom classes, no pickle).

Views of one text (all computed by escalyzer before the model sees them):

- ``char``: character 1-3-grams (TF-IDF) of the normalised text with other people's quoted words masked;
- ``lemma``: UniDic lemma 1-2-grams (TF-IDF) — inflection-robust (言った/言われ/言って → 言う);
- ``cues``: numeric features from the cue lexicons and call context (cue weights by label, negated and
  quoted hits, intensity marks, keigo collapse, the previous turn's cues ...).

The estimator is a ``LogisticRegression``, so every decision decomposes into per-feature
contributions (``coef × value``), which :meth:`TextClassifier.explain` maps back to features for evidence.
Only scikit-learn's own TF-IDF, DictVectorizer and LogisticRegression are used, so
:func:`escalyzer.models.load_model` can store them as arrays and rebuild them without trusting any code.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp


@dataclass
class FeatureInput:
    text: str  # normalised, quotes masked
    lemmas: str  # space-joined lemmas
    cues: dict[str, float]


def make_parts(C: float = 2.0, class_weight: str | None = "balanced", char_max_features: int = 60000,
               cue_scale: float = 1.0) -> dict[str, Any]:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    return {
        "char": TfidfVectorizer(analyzer="char", ngram_range=(1, 3), min_df=2, sublinear_tf=True,
                                max_features=char_max_features, lowercase=False),
        "lemma": TfidfVectorizer(analyzer="word", token_pattern=r"\S+", ngram_range=(1, 2), min_df=2,
                                 sublinear_tf=True, lowercase=False),
        "cues": DictVectorizer(sparse=True),
        "clf": LogisticRegression(C=C, class_weight=class_weight, max_iter=3000, random_state=0),
        "cue_scale": float(cue_scale),
    }


class TextClassifier:
    def __init__(self, parts: dict[str, Any], meta: dict[str, Any] | None = None):
        self.parts = parts
        self.meta = meta or {}

    # -- training -------------------------------------------------------------------------------
    @classmethod
    def fit(cls, inputs: list[FeatureInput], y: list[int], sample_weight=None, **kw: Any) -> "TextClassifier":
        parts = make_parts(**kw)
        Xc = parts["char"].fit_transform([i.text for i in inputs])
        Xl = parts["lemma"].fit_transform([i.lemmas for i in inputs])
        Xq = parts["cues"].fit_transform([i.cues for i in inputs]) * parts["cue_scale"]
        X = sp.hstack([Xc, Xl, Xq]).tocsr()
        parts["clf"].fit(X, np.asarray(y), sample_weight=sample_weight)
        return cls(parts)

    # -- inference ------------------------------------------------------------------------------
    @property
    def classes(self) -> list[int]:
        return [int(c) for c in self.parts["clf"].classes_]

    def transform(self, inputs: list[FeatureInput]) -> sp.csr_matrix:
        p = self.parts
        Xc = p["char"].transform([i.text for i in inputs])
        Xl = p["lemma"].transform([i.lemmas for i in inputs])
        Xq = p["cues"].transform([i.cues for i in inputs]) * p["cue_scale"]
        return sp.hstack([Xc, Xl, Xq]).tocsr()

    def same_features(self, other: "TextClassifier") -> bool:
        """True when ``other`` turns inputs into the very same matrix (same vocabularies, idf and cue
        scale): the anger and urgency models are fitted on the same texts, so one matrix serves both."""
        a, b = self.parts, other.parts
        if a["cue_scale"] != b["cue_scale"]:
            return False
        for view in ("char", "lemma", "cues"):
            if a[view].vocabulary_ != b[view].vocabulary_:
                return False
        return all(np.array_equal(a[v].idf_, b[v].idf_) for v in ("char", "lemma"))

    def predict_proba(self, inputs: list[FeatureInput], X: sp.csr_matrix | None = None) -> np.ndarray:
        if not inputs:
            return np.zeros((0, len(self.classes)))
        X = self.transform(inputs) if X is None else X
        return self.parts["clf"].predict_proba(X)

    def feature_names(self) -> list[tuple[str, str]]:
        if not hasattr(self, "_names"):
            p = self.parts
            names = [("char", n) for n in p["char"].get_feature_names_out()]
            names += [("lemma", n) for n in p["lemma"].get_feature_names_out()]
            names += [("cue", n) for n in p["cues"].get_feature_names_out()]
            self._names = names
        return self._names

    def explain(self, X_row: sp.csr_matrix, class_index: int, top_k: int = 5) -> list[tuple[str, str, float]]:
        """Features pushing towards ``class_index`` most: ``(view, feature, contribution)``.

        The contribution of a feature is ``x_f * (coef[c, f] - mean_k coef[k, f])``: how much it moves
        class ``c`` against the average class (for a multinomial logistic regression this is the
        log-odds shift the feature gives ``c``).
        """
        if not hasattr(self, "_relative_coef"):
            coef = self.parts["clf"].coef_
            self._relative_coef = (np.vstack([-coef[0], coef[0]]) if coef.shape[0] == 1
                                   else coef - coef.mean(axis=0))
        w = self._relative_coef[class_index]
        row = X_row.tocsr()
        idx = row.indices
        contrib = row.data * w[idx]
        order = np.argsort(-contrib)
        names = self.feature_names()
        out = []
        for j in order[: top_k * 4]:
            c = float(contrib[j])
            if c <= 0:
                break
            view, name = names[idx[j]]
            out.append((view, name, c))
        return out
