"""Result writers: JSONL (the public contract), CSV and Parquet (one flat row per call).

Writers append one record at a time and flush, so an interrupted run leaves a file that is valid up
to its last complete record. JSONL and CSV are appended in place. A Parquet file cannot be read until its
footer is written, so records first go to a JSONL journal beside it (``OUT.journal.jsonl``); closing the
writer streams the previous Parquet file (when resuming) and the journal into a new file that replaces OUT
atomically, then removes the journal. A killed Parquet run leaves OUT as it was plus a valid journal, and
``--resume`` picks up both.
"""
from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any

from .levels_scale import ANGER_LABELS, URGENCY_LABELS  # noqa: F401  (re-exported)

STEPS = ("introduce", "apologize_wait", "apologize_first_response", "confirm_situation", "listen",
         "propose_solution", "apologize_delay_empathy")
SLOTS = ("who", "whom", "where", "when", "what", "how", "how_much", "how_many", "why")

SCORE_COLUMNS: list[tuple[str, str]] = [
    ("call_id", "string"), ("n_turns", "Int64"), ("received_at", "string"),
    ("anger_level", "Int64"), ("anger_label", "string"), ("urgency_level", "Int64"), ("urgency_label", "string"),
    ("escalate", "boolean"), ("escalation_types", "string"), ("escalation_reasons", "string"),
    ("route_to", "string"), ("first_flag_turn", "Int64"), ("harassment", "boolean"), ("risk", "float64"),
    ("missing_slots", "string"), ("supervisor_present", "boolean"), ("supervisor_name", "string"),
    ("handoff_turn", "Int64"), ("supervisor_score", "float64"),
    *[(f"step_{s}", "boolean") for s in STEPS],
    ("n_phrasing_findings", "Int64"), ("n_warnings", "Int64"),
]


def flatten(rec: dict[str, Any]) -> dict[str, Any]:
    """One flat row per call (the CSV/Parquet schema, :data:`SCORE_COLUMNS`)."""
    anger = rec.get("anger") or {}
    urg = rec.get("urgency") or {}
    esc = rec.get("escalation") or {}
    sup = rec.get("supervisor")
    row: dict[str, Any] = {
        "call_id": rec["call_id"], "n_turns": rec.get("n_turns"), "received_at": rec.get("received_at"),
        "anger_level": anger.get("level"), "anger_label": anger.get("label"),
        "urgency_level": urg.get("level"), "urgency_label": urg.get("label"),
        "escalate": esc.get("needed"), "escalation_types": "|".join(esc.get("types") or []),
        "escalation_reasons": "|".join(sorted({r.get("rule", "") for r in esc.get("reasons") or []})),
        "route_to": "|".join(esc.get("route_to") or []) if isinstance(esc.get("route_to"), list) else esc.get("route_to"),
        "first_flag_turn": esc.get("first_flag_turn"), "harassment": bool(esc.get("harassment")) if esc else None,
        "risk": (esc.get("risk_by_turn") or [None])[-1] if esc.get("risk_by_turn") else None,
        "missing_slots": "|".join(rec.get("missing_slots") or []),
        "supervisor_present": sup is not None,
        "supervisor_name": (sup or {}).get("name"), "handoff_turn": (sup or {}).get("handoff_turn"),
        "supervisor_score": (sup or {}).get("score"),
        "n_phrasing_findings": (sum(1 for f in (sup or {}).get("phrasing") or [] if f.get("severity") != "ok")
                                if sup is not None else None),
        "n_warnings": len(rec.get("warnings") or []),
    }
    for s in STEPS:
        step = ((sup or {}).get("steps") or {}).get(s)
        row[f"step_{s}"] = step.get("done") if step else None
    return row


class JsonlWriter:
    def __init__(self, path: str | Path, append: bool = False):
        self.path = str(path)
        self.fh = open(self.path, "a" if append else "w", encoding="utf-8", newline="\n") if self.path != "-" else None

    def write(self, rec: dict[str, Any]) -> None:
        line = json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n"
        if self.fh is None:
            import sys

            sys.stdout.write(line)
            sys.stdout.flush()
        else:
            self.fh.write(line)
            self.fh.flush()

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()


class CsvWriter:
    def __init__(self, path: str | Path, append: bool = False):
        self.path = str(path)
        exists = append and os.path.exists(self.path) and os.path.getsize(self.path) > 0
        self.fh = open(self.path, "a" if append else "w", encoding="utf-8-sig" if not exists else "utf-8", newline="")
        self.w = csv.DictWriter(self.fh, fieldnames=[c for c, _ in SCORE_COLUMNS])
        if not exists:
            self.w.writeheader()

    def write(self, rec: dict[str, Any]) -> None:
        self.w.writerow(flatten(rec))
        self.fh.flush()

    def close(self) -> None:
        self.fh.close()


def journal_path(path: str | Path) -> Path:
    """Where a Parquet writer journals records before the file is written (see the module docstring)."""
    return Path(str(path) + ".journal.jsonl")


class ParquetWriter:
    """Records go to a JSONL journal as they come; :meth:`close` writes OUT in row groups of ``batch``
    rows (the flat columns plus the full JSON record in ``record``), streaming, so memory stays flat."""

    def __init__(self, path: str | Path, batch: int = 512, append: bool = False):
        import pyarrow as pa

        self.path = str(path)
        self.batch = batch
        self.pa = pa
        fields = []
        for name, dtype in SCORE_COLUMNS:
            t = {"string": pa.string(), "int64": pa.int64(), "Int64": pa.int64(), "float64": pa.float64(),
                 "boolean": pa.bool_()}[dtype]
            fields.append(pa.field(name, t))
        fields.append(pa.field("record", pa.string()))
        self.schema = pa.schema(fields)
        self.append = append
        self.journal = journal_path(self.path)
        self.fh = open(self.journal, "a" if append else "w", encoding="utf-8", newline="\n")

    def write(self, rec: dict[str, Any]) -> None:
        self.fh.write(json.dumps(rec, ensure_ascii=False, separators=(",", ":")) + "\n")
        self.fh.flush()

    def _table(self, rows: list[dict[str, Any]]):
        flat = []
        for rec in rows:
            row = flatten(rec)
            row["record"] = json.dumps(rec, ensure_ascii=False)
            flat.append(row)
        return self.pa.Table.from_pylist(flat, schema=self.schema)

    def close(self) -> None:
        import pyarrow.parquet as pq

        self.fh.close()
        partial = self.path + ".partial"
        with pq.ParquetWriter(partial, self.schema) as w:
            if self.append and os.path.exists(self.path):
                for b in pq.ParquetFile(self.path).iter_batches(batch_size=self.batch):
                    w.write_table(self.pa.Table.from_batches([b]).cast(self.schema))
            rows: list[dict[str, Any]] = []
            for rec in _jsonl_records(self.journal):
                rows.append(rec)
                if len(rows) >= self.batch:
                    w.write_table(self._table(rows))
                    rows = []
            if rows:
                w.write_table(self._table(rows))
        os.replace(partial, self.path)
        self.journal.unlink(missing_ok=True)


def open_writer(path: str | Path, append: bool = False):
    p = str(path)
    if p.endswith(".csv"):
        return CsvWriter(p, append)
    if p.endswith((".parquet", ".pq")):
        return ParquetWriter(p, append=append)
    return JsonlWriter(p, append)


def errors_path(out: str | Path) -> str:
    out = str(out)
    return "escalyzer.errors.jsonl" if out == "-" else out + ".errors.jsonl"


def _jsonl_records(path: str | Path):
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if line:
                try:
                    yield json.loads(line)
                except json.JSONDecodeError:
                    continue  # a truncated last line from an interrupted run


def result_ids(path: str | Path) -> set[str]:
    """call_ids of the complete records in a results file (JSONL, CSV or Parquet with its journal)."""
    p = str(path)
    if p.endswith(".csv"):
        if not os.path.exists(p):
            return set()
        with open(p, encoding="utf-8-sig", newline="") as fh:
            return {row["call_id"] for row in csv.DictReader(fh) if row.get("call_id")}
    if not p.endswith((".parquet", ".pq")) and not os.path.exists(p):
        return set()
    return {r["call_id"] for r in read_results(p) if isinstance(r, dict) and "call_id" in r}


def read_results(path: str | Path):
    """Yield result records from a JSONL or Parquet results file (with a Parquet file, also the records
    of its journal that an interrupted run left; see the module docstring)."""
    p = str(path)
    if p.endswith((".parquet", ".pq")):
        import pyarrow.parquet as pq

        if os.path.exists(p):
            for batch in pq.ParquetFile(p).iter_batches(columns=["record"]):
                for r in batch.column(0).to_pylist():
                    yield json.loads(r)
        if journal_path(p).exists():
            yield from _jsonl_records(journal_path(p))
    else:
        yield from _jsonl_records(p)
