"""CSV/TSV with one row per turn: ``call_id, speaker, text, start, end`` (Japanese headers accepted).

Rows of one call must be contiguous; rows are streamed and a call is emitted when its id changes.
"""
from __future__ import annotations

import codecs
import csv
import unicodedata
from collections.abc import Iterator
from typing import IO, Any

from ..errors import InputError
from .encoding import SAMPLE_BYTES, decode_line, detect, is_utf8

HEADER_ALIASES = {
    "call_id": ("call_id", "callid", "call", "通話id", "通話ｉｄ", "コールid", "問い合わせid", "id", "contact_id", "conversation_id"),
    "speaker": ("speaker", "role", "話者", "発話者", "speaker_role", "participant_role"),
    "text": ("text", "utterance", "発話", "テキスト", "内容", "transcript", "content"),
    "start": ("start", "start_sec", "begin", "開始", "開始時間", "開始秒"),
    "end": ("end", "end_sec", "終了", "終了時間", "終了秒"),
    "name": ("name", "speaker_name", "participant", "participant_id", "担当者名", "名前"),
}
CALL_FIELDS = ("received_at", "first_contact_at", "callback_promised_at", "sla_hours", "status")


def _norm(h: str) -> str:
    return unicodedata.normalize("NFKC", h).strip().lower().lstrip("\ufeff").replace(" ", "_")


def map_header(header: list[str], *, file: str, line: int = 1) -> dict[str, int]:
    normed = [_norm(h) for h in header]
    cols: dict[str, int] = {}
    for key, aliases in HEADER_ALIASES.items():
        for a in aliases:
            a = _norm(a)
            if a in normed:
                cols[key] = normed.index(a)
                break
    for key in CALL_FIELDS:
        if key in normed:
            cols[key] = normed.index(key)
    for required in ("call_id", "speaker", "text"):
        if required not in cols:
            raise InputError("E016", file, line, required, None, {"detail": f"a {required}"})
    return cols


def iter_rows(fh: IO[bytes], *, file: str, encoding: str | None,
              delimiter: str | None = None) -> Iterator[tuple[int, dict[str, Any]] | InputError]:
    """Yield ``(first_line, call_dict)`` per call (canonical shape), or errors."""
    head = fh.peek(SAMPLE_BYTES)[:SAMPLE_BYTES] if hasattr(fh, "peek") else b""
    enc = encoding or detect(head, file=file)
    if delimiter is None:
        delimiter = "\t" if file.lower().endswith((".tsv", ".tab")) else ","
    # Lines are decoded one by one (no CP932/EUC-JP/UTF-8 character contains a newline byte), so a
    # decoding error names its exact line; csv.reader joins the lines of a quoted multi-line field.
    reader = csv.reader(_decoded_lines(fh, enc, file), delimiter=delimiter)
    try:
        header = next(reader)
        while not any(c.strip() for c in header):  # blank lines before the header
            header = next(reader)
    except StopIteration:
        yield InputError("E010", file, None, None, None)
        return
    except csv.Error as exc:
        yield InputError("E001", file, reader.line_num, None, None, {"detail": f"CSV: {exc}"})
        return
    try:
        cols = map_header(header, file=file, line=reader.line_num)
    except InputError as err:
        yield err
        return
    current: dict[str, Any] | None = None
    first_line = 0
    seen: dict[str, int] = {}
    skipping: str | None = None  # the rows of a repeated call id, reported once
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            yield InputError("E001", file, reader.line_num, None, None, {"detail": f"CSV: {exc}"})
            continue
        line = reader.line_num
        if not row or all(not c.strip() for c in row):
            continue

        def get(key: str) -> str | None:
            i = cols.get(key)
            return row[i] if i is not None and i < len(row) else None

        call_id = (get("call_id") or "").strip()
        if not call_id:
            yield InputError("E002", file, line, "call_id", None)
            continue
        if call_id == skipping:
            continue
        skipping = None
        if current is None or current["call_id"] != call_id:
            if current is not None:
                yield first_line, current
            if call_id in seen:
                yield InputError("E008", file, line, "call_id", call_id, {"value": call_id, "first": f"{file}:{seen[call_id]}"})
                current = None
                skipping = call_id
                continue
            seen[call_id] = line
            current = {"call_id": call_id, "turns": [], "_lines": []}
            for k in CALL_FIELDS:
                v = get(k)
                if v not in (None, ""):
                    current[k] = v
            first_line = line
        turn = {"speaker": get("speaker"), "text": get("text") if get("text") is not None else None}
        if turn["text"] is None:
            del turn["text"]
        for k in ("start", "end", "name"):
            v = get(k)
            if v not in (None, ""):
                turn[k] = v
        current["turns"].append(turn)
        current["_lines"].append(line)
    if current is not None:
        yield first_line, current


def _decoded_lines(fh: IO[bytes], enc: str, file: str) -> Iterator[str]:
    utf8 = is_utf8(enc)
    for n, raw in enumerate(fh, start=1):
        if n == 1 and utf8 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[3:]
        yield decode_line(raw, "utf_8" if utf8 else enc, file=file, line=n)
