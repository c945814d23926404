"""Encoding detection for Japanese exports: UTF-8 (with or without BOM), CP932/Shift_JIS, EUC-JP.

Detection first tries UTF-8 (strictly; a UTF-8 sample is never re-guessed), then the legacy Japanese
encodings that decode the sample strictly; when both CP932 and EUC-JP decode it, the one whose text
looks like Japanese (kana, kanji, full-width punctuation rather than half-width katakana and private-use
characters) wins, and charset-normalizer breaks ties. The choice is then *verified* by decoding strictly:
a wrong guess is an error (E009), never silent mojibake. A forced legacy encoding on bytes that are valid
UTF-8 is reported as mojibake (E015).
"""
from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

from ..errors import InputError

CANDIDATES = ("utf_8", "cp932", "euc_jp")
UTF8_FAMILY = ("utf_8", "utf_8_sig")
_ALIASES = {"utf8": "utf_8", "utf-8": "utf_8", "utf-8-sig": "utf_8_sig", "utf8-sig": "utf_8_sig",
            "sjis": "cp932", "shift_jis": "cp932", "shift-jis": "cp932", "ms932": "cp932",
            "windows-31j": "cp932", "eucjp": "euc_jp", "euc-jp": "euc_jp"}
SAMPLE_BYTES = 256 * 1024

# Typical mojibake: UTF-8 bytes read as CP932 give runs of 縺/繧/繝/譁; UTF-8 read as Latin-1 gives Ã/ã/â;
# EUC-JP kana read as CP932 give half-width pairs starting with ､/･ (the EUC-JP lead bytes 0xA4/0xA5).
_MOJIBAKE = re.compile(r"(?:[縺繧繝譁螟蜿遘髢]{3,})|(?:[ãâÃÂ][\x80-\xbf]){3,}|(?:[\uff64\uff65][\uff61-\uff9f]){4,}|\ufffd")


def canonical_name(name: str) -> str:
    """Python's codec name with underscores (``utf_8``, ``utf_8_sig``, ``cp932``, ``euc_jp``)."""
    return codecs.lookup(name).name.replace("-", "_")


def normalize_encoding_name(name: str) -> str:
    n = name.strip().lower()
    n = _ALIASES.get(n, n)
    try:
        return canonical_name(n)
    except LookupError:
        raise InputError("E009", None, None, "encoding", None,
                         {"encoding": name, "detail": "unknown encoding name"}) from None


def is_utf8(encoding: str) -> bool:
    try:
        return canonical_name(encoding) in UTF8_FAMILY
    except LookupError:
        return False


def _decodes(body: bytes, enc: str) -> str | None:
    """``body`` decoded strictly (a multi-byte character cut at the end is allowed), or None."""
    try:
        return codecs.getincrementaldecoder(enc)(errors="strict").decode(body, final=False)
    except UnicodeDecodeError:
        return None


def _japanese_score(text: str) -> float:
    score = 0.0
    for ch in text:
        o = ord(ch)
        if 0x3040 <= o <= 0x30FF:          # hiragana, katakana
            score += 2
        elif 0x4E00 <= o <= 0x9FFF or 0x3000 <= o <= 0x303F or 0xFF01 <= o <= 0xFF5E:
            score += 1                     # kanji, CJK punctuation, full-width ASCII
        elif 0xFF61 <= o <= 0xFF9F:        # half-width katakana: legitimate in CP932 exports, but
            score += 0.5                   # also what EUC-JP kana look like when read as CP932
        elif 0xE000 <= o <= 0xF8FF or (o < 0x20 and ch not in "\r\n\t") or 0x80 <= o < 0xA0:
            score -= 5                     # private use, control characters
    return score


def detect(sample: bytes, *, file: str | None = None) -> str:
    """Return the codec name for ``sample`` (the head of a file)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf_8_sig"
    if not sample:
        return "utf_8"
    # The sample may end inside a multi-byte character: decode incrementally (final=False).
    if _decodes(sample, "utf_8") is not None:
        return "utf_8"
    decoded = {enc: text for enc in ("cp932", "euc_jp") if (text := _decodes(sample, enc)) is not None}
    if len(decoded) == 1:
        return next(iter(decoded))
    if len(decoded) == 2:
        scores = {enc: _japanese_score(text) for enc, text in decoded.items()}
        if scores["cp932"] != scores["euc_jp"]:
            return max(scores, key=scores.__getitem__)
        result = from_bytes(sample, cp_isolation=["cp932", "euc_jp"]).best()
        if result is not None:
            return canonical_name(result.encoding)
        return "cp932"
    raise InputError("E009", file, _first_bad_line(sample), None, None,
                     {"encoding": "utf-8/cp932/euc-jp", "detail": "no candidate encoding decodes this file"})


def _first_bad_line(sample: bytes) -> int | None:
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        return sample[: exc.start].count(b"\n") + 1
    return None


def check_mojibake(text: str, *, file: str | None, line: int | None, field: str | None = None) -> None:
    m = _MOJIBAKE.search(text)
    if m:
        raise InputError("E015", file, line, field, None, {"detail": f"found {m.group(0)[:12]!r}"})


def check_forced_encoding(sample: bytes, encoding: str, *, file: str | None) -> None:
    """A legacy encoding forced on bytes that are valid UTF-8 gives mojibake: report it (E015).

    Real CP932/EUC-JP Japanese text is practically never valid UTF-8 (its lead bytes are UTF-8
    continuation bytes), so non-ASCII bytes that decode as UTF-8 were written as UTF-8.
    """
    if is_utf8(encoding):
        return
    first = next((i for i, b in enumerate(sample) if b >= 0x80), None)
    if first is None:
        return
    if _decodes(sample, "utf_8") is not None:
        line = sample[:first].count(b"\n") + 1
        raise InputError("E015", file, line, None, None,
                         {"detail": f"the bytes are UTF-8 but --encoding {encoding} was given"})


def decode_line(raw: bytes, encoding: str, *, file: str | None, line: int) -> str:
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputError("E009", file, line, None, None,
                         {"encoding": encoding, "detail": f"byte {exc.start} of the line ({raw[exc.start:exc.start + 4]!r})"}) from None
    check_mojibake(text, file=file, line=line)
    return text
