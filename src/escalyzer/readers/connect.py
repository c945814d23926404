"""Amazon Connect Contact Lens analysis files (and Amazon Transcribe Call Analytics output).

The documented shape (Amazon Connect Administrator Guide, "Example Contact Lens output files")::

    {"Version": "1.1.0", "Channel": "VOICE", "LanguageCode": "ja-JP",
     "CustomerMetadata": {"ContactId": "...", "InstanceId": "...", "InputS3Uri": "..."},
     "Participants": [{"ParticipantId": "CUSTOMER", "ParticipantRole": "CUSTOMER"}, ...],
     "Transcript": [{"Id": "...", "ParticipantId": "AGENT", "ParticipantRole": "AGENT",
                     "Content": "...", "BeginOffsetMillis": 0, "EndOffsetMillis": 4250,
                     "Sentiment": "NEUTRAL", "LoudnessScore": [...]}, ...]}

Chat analysis files give ``AbsoluteTime`` instead of offsets and may hold ``SYSTEM`` messages and
``EVENT`` items (participant joined ...), which are not turns and are skipped (counted in
``metadata["skipped_items"]``). Transcribe Call Analytics output has the same ``Transcript[]`` items
without ``ParticipantId`` and names the call ``JobName``.

Roles: the participant map by ``ParticipantId`` first; else ``ParticipantRole`` (CUSTOMER -> customer,
AGENT -> agent, SUPERVISOR -> supervisor, CUSTOM_BOT -> agent); among human agents, an
``ParticipantId`` different from the first agent's is the supervisor.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from ..transcript import Transcript, parse_datetime, parse_time, short_value
from .platforms import (AgentRule, Context, RawTurn, as_dict, as_list, build_transcript,
                        participant_id)

_BOT_ROLES = ("CUSTOM_BOT", "AUTOMATED_AGENT", "BOT", "VIRTUAL_AGENT")


def transcript_from_connect(obj: dict[str, Any], ctx: Context) -> Transcript:
    meta = as_dict(obj.get("CustomerMetadata"), ctx, "CustomerMetadata")
    ctx.call_id_from((meta.get("ContactId"), "CustomerMetadata.ContactId"), (obj.get("JobName"), "JobName"))
    declared: dict[str, str] = {}
    for k, p in enumerate(as_list(obj.get("Participants"), ctx, "Participants")):
        p = as_dict(p, ctx, f"Participants[{k}]")
        pid = participant_id(p.get("ParticipantId"))
        prole = p.get("ParticipantRole")
        if pid is not None and isinstance(prole, str):
            declared[pid] = prole
    items = as_list(obj.get("Transcript"), ctx, "Transcript")
    rule = AgentRule()
    turns: list[RawTurn] = []
    roles: dict[str, str] = {}
    skipped = 0
    base: datetime | None = None
    for i, it in enumerate(items):
        f = f"Transcript[{i}]"
        it = as_dict(it, ctx, f, required=True)
        pid = participant_id(it.get("ParticipantId"))
        prole = it.get("ParticipantRole")
        if prole is None and pid is not None:
            prole = declared.get(pid)
        if prole is not None and not isinstance(prole, str):
            raise ctx.error("E012", f"{f}.ParticipantRole", expected="string", got=type(prole).__name__)
        up = (prole or "").strip().upper()
        if up == "SYSTEM" or it.get("Type") == "EVENT":
            skipped += 1
            if base is None and "AbsoluteTime" in it:  # a chat starts with its first item, turn or not
                base = parse_datetime(it.get("AbsoluteTime"), file=ctx.file, line=ctx.line,
                                      field_name=f"{f}.AbsoluteTime", call_id=ctx.call_id)
            continue
        if "Content" not in it:
            raise ctx.error("E002", f"{f}.Content")
        key = pid or up or None
        role = ctx.mapped_role(key, f"{f}.ParticipantId")
        if role is not None:
            if role == "agent" and key is not None:
                rule.claim(key)
        elif not up:
            raise ctx.error("E002", f"{f}.ParticipantRole")
        elif up == "AGENT":
            role = rule.role(key or "AGENT")
        elif up == "CUSTOMER":
            role = "customer"
        elif up == "SUPERVISOR":
            role = "supervisor"
        elif up in _BOT_ROLES:
            role = "agent"
        else:
            role = ctx.speakers.role(prole)
            if role is None:
                raise ctx.error("E003", f"{f}.ParticipantRole", value=short_value(prole))
        if key is not None:
            roles.setdefault(key, role)
        if "BeginOffsetMillis" in it or "EndOffsetMillis" in it:
            start = _millis(it.get("BeginOffsetMillis"), ctx, f"{f}.BeginOffsetMillis")
            end = _millis(it.get("EndOffsetMillis"), ctx, f"{f}.EndOffsetMillis")
            end_field = f"{f}.EndOffsetMillis"
        else:
            start = end = None
            end_field = f"{f}.AbsoluteTime"
            at = parse_datetime(it.get("AbsoluteTime"), file=ctx.file, line=ctx.line,
                                field_name=f"{f}.AbsoluteTime", call_id=ctx.call_id)
            if at is not None:
                base = base or at
                start = ctx.seconds_since(at, base, f"{f}.AbsoluteTime", it.get("AbsoluteTime"))
        turns.append(RawTurn(role=role, text=it.get("Content"), start=start, end=end, name=pid or prole,
                             text_field=f"{f}.Content", end_field=end_field))
    metadata: dict[str, Any] = {"platform": "amazon_connect" if meta or "JobName" not in obj
                                else "amazon_transcribe_call_analytics",
                                "participant_roles": roles}
    for src, dst in (("Channel", "channel"), ("LanguageCode", "language_code"), ("Version", "version")):
        if isinstance(obj.get(src), str):
            metadata[dst] = obj[src]
    if isinstance(meta.get("InstanceId"), str):
        metadata["instance_id"] = meta["InstanceId"]
    if skipped:
        metadata["skipped_items"] = skipped
    return build_transcript(turns, ctx, empty_field="Transcript", metadata=metadata, received_at=base)


def _millis(value: Any, ctx: Context, field: str) -> float | None:
    x = parse_time(value, file=ctx.file, line=ctx.line, field_name=field, call_id=ctx.call_id)
    return None if x is None else x / 1000.0
