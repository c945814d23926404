"""Plain-text transcripts, one call per file (``../shared/dev/text``).

::

    # call_id: A-002
    # received_at: 2026-11-18T14:05:00+09:00
    [00:00:00] オペレーター: お電話ありがとうございます。
    お客様：もしもし          (full-width colon, no time stamp)
    continuation line without a speaker joins the previous turn

A turn's ``end`` is not in the format; it is left empty.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..errors import InputError
from ..transcript import META_FIELDS
from .encoding import check_mojibake, decode_whole, detect

HEADER_FIELDS = ("call_id",) + META_FIELDS
_HEADER = re.compile(r"^\s*#\s*([A-Za-z_]+)\s*[:：]\s*(.*?)\s*$")
_TURN = re.compile(
    r"^\s*(?:[\[［(（]?\s*(?P<ts>\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?)\s*[\]］)）]?\s*)?"
    r"(?P<speaker>[^\s:：\[\]［］][^:：]{0,24}?)\s*[:：]\s?(?P<text>.*)$"
)


def parse_text(data: bytes, *, file: str, stem: str, encoding: str | None,
               known_speaker) -> Iterator[tuple[int, dict[str, Any]] | InputError]:
    """Parse one text file into one canonical call dict. ``known_speaker(label)`` returns a role or None."""
    enc = encoding or detect(data[: 256 * 1024], file=file)
    try:
        text = decode_whole(data, enc, file=file)
    except InputError as err:
        yield err
        return
    if text.startswith("\ufeff"):
        text = text[1:]
    call: dict[str, Any] = {"call_id": stem, "turns": [], "_lines": [], "_header_lines": {}}
    metadata: dict[str, str] = {}
    # Physical lines only (str.splitlines would also split at U+2028, U+0085 ... and shift line numbers).
    newline = "\n" if "\n" in text or "\r" not in text else "\r"
    for n, line in enumerate(text.split(newline), start=1):
        line = line.rstrip("\r")
        try:
            check_mojibake(line, file=file, line=n)
        except InputError as err:
            yield err
            return
        if not line.strip():
            continue
        h = _HEADER.match(line)
        if h and not call["turns"]:
            key, value = h.group(1).lower(), h.group(2)
            if key in HEADER_FIELDS:
                call[key] = value
                call["_header_lines"][key] = n
            else:  # any other "# key: value" header is kept as metadata, never as a structural field
                metadata[key] = value
            continue
        if line.lstrip().startswith("#") and not call["turns"]:
            continue  # a comment before the first turn
        m = _TURN.match(line)
        if m and (known_speaker(m.group("speaker").strip()) is not None or m.group("ts")):
            turn: dict[str, Any] = {"speaker": m.group("speaker").strip(), "text": m.group("text").strip()}
            if m.group("ts"):
                turn["start"] = m.group("ts")
            call["turns"].append(turn)
            call["_lines"].append(n)
        elif call["turns"]:
            call["turns"][-1]["text"] += "\n" + line.strip()
        else:
            yield InputError("E011", file, n, None, None,
                             {"detail": "a line before any speaker label (expected '[hh:mm:ss] 話者: 発話' or '話者：発話')"})
            return
    if not call["turns"]:
        yield InputError("E010", file, None, None, None)
        return
    if metadata:
        call["metadata"] = metadata
    yield 1, call
