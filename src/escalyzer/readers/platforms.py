"""Single-document JSON inputs: one canonical call object, or a contact-centre platform export.

Platform exports (one call per document; also accepted as elements of a JSON array or as JSONL lines):

- Amazon Connect Contact Lens analysis files (and Amazon Transcribe Call Analytics output, which has
  the same ``Transcript[]`` shape): see :mod:`.connect`;
- Amazon Transcribe batch output with speaker (or channel) labels: see :mod:`.transcribe`;
- Google CCAI Insights conversations (the upload format with ``entries[]`` and the API's
  ``transcript.transcriptSegments[]``): see :mod:`.ccai`.

Roles come from the export's own role field where it has one (CUSTOMER/AGENT ...); no format has a
supervisor role, so the ``participant_map`` (participant id -> role) decides, or else a rule: in Connect
and CCAI a second, different human agent id after the first one is the supervisor; in Transcribe (whose
``spk_N`` labels are not roles) the first speaker is the agent, the next one the customer and a third
one the supervisor. The roles given to each participant are kept in ``metadata["participant_roles"]``.

Errors name the field as a path into the document (``Transcript[3].Content``); ``line`` is None for a
single document and the record number for a document inside a JSON array or JSONL file.
"""
from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from ..errors import InputError
from ..speakers import SpeakerMap
from ..transcript import ROLES, Transcript, Turn, short_value
from .canonical import transcript_from_dict
from .encoding import SAMPLE_BYTES, check_mojibake, decode_whole, detect, is_utf8


def read_json_document(fh: IO[bytes], *, file: str, encoding: str | None, speakers: SpeakerMap,
                       participant_map: dict[str, str] | None) -> Iterator[Transcript | InputError]:
    data = fh.read()
    enc = encoding or detect(data[:SAMPLE_BYTES], file=file)
    if is_utf8(enc):
        enc = "utf_8"
        if data.startswith(codecs.BOM_UTF8):
            data = data[3:]
    if not data.strip():
        yield InputError("E010", file, None, None, None)
        return
    try:
        text = decode_whole(data, enc, file=file)
    except InputError as err:
        yield err
        return
    try:
        check_mojibake(text, file=file, line=None)
    except InputError as err:
        err.line = _line_of_mojibake(text)
        yield err
        return
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        yield InputError("E001", file, exc.lineno, None, None, {"detail": f"{exc.msg} at column {exc.colno}"})
        return
    except RecursionError:
        yield InputError("E001", file, None, None, None, {"detail": "nested too deeply"})
        return
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        yield InputError("E001", file, None, None, None, {"detail": str(exc)[:120]})
        return
    if isinstance(obj, list):  # an array that the streaming reader did not see (e.g. after a long blank prefix)
        if not obj:
            yield InputError("E010", file, None, None, None)
        for i, element in enumerate(obj, start=1):
            yield _safe(element, file, i, speakers, participant_map, strict_shape=False)
        return
    yield _safe(obj, file, None, speakers, participant_map, strict_shape=True)


def _line_of_mojibake(text: str) -> int | None:
    for n, line in enumerate(text.split("\n"), start=1):
        try:
            check_mojibake(line, file=None, line=None)
        except InputError:
            return n
    return None


def _safe(obj: Any, file: str, line: int | None, speakers: SpeakerMap,
          participant_map: dict[str, str] | None, *, strict_shape: bool) -> Transcript | InputError:
    try:
        return transcript_from_obj(obj, file=file, line=line, speakers=speakers,
                                   participant_map=participant_map, strict_shape=strict_shape)
    except InputError as err:
        return err


def platform_kind(obj: Any) -> str | None:
    """``"connect"``, ``"transcribe"``, ``"ccai"`` or None (not a platform export)."""
    if not isinstance(obj, dict) or "turns" in obj:
        return None
    if isinstance(obj.get("Transcript"), list):
        return "connect"
    if isinstance(obj.get("results"), dict):
        return "transcribe"
    if isinstance(obj.get("entries"), list) or isinstance(obj.get("transcript"), dict):
        return "ccai"
    return None


def transcript_from_obj(obj: Any, *, file: str, line: int | None, speakers: SpeakerMap,
                        participant_map: dict[str, str] | None, strict_shape: bool = False) -> Transcript:
    """A canonical call or a platform export (dict) -> validated :class:`Transcript`.

    With ``strict_shape`` (a whole ``.json`` document) a dict that is neither a canonical call nor a
    known export is an E011; otherwise it is read as a canonical call, whose errors name the missing field.
    """
    kind = platform_kind(obj)
    if kind is None:
        if strict_shape and isinstance(obj, dict) and "turns" not in obj and "call_id" not in obj:
            keys = ", ".join(str(k) for k in list(obj)[:6])
            raise InputError("E011", file, line, None, None,
                             {"detail": f"JSON document of unknown shape (keys: {keys}); expected a canonical call, "
                                        "an Amazon Connect, Amazon Transcribe or Google CCAI export"})
        return transcript_from_dict(obj, file=file, line=line, speakers=speakers)
    ctx = Context(file=file, line=line, speakers=speakers, participant_map=participant_map,
                  fallback_id=_fallback_id(file, line))
    if kind == "connect":
        from .connect import transcript_from_connect

        return transcript_from_connect(obj, ctx)
    if kind == "transcribe":
        from .transcribe import transcript_from_transcribe

        return transcript_from_transcribe(obj, ctx)
    from .ccai import transcript_from_ccai

    return transcript_from_ccai(obj, ctx)


def _fallback_id(file: str, line: int | None) -> str:
    stem = "stdin" if file == "<stdin>" else Path(file).stem
    # Contact Lens names its files "<ContactId>_analysis_<time>.json"
    if "_analysis_" in stem:
        stem = stem.split("_analysis_", 1)[0] or stem
    return stem if line is None else f"{stem}-{line}"


# --------------------------------------------------------------------------------------------------
# Shared by the platform readers


@dataclass
class Context:
    file: str
    line: int | None
    speakers: SpeakerMap
    participant_map: dict[str, str] | None
    fallback_id: str
    call_id: str | None = None

    def __post_init__(self) -> None:
        # ids are compared as strings: CCAI user ids are numbers in the export and maybe in the map
        self._pmap = {str(k): v for k, v in (self.participant_map or {}).items()}

    def error(self, code: str, field: str | None, **params: Any) -> InputError:
        return InputError(code, self.file, self.line, field, self.call_id, params)

    def seconds_since(self, at: datetime, base: datetime, field: str, raw: Any) -> float:
        """Seconds from ``base`` to ``at`` (both from the export); mixed zones are E014, negative E005."""
        try:
            offset = (at - base).total_seconds()
        except TypeError:  # one time with a zone, one without
            raise self.error("E014", field, value=short_value(raw)) from None
        if offset < 0:
            raise self.error("E005", field, value=short_value(raw))
        return offset

    def mapped_role(self, participant_id: str | None, field: str) -> str | None:
        """The role the participant map (or the speaker map's exact ids) gives this participant, or None."""
        if participant_id is None:
            return None
        role = self._pmap.get(participant_id)
        if role is None:
            role = self.speakers.exact_role(participant_id)
        if role is not None and role not in ROLES:
            raise self.error("E003", field, value=short_value(role))
        return role

    def call_id_from(self, *candidates: tuple[Any, str]) -> str:
        """The first present candidate ``(value, field)`` as the call id, else the file's stem."""
        for value, field in candidates:
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            if isinstance(value, bool) or not isinstance(value, (str, int)):
                raise self.error("E012", field, expected="string", got=type(value).__name__)
            self.call_id = str(value).strip()
            return self.call_id
        self.call_id = self.fallback_id
        return self.call_id


class AgentRule:
    """The first human agent id of a call is the agent; any other agent id after it is the supervisor."""

    def __init__(self) -> None:
        self.first: str | None = None

    def claim(self, participant_id: str) -> None:
        if self.first is None:
            self.first = participant_id

    def role(self, participant_id: str) -> str:
        self.claim(participant_id)
        return "agent" if participant_id == self.first else "supervisor"


@dataclass
class RawTurn:
    """A turn as an export gives it, with the field paths used in error messages."""

    role: str
    text: Any
    start: float | None
    end: float | None
    name: str | None
    text_field: str
    end_field: str


def get(d: dict, *keys: str) -> Any:
    """The first key present (exports spell fields in camelCase or snake_case)."""
    for k in keys:
        if k in d:
            return d[k]
    return None


def as_dict(value: Any, ctx: Context, field: str, *, required: bool = False) -> dict:
    if value is None and not required:
        return {}
    if value is None:
        raise ctx.error("E002", field)
    if not isinstance(value, dict):
        raise ctx.error("E012", field, expected="object", got=type(value).__name__)
    return value


def as_list(value: Any, ctx: Context, field: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ctx.error("E012", field, expected="list", got=type(value).__name__)
    return value


def participant_id(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    s = str(value).strip()
    return s or None


def build_transcript(turns: list[RawTurn], ctx: Context, *, empty_field: str, metadata: dict[str, Any],
                     received_at: datetime | None = None) -> Transcript:
    if not turns:
        raise ctx.error("E013", empty_field)
    out = []
    for t in turns:
        if not isinstance(t.text, str):
            raise ctx.error("E012", t.text_field, expected="string", got=type(t.text).__name__)
        if not t.text.strip():
            raise ctx.error("E007", t.text_field)
        if t.start is not None and t.end is not None and t.end < t.start:
            raise ctx.error("E006", t.end_field, start=t.start, end=t.end)
        out.append(Turn(speaker=t.role, text=t.text, start=t.start, end=t.end, name=t.name))
    assert ctx.call_id is not None
    return Transcript(call_id=ctx.call_id, turns=out, received_at=received_at, metadata=metadata,
                      source=f"{ctx.file}:{ctx.line}" if ctx.line is not None else ctx.file)
