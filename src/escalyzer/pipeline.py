"""The spaCy ``Language``: ``spacy.blank("ja")`` with escalyzer's fugashi tokenizer and sentencizer."""
from __future__ import annotations

import spacy
from spacy.language import Language

from . import sentences as _sentences  # noqa: F401  (registers esc_sentencizer)
from . import tokenizer as _tokenizer  # noqa: F401  (registers esc.FugashiTokenizer.v1)


def build_nlp() -> Language:
    """A blank Japanese pipeline: lossless fugashi/unidic-lite tokenizer + ``esc_sentencizer``.

    Examples
    --------
    >>> nlp = build_nlp()
    >>> doc = nlp("先日注文しました。まだ届きません")
    >>> [s.text for s in doc.sents]
    ['先日注文しました。', 'まだ届きません']
    """
    nlp = spacy.blank("ja", config={"nlp": {"tokenizer": {"@tokenizers": "esc.FugashiTokenizer.v1"}}})
    nlp.add_pipe("esc_sentencizer")
    return nlp
