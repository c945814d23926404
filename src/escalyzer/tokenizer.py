"""A lossless spaCy tokenizer for Japanese on fugashi + unidic-lite.

``doc.text == text`` for every input: whitespace MeCab skips (spaces, tabs, newlines) becomes its own
token (``pos_ = "SPACE"``, like spaCy's own Japanese tokenizer), so every character offset in evidence
points into the user's original text. Tokens carry UniDic part of speech (``tag_`` = pos1-pos2,
``pos_`` = a coarse UD mapping), lemma (UniDic ``lemma``), reading (``token._.esc_reading``) and
normalised form (``norm_`` = UniDic ``orthBase``/NFKC surface).
"""
from __future__ import annotations

import unicodedata
from typing import Any

import numpy
from spacy.attrs import NORM
from spacy.language import Language
from spacy.tokens import Doc, Token
from spacy.util import registry
from spacy.vocab import Vocab

_POS_MAP = {
    "名詞": "NOUN", "代名詞": "PRON", "形状詞": "ADJ", "形容詞": "ADJ", "連体詞": "DET", "副詞": "ADV",
    "接続詞": "CCONJ", "感動詞": "INTJ", "動詞": "VERB", "助動詞": "AUX", "助詞": "ADP", "接頭辞": "NOUN",
    "接尾辞": "NOUN", "記号": "SYM", "補助記号": "PUNCT", "空白": "SPACE",
}

if not Token.has_extension("esc_reading"):
    Token.set_extension("esc_reading", default=None)
if not Token.has_extension("esc_ctype"):
    Token.set_extension("esc_ctype", default=None)


def _tagger():
    try:
        import fugashi
    except ImportError as exc:  # pragma: no cover - import guard
        raise ImportError("escalyzer needs fugashi and unidic-lite: pip install fugashi unidic-lite") from exc
    try:
        import unidic_lite  # noqa: F401
    except ImportError as exc:  # pragma: no cover
        raise ImportError("escalyzer needs the unidic-lite dictionary: pip install unidic-lite") from exc
    return fugashi.Tagger()


class FugashiTokenizer:
    """Callable ``str -> Doc``; picklable (``__reduce__``) so it can cross process boundaries."""

    def __init__(self, vocab: Vocab):
        self.vocab = vocab
        self.tagger = _tagger()

    def __reduce__(self):
        return (FugashiTokenizer, (self.vocab,))

    def __call__(self, text: str) -> Doc:
        words: list[str] = []
        spaces: list[bool] = []
        attrs: list[tuple[str, str, str, str | None, str | None]] = []
        pos = 0
        n = len(text)
        # MeCab stops at NUL bytes; feed it line by line to keep newline accounting simple.
        for node in self.tagger(text.replace("\x00", " ")) if text else []:
            surface = node.surface
            if not surface:
                continue
            idx = text.find(surface, pos)
            if idx < 0:  # should not happen; fall back to character-level alignment
                idx = pos
                surface = text[pos:pos + len(surface)]
            if idx > pos:
                _add_gap(text[pos:idx], words, spaces, attrs)
            f = node.feature
            pos1 = getattr(f, "pos1", None) or "*"
            pos2 = getattr(f, "pos2", None) or "*"
            lemma = getattr(f, "lemma", None)
            base = getattr(f, "orthBase", None)
            kana = getattr(f, "kana", None)
            ctype = getattr(f, "cForm", None)
            if not lemma or lemma == "*":
                lemma = surface
            lemma = lemma.split("-")[0] if "-" in lemma and not lemma.startswith("-") else lemma
            norm = base if base and base != "*" else unicodedata.normalize("NFKC", surface)
            words.append(surface)
            spaces.append(False)
            attrs.append((f"{pos1}-{pos2}", _POS_MAP.get(pos1, "X"), lemma, kana if kana and kana != "*" else None,
                          ctype if ctype and ctype != "*" else None, norm))
            pos = idx + len(surface)
        if pos < n:
            _add_gap(text[pos:], words, spaces, attrs)
        # tags, POS and lemmas through the Doc constructor, norms in one array write: far cheaper than
        # setting them token by token (each Token is a new Python object)
        doc = Doc(self.vocab, words=words, spaces=spaces, tags=[a[0] for a in attrs], pos=[a[1] for a in attrs],
                  lemmas=[a[2] for a in attrs])
        if attrs:
            strings = self.vocab.strings
            doc.from_array([NORM], numpy.array([[strings.add(a[5])] for a in attrs], dtype="uint64"))
        for token, a in zip(doc, attrs):
            if a[3] is not None:
                token._.esc_reading = a[3]
            if a[4] is not None:
                token._.esc_ctype = a[4]
        return doc

    # spaCy serialisation protocol: nothing to store beyond the config
    def to_bytes(self, **kwargs: Any) -> bytes:
        return b""

    def from_bytes(self, data: bytes, **kwargs: Any) -> "FugashiTokenizer":
        return self

    def to_disk(self, path, **kwargs: Any) -> None:
        pass

    def from_disk(self, path, **kwargs: Any) -> "FugashiTokenizer":
        return self


def _add_gap(gap: str, words, spaces, attrs) -> None:
    """Whitespace MeCab skipped (or any unaligned characters) becomes its own token."""
    tag = "空白-*" if gap.isspace() else "補助記号-一般"
    upos = "SPACE" if gap.isspace() else "X"
    words.append(gap)
    spaces.append(False)
    attrs.append((tag, upos, gap, None, None, gap))


@registry.tokenizers("esc.FugashiTokenizer.v1")
def create_tokenizer():
    def make(nlp: Language) -> FugashiTokenizer:
        return FugashiTokenizer(nlp.vocab)

    return make


def dictionary_info() -> dict[str, Any]:
    """The UniDic dictionary in use, as fugashi reports it."""
    import fugashi
    import unidic_lite

    info = dict(_tagger().dictionary_info[0])
    info["package"] = "unidic-lite"
    info["package_version"] = getattr(unidic_lite, "__version__", None) or _dist_version("unidic-lite")
    info["fugashi"] = getattr(fugashi, "__version__", None) or _dist_version("fugashi")
    return info


def _dist_version(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None
