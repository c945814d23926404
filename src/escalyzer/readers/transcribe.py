"""Amazon Transcribe batch output with speaker partitioning (diarization) or channel identification.

The documented shape (Amazon Transcribe Developer Guide, "Example diarization output (batch)")::

    {"jobName": "...", "accountId": "...", "status": "COMPLETED",
     "results": {"transcripts": [{"transcript": "..."}],
                 "speaker_labels": {"channel_label": "ch_0", "speakers": 2,
                                    "segments": [{"start_time": "0.48", "end_time": "3.9",
                                                  "speaker_label": "spk_0",
                                                  "items": [{"start_time": "0.48", "end_time": "0.9",
                                                             "speaker_label": "spk_0"}, ...]}]},
                 "items": [{"id": 0, "type": "pronunciation", "start_time": "0.48", "end_time": "0.9",
                            "speaker_label": "spk_0",
                            "alternatives": [{"confidence": "0.99", "content": "お電話"}]},
                           {"id": 5, "type": "punctuation",
                            "alternatives": [{"confidence": "0.0", "content": "。"}]}, ...],
                 "audio_segments": [{"id": 0, "transcript": "...", "start_time": "0.48",
                                     "end_time": "3.9", "speaker_label": "spk_0", "items": [0, 1, 2]}]}}

Where it is present the newer ``audio_segments`` list is used, else the items with their speaker
(from the item, or from ``speaker_labels.segments``), else the channels of ``channel_labels``.
Japanese has no spaces between words: item contents are joined without spaces (a space is kept only
between two words of Latin script), and spaces between Japanese characters of a segment transcript are
dropped. Turns are the runs of consecutive segments or items of the same speaker.

Roles: ``spk_N``/``ch_N`` labels are not roles. The participant map decides
(``{"spk_0": "agent", "spk_1": "customer"}``); the speakers it leaves out take, in order of first
appearance, the first role not yet taken of agent (a contact centre answers first), customer,
supervisor (a third voice after the agent). A fourth unmapped speaker is an E003.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..errors import InputError
from ..transcript import Transcript, parse_time
from .platforms import Context, RawTurn, as_dict, as_list, build_transcript, participant_id

_JA_CHAR = r"\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff9f"
_JA = re.compile(f"[{_JA_CHAR}]")
_SPACE_BETWEEN_JA = re.compile(f"(?<=[{_JA_CHAR}])[ \u3000]+(?=[{_JA_CHAR}])")
RULE_ORDER = ("agent", "customer", "supervisor")


@dataclass
class _Unit:
    label: str | None
    text: str
    start: float | None
    end: float | None
    field: str            # "results.items[3]"
    punct: bool = False


def transcript_from_transcribe(obj: dict[str, Any], ctx: Context) -> Transcript:
    ctx.call_id_from((obj.get("jobName"), "jobName"))
    results = as_dict(obj.get("results"), ctx, "results", required=True)
    items = as_list(results.get("items"), ctx, "results.items")
    segments = as_list(results.get("audio_segments"), ctx, "results.audio_segments")
    if segments and any(isinstance(s, dict) and ("speaker_label" in s or "channel_label" in s) for s in segments):
        units = _from_audio_segments(segments, items, ctx)
        empty_field = "results.audio_segments"
    else:
        units = _from_items(results, items, ctx)
        empty_field = "results.items"
    roles, roles_from = _assign_roles(units, ctx)
    turns: list[RawTurn] = []
    current: list[_Unit] = []
    for u in units:
        if u.label is None and u.punct:
            if current:
                current.append(u)
            continue
        if current and u.label != current[0].label:
            turns.append(_turn(current, roles))
            current = []
        current.append(u)
    if current:
        turns.append(_turn(current, roles))
    metadata: dict[str, Any] = {"platform": "amazon_transcribe", "participant_roles": roles,
                                "roles_from": roles_from}
    lang = results.get("language_code", obj.get("language_code"))
    if isinstance(lang, str):
        metadata["language_code"] = lang
    return build_transcript(turns, ctx, empty_field=empty_field, metadata=metadata)


def _time(value: Any, ctx: Context, field: str) -> float | None:
    return parse_time(value, file=ctx.file, line=ctx.line, field_name=field, call_id=ctx.call_id)


def _label(d: dict, ctx: Context, field: str) -> str | None:
    raw = d.get("speaker_label", d.get("channel_label"))
    if raw is not None and not isinstance(raw, (str, int)):
        raise ctx.error("E012", f"{field}.speaker_label", expected="string", got=type(raw).__name__)
    return participant_id(raw)


def _content(item: dict, ctx: Context, field: str) -> str:
    alts = item.get("alternatives")
    if alts is None:
        raise ctx.error("E002", f"{field}.alternatives")
    if not isinstance(alts, list) or not alts or not isinstance(alts[0], dict):
        raise ctx.error("E012", f"{field}.alternatives", expected="non-empty list of objects",
                        got=type(alts).__name__)
    content = alts[0].get("content")
    if not isinstance(content, str):
        raise ctx.error("E012", f"{field}.alternatives[0].content", expected="string", got=type(content).__name__)
    return content


def _from_audio_segments(segments: list, items: list, ctx: Context) -> list[_Unit]:
    by_id: dict[Any, dict] = {}
    for it in items:
        if isinstance(it, dict) and "id" in it and isinstance(it["id"], (int, str)):
            by_id[it["id"]] = it
            by_id[str(it["id"])] = it
    units = []
    for j, seg in enumerate(segments):
        f = f"results.audio_segments[{j}]"
        seg = as_dict(seg, ctx, f, required=True)
        label = _label(seg, ctx, f)
        if label is None:
            raise ctx.error("E002", f"{f}.speaker_label")
        text = _items_text(seg.get("items"), by_id, ctx, f)
        if text is None:
            text = seg.get("transcript")
            if not isinstance(text, str):
                raise ctx.error("E012" if text is not None else "E002", f"{f}.transcript",
                                expected="string", got=type(text).__name__)
            text = _SPACE_BETWEEN_JA.sub("", text.strip())
        start, end = _time(seg.get("start_time"), ctx, f"{f}.start_time"), _time(seg.get("end_time"), ctx, f"{f}.end_time")
        if start is not None and end is not None and end < start:
            raise ctx.error("E006", f"{f}.end_time", start=start, end=end)
        units.append(_Unit(label, text, start, end, f))
    return units


def _items_text(ids: Any, by_id: dict, ctx: Context, f: str) -> str | None:
    """The segment's text rebuilt from its item ids, or None when they do not all resolve."""
    if not isinstance(ids, list) or not ids or not by_id:
        return None
    pieces = []
    for i in ids:
        if not isinstance(i, (int, str)) or isinstance(i, bool) or i not in by_id:
            return None
        it = by_id[i]
        try:
            pieces.append((_content(it, ctx, f), it.get("type") == "punctuation"))
        except InputError:
            return None
    return join_pieces(pieces)


def _from_items(results: dict, items: list, ctx: Context) -> list[_Unit]:
    # where the items carry no speaker: the speaker_labels segments, by item start time or time range
    by_start: dict[str, str] = {}
    ranges: list[tuple[float, float, str]] = []
    sl = as_dict(results.get("speaker_labels"), ctx, "results.speaker_labels")
    for j, seg in enumerate(as_list(sl.get("segments"), ctx, "results.speaker_labels.segments")):
        f = f"results.speaker_labels.segments[{j}]"
        seg = as_dict(seg, ctx, f, required=True)
        label = _label(seg, ctx, f)
        if label is None:
            continue
        s, e = _time(seg.get("start_time"), ctx, f"{f}.start_time"), _time(seg.get("end_time"), ctx, f"{f}.end_time")
        if s is not None and e is not None:
            ranges.append((s, e, label))
        for k, si in enumerate(as_list(seg.get("items"), ctx, f"{f}.items")):
            if isinstance(si, dict) and isinstance(si.get("start_time"), (str, int, float)):
                by_start.setdefault(str(si["start_time"]), _label(si, ctx, f"{f}.items[{k}]") or label)
    source = [(k, it, f"results.items[{k}]") for k, it in enumerate(items)]
    if items and not by_start and not ranges and not any(isinstance(it, dict) and _has_label(it) for it in items):
        source = _channel_items(results, ctx) or source
    units = []
    for k, it, f in source:
        it = as_dict(it, ctx, f, required=True)
        punct = it.get("type") == "punctuation"
        text = _content(it, ctx, f)
        label = _label(it, ctx, f)
        start = _time(it.get("start_time"), ctx, f"{f}.start_time")
        end = _time(it.get("end_time"), ctx, f"{f}.end_time")
        if label is None and not punct:
            st = it.get("start_time")
            label = by_start.get(str(st)) if st is not None else None
            if label is None and start is not None:
                label = next((lab for s, e, lab in ranges if s <= start <= e), None)
            if label is None:
                if not by_start and not ranges:
                    raise ctx.error("E002", "results.speaker_labels")
                raise ctx.error("E002", f"{f}.speaker_label")
        if start is not None and end is not None and end < start:
            raise ctx.error("E006", f"{f}.end_time", start=start, end=end)
        units.append(_Unit(label, text, start, end, f, punct))
    return units


def _has_label(it: dict) -> bool:
    return it.get("speaker_label") is not None or it.get("channel_label") is not None


def _channel_items(results: dict, ctx: Context) -> list[tuple[int, Any, str]]:
    """Items of ``channel_labels.channels[]`` in time order, each labelled with its channel."""
    cl = as_dict(results.get("channel_labels"), ctx, "results.channel_labels")
    rows = []
    for c, ch in enumerate(as_list(cl.get("channels"), ctx, "results.channel_labels.channels")):
        f = f"results.channel_labels.channels[{c}]"
        ch = as_dict(ch, ctx, f, required=True)
        label = participant_id(ch.get("channel_label")) or f"ch_{c}"
        last = 0.0
        for k, it in enumerate(as_list(ch.get("items"), ctx, f"{f}.items")):
            fi = f"{f}.items[{k}]"
            it = as_dict(it, ctx, fi, required=True)
            start = _time(it.get("start_time"), ctx, f"{fi}.start_time")
            last = start if start is not None else last
            rows.append((last, c, k, {**it, "channel_label": it.get("channel_label") or label}, fi))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    return [(k, it, fi) for _, _, k, it, fi in rows]


def join_pieces(pieces: list[tuple[str, bool]]) -> str:
    """Join item contents: no space in Japanese or before punctuation, one space between Latin words."""
    out = ""
    for text, punct in pieces:
        text = text.strip()
        if not text:
            continue
        if out and not punct and not _JA.match(text[0]) and not _JA.match(out[-1]):
            out += " "
        out += text
    return out


def _assign_roles(units: list[_Unit], ctx: Context) -> tuple[dict[str, str], str]:
    order: list[tuple[str, str]] = []  # (label, field of its first appearance)
    seen: set[str] = set()
    for u in units:
        if u.label is not None and u.label not in seen:
            seen.add(u.label)
            order.append((u.label, f"{u.field}.speaker_label"))
    roles: dict[str, str] = {}
    for label, field in order:
        role = ctx.mapped_role(label, field)
        if role is not None:
            roles[label] = role
    mapped = bool(roles)
    ruled = False
    for label, field in order:
        if label in roles:
            continue
        free = [r for r in RULE_ORDER if r not in roles.values()]
        if not free:
            raise ctx.error("E003", field, value=label)
        roles[label] = free[0]
        ruled = True
    return roles, "+".join(x for x, on in (("participant_map", mapped), ("rule", ruled)) if on) or "rule"


def _turn(units: list[_Unit], roles: dict[str, str]) -> RawTurn:
    label = units[0].label
    assert label is not None
    pieces = [(u.text, u.punct) for u in units]
    start = next((u.start for u in units if u.start is not None), None)
    last = next((u for u in reversed(units) if u.end is not None), None)
    return RawTurn(role=roles[label], text=join_pieces(pieces), start=start,
                   end=last.end if last else None, name=label,
                   text_field=f"{units[0].field}" + (".transcript" if "audio_segments" in units[0].field
                                                     else ".alternatives[0].content"),
                   end_field=f"{last.field}.end_time" if last else f"{units[-1].field}.end_time")
