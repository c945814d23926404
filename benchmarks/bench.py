"""escalyzer throughput, memory and cold-start benchmark (a script, not a test).

One run, on the same synthetic text (``benchmarks/corpus.py``: combinatorial fragments with random
names, numbers and dates, so no two calls are alike and no cache can flatter the figures), prints:

1. raw fugashi + unidic-lite tokenization throughput (characters/second): the floor nothing beats;
2. escalyzer's full analysis throughput (characters/second, calls/second) with ``--jobs 1`` and
   ``--jobs 2``, and its ratio to the raw tokenization (steady state: models already loaded; the
   same code path as ``escalyzer score``: read, analyse, write JSONL);
3. peak RSS of ``escalyzer score`` on 1,000 and on 20,000 calls (a fresh process each, ``--jobs 1``);
4. cold start: ``escalyzer score`` on one call, process start to exit;
5. optionally (``--profile``) the pyinstrument profile's top entries for analysis and cold start.

Usage::

    python benchmarks/bench.py                      # the full run (5,000 calls; RSS at 1,000 and 20,000)
    python benchmarks/bench.py --calls 500 --quick  # a quick run for development
    python benchmarks/bench.py --profile            # and write the profiles into --workdir

Set ``ESCALYZER_MODELS`` if the trained models are not in ``models/``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpus import write_corpus  # noqa: E402

TARGETS = {"ratio_jobs1": 0.25, "speedup_jobs2": 1.7, "rss_growth": 0.10, "cold_start_s": 3.0}


# -- machine ----------------------------------------------------------------------------------------
def machine() -> dict:
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "?"
    try:
        for line in open("/proc/meminfo", encoding="utf-8"):
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    from importlib.metadata import version

    vers = {}
    for p in ("escalyzer", "spacy", "fugashi", "unidic-lite", "scikit-learn", "numpy", "joblib"):
        try:
            vers[p] = version(p)
        except Exception:
            vers[p] = None
    return {"nproc": os.cpu_count(), "cpu": cpu, "ram": ram, "python": platform.python_version(),
            "load_average": os.getloadavg(), "packages": vers}


# -- corpus -----------------------------------------------------------------------------------------
def turn_texts(path: Path) -> list[str]:
    out = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            out.extend(t["text"] for t in json.loads(line)["turns"])
    return out


def head(src: Path, dst: Path, n: int) -> Path:
    with open(src, encoding="utf-8") as a, open(dst, "w", encoding="utf-8") as b:
        for i, line in enumerate(a):
            if i >= n:
                break
            b.write(line)
    return dst


# -- 1. raw tokenization ----------------------------------------------------------------------------
def raw_tokenization(texts: list[str], repeat: int = 3) -> dict:
    """Best of ``repeat`` passes of fugashi's Tagger (unidic-lite) over every turn, as escalyzer sees them."""
    import fugashi

    tagger = fugashi.Tagger()
    chars = sum(map(len, texts))
    res, cpu = {}, {}
    for name, fn in (("surfaces", lambda x: [n.surface for n in tagger(x)]),
                     ("surfaces+features", lambda x: [(n.surface, n.feature.lemma, n.feature.pos1) for n in tagger(x)])):
        best = best_cpu = float("inf")
        for _ in range(repeat):
            c0, t0 = time.process_time(), time.perf_counter()
            for x in texts:
                fn(x)
            best = min(best, time.perf_counter() - t0)
            best_cpu = min(best_cpu, time.process_time() - c0)
        res[name], cpu[name] = chars / best, chars / best_cpu
    return {"chars": chars, "chars_per_s": res["surfaces"], "chars_per_cpu_s": cpu["surfaces"],
            "chars_per_s_with_features": res["surfaces+features"]}


# -- 2. full analysis -------------------------------------------------------------------------------
def full_analysis(corpus: Path, chars: int, n_calls: int, jobs: int, out_dir: Path, analyzer=None) -> dict:
    """``batch.score`` (read -> analyse -> write JSONL), models already loaded (workers warmed first)."""
    from escalyzer.batch import score

    if jobs > 1:  # warm the worker pool: each worker loads its Analyzer once, before the clock starts
        warm = head(corpus, out_dir / "warm.jsonl", 4 * jobs)
        score([str(warm)], str(out_dir / "warm.out.jsonl"), jobs=jobs)
    out = out_dir / f"jobs{jobs}.jsonl"
    workers = worker_pids() if jobs > 1 else []
    w0 = sum(proc_cpu(p) for p in workers)
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    s = score([str(corpus)], str(out), analyzer=analyzer if jobs == 1 else None, jobs=jobs)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    wcpu = sum(proc_cpu(p) for p in workers) - w0
    assert s.scored == n_calls, s.line()
    r = {"jobs": jobs, "wall_s": wall, "main_cpu_s": cpu, "calls_per_s": n_calls / wall, "chars_per_s": chars / wall,
         "load_average": os.getloadavg()[0]}
    if jobs == 1:
        r["chars_per_cpu_s"] = chars / cpu
    else:
        r["workers_cpu_s"] = wcpu
        r["worker_busy"] = wcpu / (jobs * wall)  # 1.0: every worker computed all the time
    return r


def worker_pids() -> list[int]:
    from joblib.externals.loky import reusable_executor

    ex = reusable_executor._executor
    return list(ex._processes) if ex is not None else []


def proc_cpu(pid: int) -> float:
    """user+system CPU seconds of a live process (Linux /proc)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            f = fh.read().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def same_output(a: Path, b: Path) -> bool:
    return a.read_bytes() == b.read_bytes()


# -- 3. peak RSS ------------------------------------------------------------------------------------
def escalyzer_cmd(*args: str) -> list[str]:
    exe = shutil.which("escalyzer", path=str(Path(sys.executable).parent)) or shutil.which("escalyzer")
    return [exe, *args] if exe else [sys.executable, "-m", "escalyzer", *args]


_RUSAGE_WRAPPER = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
                   "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE); "
                   "w = time.perf_counter() - t; u = resource.getrusage(resource.RUSAGE_CHILDREN); "
                   "print(r.returncode, u.ru_maxrss, w, u.ru_utime + u.ru_stime); sys.stderr.write(r.stderr.decode())")


def run_measured(cmd: list[str]) -> dict:
    """Run ``cmd`` under a fresh wrapper: its max RSS (getrusage RUSAGE_CHILDREN) and wall time."""
    p = subprocess.run([sys.executable, "-c", _RUSAGE_WRAPPER, *cmd], capture_output=True, text=True)
    rc, rss_kb, wall, cpu = p.stdout.split()
    if int(rc) not in (0, 1):
        raise RuntimeError(f"{' '.join(cmd)} failed ({rc}): {p.stderr[-2000:]}")
    return {"rss_mb": int(rss_kb) / 1024, "wall_s": float(wall), "cpu_s": float(cpu)}


def peak_rss(corpus: Path, n: int, out_dir: Path) -> dict:
    out = out_dir / f"rss{n}.jsonl"
    r = run_measured(escalyzer_cmd("score", str(corpus), "-o", str(out), "--no-table"))
    with open(out, "rb") as fh:
        r["records"] = sum(1 for _ in fh)
    r["calls"] = n
    return r


# -- 4. cold start ----------------------------------------------------------------------------------
def cold_start(one: Path, out_dir: Path, repeat: int = 3) -> dict:
    walls = []
    for i in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(escalyzer_cmd("score", str(one), "-o", str(out_dir / f"cold{i}.jsonl"), "--no-table"),
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        walls.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    subprocess.run(escalyzer_cmd("--help"), stdout=subprocess.DEVNULL, check=False)
    help_s = time.perf_counter() - t0
    return {"min_s": min(walls), "median_s": statistics.median(walls), "help_s": help_s}


def import_time_top(n: int = 8) -> list[tuple[str, float]]:
    """``python -X importtime -m escalyzer --help``: the slowest imports (cumulative ms)."""
    p = subprocess.run([sys.executable, "-X", "importtime", "-m", "escalyzer", "--help"], capture_output=True, text=True)
    rows = []
    for line in p.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cum, name = line[len("import time:"):].split("|")
            try:
                rows.append((name.rstrip(), int(cum) / 1000))
            except ValueError:
                continue
    rows.sort(key=lambda r: -r[1])
    return rows[:n]


# -- 5. profiles ------------------------------------------------------------------------------------
def profile_analysis(corpus: Path, analyzer, n: int, out_dir: Path) -> Path:
    from pyinstrument import Profiler

    from escalyzer.readers import read

    calls = []
    for t in read(str(corpus)):
        calls.append(t)
        if len(calls) >= n:
            break
    prof = Profiler(interval=0.001)
    prof.start()
    for t in calls:
        analyzer.analyze(t)
    prof.stop()
    path = out_dir / "profile_analysis.txt"
    path.write_text(prof.output_text(unicode=True, show_all=False), "utf-8")
    return path


def profile_cold_start(one: Path, out_dir: Path) -> Path:
    path = out_dir / "profile_cold_start.txt"
    cmd = [sys.executable, "-m", "pyinstrument", "--interval", "0.001", "-o", str(path), "-m", "escalyzer",
           "score", str(one), "-o", str(out_dir / "cold_prof.jsonl"), "--no-table"]
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return path


# -- main -------------------------------------------------------------------------------------------
def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main() -> int:
    ap = argparse.ArgumentParser(description="escalyzer benchmark (see the module docstring)")
    ap.add_argument("--calls", type=int, default=5000, help="calls for the throughput runs (default 5000)")
    ap.add_argument("--rss-small", type=int, default=1000, help="calls of the small peak-RSS run (default 1000)")
    ap.add_argument("--rss-large", type=int, default=20000, help="calls of the large peak-RSS run (default 20000)")
    ap.add_argument("--quick", action="store_true", help="small RSS runs (200/2000) and one cold start")
    ap.add_argument("--skip-rss", action="store_true", help="skip the peak-RSS runs")
    ap.add_argument("--profile", action="store_true", help="pyinstrument profiles of analysis and cold start")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workdir", default=None, help="where corpora and outputs go (default: a temp dir)")
    ap.add_argument("--json", dest="json_out", default=None, help="also write every figure to this JSON file")
    a = ap.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # progress shows as it goes, even into a file
    if a.quick:
        a.rss_small, a.rss_large = min(a.rss_small, 200), min(a.rss_large, 2000)

    work = Path(a.workdir or tempfile.mkdtemp(prefix="escalyzer-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    res: dict = {"machine": machine(), "args": vars(a)}
    m = res["machine"]
    print(f"machine: nproc {m['nproc']}, {m['cpu']}, RAM {m['ram']}, Python {m['python']}, "
          f"load average {m['load_average'][0]:.2f}")
    print("packages: " + ", ".join(f"{k} {v}" for k, v in m["packages"].items()))

    big_n = max(a.calls, a.rss_large if not a.skip_rss else 0, a.rss_small if not a.skip_rss else 0)
    big = work / f"corpus_all{big_n}.jsonl"
    t0 = time.perf_counter()
    write_corpus(str(big), big_n, a.seed)
    corpus = head(big, work / f"corpus{a.calls}.jsonl", a.calls)
    texts = turn_texts(corpus)
    chars = sum(map(len, texts))
    print(f"corpus: {a.calls} calls, {len(texts)} turns, {chars} characters "
          f"({len(set(texts)) / len(texts):.0%} of turns unique; built in {time.perf_counter() - t0:.1f}s) -> {corpus}")

    # 1. raw tokenization
    raw = raw_tokenization(texts)
    res["raw"] = raw
    print(f"\n[1] raw fugashi+unidic-lite tokenization: {raw['chars_per_s']:,.0f} chars/s "
          f"({raw['chars_per_cpu_s']:,.0f} per CPU-second) "
          f"(reading lemma+pos features too: {raw['chars_per_s_with_features']:,.0f} chars/s)")

    # 2. full analysis
    from escalyzer.analyzer import Analyzer

    t0 = time.perf_counter()
    az = Analyzer()
    load_s = time.perf_counter() - t0
    j1 = full_analysis(corpus, chars, a.calls, 1, work, analyzer=az)
    j2 = full_analysis(corpus, chars, a.calls, 2, work)
    from escalyzer.parallel import shutdown_workers

    shutdown_workers()
    identical = same_output(work / "jobs1.jsonl", work / "jobs2.jsonl")
    ratio = j1["chars_per_s"] / raw["chars_per_s"]
    ratio_cpu = j1["chars_per_cpu_s"] / raw["chars_per_cpu_s"]
    speedup = j2["calls_per_s"] / j1["calls_per_s"]
    res.update(analyzer_load_s=load_s, jobs1=j1, jobs2=j2, ratio_jobs1=ratio, ratio_jobs1_cpu=ratio_cpu,
               speedup_jobs2=speedup, jobs2_identical=identical)
    print(f"\n[2] full analysis (models loaded once: {load_s:.1f}s, not counted)")
    for j in (j1, j2):
        extra = (f"{j['chars_per_cpu_s']:,.0f} chars per CPU-second" if j["jobs"] == 1 else
                 f"main process {j['main_cpu_s']:.1f} CPU-s, workers {j['workers_cpu_s']:.1f} CPU-s, "
                 f"workers busy {j['worker_busy']:.0%} of the time")
        print(f"    --jobs {j['jobs']}: {j['chars_per_s']:,.0f} chars/s, {j['calls_per_s']:.1f} calls/s "
              f"({j['wall_s']:.1f}s wall; {extra}; load average {j['load_average']:.1f}), "
              f"ratio to raw tokenization {j['chars_per_s'] / raw['chars_per_s']:.3f}")
    print(f"    ratio --jobs 1 / raw = {ratio:.3f} wall-clock, {ratio_cpu:.3f} in CPU time "
          f"(target >= {TARGETS['ratio_jobs1']}: {verdict(max(ratio, ratio_cpu) >= TARGETS['ratio_jobs1'])})")
    print(f"    speed-up --jobs 2 / --jobs 1 = {speedup:.2f}x (target >= {TARGETS['speedup_jobs2']}: "
          f"{verdict(speedup >= TARGETS['speedup_jobs2'])}); outputs identical: {identical}")

    # 3. peak RSS
    if not a.skip_rss:
        small = head(big, work / f"rss_corpus{a.rss_small}.jsonl", a.rss_small)
        large = head(big, work / f"rss_corpus{a.rss_large}.jsonl", a.rss_large)
        r1 = peak_rss(small, a.rss_small, work)
        r2 = peak_rss(large, a.rss_large, work)
        growth = r2["rss_mb"] / r1["rss_mb"] - 1
        res.update(rss_small=r1, rss_large=r2, rss_growth=growth)
        print(f"\n[3] peak RSS (escalyzer score --jobs 1, fresh process each)")
        for r in (r1, r2):
            print(f"    {r['calls']:>6} calls: {r['rss_mb']:.0f} MB (run {r['wall_s']:.0f}s, {r['records']} records)")
        print(f"    growth {growth:+.1%} (target within {TARGETS['rss_growth']:.0%}: {verdict(abs(growth) <= TARGETS['rss_growth'])})")

    # 4. cold start
    one = head(corpus, work / "one.jsonl", 1)
    cs = cold_start(one, work, repeat=1 if a.quick else 3)
    res["cold_start"] = cs
    res["import_time_top"] = import_time_top()
    print(f"\n[4] cold start, escalyzer score on one call: {cs['min_s']:.2f}s best, {cs['median_s']:.2f}s median "
          f"(target < {TARGETS['cold_start_s']}s: {verdict(cs['min_s'] < TARGETS['cold_start_s'])}); "
          f"escalyzer --help: {cs['help_s']:.2f}s")
    print("    slowest imports of `python -X importtime -m escalyzer --help` (cumulative): "
          + ", ".join(f"{n.strip()} {ms:.0f}ms" for n, ms in res["import_time_top"][:5]))

    # 5. profiles
    if a.profile:
        p1 = profile_analysis(corpus, az, min(a.calls, 300), work)
        p2 = profile_cold_start(one, work)
        res["profiles"] = [str(p1), str(p2)]
        print(f"\n[5] profiles: {p1} and {p2}")
        for p in (p1, p2):
            lines = p.read_text("utf-8").splitlines()
            print(f"--- {p.name} (top) ---")
            print("\n".join(lines[:45]))

    res["machine"]["load_average_end"] = os.getloadavg()
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f} (figures on a busy machine understate throughput)")
    if a.json_out:
        Path(a.json_out).write_text(json.dumps(res, indent=1, ensure_ascii=False, default=str) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
