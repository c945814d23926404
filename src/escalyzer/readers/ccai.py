"""Google CCAI Insights conversations.

Two shapes. The conversation data upload format (Contact Center AI Insights, "Conversation data format")::

    {"conversation_info": {"categories": [...]},
     "entries": [{"start_timestamp_usec": 1700000000000000, "text": "...", "role": "AGENT", "user_id": 2}, ...]}

``start_timestamp_usec`` is microseconds since the Unix epoch (or since the call start); a turn's
``start`` is counted from the earliest entry and its ``end`` is the next entry's start (None for the
last). When the times are epoch times the first one is the call's ``received_at``.

The API's Conversation resource (``conversations.get``)::

    {"name": "projects/p/locations/l/conversations/123", "startTime": "2026-...Z",
     "callMetadata": {"customerChannel": 1, "agentChannel": 2},
     "transcript": {"transcriptSegments": [{"text": "...", "channelTag": 2,
                                             "segmentParticipant": {"role": "HUMAN_AGENT", "userId": "..."},
                                             "words": [{"startOffset": "0.5s", "endOffset": "0.9s", "word": "..."}]}]}}

Roles: the participant map by ``user_id`` (``userId``, ``obfuscatedExternalUserId``,
``dialogflowParticipantName``, else ``channel_<tag>``) first; else the role (END_USER/CUSTOMER ->
customer, HUMAN_AGENT/AGENT/ANY_AGENT -> agent, AUTOMATED_AGENT -> agent), else the channel of
``callMetadata``. Among human agents, an id different from the first agent's is the supervisor.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ..transcript import Transcript, parse_datetime, parse_time, short_value
from .platforms import (AgentRule, Context, RawTurn, as_dict, as_list, build_transcript, get,
                        participant_id)

_CUSTOMER = ("END_USER", "CUSTOMER")
_HUMAN_AGENT = ("HUMAN_AGENT", "AGENT", "ANY_AGENT")
_BOT = ("AUTOMATED_AGENT", "VIRTUAL_AGENT")
_EPOCH_USEC = 1e15  # 2001-09-09: smaller values are offsets from the call start, not epoch times


def transcript_from_ccai(obj: dict[str, Any], ctx: Context) -> Transcript:
    name = obj.get("name")
    ctx.call_id_from((name.rstrip("/").rsplit("/", 1)[-1] if isinstance(name, str) else name, "name"))
    if isinstance(obj.get("entries"), list):
        return _from_entries(obj, ctx)
    return _from_segments(obj, ctx)


class _Roles:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.rule = AgentRule()
        self.given: dict[str, str] = {}

    def role(self, pid: str | None, raw_role: Any, field: str, role_field: str,
             channel_role: str | None = None, map_key: str | None = None) -> str:
        """``pid`` is the participant's own id (None when the export gives none: then no supervisor is
        inferred); ``map_key`` (default ``pid``) is the key looked up in the participant map."""
        ctx = self.ctx
        map_key = map_key or pid
        role = ctx.mapped_role(map_key, field)
        if raw_role is not None and not isinstance(raw_role, str):
            raise ctx.error("E012", role_field, expected="string", got=type(raw_role).__name__)
        up = (raw_role or "").strip().upper()
        if up in ("", "ROLE_UNSPECIFIED") and channel_role is not None:
            up = channel_role
        if role is not None:
            if role == "agent" and up not in _BOT and pid is not None:
                self.rule.claim(pid)
        elif not up or up == "ROLE_UNSPECIFIED":
            raise ctx.error("E002", role_field)
        elif up in _CUSTOMER:
            role = "customer"
        elif up in _HUMAN_AGENT:
            role = self.rule.role(pid) if pid is not None else "agent"
        elif up in _BOT:
            role = "agent"
        else:
            role = ctx.speakers.role(raw_role)
            if role is None:
                raise ctx.error("E003", role_field, value=short_value(raw_role))
        if map_key is not None:
            self.given.setdefault(map_key, role)
        return role


def _from_entries(obj: dict[str, Any], ctx: Context) -> Transcript:
    roles = _Roles(ctx)
    rows: list[tuple[str, Any, float | None, str | None, str]] = []
    for i, e in enumerate(obj["entries"]):
        f = f"entries[{i}]"
        e = as_dict(e, ctx, f, required=True)
        if "text" not in e:
            raise ctx.error("E002", f"{f}.text")
        pid = participant_id(get(e, "user_id", "userId"))
        role = roles.role(pid, e.get("role"), f"{f}.user_id", f"{f}.role")
        usec = parse_time(get(e, "start_timestamp_usec", "startTimestampUsec"), file=ctx.file, line=ctx.line,
                          field_name=f"{f}.start_timestamp_usec", call_id=ctx.call_id)
        rows.append((role, e["text"], usec, pid, f))
    times = [r[2] for r in rows if r[2] is not None]
    base = min(times) if times else None
    turns = []
    for k, (role, text, usec, pid, f) in enumerate(rows):
        start = (usec - base) / 1e6 if usec is not None and base is not None else None
        nxt = rows[k + 1][2] if k + 1 < len(rows) else None
        end = (nxt - base) / 1e6 if nxt is not None and usec is not None and base is not None and nxt >= usec else None
        turns.append(RawTurn(role=role, text=text, start=start, end=end, name=pid, text_field=f"{f}.text",
                             end_field=f"entries[{k + 1}].start_timestamp_usec"))
    received_at = None
    if base is not None and base >= _EPOCH_USEC:
        try:
            received_at = datetime.fromtimestamp(base / 1e6, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):  # beyond the year 9999
            raise ctx.error("E004", "entries[0].start_timestamp_usec", value=base) from None
    metadata: dict[str, Any] = {"platform": "google_ccai_insights", "participant_roles": roles.given}
    return build_transcript(turns, ctx, empty_field="entries", metadata=metadata, received_at=received_at)


def _from_segments(obj: dict[str, Any], ctx: Context) -> Transcript:
    transcript = as_dict(obj.get("transcript"), ctx, "transcript", required=True)
    key = "transcriptSegments" if "transcriptSegments" in transcript else "transcript_segments"
    segments = as_list(transcript.get(key), ctx, f"transcript.{key}")
    cm = as_dict(get(obj, "callMetadata", "call_metadata"), ctx, "callMetadata")
    channels: dict[Any, str] = {}
    for keys, role in ((("customerChannel", "customer_channel"), "END_USER"),
                       (("agentChannel", "agent_channel"), "HUMAN_AGENT")):
        tag = get(cm, *keys)
        if tag is not None:
            if isinstance(tag, bool) or not isinstance(tag, (int, str)):
                raise ctx.error("E012", f"callMetadata.{keys[0]}", expected="integer", got=type(tag).__name__)
            channels[tag] = role
    start_time = parse_datetime(get(obj, "startTime", "start_time"), file=ctx.file, line=ctx.line,
                                field_name="startTime", call_id=ctx.call_id)
    roles = _Roles(ctx)
    turns = []
    for j, seg in enumerate(segments):
        f = f"transcript.{key}[{j}]"
        seg = as_dict(seg, ctx, f, required=True)
        if "text" not in seg:
            raise ctx.error("E002", f"{f}.text")
        part = as_dict(get(seg, "segmentParticipant", "segment_participant"), ctx, f"{f}.segmentParticipant")
        tag = get(seg, "channelTag", "channel_tag")
        pid = participant_id(get(part, "userId", "user_id", "obfuscatedExternalUserId",
                                 "obfuscated_external_user_id", "dialogflowParticipantName",
                                 "dialogflow_participant_name"))
        map_key = pid
        if pid is None and isinstance(tag, int) and not isinstance(tag, bool):
            map_key = f"channel_{tag}"
        channel_role = channels.get(tag) if isinstance(tag, (int, str)) and not isinstance(tag, bool) else None
        role = roles.role(pid, part.get("role"), f"{f}.segmentParticipant", f"{f}.segmentParticipant.role",
                          channel_role, map_key)
        start, end, end_field = _segment_times(seg, start_time, ctx, f)
        turns.append(RawTurn(role=role, text=seg["text"], start=start, end=end, name=map_key,
                             text_field=f"{f}.text", end_field=end_field))
    metadata: dict[str, Any] = {"platform": "google_ccai_insights", "participant_roles": roles.given}
    return build_transcript(turns, ctx, empty_field=f"transcript.{key}", metadata=metadata, received_at=start_time)


def _segment_times(seg: dict, start_time: datetime | None, ctx: Context,
                   f: str) -> tuple[float | None, float | None, str]:
    words = as_list(seg.get("words"), ctx, f"{f}.words")
    if words:
        first, last = words[0], words[-1]
        n = len(words) - 1
        first = as_dict(first, ctx, f"{f}.words[0]", required=True)
        last = as_dict(last, ctx, f"{f}.words[{n}]", required=True)
        start = _duration(get(first, "startOffset", "start_offset"), ctx, f"{f}.words[0].startOffset")
        end = _duration(get(last, "endOffset", "end_offset"), ctx, f"{f}.words[{n}].endOffset")
        return start, end, f"{f}.words[{n}].endOffset"
    mt = parse_datetime(get(seg, "messageTime", "message_time"), file=ctx.file, line=ctx.line,
                        field_name=f"{f}.messageTime", call_id=ctx.call_id)
    if mt is None or start_time is None:
        return None, None, f"{f}.messageTime"
    return ctx.seconds_since(mt, start_time, f"{f}.messageTime", seg.get("messageTime")), None, f"{f}.messageTime"


def _duration(value: Any, ctx: Context, field: str) -> float | None:
    """A protobuf Duration in JSON (``"1.500s"``) or as an object (``{"seconds": 1, "nanos": 5e8}``)."""
    if isinstance(value, dict):
        secs = parse_time(value.get("seconds", 0), file=ctx.file, line=ctx.line, field_name=f"{field}.seconds",
                          call_id=ctx.call_id) or 0.0
        nanos = parse_time(value.get("nanos", 0), file=ctx.file, line=ctx.line, field_name=f"{field}.nanos",
                           call_id=ctx.call_id) or 0.0
        return secs + nanos / 1e9
    if isinstance(value, str) and value.strip().endswith("s"):
        value = value.strip()[:-1]
    return parse_time(value, file=ctx.file, line=ctx.line, field_name=field, call_id=ctx.call_id)
