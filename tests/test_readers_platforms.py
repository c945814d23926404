"""Platform exports: Amazon Connect Contact Lens, Amazon Transcribe, Google CCAI Insights.

The fixtures in ``fixtures/platforms`` follow the shapes of the platforms' documented example outputs
(Contact Lens "example output files", Transcribe "example diarization output (batch)", CCAI Insights
"conversation data format" and the Conversation resource), with Japanese content written for these tests.
Variants are made in each test by editing a copy of a fixture.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from escalyzer.errors import InputError
from escalyzer.readers import read
from escalyzer.readers.transcribe import join_pieces
from escalyzer.transcript import Transcript

FIX = Path(__file__).parent / "fixtures" / "platforms"


def load(name: str) -> dict:
    return json.loads((FIX / name).read_text("utf-8"))


def write(tmp_path: Path, name: str, obj, encoding: str = "utf-8") -> str:
    p = tmp_path / name
    p.write_bytes(json.dumps(obj, ensure_ascii=False, indent=1).encode(encoding))
    return str(p)


def one(path, **kw) -> Transcript:
    items = list(read(path, errors="collect", **kw))
    assert len(items) == 1 and isinstance(items[0], Transcript), items
    return items[0]


def one_error(path, **kw) -> InputError:
    items = list(read(path, errors="collect", **kw))
    assert len(items) == 1 and isinstance(items[0], InputError), items
    return items[0]


def roles(t: Transcript) -> list[str]:
    return [turn.speaker for turn in t.turns]


# --------------------------------------------------------------------------------------------------
# Amazon Connect Contact Lens


def test_connect_voice_fixture():
    t = one(FIX / "connect_contact_lens.json")
    assert t.call_id == "cl-0001"
    assert roles(t) == ["agent", "customer", "agent", "supervisor", "customer", "supervisor"]
    assert [turn.name for turn in t.turns[:4]] == ["agent-sato", "CUSTOMER", "agent-sato", "agent-kimura"]
    assert (t.turns[0].start, t.turns[0].end) == (0.6, 5.2)
    assert t.turns[1].text.startswith("先週買った洗濯機")
    assert t.metadata["platform"] == "amazon_connect"
    assert t.metadata["participant_roles"] == {"agent-sato": "agent", "CUSTOMER": "customer",
                                               "agent-kimura": "supervisor"}
    assert t.metadata["language_code"] == "ja-JP" and t.metadata["channel"] == "VOICE"
    assert t.source == str(FIX / "connect_contact_lens.json")


def test_connect_supervisor_decided_by_participant_map(tmp_path):
    path = FIX / "connect_contact_lens.json"
    # the map names the supervisor: here the agent who answered; the other agent is then the agent
    t = one(path, participant_map={"agent-sato": "supervisor"})
    assert roles(t) == ["supervisor", "customer", "supervisor", "agent", "customer", "agent"]
    # the map says both are agents: no supervisor is inferred
    t = one(path, participant_map={"agent-kimura": "agent"})
    assert roles(t) == ["agent", "customer", "agent", "agent", "customer", "agent"]


def test_connect_single_agent_id_has_no_supervisor(tmp_path):
    doc = load("connect_contact_lens.json")
    for it in doc["Transcript"]:
        if it["ParticipantRole"] == "AGENT":
            it["ParticipantId"] = "AGENT"
    t = one(write(tmp_path, "c.json", doc))
    assert roles(t) == ["agent", "customer", "agent", "agent", "customer", "agent"]


def test_connect_supervisor_role_and_participant_list_role(tmp_path):
    doc = load("connect_contact_lens.json")
    doc["Transcript"][3]["ParticipantRole"] = "SUPERVISOR"
    doc["Transcript"][3]["ParticipantId"] = "sv-1"
    del doc["Transcript"][1]["ParticipantRole"]  # taken from Participants[] by ParticipantId
    t = one(write(tmp_path, "c.json", doc))
    assert roles(t) == ["agent", "customer", "agent", "supervisor", "customer", "supervisor"]


def test_connect_chat_fixture_skips_system_and_events_and_uses_the_file_stem():
    t = one(FIX / "cl-chat-0002_analysis_2026-05-12T01_05_00Z.json")
    assert t.call_id == "cl-chat-0002"
    assert roles(t) == ["customer", "agent"]
    assert [turn.start for turn in t.turns] == [5.5, 20.0]
    assert t.received_at.isoformat() == "2026-05-12T01:00:00+00:00"
    assert t.metadata["skipped_items"] == 2 and t.metadata["channel"] == "CHAT"


def test_connect_call_id_falls_back_to_file_stem(tmp_path):
    doc = load("connect_contact_lens.json")
    del doc["CustomerMetadata"]
    assert one(write(tmp_path, "contact-42.json", doc)).call_id == "contact-42"


def test_transcribe_call_analytics_shape(tmp_path):
    # Transcribe Call Analytics: the Contact Lens items without ParticipantId, named by JobName
    doc = load("connect_contact_lens.json")
    del doc["CustomerMetadata"]
    doc["JobName"] = "ca-job-1"
    for it in doc["Transcript"]:
        del it["ParticipantId"]
    t = one(write(tmp_path, "ca.json", doc))
    assert t.call_id == "ca-job-1" and t.metadata["platform"] == "amazon_transcribe_call_analytics"
    assert roles(t) == ["agent", "customer", "agent", "agent", "customer", "agent"]
    assert one(write(tmp_path, "ca2.json", doc), participant_map={"AGENT": "supervisor"}).turns[0].speaker == "supervisor"


def _connect_with(change) -> dict:
    doc = load("connect_contact_lens.json")
    change(doc)
    return doc


CONNECT_ERRORS = [
    ("missing_content", lambda d: d["Transcript"][1].pop("Content"), "E002", "Transcript[1].Content"),
    ("empty_content", lambda d: d["Transcript"][2].update(Content=" "), "E007", "Transcript[2].Content"),
    ("content_type", lambda d: d["Transcript"][2].update(Content=["x"]), "E012", "Transcript[2].Content"),
    ("non_numeric_time", lambda d: d["Transcript"][0].update(BeginOffsetMillis="early"), "E004",
     "Transcript[0].BeginOffsetMillis"),
    ("negative_time", lambda d: d["Transcript"][4].update(EndOffsetMillis=-5), "E005", "Transcript[4].EndOffsetMillis"),
    ("end_before_start", lambda d: d["Transcript"][3].update(EndOffsetMillis=1000), "E006",
     "Transcript[3].EndOffsetMillis"),
    ("unknown_role", lambda d: d["Transcript"][1].update(ParticipantRole="AUDITOR"), "E003",
     "Transcript[1].ParticipantRole"),
    ("missing_role", lambda d: (d["Transcript"][1].pop("ParticipantRole"), d["Transcript"][1].update(ParticipantId="x")),
     "E002", "Transcript[1].ParticipantRole"),
    ("no_turns", lambda d: d.update(Transcript=[]), "E013", "Transcript"),
    ("item_type", lambda d: d["Transcript"].insert(0, "hello"), "E012", "Transcript[0]"),
    ("contact_id_type", lambda d: d["CustomerMetadata"].update(ContactId={"id": 1}), "E012", "CustomerMetadata.ContactId"),
]


@pytest.mark.parametrize("name,change,code,field", CONNECT_ERRORS, ids=[c[0] for c in CONNECT_ERRORS])
def test_connect_error_paths(tmp_path, name, change, code, field):
    path = write(tmp_path, "c.json", _connect_with(change))
    err = one_error(path)
    assert (err.code, err.file, err.line, err.field) == (code, path, None, field)


# --------------------------------------------------------------------------------------------------
# Amazon Transcribe

TRANSCRIBE_TEXTS = ["お電話ありがとうございます。ミドリ銀行です。", "カードが使えない。至急止めてください！",
                    "確認いたします。", "責任者の高橋です。", "ATMカードです。"]


@pytest.mark.parametrize("name", ["transcribe_speakers.json", "transcribe_segments_only.json"])
def test_transcribe_fixture_default_rule(name):
    t = one(FIX / name)
    assert t.call_id.startswith("tr-job-0003")
    assert [turn.text for turn in t.turns] == TRANSCRIBE_TEXTS  # Japanese items joined without spaces
    assert roles(t) == ["agent", "customer", "agent", "supervisor", "customer"]
    assert [turn.name for turn in t.turns] == ["spk_0", "spk_1", "spk_0", "spk_2", "spk_1"]
    assert (t.turns[0].start, t.turns[0].end) == (0.52, 4.6)
    assert (t.turns[1].start, t.turns[1].end) == (5.2, 9.6)
    assert t.metadata["participant_roles"] == {"spk_0": "agent", "spk_1": "customer", "spk_2": "supervisor"}
    assert t.metadata["roles_from"] == "rule"


def test_transcribe_roles_from_participant_map():
    path = FIX / "transcribe_speakers.json"
    t = one(path, participant_map={"spk_0": "agent", "spk_1": "customer", "spk_2": "supervisor"})
    assert roles(t) == ["agent", "customer", "agent", "supervisor", "customer"]
    assert t.metadata["roles_from"] == "participant_map"
    # an outbound call: the customer answers; the unmapped speakers take the free roles in order
    t = one(path, participant_map={"spk_0": "customer"})
    assert roles(t) == ["customer", "agent", "customer", "supervisor", "agent"]
    assert t.metadata["roles_from"] == "participant_map+rule"
    # the map makes the third voice a second agent, not a supervisor
    t = one(path, participant_map={"spk_2": "agent"})
    assert roles(t) == ["customer", "supervisor", "customer", "agent", "supervisor"]
    t = one(path, participant_map={"spk_0": "agent", "spk_1": "customer", "spk_2": "agent"})
    assert roles(t) == ["agent", "customer", "agent", "agent", "customer"]


def test_transcribe_fourth_unmapped_speaker_is_unknown(tmp_path):
    doc = load("transcribe_speakers.json")
    doc["results"]["items"][-2]["speaker_label"] = "spk_3"  # "です" of the last turn
    path = write(tmp_path, "t.json", doc)
    err = one_error(path)
    assert (err.code, err.field) == ("E003", f"results.items[{len(doc['results']['items']) - 2}].speaker_label")
    # the map names the fourth voice; the rule gives the others the roles the map left free
    err = one_error(path, participant_map={"spk_3": "customer"})  # spk_0 agent, spk_1 supervisor, spk_2: none left
    assert (err.code, err.field) == ("E003", "results.items[20].speaker_label")
    t = one(path, participant_map={"spk_3": "customer", "spk_1": "customer"})
    assert roles(t) == ["agent", "customer", "agent", "supervisor", "customer", "customer"]
    assert t.turns[-1].text == "です。"


def test_transcribe_audio_segments_fixture():
    t = one(FIX / "transcribe_audio_segments.json")
    assert t.call_id == "tr-job-0004"
    assert [(turn.speaker, turn.text) for turn in t.turns] == [
        ("agent", "はい、サポートセンターです。"), ("customer", "ログインできません。急ぎです。"), ("agent", "承知しました。")]
    assert (t.turns[1].start, t.turns[1].end) == (3.0, 6.0)


def test_transcribe_audio_segments_without_items_use_the_segment_transcript(tmp_path):
    doc = load("transcribe_audio_segments.json")
    del doc["results"]["items"]
    doc["results"]["audio_segments"][1]["transcript"] = "ログイン でき ません 。"  # spaced Japanese
    t = one(write(tmp_path, "a.json", doc))
    assert t.turns[1].text == "ログインできません。急ぎです。"


def test_transcribe_channel_identification(tmp_path):
    doc = load("transcribe_speakers.json")
    items = doc["results"].pop("items")
    del doc["results"]["speaker_labels"]
    channels: dict[str, list] = {}
    label = None
    for it in items:
        label = {"spk_0": "ch_0", "spk_1": "ch_1", "spk_2": "ch_0"}.get(it.pop("speaker_label", None), label)
        channels.setdefault(label, []).append(it)
    doc["results"]["channel_labels"] = {"channels": [{"channel_label": k, "items": v} for k, v in channels.items()],
                                        "number_of_channels": 2}
    doc["results"]["items"] = [dict(it) for it in items]
    t = one(write(tmp_path, "ch.json", doc), participant_map={"ch_0": "agent", "ch_1": "customer"})
    assert [(turn.speaker, turn.text) for turn in t.turns] == [
        ("agent", TRANSCRIBE_TEXTS[0]), ("customer", TRANSCRIBE_TEXTS[1]),
        ("agent", TRANSCRIBE_TEXTS[2] + TRANSCRIBE_TEXTS[3]), ("customer", TRANSCRIBE_TEXTS[4])]


def test_join_pieces_spaces_only_between_latin_words():
    assert join_pieces([("カード", False), ("が", False), ("使え", False), ("ない", False), ("。", True)]) == "カードが使えない。"
    assert join_pieces([("I've", False), ("been", False), ("waiting", False), (".", True)]) == "I've been waiting."
    assert join_pieces([("iPhone", False), ("が", False), ("壊れ", False), ("た", False)]) == "iPhoneが壊れた"


def _transcribe_with(change) -> dict:
    doc = load("transcribe_speakers.json")
    change(doc)
    return doc


TRANSCRIBE_ERRORS = [
    ("non_numeric_time", lambda d: d["results"]["items"][1].update(start_time="abc"), "E004", "results.items[1].start_time"),
    ("negative_time", lambda d: d["results"]["items"][1].update(end_time="-1.0"), "E005", "results.items[1].end_time"),
    ("end_before_start", lambda d: d["results"]["items"][10].update(end_time="1.0"), "E006", "results.items[10].end_time"),
    ("missing_alternatives", lambda d: d["results"]["items"][2].pop("alternatives"), "E002", "results.items[2].alternatives"),
    ("content_type", lambda d: d["results"]["items"][2]["alternatives"][0].update(content=5), "E012",
     "results.items[2].alternatives[0].content"),
    ("no_items", lambda d: d["results"].update(items=[]), "E013", "results.items"),
    ("results_type", lambda d: d.update(results=[]), "E011", None),
    ("no_speaker_labels", lambda d: ([it.pop("speaker_label", None) for it in d["results"]["items"]],
                                     d["results"].pop("speaker_labels")), "E002", "results.speaker_labels"),
    ("empty_turn", lambda d: [it["alternatives"][0].update(content="") for it in d["results"]["items"][17:20]],
     "E007", "results.items[17].alternatives[0].content"),
]


@pytest.mark.parametrize("name,change,code,field", TRANSCRIBE_ERRORS, ids=[c[0] for c in TRANSCRIBE_ERRORS])
def test_transcribe_error_paths(tmp_path, name, change, code, field):
    path = write(tmp_path, "t.json", _transcribe_with(change))
    err = one_error(path)
    assert (err.code, err.file, err.field) == (code, path, field)


def test_transcribe_end_before_start_is_the_turns_last_item(tmp_path):
    doc = load("transcribe_speakers.json")
    # turn 2 (customer) is items 8..16; its last timed item is 15 ("ください")
    doc["results"]["items"][15]["end_time"] = "5.0"
    err = one_error(write(tmp_path, "t.json", doc))
    assert (err.code, err.field) == ("E006", "results.items[15].end_time")


# --------------------------------------------------------------------------------------------------
# Google CCAI Insights


def test_ccai_entries_fixture_rule():
    t = one(FIX / "ccai_entries.json")
    assert t.call_id == "ccai-0005"
    # the bot and the first human agent are agents; a second human agent id after them is the supervisor
    assert roles(t) == ["agent", "customer", "agent", "customer", "supervisor", "supervisor"]
    assert [turn.name for turn in t.turns] == ["900", "1", "201", "1", "202", "202"]
    assert [turn.start for turn in t.turns] == [0.0, 4.0, 10.0, 18.5, 30.0, 41.0]
    assert [turn.end for turn in t.turns] == [4.0, 10.0, 18.5, 30.0, 41.0, None]
    assert t.received_at.isoformat() == "2026-05-12T00:00:00+00:00"
    assert t.metadata["participant_roles"] == {"900": "agent", "1": "customer", "201": "agent", "202": "supervisor"}


def test_ccai_supervisor_decided_by_participant_map():
    path = FIX / "ccai_entries.json"
    t = one(path, participant_map={"202": "agent"})
    assert "supervisor" not in roles(t)
    t = one(path, participant_map={201: "supervisor"})  # user ids are numbers in the export
    assert roles(t) == ["agent", "customer", "supervisor", "customer", "agent", "agent"]


def test_ccai_entries_without_name_and_with_relative_times(tmp_path):
    doc = load("ccai_entries.json")
    del doc["name"]
    for i, e in enumerate(doc["entries"]):
        e["start_timestamp_usec"] = 1_000_000 * (i + 1)
    t = one(write(tmp_path, "conv-7.json", doc))
    assert t.call_id == "conv-7" and t.received_at is None
    assert [turn.start for turn in t.turns] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]


def test_ccai_entries_out_of_order_have_no_end(tmp_path):
    doc = load("ccai_entries.json")
    doc["entries"][2]["start_timestamp_usec"] = doc["entries"][0]["start_timestamp_usec"] - 1_000_000
    t = one(write(tmp_path, "c.json", doc))
    assert t.turns[1].end is None and t.turns[2].start == 0.0 and t.turns[0].start == 1.0


def _ccai_with(change) -> dict:
    doc = load("ccai_entries.json")
    change(doc)
    return doc


CCAI_ERRORS = [
    ("missing_text", lambda d: d["entries"][1].pop("text"), "E002", "entries[1].text"),
    ("empty_text", lambda d: d["entries"][3].update(text=""), "E007", "entries[3].text"),
    ("unknown_role", lambda d: d["entries"][1].update(role="BYSTANDER"), "E003", "entries[1].role"),
    ("missing_role", lambda d: d["entries"][1].pop("role"), "E002", "entries[1].role"),
    ("non_numeric_time", lambda d: d["entries"][2].update(start_timestamp_usec="soon"), "E004",
     "entries[2].start_timestamp_usec"),
    ("negative_time", lambda d: d["entries"][2].update(start_timestamp_usec=-1), "E005", "entries[2].start_timestamp_usec"),
    ("no_entries", lambda d: d.update(entries=[]), "E013", "entries"),
    ("name_type", lambda d: d.update(name=7.5), "E012", "name"),
]


@pytest.mark.parametrize("name,change,code,field", CCAI_ERRORS, ids=[c[0] for c in CCAI_ERRORS])
def test_ccai_error_paths(tmp_path, name, change, code, field):
    path = write(tmp_path, "c.json", _ccai_with(change))
    err = one_error(path)
    assert (err.code, err.file, err.line, err.field) == (code, path, None, field)


def test_ccai_conversation_segments_fixture():
    t = one(FIX / "ccai_conversation_segments.json")
    assert t.call_id == "ccai-0006"
    # the third segment has no participant role or id: its channel (agentChannel) makes it the agent
    assert roles(t) == ["agent", "customer", "agent"]
    assert [(turn.start, turn.end) for turn in t.turns] == [(0.3, 3.2), (3.9, 6.0), (6.4, 8.0)]
    assert t.received_at.isoformat() == "2026-05-12T09:00:00+00:00"
    assert t.turns[2].name == "channel_2"


def test_ccai_conversation_segments_map_and_errors(tmp_path):
    doc = load("ccai_conversation_segments.json")
    doc["transcript"]["transcriptSegments"][2]["segmentParticipant"] = {"role": "HUMAN_AGENT", "userId": "agent-99"}
    assert roles(one(write(tmp_path, "a.json", doc))) == ["agent", "customer", "supervisor"]
    assert roles(one(write(tmp_path, "b.json", doc), participant_map={"agent-99": "agent"})) == ["agent", "customer", "agent"]
    doc["transcript"]["transcriptSegments"][1]["words"][0]["startOffset"] = "three seconds"
    err = one_error(write(tmp_path, "c.json", doc))
    assert (err.code, err.field) == ("E004", "transcript.transcriptSegments[1].words[0].startOffset")
    doc = load("ccai_conversation_segments.json")
    del doc["callMetadata"]
    err = one_error(write(tmp_path, "d.json", doc))
    assert (err.code, err.field) == ("E002", "transcript.transcriptSegments[2].segmentParticipant.role")


def test_ccai_message_time_offsets(tmp_path):
    doc = load("ccai_conversation_segments.json")
    for k, seg in enumerate(doc["transcript"]["transcriptSegments"]):
        del seg["words"]
        seg["messageTime"] = f"2026-05-12T09:00:{10 * k:02d}Z"
    t = one(write(tmp_path, "m.json", doc))
    assert [turn.start for turn in t.turns] == [0.0, 10.0, 20.0]


# --------------------------------------------------------------------------------------------------
# all platforms: encodings, containers, duplicates


ALL = sorted(p.name for p in FIX.glob("*.json"))


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp932", "euc-jp"])
@pytest.mark.parametrize("name", ALL)
def test_platform_exports_in_each_encoding(tmp_path, name, encoding):
    expected = one(FIX / name)
    path = write(tmp_path, name, load(name), encoding=encoding)
    for forced in (None, "utf-8" if encoding == "utf-8-sig" else encoding):
        t = one(path, encoding=forced)
        assert [(x.speaker, x.text) for x in t.turns] == [(x.speaker, x.text) for x in expected.turns]


@pytest.mark.parametrize("name", ALL)
def test_utf8_platform_export_forced_as_cp932_is_mojibake(name):
    err = one_error(FIX / name, encoding="cp932")
    assert err.code == "E015"


def test_platform_exports_as_jsonl_lines_and_array_elements(tmp_path):
    docs = [load(n) for n in ALL]
    lines = tmp_path / "mixed.jsonl"
    lines.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
    arr = write(tmp_path, "mixed.json", docs)
    expected = [one(FIX / n).call_id for n in ALL]
    # a document without its own id is named after the file and its line (record) number
    expected_lines = [c if c != "cl-chat-0002" else f"mixed-{expected.index(c) + 1}" for c in expected]
    for path in (lines, arr):
        items = list(read(path, errors="collect"))
        assert all(isinstance(i, Transcript) for i in items), items
        assert [i.call_id for i in items] == expected_lines


def test_same_export_twice_is_a_duplicate(tmp_path):
    src = FIX / "connect_contact_lens.json"
    copy_path = tmp_path / "again.json"
    copy_path.write_bytes(src.read_bytes())
    items = list(read([src, copy_path], errors="collect"))
    assert isinstance(items[0], Transcript)
    assert (items[1].code, items[1].file, items[1].call_id) == ("E008", str(copy_path), "cl-0001")


def test_directory_of_exports(tmp_path):
    items = list(read(FIX, errors="collect"))
    assert all(isinstance(i, Transcript) for i in items)
    assert len(items) == len(ALL)


def test_fixture_documents_are_not_modified_by_reading():
    before = {n: load(n) for n in ALL}
    for n in ALL:
        one(FIX / n)
    assert before == {n: load(n) for n in ALL}
    assert copy.deepcopy(before) == before


def test_error_in_an_export_inside_jsonl_names_the_line_and_the_field(tmp_path):
    good = load("ccai_entries.json")
    bad = _connect_with(lambda d: d["Transcript"][2].update(BeginOffsetMillis=-10))
    path = tmp_path / "two.jsonl"
    path.write_text(json.dumps(good, ensure_ascii=False) + "\n" + json.dumps(bad, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    items = list(read(path, errors="collect"))
    assert isinstance(items[0], Transcript) and items[0].source == f"{path}:1"
    err = items[1]
    assert (err.code, err.file, err.line, err.field, err.call_id) == (
        "E005", str(path), 2, "Transcript[2].BeginOffsetMillis", "cl-0001")


def test_speaker_map_file_names_participants_of_exports(tmp_path):
    # the CLI's --speaker-map FILE: exact participant ids decide roles like participant_map does
    from escalyzer.speakers import SpeakerMap

    yml = tmp_path / "ids.yaml"
    yml.write_text("customer:\n  - spk_0\nagent:\n  - spk_1\nsupervisor:\n  - agent-sato\n", encoding="utf-8")
    t = one(FIX / "transcribe_speakers.json", speakers=SpeakerMap(yml))
    assert roles(t) == ["customer", "agent", "customer", "supervisor", "agent"]
    t = one(FIX / "connect_contact_lens.json", speakers=SpeakerMap(yml))
    assert roles(t) == ["supervisor", "customer", "supervisor", "agent", "customer", "agent"]
