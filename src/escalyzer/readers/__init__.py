"""Transcript readers. ``read(paths)`` streams :class:`~escalyzer.transcript.Transcript` objects.

Formats (chosen by extension, then by sniffing the content):

- ``.jsonl``/``.ndjson``: one canonical call per line (the product's input format);
- ``.json``: a JSON array of calls (streamed), one canonical call, or a platform export
  (Amazon Connect Contact Lens, Amazon Transcribe, Google CCAI Insights; see ``platforms.py``);
  a JSONL line or an array element may also be a platform export;
- ``.csv``/``.tsv``: one row per turn;
- ``.txt``: one call per file with speaker labels.

Encodings (UTF-8 with or without BOM, CP932, EUC-JP) are detected per file, or forced with
``encoding=``; undecodable bytes are an E009 and text that decodes to mojibake an E015, never silent.
A file that yields neither a call nor an error is an E010.

Bad records never stop a batch: with ``errors="collect"`` they are yielded as
:class:`~escalyzer.errors.InputError` items in stream order; with ``errors="raise"`` the first one is raised.
"""
from __future__ import annotations

import glob
import io
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from ..errors import InputError, ResourceError
from ..speakers import SpeakerMap
from ..transcript import ROLES, Transcript
from .encoding import SAMPLE_BYTES, check_forced_encoding, normalize_encoding_name
from .jsonl import iter_json_array, iter_jsonl
from .plaintext import parse_text
from .platforms import read_json_document, transcript_from_obj
from .tabular import iter_rows

EXTENSIONS = (".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".txt")
Item = Transcript | InputError


def expand_paths(inputs: Iterable[str | os.PathLike]) -> Iterator[str]:
    """Files, directories (recursively, sorted) and globs; ``-`` for standard input."""
    for raw in inputs:
        p = str(raw)
        if p == "-":
            yield p
        elif os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs.sort()
                for f in sorted(files):
                    if f.lower().endswith(EXTENSIONS) and not f.endswith(".errors.jsonl"):
                        yield os.path.join(root, f)
        elif any(c in p for c in "*?[") and not os.path.exists(p):
            # like a directory, a pattern skips the error reports escalyzer writes beside its inputs
            matches = [m for m in sorted(glob.glob(p, recursive=True))
                       if os.path.isfile(m) and not m.endswith(".errors.jsonl")]
            if not matches:
                yield p  # reported as not found
            yield from matches
        else:
            yield p


def read(inputs: str | os.PathLike | Iterable[str | os.PathLike], *, encoding: str | None = None,
         speakers: SpeakerMap | None = None, errors: str = "raise",
         participant_map: dict[str, str] | None = None) -> Iterator[Item]:
    """Stream transcripts from files, directories, globs or ``-``.

    Parameters
    ----------
    inputs: one path or many.
    encoding: force an encoding (``cp932``, ``euc-jp``, ``utf-8``); detected when None.
    speakers: speaker alias map (defaults to ``resources/speakers.yaml``).
    errors: ``"raise"`` (the first bad record raises) or ``"collect"`` (bad records are yielded as
        :class:`InputError` items and reading goes on).
    participant_map: for platform exports, participant id -> role (decides which agent is the supervisor).

    Examples
    --------
    >>> import escalyzer
    >>> calls = list(escalyzer.read("data/samples/calls.jsonl"))  # doctest: +SKIP
    """
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    if participant_map:
        participant_map = {str(k): v for k, v in participant_map.items()}
        for k, v in participant_map.items():
            if v not in ROLES:
                raise ResourceError(f"[E030] participant map: unknown role {v!r} for {k!r}")
    speakers = speakers or SpeakerMap(extra=participant_map)
    enc = normalize_encoding_name(encoding) if encoding else None
    seen: dict[str, str] = {}
    for path in expand_paths(inputs):
        for item in _read_one(path, enc, speakers, participant_map):
            if isinstance(item, Transcript):
                first = seen.get(item.call_id)
                if first is not None:
                    file, line = _split_source(item.source, path)
                    item = InputError("E008", file, line, "call_id", item.call_id,
                                      {"value": item.call_id, "first": first})
                else:
                    seen[item.call_id] = item.source or path
            if isinstance(item, InputError) and errors == "raise":
                raise item
            yield item


def _split_source(source: str | None, path: str) -> tuple[str, int | None]:
    """``"file:line"`` (or ``"file"``) -> (file, line); a file name may itself hold colons."""
    if not source:
        return path, None
    file, sep, line = source.rpartition(":")
    if sep and line.isdigit() and file:
        return file, int(line)
    return source, None


def _open(path: str) -> IO[bytes]:
    if path == "-":
        return io.BufferedReader(sys.stdin.buffer) if not hasattr(sys.stdin.buffer, "peek") else sys.stdin.buffer
    return open(path, "rb", buffering=SAMPLE_BYTES)


def _read_one(path: str, enc: str | None, speakers: SpeakerMap,
              participant_map: dict[str, str] | None) -> Iterator[Item]:
    label = "<stdin>" if path == "-" else path
    if path != "-" and not os.path.exists(path):
        yield InputError("E011", label, None, None, None, {"detail": "no such file"})
        return
    try:
        fh = _open(path)
    except OSError as exc:
        yield InputError("E011", label, None, None, None, {"detail": str(exc)})
        return
    try:
        yield from _dispatch(fh, path, label, enc, speakers, participant_map)
    except InputError as err:
        yield err
    finally:
        if path != "-":
            fh.close()


def _sniff(fh: IO[bytes]) -> str:
    head = fh.peek(4096)[:4096] if hasattr(fh, "peek") else b""
    s = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if s.startswith(b"["):
        return "json"
    if s.startswith(b"{"):
        first_line = s.split(b"\n", 1)[0].strip()
        return "jsonl" if first_line.endswith(b"}") or b"\n{" in s else "json"
    return "text"


def _dispatch(fh: IO[bytes], path: str, label: str, enc: str | None, speakers: SpeakerMap,
              participant_map: dict[str, str] | None) -> Iterator[Item]:
    lower = path.lower()
    if lower.endswith((".jsonl", ".ndjson")):
        kind = "jsonl"
    elif lower.endswith(".json"):
        kind = "json"
    elif lower.endswith((".csv", ".tsv", ".tab")):
        kind = "csv"
    elif lower.endswith(".txt"):
        kind = "text"
    else:
        kind = _sniff(fh)
    if enc is not None and hasattr(fh, "peek"):
        # a legacy encoding forced on UTF-8 bytes would decode to mojibake without a single error
        check_forced_encoding(fh.peek(SAMPLE_BYTES)[:SAMPLE_BYTES], enc, file=label)
    calls = errors = 0
    for item in _items(kind, fh, path, label, enc, speakers, participant_map):
        if isinstance(item, InputError):
            if item.code == "E010":
                continue  # said once below, and only when nothing else was said about the file
            errors += 1
        else:
            calls += 1
        yield item
    if calls == 0 and errors == 0:
        yield InputError("E010", label, None, None, None)


def _items(kind: str, fh: IO[bytes], path: str, label: str, enc: str | None, speakers: SpeakerMap,
           participant_map: dict[str, str] | None) -> Iterator[Item]:
    if kind == "jsonl":
        for item in iter_jsonl(fh, file=label, encoding=enc):
            if isinstance(item, InputError):
                yield item
                continue
            line, obj = item
            yield _from_obj(obj, label, line, speakers, participant_map)
    elif kind == "json":
        head = fh.peek(4096)[:4096].lstrip(b"\xef\xbb\xbf \t\r\n") if hasattr(fh, "peek") else b""
        if head.startswith(b"["):
            for item in iter_json_array(fh, file=label, encoding=enc):
                if isinstance(item, InputError):
                    yield item
                    continue
                rec, obj = item
                yield _from_obj(obj, label, rec, speakers, participant_map)
        else:
            yield from read_json_document(fh, file=label, encoding=enc, speakers=speakers,
                                          participant_map=participant_map)
    elif kind == "csv":
        for item in iter_rows(fh, file=label, encoding=enc):
            if isinstance(item, InputError):
                yield item
                continue
            line, obj = item
            lines = obj.pop("_lines", [])
            yield _located(_from_obj(obj, label, line, speakers, participant_map), lines, {})
    else:
        data = fh.read()
        stem = Path(path).stem if path != "-" else "stdin"
        for item in parse_text(data, file=label, stem=stem, encoding=enc, known_speaker=speakers.role):
            if isinstance(item, InputError):
                yield item
                continue
            obj = item[1]
            lines, header_lines = obj.pop("_lines", []), obj.pop("_header_lines", {})
            yield _located(_from_obj(obj, label, None, speakers, participant_map), lines, header_lines)


def _located(item: Item, lines: list[int], header_lines: dict[str, int]) -> Item:
    """Give an error in a CSV or text call the line of the turn (or header) it is about."""
    if isinstance(item, InputError) and item.field:
        if item.field.startswith("turns["):
            idx = int(item.field[6:].split("]")[0])
            if idx < len(lines):
                item.line = lines[idx]
        elif item.field in header_lines:
            item.line = header_lines[item.field]
        elif item.line is None and lines:
            item.line = lines[0]
    return item


def _from_obj(obj: Any, file: str, line: int | None, speakers: SpeakerMap,
              participant_map: dict[str, str] | None) -> Item:
    try:
        return transcript_from_obj(obj, file=file, line=line, speakers=speakers, participant_map=participant_map)
    except InputError as err:
        return err
