"""The canonical call object (``../shared/dev/calls.jsonl``): dict -> validated :class:`Transcript`."""
from __future__ import annotations

from typing import Any

from ..errors import InputError
from ..speakers import SpeakerMap
from ..transcript import (META_FIELDS, Transcript, Turn, short_value, parse_datetime, parse_time,
                          validate_turn)

_TURN_KEYS = {"speaker", "text", "start", "end", "name", "participant", "speaker_name"}
_EXTRA_TURN_LABELS = {"anger", "urgency"}  # training labels, ignored by the analyzer


def transcript_from_dict(obj: Any, *, file: str | None, line: int | None,
                         speakers: SpeakerMap) -> Transcript:
    if not isinstance(obj, dict):
        raise InputError("E012", file, line, None, None, {"expected": "object", "got": type(obj).__name__})
    call_id = obj.get("call_id")
    if call_id is None or (isinstance(call_id, str) and not call_id.strip()):
        raise InputError("E002", file, line, "call_id", None)
    if not isinstance(call_id, (str, int)) or isinstance(call_id, bool):
        raise InputError("E012", file, line, "call_id", None, {"expected": "string", "got": type(call_id).__name__})
    call_id = str(call_id)
    turns_raw = obj.get("turns")
    if turns_raw is None:
        raise InputError("E002", file, line, "turns", call_id)
    if not isinstance(turns_raw, list):
        raise InputError("E012", file, line, "turns", call_id, {"expected": "list", "got": type(turns_raw).__name__})
    if not turns_raw:
        raise InputError("E013", file, line, "turns", call_id)
    turns = []
    for i, t in enumerate(turns_raw):
        if not isinstance(t, dict):
            raise InputError("E012", file, line, f"turns[{i}]", call_id, {"expected": "object", "got": type(t).__name__})
        raw_speaker = t.get("speaker")
        if raw_speaker is None:
            raise InputError("E002", file, line, f"turns[{i}].speaker", call_id)
        role = speakers.role(str(raw_speaker))
        if role is None:
            raise InputError("E003", file, line, f"turns[{i}].speaker", call_id, {"value": short_value(raw_speaker)})
        if "text" not in t:
            raise InputError("E002", file, line, f"turns[{i}].text", call_id)
        name = t.get("name") or t.get("participant") or t.get("speaker_name")
        turn = Turn(
            speaker=role,
            text=t["text"],
            start=parse_time(t.get("start"), file=file, line=line, field_name=f"turns[{i}].start", call_id=call_id),
            end=parse_time(t.get("end"), file=file, line=line, field_name=f"turns[{i}].end", call_id=call_id),
            name=str(name) if name is not None else None,
        )
        validate_turn(turn, index=i, file=file, line=line, call_id=call_id)
        turns.append(turn)
    kw: dict[str, Any] = {}
    for k in ("received_at", "first_contact_at", "callback_promised_at"):
        kw[k] = parse_datetime(obj.get(k), file=file, line=line, field_name=k, call_id=call_id)
    sla = obj.get("sla_hours")
    if sla is not None:
        kw["sla_hours"] = parse_time(sla, file=file, line=line, field_name="sla_hours", call_id=call_id)
    status = obj.get("status")
    kw["status"] = str(status) if status is not None else None
    raw_metadata = obj.get("metadata")
    if raw_metadata is not None and not isinstance(raw_metadata, dict):
        raise InputError("E012", file, line, "metadata", call_id,
                         {"expected": "object", "got": type(raw_metadata).__name__})
    metadata = dict(raw_metadata or {})
    for k, v in obj.items():
        if k not in META_FIELDS and k not in ("call_id", "turns", "metadata"):
            metadata[k] = v
    return Transcript(call_id=call_id, turns=turns, metadata=metadata,
                      source=f"{file}:{line}" if line is not None else file, **kw)
