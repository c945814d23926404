"""Streaming batch scoring: inputs are read lazily, results written as they come.

Good calls are scored and written; bad records go to ``OUT.errors.jsonl`` (one JSON object per error,
naming file, line, field and code) and are counted. ``strict`` stops at the first error.
"""
from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path


from .errors import InputError
from .linking import CustomerLinker
from .readers import read
from .speakers import SpeakerMap
from .writers import errors_path, journal_path, open_writer, read_results, result_ids


@dataclass
class BatchSummary:
    scored: int = 0
    failed: int = 0
    skipped: int = 0
    escalations: int = 0
    elapsed: float = 0.0
    errors_file: str | None = None
    error_samples: list[str] = field(default_factory=list)

    def line(self) -> str:
        s = (f"scored {self.scored} calls, failed {self.failed}, escalations flagged {self.escalations}, "
             f"elapsed {self.elapsed:.1f}s")
        if self.skipped:
            s += f", skipped {self.skipped} already in the output (--resume)"
        if self.failed and self.errors_file:
            s += f"; errors in {self.errors_file}"
        return s


def completed_ids(out: str | Path) -> set[str]:
    """call_ids already complete in OUT (a truncated last line does not count)."""
    return result_ids(out)


def _error_keys(path: Path) -> set[str]:
    """The error records already in ``OUT.errors.jsonl`` (so that a resumed run does not repeat them)."""
    keys: set[str] = set()
    if path.exists():
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                try:
                    keys.add(json.dumps(json.loads(line), sort_keys=True, ensure_ascii=False))
                except json.JSONDecodeError:
                    continue
    return keys


def _truncate_partial_line(path: Path) -> None:
    """Drop an incomplete last line left by an interrupted run, so appending keeps the file valid."""
    if path.suffix in (".parquet", ".pq"):
        path = journal_path(path)  # Parquet resumes from its journal
    if not path.exists():
        return
    with open(path, "r+b") as fh:  # read backwards from the end: the file may be large
        end = fh.seek(0, os.SEEK_END)
        pos = end
        while pos > 0:
            step = min(1 << 16, pos)
            fh.seek(pos - step)
            block = fh.read(step)
            if pos == end and block.endswith(b"\n"):
                return  # complete
            cut = block.rfind(b"\n")
            if cut >= 0:
                fh.truncate(pos - step + cut + 1)
                return
            pos -= step
        if end:
            fh.truncate(0)  # not one complete line


def _has_journal(out: str) -> bool:
    return out.endswith((".parquet", ".pq")) and journal_path(out).exists()


def score(inputs: Iterable[str], out: str, *, analyzer=None, encoding: str | None = None, strict: bool = False,
          resume: bool = False, jobs: int = 1, dask: str | None = None, speaker_map: str | None = None,
          redact: bool = False, progress: Callable[[int], None] | None = None) -> BatchSummary:
    from .parallel import analyze_stream

    t0 = time.perf_counter()
    summary = BatchSummary()
    outp = Path(out) if out != "-" else None
    done: set[str] = set()
    err_path = errors_path(out)
    err_seen: set[str] = set()
    if resume and outp is not None:
        _truncate_partial_line(outp)
        done = completed_ids(outp)
        # errors are found again on every read of the inputs: keep those already reported once
        _truncate_partial_line(Path(err_path))
        err_seen = _error_keys(Path(err_path))
    writer = open_writer(out, append=bool(resume and (done or _has_journal(out))))
    err_fh = None
    speakers = SpeakerMap(speaker_map) if speaker_map else None
    linker = CustomerLinker()

    def items():
        for item in read(list(inputs), encoding=encoding, speakers=speakers, errors="collect"):
            if not isinstance(item, InputError) and item.call_id in done:
                summary.skipped += 1
                continue
            yield item

    try:
        for rec in analyze_stream(items(), analyzer=analyzer, jobs=jobs, dask=dask, redact=redact):
            if isinstance(rec, InputError):
                if strict:
                    raise rec
                summary.failed += 1
                summary.errors_file = err_path
                err = rec.to_dict()
                if json.dumps(err, sort_keys=True, ensure_ascii=False) not in err_seen:
                    if err_fh is None:
                        err_fh = open(err_path, "a" if resume else "w", encoding="utf-8")
                    err_fh.write(json.dumps(err, ensure_ascii=False) + "\n")
                    err_fh.flush()
                if len(summary.error_samples) < 5:
                    summary.error_samples.append(rec.message)
                continue
            linker.link(rec)
            writer.write(rec)
            summary.scored += 1
            summary.escalations += bool((rec.get("escalation") or {}).get("needed"))
            if progress:
                progress(1)
    finally:
        writer.close()
        if err_fh is not None:
            err_fh.close()
        summary.elapsed = time.perf_counter() - t0
    return summary


def print_table(records_path: str, limit: int = 50, file=sys.stdout) -> None:
    """A readable per-call table (rich) of a results file."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"escalyzer: {records_path}", show_lines=False)
    for col in ("call", "anger", "urgency", "escalate", "kinds", "route", "flag@turn", "supervisor", "missing 6W3H"):
        table.add_column(col)
    for n, rec in enumerate(read_results(records_path)):
        if n >= limit:
            break
        a, u, e, s = rec.get("anger") or {}, rec.get("urgency") or {}, rec.get("escalation") or {}, rec.get("supervisor")
        table.add_row(rec["call_id"], f"{a.get('level')} {a.get('label')}", f"{u.get('level')} {u.get('label')}",
                      "yes" if e.get("needed") else "no", ",".join(e.get("types") or []) or "-",
                      ",".join(e.get("route_to") or []) or "-",
                      str(e.get("first_flag_turn")) if e.get("first_flag_turn") is not None else "-",
                      f"{s.get('score')}" if s else "-", ",".join(rec.get("missing_slots") or []) or "-")
    Console(file=file, width=160).print(table)
