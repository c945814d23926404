"""Running the analyzer over a stream: in process, on N local worker processes, or on a Dask cluster.

Every mode gives the same records in the same order (the input's), and :class:`InputError` items
pass through in place. Input is consumed lazily: at most ``window`` chunks of ``chunk`` calls are in
flight at once, so memory stays flat whatever the input size.

- ``jobs=1`` (no ``dask``): the calling process analyses each call.
- ``jobs=N``: N worker processes (joblib's loky executor). Each worker builds its own
  :class:`~escalyzer.analyzer.Analyzer` once (no spaCy or model object is ever pickled): only the
  configuration dict and the models directory travel, and the transcripts. loky workers exit when
  their parent dies, so a killed run leaves no orphan behind.
- ``dask="tcp://HOST:8786"``: the same chunks are submitted to a Dask distributed scheduler; each
  worker (thread) keeps its Analyzer in a module-level cache, so models load once per worker.
  Workers must run the same escalyzer with the same models: each worker checks the models' sha256
  against the client's before scoring and refuses to score with different ones.
"""
from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from .errors import EscalyzerError, InputError

#: calls per task sent to a worker: large enough to amortise pickling and scheduling, small enough
#: to keep workers balanced and memory flat.
CHUNK = 8
#: chunks in flight per worker (ordered delivery waits on the oldest one; the others keep workers busy).
WINDOW_PER_WORKER = 3


@dataclass(frozen=True)
class AnalyzerSpec:
    """What a worker needs to build the same Analyzer as the client: a picklable recipe.

    ``config``: a path or a loaded configuration dict (JSON-able), or None for the defaults.
    ``models_dir``: where the models are (None: the worker's default, ``ESCALYZER_MODELS`` or bundled).
    ``expect_models``: ``{model name: sha256 prefix}`` the worker's models must match (None: no check).
    """

    config: Any = None
    models_dir: str | None = None
    expect_models: tuple[tuple[str, str], ...] | None = None

    @property
    def key(self) -> str:
        blob = json.dumps([self.config, self.models_dir], sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    @classmethod
    def of(cls, analyzer: Any = None, *, portable: bool = False) -> "AnalyzerSpec":
        """The spec of an Analyzer instance, of a spec, or of a config path/dict (None: defaults).

        ``portable`` (for remote workers): ship the configuration as a dict, never a client-side path.
        """
        if isinstance(analyzer, AnalyzerSpec):
            spec = analyzer
        elif analyzer is None or isinstance(analyzer, (str, os.PathLike, dict)):
            spec = cls(config=str(analyzer) if isinstance(analyzer, os.PathLike) else analyzer)
        else:  # an Analyzer instance
            spec = cls(config=analyzer.config, models_dir=str(analyzer.models_dir),
                       expect_models=_models_of(analyzer))
        if portable and isinstance(spec.config, str):
            from .config import load_config

            spec = AnalyzerSpec(load_config(spec.config), spec.models_dir, spec.expect_models)
        if portable and spec.models_dir is not None:
            from .models import default_models_dir

            if Path(spec.models_dir) == default_models_dir():  # the client's default: workers use theirs
                spec = AnalyzerSpec(spec.config, None, spec.expect_models or _expected_models(spec.models_dir))
        if spec.expect_models is None:
            spec = AnalyzerSpec(spec.config, spec.models_dir, _expected_models(spec.models_dir))
        return spec


def _models_of(analyzer: Any) -> tuple[tuple[str, str], ...] | None:
    try:
        return tuple(sorted((k, v["sha256"]) for k, v in analyzer.info()["models"].items()))
    except Exception:  # pragma: no cover - an analyzer without info()
        return None


def _expected_models(models_dir: str | None) -> tuple[tuple[str, str], ...] | None:
    """The sha256 prefixes of the models the client would load (read from meta.json: nothing is loaded)."""
    from .models import default_models_dir, latest_version_dir

    md = Path(models_dir) if models_dir else default_models_dir()
    out = []
    for name in ("anger_clf", "urgency_clf", "fact_emotion_clf"):
        try:
            meta = json.loads((latest_version_dir(md, name) / "meta.json").read_text("utf-8"))
        except Exception:
            return None  # the client has no models here: the workers' own are used unchecked
        out.append((name, str(meta.get("sha256", ""))[:12]))
    return tuple(sorted(out))


# -- worker side ---------------------------------------------------------------------------------
_LOCAL = threading.local()  # one Analyzer per worker thread (spaCy pipelines are not thread-safe)


def worker_analyzer(spec: AnalyzerSpec):
    """The Analyzer of ``spec`` in this worker (thread), built on first use and kept."""
    cache = getattr(_LOCAL, "analyzers", None)
    if cache is None:
        cache = _LOCAL.analyzers = {}
    az = cache.get(spec.key)
    if az is None:
        from .analyzer import Analyzer

        az = Analyzer(config=spec.config, models_dir=spec.models_dir)
        if spec.expect_models is not None:
            have = _models_of(az)
            if have is not None and have != spec.expect_models:
                raise EscalyzerError(
                    f"[E021] worker {os.uname().nodename}:{os.getpid()} has different models {dict(have)} "
                    f"than the client {dict(spec.expect_models)}: install the same models on every worker "
                    "(or set ESCALYZER_MODELS there)")
        cache.clear()  # one analyzer per worker: a new spec replaces the old one
        cache[spec.key] = az
    return az


def _exit_with_parent(parent: int, every: float = 0.5) -> None:
    """Worker side: end this process as soon as ``parent`` is gone (killed with SIGKILL, say).

    A worker orphaned by a killed run would otherwise finish loading, wait for work that never comes
    and hold its memory until loky's idle timeout.
    """
    def watch():
        while True:
            time.sleep(every)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, name="escalyzer-parent-watch", daemon=True).start()


def _warm(spec: AnalyzerSpec, parent: int | None = None) -> None:
    """Process-pool initializer: watch the parent, build the Analyzer as the worker starts."""
    if parent is not None:
        _exit_with_parent(parent)
    worker_analyzer(spec)


def _redactor(redact: bool):
    if not redact:
        return None
    from .redact import redact_record

    return redact_record


def _finish(rec: dict[str, Any], redact_record, transcript: Any = None) -> dict[str, Any]:
    if redact_record is not None:
        rec = redact_record(rec, transcript)  # with the call, whole turns are masked consistently
    return rec


def analyze_batch(spec: AnalyzerSpec, transcripts: list[Any], redact: bool = False) -> list[dict[str, Any]]:
    """Worker task: analyse a chunk of transcripts (no InputError among them) in order."""
    az = worker_analyzer(spec)
    red = _redactor(redact)
    return [_finish(az.analyze(t), red, t) for t in transcripts]


# -- client side ---------------------------------------------------------------------------------
def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    it = iter(items)
    while True:
        chunk = list(islice(it, size))
        if not chunk:
            return
        yield chunk


def _merge(chunk: list[Any], results: list[Any]) -> Iterator[Any]:
    """The chunk's items in order: InputErrors as they were, transcripts replaced by their records."""
    res = iter(results)
    for item in chunk:
        yield item if isinstance(item, InputError) else next(res)


def _ordered(items: Iterable[Any], submit, window: int, chunk: int, cancel=None) -> Iterator[Any]:
    """Submit chunks (``submit(transcripts) -> future``) keeping ``window`` in flight; yield in order."""
    pending: deque[tuple[list[Any], Any]] = deque()
    chunks = _chunks(items, chunk)
    try:
        for c in chunks:
            tasks = [x for x in c if not isinstance(x, InputError)]
            pending.append((c, submit(tasks) if tasks else None))
            while len(pending) >= window:
                c0, fut = pending.popleft()
                yield from _merge(c0, fut.result() if fut is not None else [])
        while pending:
            c0, fut = pending.popleft()
            yield from _merge(c0, fut.result() if fut is not None else [])
    finally:
        if pending and cancel is not None:  # interrupted or failed: drop the work still queued
            cancel([f for _, f in pending if f is not None])


def n_jobs(jobs: int) -> int:
    """``jobs`` as a worker count: N, or for N ≤ 0 all cores but |N| (0 and -1: every core)."""
    if jobs >= 1:
        return jobs
    return max(1, (os.cpu_count() or 1) + jobs) if jobs < 0 else (os.cpu_count() or 1)


def _pool_stream(items, spec: AnalyzerSpec, jobs: int, redact: bool, chunk: int) -> Iterator[Any]:
    from joblib.externals.loky import get_reusable_executor

    ex = get_reusable_executor(max_workers=jobs, initializer=_warm, initargs=(spec, os.getpid()), timeout=300)

    def cancel(futs):
        for f in futs:
            f.cancel()

    yield from _ordered(items, lambda ts: ex.submit(analyze_batch, spec, ts, redact),
                        window=jobs * WINDOW_PER_WORKER, chunk=chunk, cancel=cancel)


def _dask_stream(items, spec: AnalyzerSpec, address: Any, redact: bool, chunk: int) -> Iterator[Any]:
    try:
        from distributed import Client
    except ImportError:
        raise EscalyzerError("--dask needs Dask distributed: pip install 'escalyzer[cluster]'") from None
    own = not isinstance(address, Client)
    try:
        client = Client(address, set_as_default=False) if own else address
    except (OSError, TimeoutError) as exc:
        raise EscalyzerError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    try:
        threads = sum(client.nthreads().values())  # workers should be up before the run starts
        window = max(4, WINDOW_PER_WORKER * max(threads, 1))
        run = uuid.uuid4().hex[:12]
        count = iter(range(1 << 62))

        def submit(ts):
            return client.submit(analyze_batch, spec, ts, redact, pure=False,
                                 key=f"escalyzer-score-{run}-{next(count)}")

        yield from _ordered(items, submit, window=window, chunk=chunk, cancel=lambda fs: client.cancel(fs))
    finally:
        if own:
            client.close()


def analyze_stream(items: Iterable[Any], *, analyzer=None, jobs: int = 1, dask: str | None = None,
                   redact: bool = False) -> Iterator[Any]:
    """Analyse a stream of transcripts (and InputErrors, passed through) into records, in input order.

    ``analyzer``: an :class:`~escalyzer.analyzer.Analyzer` (used as is with ``jobs=1``; with workers,
    its configuration and models directory are what each worker rebuilds), an :class:`AnalyzerSpec`,
    a config path or dict, or None (defaults). ``jobs``: worker processes (see :func:`n_jobs`).
    ``dask``: a scheduler address ``tcp://HOST:8786`` (or a ``distributed.Client``); overrides ``jobs``.
    ``redact``: mask personal data in every record (:func:`escalyzer.redact.redact_record`).
    """
    red = _redactor(redact)  # fail before any work when --redact cannot be honoured
    jobs = n_jobs(jobs)
    if dask:
        yield from _dask_stream(items, AnalyzerSpec.of(analyzer, portable=True), dask, redact, CHUNK)
        return
    if jobs > 1:
        yield from _pool_stream(items, AnalyzerSpec.of(analyzer), jobs, redact, CHUNK)
        return
    if analyzer is None or isinstance(analyzer, (AnalyzerSpec, str, os.PathLike, dict)):
        spec = AnalyzerSpec.of(analyzer)
        from .analyzer import Analyzer

        analyzer = Analyzer(config=spec.config, models_dir=spec.models_dir)
    for item in items:
        if isinstance(item, InputError):
            yield item
        else:
            rec = analyzer.analyze(item)
            if redact:
                rec = _finish(rec, red, item)  # redaction: escalyzer.redact.redact_record (lazy import above)
            yield rec


def shutdown_workers() -> None:
    """Stop the local worker processes kept for reuse by ``jobs=N`` (they also exit when idle for 5 min)."""
    from joblib.externals.loky import reusable_executor

    ex = reusable_executor._executor
    if ex is not None:
        ex.shutdown(wait=True)
