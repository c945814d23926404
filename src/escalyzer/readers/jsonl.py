"""JSON Lines (one call per line) and JSON arrays of calls, both streamed."""
from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from typing import IO, Any

from ..errors import InputError
from .encoding import SAMPLE_BYTES, check_forced_encoding, check_mojibake, decode_line, detect, is_utf8


def iter_jsonl(fh: IO[bytes], *, file: str, encoding: str | None) -> Iterator[tuple[int, Any] | InputError]:
    """Yield ``(line_no, obj)`` for each non-blank line, or an :class:`InputError` for a bad one."""
    head = fh.peek(SAMPLE_BYTES)[:SAMPLE_BYTES] if hasattr(fh, "peek") else b""
    enc = encoding or detect(head, file=file)
    utf8 = is_utf8(enc)
    for n, raw in enumerate(fh, start=1):
        if n == 1 and utf8 and raw.startswith(codecs.BOM_UTF8):  # detected, or --encoding utf-8 on a BOM file
            raw = raw[3:]
        try:
            text = decode_line(raw, "utf_8" if utf8 else enc, file=file, line=n)
        except InputError as err:
            yield err
            continue
        if not text.strip():
            continue
        try:
            yield n, loads(text)
        except InputError as err:
            err.file, err.line = file, n
            yield err


def loads(text: str) -> Any:
    """``json.loads`` whose every failure is an E001 (file and line are filled in by the caller)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError("E001", None, None, None, None, {"detail": f"{exc.msg} at line {exc.lineno} column {exc.colno}"}) from None
    except RecursionError:
        raise InputError("E001", None, None, None, None, {"detail": "nested too deeply"}) from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise InputError("E001", None, None, None, None, {"detail": str(exc)[:120]}) from None


def iter_json_array(fh: IO[bytes], *, file: str, encoding: str | None,
                    chunk_size: int = 1 << 20) -> Iterator[tuple[int, Any] | InputError]:
    """Stream the elements of a top-level JSON array without loading the whole file.

    Yields ``(record_no, obj)``; record numbers are 1-based positions in the array.
    """
    head = fh.peek(SAMPLE_BYTES)[:SAMPLE_BYTES] if hasattr(fh, "peek") else b""
    enc = encoding or detect(head, file=file)
    decoder = json.JSONDecoder()
    reader = _text_chunks(fh, enc, file, chunk_size)
    buf = ""
    pos = 0
    started = False
    record = 0
    eof = False

    def fill() -> bool:
        nonlocal buf, pos, eof
        chunk = next(reader, None)
        if chunk is None:
            eof = True
            return False
        buf = buf[pos:] + chunk
        pos = 0
        return True

    while True:
        while pos < len(buf) and buf[pos] in " \t\r\n\ufeff,":
            if buf[pos] == "," and not started:
                break
            pos += 1
        if pos >= len(buf):
            if not fill():
                break
            continue
        ch = buf[pos]
        if not started:
            if ch != "[":
                yield InputError("E001", file, 1, None, None, {"detail": "expected a JSON array"})
                return
            started = True
            pos += 1
            continue
        if ch == "]":
            return
        try:
            obj, end = decoder.raw_decode(buf, pos)
        except json.JSONDecodeError as exc:
            if not eof and fill():
                continue
            yield InputError("E001", file, record + 1, None, None, {"detail": f"{exc.msg} in record {record + 1}"})
            return
        except RecursionError:
            yield InputError("E001", file, record + 1, None, None, {"detail": f"record {record + 1} is nested too deeply"})
            return
        except ValueError as exc:  # e.g. an integer of more than 4300 digits
            yield InputError("E001", file, record + 1, None, None, {"detail": f"record {record + 1}: {str(exc)[:120]}"})
            return
        if end == len(buf) and not eof:
            # a number or literal may continue in the next chunk
            if fill():
                continue
        record += 1
        pos = end
        yield record, obj
    if not started:
        yield InputError("E010", file, None, None, None)
    else:
        yield InputError("E001", file, record + 1, None, None, {"detail": "unterminated JSON array"})


def _text_chunks(fh: IO[bytes], enc: str, file: str, size: int) -> Iterator[str]:
    dec = codecs.getincrementaldecoder(enc)(errors="strict")
    offset = 0
    while True:
        data = fh.read(size)
        final = not data
        try:  # beyond the head checked before reading, a chunk may still be UTF-8 in a legacy file
            check_forced_encoding(data, enc, file=file)
        except InputError as err:
            err.line = err.line if offset == 0 else None  # a line of the chunk, not of the file
            raise
        try:
            text = dec.decode(data, final=final)
        except UnicodeDecodeError as exc:
            raise InputError("E009", file, None, None, None,
                             {"encoding": enc, "detail": f"byte offset {offset + exc.start}"}) from None
        offset += len(data)
        if text:
            check_mojibake(text, file=file, line=None)
            yield text
        if final:
            return
