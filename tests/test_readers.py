"""Readers: formats, encodings, line endings, every error path (code, file, line, field), streaming.

Fixtures are written in each test (``tmp_path``) from Japanese text held here, so each encoding is
exercised on real bytes; the development calls in ``shared/dev`` are only read, never copied.
"""
from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path

import pytest

import escalyzer
from escalyzer.errors import InputError
from escalyzer.readers import read
from escalyzer.readers.encoding import detect
from escalyzer.readers.jsonl import iter_json_array
from escalyzer.speakers import SpeakerMap
from escalyzer.transcript import Transcript

# --------------------------------------------------------------------------------------------------
# helpers

CALL_A = {
    "call_id": "T-001",
    "received_at": "2026-05-12T10:15:00+09:00",
    "sla_hours": 24,
    "turns": [
        {"speaker": "agent", "text": "お電話ありがとうございます。みなと通信サポートの田中です。", "start": 0.5, "end": 4.0},
        {"speaker": "customer", "text": "ネットが昨日からずっとつながらないんです。仕事にならなくて困っています。", "start": 4.8, "end": 11.2},
        {"speaker": "agent", "text": "ご不便をおかけして申し訳ございません。すぐにお調べいたします。", "start": 12.0, "end": 16.5},
    ],
}
CALL_B = {
    "call_id": "T-002",
    "turns": [
        {"speaker": "お客様", "text": "請求額が先月の倍になっています。説明してください。", "start": 1.0, "end": 6.0},
        {"speaker": "オペレーター", "text": "確認いたしますので、少々お待ちいただけますか。", "start": 6.5, "end": 9.0},
        {"speaker": "SV 鈴木", "text": "お電話代わりました。責任者の鈴木でございます。", "start": 30.0, "end": 34.0},
    ],
}
EXPECTED = {
    "T-001": [("agent", CALL_A["turns"][0]["text"]), ("customer", CALL_A["turns"][1]["text"]),
              ("agent", CALL_A["turns"][2]["text"])],
    "T-002": [("customer", CALL_B["turns"][0]["text"]), ("agent", CALL_B["turns"][1]["text"]),
              ("supervisor", CALL_B["turns"][2]["text"])],
}
ENCODINGS = ["utf-8", "utf-8-sig", "cp932", "euc-jp"]


def write(tmp_path: Path, name: str, data: str | bytes, encoding: str = "utf-8", newline: str = "\n") -> str:
    p = tmp_path / name
    if isinstance(data, str):
        data = data.replace("\n", newline).encode(encoding)
    p.write_bytes(data)
    return str(p)


def jsonl_text(*calls: dict) -> str:
    return "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in calls)


def csv_text(*calls: dict, sep: str = ",") -> str:
    rows = [sep.join(["通話ID", "話者", "発話", "開始", "終了"])]
    for c in calls:
        for t in c["turns"]:
            rows.append(sep.join([c["call_id"], t["speaker"], t["text"], str(t.get("start", "")), str(t.get("end", ""))]))
    return "\n".join(rows) + "\n"


def txt_text(call: dict) -> str:
    lines = [f"# call_id: {call['call_id']}"]
    for t in call["turns"]:
        s = int(t["start"])
        lines.append(f"[{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}] {t['speaker']}: {t['text']}")
    return "\n".join(lines) + "\n"


def summary(items) -> list:
    out = []
    for it in items:
        if isinstance(it, InputError):
            out.append((it.code, it.line, it.field))
        else:
            out.append((it.call_id, [(t.speaker, t.text) for t in it.turns]))
    return out


def calls_of(items) -> dict[str, list[tuple[str, str]]]:
    return {it.call_id: [(t.speaker, t.text) for t in it.turns] for it in items if isinstance(it, Transcript)}


def errors_of(items) -> list[InputError]:
    return [it for it in items if isinstance(it, InputError)]


def one_error(path: str, **kw) -> InputError:
    items = list(read(path, errors="collect", **kw))
    errs = errors_of(items)
    assert len(errs) == 1, summary(items)
    return errs[0]


# --------------------------------------------------------------------------------------------------
# formats


def test_jsonl_reads_calls_with_metadata(tmp_path):
    path = write(tmp_path, "calls.jsonl", jsonl_text(CALL_A, CALL_B))
    items = list(read(path))
    assert calls_of(items) == EXPECTED
    a = items[0]
    assert a.received_at.isoformat() == "2026-05-12T10:15:00+09:00"
    assert a.sla_hours == 24.0
    assert a.turns[1].start == 4.8 and a.turns[1].end == 11.2
    assert a.source == f"{path}:1" and items[1].source == f"{path}:2"
    assert items[1].turns[2].speaker == "supervisor"  # "SV 鈴木": alias with a name


def test_ndjson_extension_and_blank_lines(tmp_path):
    path = write(tmp_path, "calls.ndjson", "\n" + jsonl_text(CALL_A) + "\n\n" + jsonl_text(CALL_B))
    items = list(read(path))
    assert calls_of(items) == EXPECTED
    assert items[1].source.endswith(":5")


def test_json_array_and_single_object(tmp_path):
    arr = write(tmp_path, "arr.json", json.dumps([CALL_A, CALL_B], ensure_ascii=False, indent=2))
    one = write(tmp_path, "one.json", json.dumps(CALL_A, ensure_ascii=False))
    assert calls_of(read(arr)) == EXPECTED
    assert calls_of(read(one)) == {"T-001": EXPECTED["T-001"]}
    items = list(read(arr))
    assert items[1].source == f"{arr}:2"  # record number in the array


def test_json_array_after_long_blank_prefix(tmp_path):
    path = write(tmp_path, "pad.json", " " * 10000 + json.dumps([CALL_A], ensure_ascii=False))
    assert calls_of(read(path)) == {"T-001": EXPECTED["T-001"]}


def test_csv_with_japanese_headers(tmp_path):
    path = write(tmp_path, "calls.csv", csv_text(CALL_A, CALL_B))
    items = list(read(path))
    assert calls_of(items) == EXPECTED
    assert items[0].turns[0].start == 0.5 and items[0].turns[0].end == 4.0
    assert items[1].source == f"{path}:5"  # the call's first row


def test_tsv(tmp_path):
    path = write(tmp_path, "calls.tsv", csv_text(CALL_A, CALL_B, sep="\t"))
    assert calls_of(read(path)) == EXPECTED


def test_csv_quoted_multiline_field(tmp_path):
    text = 'call_id,speaker,text\nM-1,客,"一行目\n二行目"\nM-1,OP,はい\n'
    items = list(read(write(tmp_path, "m.csv", text)))
    assert calls_of(items) == {"M-1": [("customer", "一行目\n二行目"), ("agent", "はい")]}


def test_plain_text_headers_timestamps_and_continuations(tmp_path):
    text = (
        "# call_id: P-9\n"
        "# received_at: 2026-05-12T09:00:00+09:00\n"
        "# sla_hours: 4\n"
        "# queue: 修理受付\n"
        "[00:00:01] オペレーター: お電話ありがとうございます。\n"
        "お客様：修理をお願いしたいのですが\n"
        "まだ連絡がありません。\n"
        "[01:02:03] SV: 責任者の森です。\n"
    )
    items = list(read(write(tmp_path, "P-9.txt", text)))
    assert summary(items) == [("P-9", [("agent", "お電話ありがとうございます。"),
                                       ("customer", "修理をお願いしたいのですが\nまだ連絡がありません。"),
                                       ("supervisor", "責任者の森です。")])]
    t = items[0]
    assert t.turns[0].start == 1.0 and t.turns[1].start is None and t.turns[2].start == 3723.0
    assert t.received_at.isoformat() == "2026-05-12T09:00:00+09:00" and t.sla_hours == 4.0
    assert t.metadata == {"queue": "修理受付"}


def test_plain_text_call_id_defaults_to_file_stem(tmp_path):
    items = list(read(write(tmp_path, "X-77.txt", "客: もしもし\nOP: はい\n")))
    assert [t.call_id for t in items] == ["X-77"]


def test_plain_text_header_named_like_a_structure_field_is_metadata(tmp_path):
    # "# turns: ..." used to replace the list of turns with a string and crash
    items = list(read(write(tmp_path, "h.txt", "# turns: 3\n# metadata: x\nお客様: はい\n")))
    assert summary(items) == [("h", [("customer", "はい")])]
    assert items[0].metadata == {"turns": "3", "metadata": "x"}


def test_directory_and_glob_expansion(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    write(d, "b.jsonl", jsonl_text(CALL_B))
    write(d, "a.txt", txt_text(CALL_A))
    write(d, "notes.md", "not a transcript")
    write(d, "run.errors.jsonl", '{"code": "E001"}\n')
    assert list(calls_of(read(str(d)))) == ["T-001", "T-002"]  # sorted, .md and .errors.jsonl skipped
    assert list(calls_of(read(str(d / "*.jsonl")))) == ["T-002"]


def test_unknown_extension_is_sniffed(tmp_path):
    p1 = write(tmp_path, "calls.dat", jsonl_text(CALL_A, CALL_B))
    p2 = write(tmp_path, "arr.dat", json.dumps([CALL_A], ensure_ascii=False))
    p3 = write(tmp_path, "call.log", txt_text(CALL_B))
    assert calls_of(read(p1)) == EXPECTED
    assert calls_of(read(p2)) == {"T-001": EXPECTED["T-001"]}
    assert calls_of(read(p3)) == {"T-002": EXPECTED["T-002"]}


def test_standard_input(tmp_path, monkeypatch):
    data = jsonl_text(CALL_A).encode("cp932")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(io.BytesIO(data))))
    items = list(read("-"))
    assert calls_of(items) == {"T-001": EXPECTED["T-001"]}
    assert items[0].source == "<stdin>:1"


def test_top_level_read_is_exported(tmp_path):
    assert escalyzer.read is read


# --------------------------------------------------------------------------------------------------
# encodings and line endings

FORMATS = {
    "jsonl": lambda: jsonl_text(CALL_A, CALL_B),
    "json": lambda: json.dumps([CALL_A, CALL_B], ensure_ascii=False, indent=1),
    "csv": lambda: csv_text(CALL_A, CALL_B),
    "txt": lambda: txt_text(CALL_B),
}


def _expected(fmt: str) -> dict:
    return {"T-002": EXPECTED["T-002"]} if fmt == "txt" else EXPECTED


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("encoding", ENCODINGS)
def test_each_encoding_is_detected(tmp_path, fmt, encoding):
    path = write(tmp_path, f"T-002.{fmt}", FORMATS[fmt](), encoding=encoding)
    items = list(read(path, errors="collect"))
    assert calls_of(items) == _expected(fmt), summary(items)


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("encoding", ENCODINGS)
def test_each_encoding_can_be_forced(tmp_path, fmt, encoding):
    path = write(tmp_path, f"T-002.{fmt}", FORMATS[fmt](), encoding=encoding)
    forced = "utf-8" if encoding == "utf-8-sig" else encoding  # --encoding utf-8 on a file with a BOM
    items = list(read(path, errors="collect", encoding=forced))
    assert calls_of(items) == _expected(fmt), summary(items)


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_crlf_and_lf(tmp_path, fmt, newline):
    path = write(tmp_path, f"T-002.{fmt}", FORMATS[fmt](), encoding="cp932", newline=newline)
    items = list(read(path, errors="collect"))
    assert calls_of(items) == _expected(fmt), summary(items)
    for t in items:
        assert all("\r" not in turn.text for turn in t.turns)


def test_short_euc_jp_is_not_taken_for_cp932():
    # both codecs decode these bytes; read as CP932 they would be half-width katakana mojibake
    data = "お客様: 返金して".encode("euc_jp")
    assert detect(data) == "euc_jp"
    assert detect("お客様: 返金して".encode("cp932")) == "cp932"
    assert detect("お客様: 返金して".encode()) == "utf_8"


def test_encoding_aliases(tmp_path):
    path = write(tmp_path, "c.jsonl", jsonl_text(CALL_A), encoding="cp932")
    for name in ("Shift_JIS", "sjis", "MS932", "windows-31j", "cp932"):
        assert calls_of(read(path, encoding=name)) == {"T-001": EXPECTED["T-001"]}


def test_unknown_encoding_name_is_an_input_error(tmp_path):
    path = write(tmp_path, "c.jsonl", jsonl_text(CALL_A))
    with pytest.raises(InputError) as exc:
        list(read(path, encoding="klingon"))
    assert exc.value.code == "E009" and exc.value.field == "encoding"


# --------------------------------------------------------------------------------------------------
# mojibake and undecodable bytes


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("forced", ["cp932", "euc-jp", "latin-1"])
def test_utf8_forced_as_legacy_encoding_never_passes_silently(tmp_path, fmt, forced):
    path = write(tmp_path, f"T-002.{fmt}", FORMATS[fmt](), encoding="utf-8")
    items = list(read(path, errors="collect", encoding=forced))
    assert not calls_of(items), summary(items)
    err = errors_of(items)[0]
    data = Path(path).read_bytes()
    first_non_ascii_line = data[: next(i for i, b in enumerate(data) if b >= 0x80)].count(b"\n") + 1
    assert (err.code, err.file, err.line) == ("E015", path, first_non_ascii_line)


def test_utf8_with_bom_forced_as_cp932_is_mojibake(tmp_path):
    path = write(tmp_path, "c.jsonl", jsonl_text(CALL_A), encoding="utf-8-sig")
    err = one_error(path, encoding="cp932")
    assert (err.code, err.line) == ("E015", 1)


def test_euc_jp_forced_as_cp932_is_mojibake(tmp_path):
    path = write(tmp_path, "c.jsonl", jsonl_text(CALL_A), encoding="euc-jp")
    items = list(read(path, errors="collect", encoding="cp932"))
    assert not calls_of(items)
    assert errors_of(items)[0].code in ("E015", "E009")


def test_mojibake_in_the_data_itself(tmp_path):
    # text that was already garbled upstream (UTF-8 read as CP932 then saved as UTF-8)
    garbled = "お客様へ連絡します".encode().decode("cp932", errors="replace")
    call = {"call_id": "G-1", "turns": [{"speaker": "agent", "text": garbled}]}
    path = write(tmp_path, "g.jsonl", jsonl_text(CALL_A, call))
    items = list(read(path, errors="collect"))
    assert summary(items)[0][0] == "T-001"
    assert (items[1].code, items[1].file, items[1].line) == ("E015", path, 2)


@pytest.mark.parametrize("fmt,line", [("jsonl", 2), ("csv", 3), ("txt", 3)])
def test_undecodable_bytes(tmp_path, fmt, line):
    good = {"jsonl": jsonl_text(CALL_A), "csv": csv_text(CALL_A), "txt": txt_text(CALL_A)}[fmt].encode()
    lines = good.split(b"\n")
    lines[line - 1] = lines[line - 1] + b"\xff\xfe\x80"
    path = write(tmp_path, f"u.{fmt}", b"\n".join(lines))
    err = errors_of(list(read(path, errors="collect", encoding="utf-8")))[0]
    assert (err.code, err.file, err.line) == ("E009", path, line)


def test_undecodable_jsonl_line_does_not_stop_the_file(tmp_path):
    data = jsonl_text(CALL_A).encode() + b'{"call_id": "\xff"}\n' + jsonl_text(CALL_B).encode()
    path = write(tmp_path, "u.jsonl", data)
    assert summary(read(path, errors="collect", encoding="utf-8"))[1] == ("E009", 2, None)
    assert list(calls_of(read(path, errors="collect", encoding="utf-8"))) == ["T-001", "T-002"]


def test_bytes_no_candidate_encoding_decodes(tmp_path):
    path = write(tmp_path, "x.jsonl", b'{"call_id": "\x80\xff\xfe\x85\xfd"}\n')
    err = one_error(path)
    assert (err.code, err.file) == ("E009", path)


# --------------------------------------------------------------------------------------------------
# error paths: code, file, line and field


def _bad(**changes) -> dict:
    call = json.loads(json.dumps(CALL_A))
    for key, value in changes.items():
        if key == "turn":
            call["turns"][0].update(value)
        elif value is None:
            call.pop(key)
        else:
            call[key] = value
    return call


ERROR_CASES = [
    ("missing_call_id", _bad(call_id=None), "E002", "call_id"),
    ("blank_call_id", _bad(call_id="  "), "E002", "call_id"),
    ("call_id_type", _bad(call_id=[1]), "E012", "call_id"),
    ("missing_turns", _bad(turns=None), "E002", "turns"),
    ("turns_type", _bad(turns="x"), "E012", "turns"),
    ("no_turns", _bad(turns=[]), "E013", "turns"),
    ("unknown_speaker", _bad(turn={"speaker": "通りすがり"}), "E003", "turns[0].speaker"),
    ("missing_speaker", _bad(turn={"speaker": None}), "E002", "turns[0].speaker"),
    ("non_numeric_start", _bad(turn={"start": "abc"}), "E004", "turns[0].start"),
    ("bool_start", _bad(turn={"start": True}), "E004", "turns[0].start"),
    ("nan_end", _bad(turn={"end": "NaN"}), "E004", "turns[0].end"),
    ("huge_integer_start", _bad(turn={"start": 10 ** 400}), "E004", "turns[0].start"),
    ("negative_start", _bad(turn={"start": -1.5}), "E005", "turns[0].start"),
    ("end_before_start", _bad(turn={"start": 5, "end": 2}), "E006", "turns[0].end"),
    ("empty_text", _bad(turn={"text": "  \u3000 "}), "E007", "turns[0].text"),
    ("text_type", _bad(turn={"text": 12}), "E012", "turns[0].text"),
    ("bad_datetime", _bad(received_at="昨日の夕方"), "E014", "received_at"),
    ("bad_sla", _bad(sla_hours="一日"), "E004", "sla_hours"),
    ("metadata_type", _bad(metadata="x"), "E012", "metadata"),
]


@pytest.mark.parametrize("name,call,code,field", ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_jsonl_error_paths(tmp_path, name, call, code, field):
    path = write(tmp_path, "e.jsonl", jsonl_text(CALL_B, call))
    items = list(read(path, errors="collect"))
    assert summary(items)[0][0] == "T-002"
    err = items[1]
    assert isinstance(err, InputError)
    assert (err.code, err.file, err.line, err.field) == (code, path, 2, field)
    assert err.code in str(err) and path in str(err)


@pytest.mark.parametrize("name,call,code,field", ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_json_array_error_paths_name_the_record(tmp_path, name, call, code, field):
    path = write(tmp_path, "e.json", json.dumps([CALL_B, call], ensure_ascii=False))
    items = list(read(path, errors="collect"))
    err = items[1]
    assert (err.code, err.file, err.line, err.field) == (code, path, 2, field)


def test_invalid_json_line(tmp_path):
    path = write(tmp_path, "e.jsonl", jsonl_text(CALL_A) + '{"call_id": "x", "turns": [\n' + jsonl_text(CALL_B))
    items = list(read(path, errors="collect"))
    assert summary(items)[1] == ("E001", 2, None)
    assert items[1].file == path
    assert list(calls_of(items)) == ["T-001", "T-002"]


def test_invalid_json_document(tmp_path):
    path = write(tmp_path, "e.json", '{\n  "call_id": "x",\n  "turns": [,]\n}')
    err = one_error(path)
    assert (err.code, err.file, err.line) == ("E001", path, 3)


def test_json_nested_too_deeply_and_huge_number_are_e001(tmp_path):
    for name, data in (("deep.json", "[" * 50000 + "]" * 50000), ("deep.jsonl", "[" * 50000 + "]" * 50000 + "\n"),
                       ("num.jsonl", '{"call_id": "n", "turns": [], "x": ' + "7" * 5000 + "}\n"),
                       ("num.json", '{"call_id": "n", "x": ' + "7" * 5000 + "}")):
        err = one_error(write(tmp_path, name, data))
        assert err.code == "E001", name


def test_json_array_truncated(tmp_path):
    text = json.dumps([CALL_A, CALL_B], ensure_ascii=False)[:-40]
    path = write(tmp_path, "t.json", text)
    items = list(read(path, errors="collect"))
    assert summary(items)[0][0] == "T-001"
    assert (items[1].code, items[1].line) == ("E001", 2)


def test_json_document_of_unknown_shape(tmp_path):
    err = one_error(write(tmp_path, "u.json", '{"foo": 1}'))
    assert err.code == "E011"
    err = one_error(write(tmp_path, "s.json", '"just a string"'))
    assert err.code == "E012"


def test_record_that_is_not_an_object(tmp_path):
    path = write(tmp_path, "n.jsonl", jsonl_text(CALL_A) + "42\n")
    assert summary(read(path, errors="collect"))[1] == ("E012", 2, None)


@pytest.mark.parametrize("name", ["empty.jsonl", "empty.json", "empty.csv", "empty.txt", "empty.ndjson"])
@pytest.mark.parametrize("content", [b"", b"\n\n  \r\n", b"\xef\xbb\xbf"])
def test_empty_file(tmp_path, name, content):
    path = write(tmp_path, name, content)
    err = one_error(path)
    assert (err.code, err.file, err.line) == ("E010", path, None)


def test_empty_json_array(tmp_path):
    err = one_error(write(tmp_path, "a.json", "[ ]"))
    assert err.code == "E010"


def test_a_file_with_only_bad_records_is_not_also_reported_empty(tmp_path):
    path = write(tmp_path, "bad.jsonl", "{oops}\n")
    assert summary(read(path, errors="collect")) == [("E001", 1, None)]


def test_missing_file(tmp_path):
    err = one_error(str(tmp_path / "nope.jsonl"))
    assert (err.code, err.file) == ("E011", str(tmp_path / "nope.jsonl"))


# CSV: errors name the line of the row at fault


def test_csv_error_paths_name_the_row(tmp_path):
    text = ("call_id,speaker,text,start,end\n"
            "C-1,客,もしもし,0,1\n"
            "C-1,通行人,だれ,1,2\n"       # line 3: unknown speaker (turn 1)
            "C-2,OP,はい,abc,3\n"         # line 4: non-numeric start
            "C-3,OP,はい,-3,3\n"          # line 5: negative
            "C-4,OP,はい,5,3\n"           # line 6: end before start
            "C-5,OP,,1,2\n"               # line 7: empty text
            ",OP,はい,1,2\n"              # line 8: missing call id
            "C-6,OP,はい,1,2\n"
            "C-6,客,そうです,3,4\n")
    path = write(tmp_path, "e.csv", text)
    got = [(e.code, e.file, e.line, e.field) for e in errors_of(read(path, errors="collect"))]
    # a call's errors come when the call ends (its id changes), a row's own at once: compare by line
    assert sorted(got, key=lambda e: e[2]) == [
        ("E003", path, 3, "turns[1].speaker"),
        ("E004", path, 4, "turns[0].start"),
        ("E005", path, 5, "turns[0].start"),
        ("E006", path, 6, "turns[0].end"),
        ("E007", path, 7, "turns[0].text"),
        ("E002", path, 8, "call_id"),
    ]
    assert calls_of(read(path, errors="collect")) == {"C-6": [("agent", "はい"), ("customer", "そうです")]}


def test_csv_missing_column(tmp_path):
    path = write(tmp_path, "h.csv", "call_id,text\nA,はい\n")
    err = one_error(path)
    assert (err.code, err.file, err.line, err.field) == ("E016", path, 1, "speaker")


def test_csv_short_row_has_no_text(tmp_path):
    path = write(tmp_path, "s.csv", "call_id,speaker,text\nA,客\n")
    err = one_error(path)
    assert (err.code, err.line, err.field) == ("E002", 2, "turns[0].text")


def test_csv_duplicate_call_id_in_separate_blocks_is_reported_once(tmp_path):
    path = write(tmp_path, "d.csv", "call_id,speaker,text\nA,客,あ\nB,客,い\nA,客,う\nA,客,え\nC,客,お\n")
    items = list(read(path, errors="collect"))
    assert summary(items) == [("A", [("customer", "あ")]), ("B", [("customer", "い")]),
                              ("E008", 4, "call_id"), ("C", [("customer", "お")])]
    assert items[2].file == path and f"{path}:2" in str(items[2])


# text: errors name the line of the turn or header


def test_text_error_paths_name_the_line(tmp_path):
    cases = {
        "unknown.txt": ("# call_id: U\n[00:00:01] お客様: はい\n[00:00:05] 謎の人: どうも\n", "E003", 3, "turns[1].speaker"),
        "empty.txt": ("# call_id: U\n[00:00:01] お客様: はい\n\n[00:00:05] オペレーター:\n", "E007", 4, "turns[1].text"),
        "date.txt": ("# call_id: U\n# received_at: そのうち\nお客様: はい\n", "E014", 2, "received_at"),
        "noid.txt": ("# call_id:\nお客様: はい\n", "E002", 1, "call_id"),
        "preamble.txt": ("通話記録です\nお客様: はい\n", "E011", 1, None),
    }
    for name, (text, code, line, field) in cases.items():
        path = write(tmp_path, name, text)
        err = one_error(path)
        assert (err.code, err.file, err.line, err.field) == (code, path, line, field), name


def test_text_time_over_a_day_and_fractional(tmp_path):
    items = list(read(write(tmp_path, "t.txt", "[0:05.5] 客: はい\n(12:00:00) OP: どうぞ\n")))
    assert [t.start for t in items[0].turns] == [5.5, 43200.0]


# duplicates


def test_duplicate_call_id_within_a_file(tmp_path):
    path = write(tmp_path, "d.jsonl", jsonl_text(CALL_A, CALL_B, CALL_A))
    items = list(read(path, errors="collect"))
    err = items[2]
    assert (err.code, err.file, err.line, err.field, err.call_id) == ("E008", path, 3, "call_id", "T-001")
    assert f"{path}:1" in str(err)


def test_duplicate_call_id_across_files(tmp_path):
    p1 = write(tmp_path, "a.jsonl", jsonl_text(CALL_A))
    p2 = write(tmp_path, "b.csv", csv_text(CALL_B, CALL_A))
    p3 = write(tmp_path, "T-002.txt", txt_text(CALL_B))
    items = list(read([p1, p2, p3], errors="collect"))
    got = [(e.code, e.file, e.line, e.call_id) for e in errors_of(items)]
    assert got == [("E008", p2, 5, "T-001"), ("E008", p3, None, "T-002")]
    assert list(calls_of(items)) == ["T-001", "T-002"]


def test_file_names_with_colons_keep_their_name_in_duplicate_errors(tmp_path):
    p1 = write(tmp_path, "a.jsonl", jsonl_text(CALL_A))
    p2 = write(tmp_path, "x:y.json", json.dumps(CALL_A, ensure_ascii=False))
    err = errors_of(read([p1, p2], errors="collect"))[0]
    assert (err.code, err.file, err.line) == ("E008", p2, None)


# --------------------------------------------------------------------------------------------------
# errors="collect" / "raise", streaming


def test_collect_keeps_going_after_a_bad_record(tmp_path):
    bad = _bad(turn={"start": -1})
    bad["call_id"] = "BAD"
    path = write(tmp_path, "c.jsonl", jsonl_text(CALL_A) + "not json\n" + jsonl_text(bad, CALL_B))
    items = list(read(path, errors="collect"))
    assert [type(i).__name__ for i in items] == ["Transcript", "InputError", "InputError", "Transcript"]
    assert list(calls_of(items)) == ["T-001", "T-002"]


def test_collect_keeps_going_across_files(tmp_path):
    p1 = write(tmp_path, "bad.json", "{")
    p2 = write(tmp_path, "good.jsonl", jsonl_text(CALL_A))
    items = list(read([p1, str(tmp_path / "missing.csv"), p2], errors="collect"))
    assert [i.code for i in errors_of(items)] == ["E001", "E011"]
    assert list(calls_of(items)) == ["T-001"]


def test_raise_yields_good_records_then_raises_the_first_error(tmp_path):
    path = write(tmp_path, "c.jsonl", jsonl_text(CALL_A) + "not json\n" + jsonl_text(CALL_B))
    it = read(path)
    assert next(it).call_id == "T-001"
    with pytest.raises(InputError) as exc:
        next(it)
    assert (exc.value.code, exc.value.file, exc.value.line) == ("E001", path, 2)


class _CountingRaw(io.RawIOBase):
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def readable(self):
        return True

    def readinto(self, b):
        n = min(len(b), len(self.data) - self.pos, 4096)
        b[:n] = self.data[self.pos:self.pos + n]
        self.pos += n
        return n


def test_json_array_is_streamed_record_by_record():
    records = [dict(CALL_A, call_id=f"S-{i}") for i in range(400)]
    data = json.dumps(records, ensure_ascii=False).encode()
    raw = _CountingRaw(data)
    fh = io.BufferedReader(raw, buffer_size=4096)
    it = iter_json_array(fh, file="big.json", encoding=None, chunk_size=8192)
    rec, obj = next(it)
    assert (rec, obj["call_id"]) == (1, "S-0")
    assert raw.pos < len(data) // 10  # the first record came before the file was read
    rest = list(it)
    assert [r[0] for r in rest] == list(range(2, 401))
    assert raw.pos == len(data)


def test_json_array_record_split_across_chunks():
    records = [dict(CALL_A, call_id=f"S-{i}", n=1234567) for i in range(50)]
    data = json.dumps(records, ensure_ascii=False).encode()
    for chunk in (7, 64, 1000):
        fh = io.BufferedReader(_CountingRaw(data))
        got = [obj["call_id"] for _, obj in iter_json_array(fh, file="x.json", encoding="utf_8", chunk_size=chunk)]
        assert got == [f"S-{i}" for i in range(50)]


def test_read_streams_a_json_array_before_a_later_error(tmp_path):
    text = json.dumps([CALL_A, CALL_B], ensure_ascii=False)[:-1] + ", {broken"
    path = write(tmp_path, "s.json", text)
    it = read(path)
    assert next(it).call_id == "T-001"
    assert next(it).call_id == "T-002"
    with pytest.raises(InputError) as exc:
        next(it)
    assert (exc.value.code, exc.value.line) == ("E001", 3)


# --------------------------------------------------------------------------------------------------
# speaker maps


def test_participant_map_ids_are_exact_not_aliases(tmp_path):
    # {"spk_0": ..., "spk_1": "customer"} must not turn every "spk_N" label into the customer
    call = {"call_id": "M", "turns": [{"speaker": "spk_0", "text": "はい"}, {"speaker": "SPK_1", "text": "どうも"},
                                      {"speaker": "spk_7", "text": "だれ"}]}
    path = write(tmp_path, "m.jsonl", jsonl_text(call))
    err = one_error(path, participant_map={"spk_0": "agent", "spk_1": "customer"})
    assert (err.code, err.field) == ("E003", "turns[2].speaker")
    call["turns"].pop()
    path = write(tmp_path, "m.jsonl", jsonl_text(call))
    items = list(read(path, participant_map={"spk_0": "agent", "spk_1": "customer"}))
    assert calls_of(items) == {"M": [("agent", "はい"), ("customer", "どうも")]}


def test_speaker_map_file_adds_aliases(tmp_path):
    yml = tmp_path / "sp.yaml"
    yml.write_text("supervisor:\n  - 主任\ncustomer:\n  - 依頼人\n", encoding="utf-8")
    call = {"call_id": "Y", "turns": [{"speaker": "依頼人", "text": "はい"}, {"speaker": "主任(森)", "text": "森です"}]}
    path = write(tmp_path, "y.jsonl", jsonl_text(call))
    assert calls_of(read(path, speakers=SpeakerMap(yml))) == {"Y": [("customer", "はい"), ("supervisor", "森です")]}


def test_participant_map_with_an_unknown_role_is_refused(tmp_path):
    from escalyzer.errors import ResourceError

    path = write(tmp_path, "c.jsonl", jsonl_text(CALL_A))
    with pytest.raises(ResourceError):
        list(read(path, participant_map={"x": "boss"}))


# --------------------------------------------------------------------------------------------------
# the development calls: the canonical JSONL and the plain-text export give the same calls


def _dev_dir() -> Path | None:
    here = Path(__file__).resolve()
    for cand in (os.environ.get("ESCALYZER_DEV_DIR"), here.parents[2] / "shared" / "dev",
                 here.parents[1] / "shared" / "dev", Path("/work/shared/dev")):
        if cand and (Path(cand) / "calls.jsonl").exists() and (Path(cand) / "text").is_dir():
            return Path(cand)
    return None


DEV = _dev_dir()


@pytest.mark.skipif(DEV is None, reason="shared/dev not found")
def test_dev_jsonl_and_text_give_the_same_calls():
    assert DEV is not None
    from_jsonl = list(read(DEV / "calls.jsonl"))
    from_text = list(read(DEV / "text"))
    assert all(isinstance(t, Transcript) for t in from_jsonl + from_text)
    a, b = calls_of(from_jsonl), calls_of(from_text)
    assert len(a) == 16 and sorted(a) == sorted(b)
    for call_id in a:
        assert a[call_id] == b[call_id], call_id
    # the text export's time stamps are the JSONL starts, truncated to the second
    by_id = {t.call_id: t for t in from_text}
    for t in from_jsonl:
        for x, y in zip(t.turns, by_id[t.call_id].turns):
            assert y.start == int(x.start)


def test_text_line_numbers_count_physical_lines_only(tmp_path):
    # U+2028 and U+0085 inside a turn are not line breaks in the file
    text = "# call_id: L\nお客様: 一\u2028二\u0085三\nオペレーター: はい\n謎の人: だれ\n"
    path = write(tmp_path, "l.txt", text)
    items = list(read(path, errors="collect"))
    assert summary(items) == [("L", [("customer", "一\u2028二\u0085三"), ("agent", "はい\n謎の人: だれ")])]
    text = "# call_id: L\nお客様: 一\u2028二\n[00:00:09] 謎の人: だれ\n"
    err = one_error(write(tmp_path, "m.txt", text))
    assert (err.code, err.line, err.field) == ("E003", 3, "turns[1].speaker")


def test_speaker_labels_with_names(tmp_path):
    m = SpeakerMap()
    assert [m.role(x) for x in ("SV 鈴木", "オペレーター佐藤", "OP田中", "お客様(山田)", "客 山田", "担当者・森")] == [
        "supervisor", "agent", "agent", "customer", "customer", "agent"]
    assert [m.role(x) for x in ("customer service", "客室", "opera", "謎の人")] == [None] * 4


def test_cp932_half_width_pairs_that_look_like_utf8_are_not_mojibake(tmp_path):
    # "ﾃｽ" is C3 BD in CP932, which is also valid UTF-8 ("ý"): no evidence of UTF-8 text
    path = write(tmp_path, "h.csv", "call_id,speaker,text\nA1,OP,ﾃｽ\nA1,お客様,はい\n", encoding="cp932")
    for enc in (None, "cp932"):
        assert calls_of(read(path, encoding=enc)) == {"A1": [("agent", "ﾃｽ"), ("customer", "はい")]}


def test_a_utf8_line_late_in_a_cp932_file_is_mojibake(tmp_path):
    head = "".join(json.dumps(dict(CALL_A, call_id=f"A{i}"), ensure_ascii=False) + "\n" for i in range(3))
    data = head.encode("cp932") + jsonl_text(CALL_B).encode("utf-8")
    path = write(tmp_path, "mixed.jsonl", data)
    items = list(read(path, errors="collect"))
    assert list(calls_of(items)) == ["A0", "A1", "A2"]
    assert (items[3].code, items[3].line) in {("E015", 4), ("E009", 4)}
