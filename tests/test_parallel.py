"""Parallel and distributed scoring, and kill-safety of ``escalyzer score --resume``.

- ``--jobs 2`` (loky worker processes) gives exactly the records of ``--jobs 1``, in input order, with
  InputError items in place;
- a Dask ``LocalCluster`` (2 worker processes) gives exactly the local records;
- a run killed mid-way (SIGINT, then SIGKILL, then a killed worker process) leaves an output valid up
  to its last complete record, and ``--resume`` completes it: every call_id once, none lost.

The corpus (about 200 calls) is synthetic, written here from fragment tables with random names,
numbers and dates; the development calls are not used.
"""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from escalyzer.errors import InputError
from escalyzer.parallel import _ordered, analyze_stream, shutdown_workers
from escalyzer.readers import read

N_CALLS = 200
N_COMPARE = 48  # calls scored by the jobs=2 and Dask comparisons (plus the bad records)


def _models_available() -> bool:
    from escalyzer.models import default_models_dir, latest_version_dir
    from escalyzer.errors import ModelError

    try:
        for name in ("anger_clf", "urgency_clf", "fact_emotion_clf"):
            latest_version_dir(default_models_dir(), name)
    except ModelError:
        return False
    return True


needs_models = pytest.mark.skipif(not _models_available(),
                                  reason="no trained models (set ESCALYZER_MODELS or commit models/)")

# --------------------------------------------------------------------------------------------------
# synthetic calls

_SHOPS = ["みなと電器", "さくら通販", "あさひ保険", "こだま通信", "ゆうなぎ家具"]
_NAMES = ["石田", "岡本", "上野", "河合", "野口", "松井", "杉山", "大野", "原田", "今井"]
_ITEMS = ["炊飯器", "掃除機", "ソファ", "スマホ", "プリンター", "自転車", "布団", "電子レンジ"]


def _synthetic_call(r: random.Random, n: int) -> dict:
    shop, agent, cust, item = r.choice(_SHOPS), r.choice(_NAMES), r.choice(_NAMES), r.choice(_ITEMS)
    order = r.randint(100000, 999999)
    day = f"{r.randint(1, 12)}月{r.randint(1, 28)}日"
    yen = f"{r.randint(5, 900) * 100}円"
    turns = [("agent", f"お電話ありがとうございます。{shop}の{agent}でございます。"),
             ("customer", f"{cust}です。{day}に注文した{item}、注文番号{order}の件です。"),
             ("agent", f"ご注文番号{order}の{item}ですね。確認いたします。")]
    mood = r.randint(0, 3)
    lines = {
        0: [f"{day}に届く予定なんですが、少し確認したくて。", f"請求が{yen}だったので、合っているか教えてください。"],
        1: [f"まだ届いていないんです。{r.randint(2, 5)}回問い合わせました。", f"{yen}も払ったのに、困っています。"],
        2: [f"いい加減にしてください。{r.randint(3, 9)}日も待っているんですよ。", "どうなっているんですか。説明してください。"],
        3: ["責任者を出してください。今すぐです。", f"もう消費者センターに言いますよ。{yen}返してください。"],
    }
    for k in range(r.randint(4, 8)):
        turns.append(("customer", r.choice(lines[min(3, mood + (k > 2))]) + r.choice(["", "急いでいます。", f"{r.randint(1, 59)}分待ちました。"])))
        turns.append(("agent", r.choice([f"申し訳ございません。{r.randint(1, 9)}日以内にご連絡いたします。",
                                         f"{day}までに{item}を再発送いたします。",
                                         f"差額の{yen}はご返金いたします。"])))
    turns.append(("customer", r.choice(["わかりました。お願いします。", "本当にお願いしますよ。"])))
    turns.append(("agent", "お電話ありがとうございました。"))
    return {"call_id": f"SYN-{n:04d}", "received_at": f"2026-0{r.randint(1, 9)}-1{r.randint(0, 9)}T1{r.randint(0, 9)}:00:00+09:00",
            "turns": [{"speaker": s, "text": t, "start": 4.0 * i, "end": 4.0 * i + 3.5} for i, (s, t) in enumerate(turns)]}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """~200 varied calls as JSONL, with two bad records (invalid JSON, unknown speaker) among them."""
    r = random.Random(20261123)
    path = tmp_path_factory.mktemp("corpus") / "calls.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        for n in range(N_CALLS):
            fh.write(json.dumps(_synthetic_call(r, n), ensure_ascii=False) + "\n")
            if n == 7:
                fh.write('{"call_id": "BAD-1", "turns": [\n')  # E001, early so the comparisons see it
            if n == 120:
                fh.write(json.dumps({"call_id": "BAD-2", "turns": [{"speaker": "robot", "text": "はい"}]},
                                    ensure_ascii=False) + "\n")
    return path


def _input_ids(path: Path) -> list[str]:
    return [x.call_id for x in read(path, errors="collect") if not isinstance(x, InputError)]


def _head(path: Path, n: int) -> list:
    out = []
    for x in read(path, errors="collect"):
        out.append(x)
        if sum(not isinstance(y, InputError) for y in out) >= n:
            break
    return out


# --------------------------------------------------------------------------------------------------
# fast checks: ordering, lazy consumption, pickling


def test_ordered_keeps_order_and_window_bounds_consumption():
    """Results come back in input order even when later chunks finish first; input is read lazily."""
    consumed = 0
    in_flight = 0
    peak = 0
    lock = threading.Lock()

    def items():
        nonlocal consumed
        for i in range(500):
            consumed += 1
            yield InputError("E001", "x.jsonl", i) if i % 37 == 0 else i

    def work(ts):
        nonlocal in_flight, peak
        time.sleep(random.random() * 0.003)
        with lock:
            in_flight -= 1
        return [t * 10 for t in ts]

    with ThreadPoolExecutor(4) as pool:
        def submit(ts):
            nonlocal in_flight, peak
            with lock:
                in_flight += 1
                peak = max(peak, in_flight)
            return pool.submit(work, ts)

        out = []
        for rec in _ordered(items(), submit, window=3, chunk=8):
            out.append(rec)
            assert consumed <= len(out) + 3 * 8 + 8  # never more than the window (+ one chunk) ahead
    assert peak <= 3
    expected = [InputError("E001", "x.jsonl", i) if i % 37 == 0 else i * 10 for i in range(500)]
    assert out == expected


def test_input_error_pickles_round_trip():
    import pickle

    e = InputError("E004", "f.jsonl", 3, "turns[0].start", "c1", {"value": "x"})
    r = pickle.loads(pickle.dumps(e))
    assert r == e and r.args == e.args and str(r) == str(e)


def test_transcripts_pickle(corpus):
    import pickle

    items = _head(corpus, 3)
    assert pickle.loads(pickle.dumps(items)) == items


@needs_models
def test_analyzer_spec_is_portable_and_names_the_models(tmp_path):
    """What travels to a worker: the configuration as a dict (never a client path) and the models' hashes."""
    import pickle

    from escalyzer.config import load_config
    from escalyzer.models import default_models_dir, latest_version_dir
    from escalyzer.parallel import AnalyzerSpec

    cfg = tmp_path / "cfg.yaml"
    cfg.write_text("{}\n", encoding="utf-8")
    spec = AnalyzerSpec.of(str(cfg), portable=True)
    assert spec.config == load_config(str(cfg))
    names = dict(spec.expect_models)
    for name in ("anger_clf", "urgency_clf", "fact_emotion_clf"):
        meta = json.loads((latest_version_dir(default_models_dir(), name) / "meta.json").read_text("utf-8"))
        assert names[name] == meta["sha256"][:12]
    assert pickle.loads(pickle.dumps(spec)) == spec


# --------------------------------------------------------------------------------------------------
# jobs=2 and Dask equal jobs=1


@pytest.fixture(scope="module")
def reference(corpus, analyzer):
    """The first N_COMPARE calls (and the bad record among them), scored in process."""
    return list(analyze_stream(_head(corpus, N_COMPARE), analyzer=analyzer, jobs=1))


@needs_models
def test_jobs2_equals_jobs1(corpus, reference):
    got = list(analyze_stream(iter(_head(corpus, N_COMPARE)), jobs=2))  # workers kept for the next test
    assert any(isinstance(x, InputError) for x in got)
    assert len(got) == len(reference)
    for a, b in zip(got, reference):
        assert a == b


@needs_models
def test_killed_worker_then_resume(corpus, tmp_path, analyzer):
    """A worker process dies mid-run: the run fails, OUT stays valid, --resume completes it."""
    from joblib.externals.loky import reusable_executor

    from escalyzer.batch import score

    small = tmp_path / "calls.jsonl"
    with open(corpus, encoding="utf-8") as src, open(small, "w", encoding="utf-8") as dst:
        for n, line in enumerate(src):
            if n > N_COMPARE:
                break
            dst.write(line)
    ids = _input_ids(small)
    out = tmp_path / "out.jsonl"
    written = 0

    def kill_a_worker(n):
        nonlocal written
        written += n
        if written == 1:  # the other chunks are still in flight
            pid = next(iter(reusable_executor._executor._processes))
            os.kill(pid, signal.SIGKILL)

    try:
        with pytest.raises(Exception):  # loky's TerminatedWorkerError
            score([str(small)], str(out), jobs=2, progress=kill_a_worker)
    finally:
        shutdown_workers()
    first = _valid_prefix(out, clean=False)
    assert 1 <= len(first) < len(ids)
    summary = score([str(small)], str(out), analyzer=analyzer, resume=True)
    assert summary.skipped == len(first)
    _check_complete(out, ids)


@needs_models
def test_dask_local_cluster_equals_local(corpus, reference):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  host="127.0.0.1") as cluster:
        got = list(analyze_stream(iter(_head(corpus, N_COMPARE)), dask=cluster.scheduler_address))
    assert len(got) == len(reference)
    for a, b in zip(got, reference):
        assert a == b


# --------------------------------------------------------------------------------------------------
# kill mid-way, resume


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "from escalyzer.cli import main; main()", "score", *args]


def _complete_lines(out: Path) -> int:
    try:
        data = out.read_bytes()
    except FileNotFoundError:
        return 0
    return data.count(b"\n")


def _start_and_kill(cmd: list[str], out: Path, at_least: int, kill) -> int:
    """Start ``cmd``, wait until OUT holds ``at_least`` complete records, ``kill(proc)``; return the exit code."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 150
        while _complete_lines(out) < at_least:
            assert proc.poll() is None, f"run ended before it could be killed: {proc.stderr.read().decode()}"
            assert time.monotonic() < deadline, "no progress"
            time.sleep(0.05)
        kill(proc)
        proc.wait(timeout=60)
        return proc.returncode
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _valid_prefix(out: Path, *, clean: bool) -> list[dict]:
    """OUT is JSONL valid up to its last complete record; with ``clean`` nothing partial follows it."""
    data = out.read_bytes()
    lines = data.split(b"\n")
    tail = lines.pop()  # after the last newline: b"" or a partial record
    if clean:
        assert tail == b"", "an interrupted run left a partial last line"
    recs = [json.loads(x) for x in lines]  # every complete line parses
    assert all(isinstance(r, dict) and r.get("call_id") for r in recs)
    return recs


def _children(pid: int) -> list[int]:
    try:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    except FileNotFoundError:  # pragma: no cover
        return []
    return [int(x) for x in out.split()]


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie counts as gone
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _check_complete(out: Path, ids: list[str]) -> list[dict]:
    final = _valid_prefix(out, clean=True)
    got = [r["call_id"] for r in final]
    assert len(got) == len(set(got)), "a call was written twice"
    assert set(got) == set(ids), "a call was lost"
    assert got == ids, "input order is kept across resumed runs"
    return final


@needs_models
def test_kill_and_resume_loses_and_duplicates_nothing(corpus, tmp_path, analyzer):
    """SIGINT a run, SIGKILL the resumed one (with worker processes), resume to the end."""
    from escalyzer.batch import score

    ids = _input_ids(corpus)
    assert len(ids) == N_CALLS
    out = tmp_path / "out.jsonl"
    errs = Path(str(out) + ".errors.jsonl")
    args = [str(corpus), "-o", str(out), "--no-table"]

    # 1. Ctrl-C mid-way: the writer closes cleanly, no partial line
    rc = _start_and_kill(_cli(*args), out, 20, lambda p: p.send_signal(signal.SIGINT))
    assert rc != 0
    first = _valid_prefix(out, clean=True)
    assert 20 <= len(first) < N_CALLS

    # 2. --resume --jobs 2, the main process SIGKILLed mid-way: at most a partial last line, and the
    #    worker processes do not outlive it
    kids: list[int] = []

    def kill_main(p):
        kids.extend(k for k in _children(p.pid) if "loky" in _cmdline(k))
        p.send_signal(signal.SIGKILL)

    rc = _start_and_kill(_cli(*args, "--resume", "--jobs", "2"), out, len(first) + 20, kill_main)
    assert rc == -signal.SIGKILL
    assert kids, "no worker process was running"
    second = _valid_prefix(out, clean=False)
    assert len(second) >= len(first) + 20
    deadline = time.monotonic() + 30
    while any(_alive(k) for k in kids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(k) for k in kids), "worker processes outlived their killed run"

    # 3. --resume to the end (in process: the same code as the command, without loading models again)
    summary = score([str(corpus)], str(out), analyzer=analyzer, resume=True)
    assert summary.skipped == len(second) and summary.failed == 2
    final = _check_complete(out, ids)
    assert final[: len(second)] == second  # what was written stays as it was
    # the errors file lists each bad record once however many runs met it
    err_lines = [json.loads(x) for x in errs.read_text("utf-8").splitlines()]
    assert sorted(e["code"] for e in err_lines) == ["E001", "E003"], err_lines


@needs_models
@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_flat_outputs_resume_after_kill(fmt, corpus, tmp_path, analyzer):
    """CSV and Parquet outputs resume too: SIGKILL mid-way, then --resume completes the file with every
    call once and in input order (CSV appends in place; Parquet resumes from its journal)."""
    import pandas as pd

    from escalyzer.batch import score
    from escalyzer.writers import journal_path

    ids = _input_ids(corpus)
    out = tmp_path / f"out.{fmt}"
    watch = out if fmt == "csv" else journal_path(out)
    lines = 31 if fmt == "csv" else 30  # the CSV header is a line too
    rc = _start_and_kill(_cli(str(corpus), "-o", str(out), "--no-table"), watch, lines,
                         lambda p: p.send_signal(signal.SIGKILL))
    assert rc == -signal.SIGKILL
    if fmt == "csv":
        before = pd.read_csv(out, encoding="utf-8-sig", on_bad_lines="skip")
        assert len(before) >= 30
    else:
        assert not out.exists(), "a killed Parquet run must not leave a file without its footer"
        assert _complete_lines(watch) >= 30
    summary = score([str(corpus)], str(out), analyzer=analyzer, resume=True)
    assert summary.skipped >= 30
    df = pd.read_csv(out, encoding="utf-8-sig") if fmt == "csv" else pd.read_parquet(out)
    got = df["call_id"].tolist()
    assert len(got) == len(set(got)), "a call was written twice"
    assert got == ids, "every call once, in input order"
    assert not journal_path(out).exists()
    if fmt == "parquet":
        recs = [json.loads(r) for r in df["record"]]
        assert [r["call_id"] for r in recs] == ids


@needs_models
def test_parquet_interrupted_with_ctrl_c_is_complete_and_resumable(corpus, tmp_path, analyzer):
    """Ctrl-C closes the Parquet writer: OUT is a readable file of the calls done so far, no journal left,
    and --resume appends the rest after them."""
    import pandas as pd

    from escalyzer.batch import score
    from escalyzer.writers import journal_path

    ids = _input_ids(corpus)
    out = tmp_path / "out.parquet"
    rc = _start_and_kill(_cli(str(corpus), "-o", str(out), "--no-table"), journal_path(out), 25,
                         lambda p: p.send_signal(signal.SIGINT))
    assert rc != 0
    first = pd.read_parquet(out)["call_id"].tolist()
    assert 25 <= len(first) < len(ids) and first == ids[: len(first)]
    assert not journal_path(out).exists()
    score([str(corpus)], str(out), analyzer=analyzer, resume=True)
    assert pd.read_parquet(out)["call_id"].tolist() == ids
