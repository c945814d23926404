"""Encoding detection for Japanese exports: UTF-8 (with or without BOM), CP932/Shift_JIS, EUC-JP.

Detection first tries UTF-8 (strictly; a UTF-8 sample is never re-guessed); otherwise the candidate
whose text looks most like Japanese (kana, kanji, full-width punctuation rather than half-width katakana,
private-use characters and undecodable bytes) wins, and charset-normalizer breaks ties. The choice is then *verified* by decoding strictly:
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


_JAPANESE = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff01-\uffef]")


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
    # CP932 decodes most byte strings (EUC-JP ones too, as half-width katakana), so "decodes without
    # error" does not decide: each candidate is scored on how Japanese its text looks, less a penalty
    # per undecodable byte (a damaged line must not turn a whole EUC-JP file into CP932 mojibake: the
    # reader reports that line as E009 and keeps the others).
    scores = {enc: _plausibility(sample, enc) for enc in CANDIDATES}
    best = max(scores.values())
    tied = [enc for enc in CANDIDATES if scores[enc] == best]
    if len(tied) > 1:
        result = from_bytes(sample, cp_isolation=tied).best()
        if result is not None and canonical_name(result.encoding) in tied:
            return canonical_name(result.encoding)
    return tied[0]


def _plausibility(sample: bytes, enc: str) -> float:
    text = codecs.getincrementaldecoder(enc)(errors="replace").decode(sample[:60000], final=False)
    return _japanese_score(text) - 10 * text.count("\ufffd")


def check_mojibake(text: str, *, file: str | None, line: int | None, field: str | None = None) -> None:
    m = _MOJIBAKE.search(text)
    if m:
        raise InputError("E015", file, line, field, None, {"detail": f"found {m.group(0)[:12]!r}"})


def check_forced_encoding(sample: bytes, encoding: str, *, file: str | None) -> None:
    """A legacy encoding forced on bytes that are valid UTF-8 gives mojibake: report it (E015).

    Real CP932/EUC-JP Japanese text is practically never valid UTF-8 (its lead bytes are UTF-8
    continuation bytes), so non-ASCII bytes that decode as UTF-8 were written as UTF-8.
    """
    if is_utf8(encoding) or sample.isascii():
        return
    first = next(i for i, b in enumerate(sample) if b >= 0x80)
    text = _decodes(sample, "utf_8")
    # Japanese in UTF-8 is three bytes a character; a few CP932 half-width katakana pairs (ﾃｽ = C3 BD)
    # also happen to be valid two-byte UTF-8, which is no evidence
    if text is not None and _JAPANESE.search(text):
        line = sample[:first].count(b"\n") + 1
        raise InputError("E015", file, line, None, None,
                         {"detail": f"the bytes are UTF-8, not {encoding}"})


def decode_line(raw: bytes, encoding: str, *, file: str | None, line: int) -> str:
    if not is_utf8(encoding):  # a UTF-8 line in a CP932/EUC-JP file (forced, or a mixed file)
        try:
            check_forced_encoding(raw, encoding, file=file)
        except InputError as err:
            err.line = line
            raise
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputError("E009", file, line, None, None,
                         {"encoding": encoding, "detail": f"byte {exc.start} of the line ({raw[exc.start:exc.start + 4]!r})"}) from None
    check_mojibake(text, file=file, line=line)
    return text


def decode_whole(data: bytes, enc: str, *, file: str | None) -> str:
    """Decode a whole (small, single-call) document strictly; wrong encodings raise E009/E015 with the line."""
    check_forced_encoding(data, enc, file=file)
    try:
        return data.decode(enc)
    except UnicodeDecodeError as exc:
        raise InputError("E009", file, data[: exc.start].count(b"\n") + 1, None, None,
                         {"encoding": enc, "detail": f"byte {exc.start}"}) from None
