"""Normalisation for matching only (NFKC, full/half width, case, repeated ー/〜/！), with an offset map.

Offsets found in the normalised string are mapped back to the original text, so evidence always
points into what the user gave us.
"""
from __future__ import annotations

import unicodedata

_COLLAPSE = set("ー〜~！!？?…・ｰ-")


class NormText:
    """``norm`` is the normalised text; ``to_orig(i)`` maps a normalised offset to an original one."""

    __slots__ = ("orig", "norm", "_map", "quotes")

    def __init__(self, text: str):
        self.orig = text
        out: list[str] = []
        idx: list[int] = []
        prev = ""
        for i, ch in enumerate(text):
            n = unicodedata.normalize("NFKC", ch).lower()
            if n in ("\u3099", "\u309a") and out:  # half-width (semi-)voiced mark: compose with the previous kana
                composed = unicodedata.normalize("NFC", out[-1] + n)
                if len(composed) == 1:
                    out[-1] = composed
                    continue
            if n == "~":
                n = "〜"
            if len(n) == 1 and n in _COLLAPSE and n == prev:
                continue
            for c in n:
                out.append(c)
                idx.append(i)
            prev = n
        idx.append(len(text))
        self.norm = "".join(out)
        self._map = idx
        self.quotes: list[tuple[int, int]] | None = None  # quoted-speech regions, filled once by lexicons

    def to_orig(self, i: int) -> int:
        return self._map[min(i, len(self._map) - 1)]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original ``(start, end)`` for a normalised span."""
        if end <= start:
            s = self.to_orig(start)
            return s, s
        return self.to_orig(start), self._map[end - 1] + 1


def normalize(text: str) -> str:
    return NormText(text).norm
