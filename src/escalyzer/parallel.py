"""Running the analyzer over a stream: in process (jobs=1)."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from .errors import InputError


def analyze_stream(items: Iterable[Any], *, analyzer=None, jobs: int = 1, dask: str | None = None,
                   redact: bool = False) -> Iterator[Any]:
    if analyzer is None:
        from .analyzer import Analyzer

        analyzer = Analyzer()
    for item in items:
        if isinstance(item, InputError):
            yield item
        else:
            yield analyzer.analyze(item)
