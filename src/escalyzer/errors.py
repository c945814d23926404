"""Coded errors, after spaCy's ``Errors`` table: tests and logs match on codes, not prose.

Every input error names *where* (file, line or record) and *what* (field), so that a user can fix
the input without reading code.
"""
from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

CODES: dict[str, str] = {
    "E001": "invalid JSON: {detail}",
    "E002": "missing required field",
    "E003": "unknown speaker label {value!r} (add it to a speaker alias file or use --speaker-map)",
    "E004": "time is not a number: {value!r}",
    "E005": "time is negative: {value!r}",
    "E006": "end ({end}) is before start ({start})",
    "E007": "empty text",
    "E008": "duplicate call_id {value!r} (first seen at {first})",
    "E009": "cannot decode bytes as {encoding}: {detail}; try --encoding cp932 or --encoding euc-jp",
    "E010": "empty input: no calls found",
    "E011": "unrecognised input format: {detail}",
    "E012": "wrong type: expected {expected}, got {got}",
    "E013": "a call has no turns",
    "E014": "invalid date-time {value!r} (expected ISO 8601, e.g. 2026-11-18T14:05:00+09:00)",
    "E015": "text looks like mojibake (wrong encoding?): {detail}; try --encoding",
    "E016": "CSV header has no {detail} column",
    "E020": "model file {path} failed verification: {detail}",
    "E021": "model not found: {path}",
    "E030": "resource file {path}:{line}: {detail}",
    "E040": "invalid configuration {path}: {detail}",
    "E050": "training data {path}:{line}: {detail}",
}


class EscalyzerError(Exception):
    """Base class of every error escalyzer raises on purpose."""


@dataclass
class InputError(EscalyzerError):
    """A problem with user input, located precisely.

    Attributes
    ----------
    code: the error code from :data:`CODES`.
    file: the input path ("<stdin>" for standard input).
    line: 1-based line (JSONL/CSV/text) or record number (JSON arrays), when known.
    field: the field at fault (``turns[3].start``), when known.
    call_id: the call the record belongs to, when known.
    """

    code: str
    file: str | None = None
    line: int | None = None
    field: str | None = None
    call_id: str | None = None
    params: dict[str, Any] = dc_field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    @property
    def detail(self) -> str:
        template = CODES.get(self.code, "{detail}")
        try:
            return template.format(**self.params)
        except (KeyError, IndexError, ValueError):
            return template

    @property
    def message(self) -> str:
        where = self.file or "<input>"
        if self.line is not None:
            where += f":{self.line}"
        parts = [f"[{self.code}] {where}"]
        if self.call_id:
            parts.append(f"call {self.call_id}")
        if self.field:
            parts.append(f"field {self.field}")
        return ", ".join(parts) + f": {self.detail}"

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):
        # Exception pickling rebuilds from ``args`` (the message) and would garble ``args``: rebuild from
        # the fields instead, so an InputError crosses process boundaries (--jobs, --dask) unchanged.
        return (self.__class__, (self.code, self.file, self.line, self.field, self.call_id, self.params))

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "file": self.file, "line": self.line, "field": self.field,
                "call_id": self.call_id, "message": self.message}


class ModelError(EscalyzerError):
    """A model file is missing, foreign or tampered with."""


class ResourceError(EscalyzerError):
    """A bundled or user-supplied data file (lexicon, rules, config) is invalid."""
