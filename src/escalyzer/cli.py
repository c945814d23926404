"""The ``escalyzer`` command: a thin click layer over the library.

Library errors become ``click.ClickException`` here only. Each command's docstring is its help and
ends with an example.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from . import __version__
from .errors import EscalyzerError


def _fail(exc: Exception) -> click.ClickException:
    return click.ClickException(str(exc))


def input_options(f):
    f = click.option("--encoding", default=None, help="Force the input encoding (utf-8, cp932, euc-jp); detected by default.")(f)
    f = click.option("--speaker-map", type=click.Path(exists=True, dir_okay=False), default=None,
                     help="YAML file of extra speaker aliases or participant ids -> customer|agent|supervisor.")(f)
    f = click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False), default=None,
                     help="YAML file overriding the default configuration.")(f)
    f = click.option("--redact", is_flag=True, help="Mask personal data (phones, e-mails, card/account/contract numbers, addresses, names) in every output.")(f)
    return f


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="escalyzer")
def cli():
    """escalyzer: when, why and how a Japanese contact-centre call must be escalated."""


@cli.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("-o", "--output", "out", required=True, help="Results file: .jsonl, .csv or .parquet (- for stdout JSONL).")
@click.option("--jobs", "-j", default=1, show_default=True, help="Worker processes.")
@click.option("--dask", default=None, help="Dask scheduler address (tcp://HOST:8786) to run on a cluster.")
@click.option("--resume", is_flag=True, help="Skip call_ids already complete in OUT and append the rest.")
@click.option("--strict", is_flag=True, help="Stop at the first bad record.")
@click.option("--table/--no-table", default=None, help="Print a per-call table (default: when stdout is a terminal or for small runs).")
@input_options
def score(inputs, out, jobs, dask, resume, strict, table, encoding, speaker_map, config_path, redact):
    """Score call transcripts: anger, urgency, 6W3H, escalation, supervisor steps.

    INPUTS are files, directories, globs or - (stdin). Bad records go to OUT.errors.jsonl and the
    exit status is 1 when any failed.

    Example:

        escalyzer score data/samples/calls.jsonl -o out/results.jsonl
    """
    from .analyzer import Analyzer
    from .batch import print_table
    from .batch import score as run

    try:
        analyzer = Analyzer(config=config_path) if (jobs == 1 and not dask) else config_path
        progress = None
        bar = None
        if sys.stderr.isatty():
            from rich.progress import Progress

            bar = Progress(transient=True, console=None)
            bar.start()
            task = bar.add_task("scoring", total=None)
            progress = lambda n: bar.advance(task, n)  # noqa: E731
        try:
            summary = run(inputs, out, analyzer=analyzer, encoding=encoding, strict=strict, resume=resume, jobs=jobs,
                          dask=dask, speaker_map=speaker_map, redact=redact, progress=progress)
        finally:
            if bar is not None:
                bar.stop()
    except EscalyzerError as exc:
        raise _fail(exc) from None
    if out != "-" and (table or (table is None and summary.scored <= 50)):
        print_table(out)
    click.echo(summary.line(), err=True)
    for m in summary.error_samples:
        click.echo(f"  {m}", err=True)
    if summary.failed:
        sys.exit(1)


@cli.command()
def info():
    """Versions of escalyzer, spaCy, fugashi, the UniDic dictionary and every bundled model.

    Example:

        escalyzer info
    """
    import spacy

    from .models import default_models_dir
    from .tokenizer import dictionary_info

    d = dictionary_info()
    click.echo(f"escalyzer {__version__}")
    click.echo(f"spaCy {spacy.__version__}")
    click.echo(f"fugashi {d.get('fugashi')}")
    click.echo(f"UniDic: {d.get('package')} {d.get('package_version')} (dictionary version {d.get('version')}, "
               f"{d.get('size')} entries, charset {d.get('charset')})")
    md = default_models_dir()
    click.echo(f"models: {md}")
    for meta in sorted(md.glob("*/*/meta.json")):
        m = json.loads(meta.read_text("utf-8"))
        click.echo(f"  {m['name']} {m['version']} (trained on {m['training_data'].get('examples')} examples, "
                   f"data sha256 {m['training_data']['sha256'][:12]}…)")


@cli.command()
@click.option("--data", "data", type=click.Path(exists=True), default="data", show_default=True,
              help="Labelled utterances/calls/sentences (file or folder).")
@click.option("--models-dir", type=click.Path(file_okay=False), default=None, help="Where to write (default: the bundled models/).")
@click.option("--version", "version", default=None, help="Model version (default: date + data hash).")
@click.option("--only", type=click.Choice(["levels", "sentences", "all"]), default="all", show_default=True)
def train(data, models_dir, version, only):
    """Train the anger/urgency models and the fact/emotion model, with model cards.

    Utterance rows need text, anger, urgency (optional context); call rows are the input format with
    anger/urgency on customer turns; annotation rows (call_id with urgency_level/turn_urgency or
    anger_level/turn_anger) add a further analyst's labels of a call, trained as one more copy of it;
    sentence rows need text and kind (fact|emotion|mixed).

    Example:

        escalyzer train --data my_labels.csv --models-dir my_models
    """
    from .models import default_models_dir
    from .training import train_levels, train_sentences

    md = Path(models_dir) if models_dir else default_models_dir()
    try:
        if only in ("levels", "all"):
            train_levels(Path(data), md, version, log=lambda m: click.echo(m, err=True))
        if only in ("sentences", "all"):
            try:
                train_sentences(Path(data), md, version, log=lambda m: click.echo(m, err=True))
            except EscalyzerError as exc:
                if only == "sentences":
                    raise
                click.echo(f"fact/emotion model not retrained: {exc}", err=True)
    except EscalyzerError as exc:
        raise _fail(exc) from None


@cli.command()
@click.argument("gold", type=click.Path(exists=True, dir_okay=False))
@click.argument("calls", type=click.Path(exists=True))
@click.option("--json", "as_json", is_flag=True, help="Print the full metrics as JSON.")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False), default=None)
def evaluate(gold, calls, as_json, config_path):
    """Evaluate against hand labels: levels, escalation, early warning, supervisor steps, 6W3H, sentences.

    Example:

        escalyzer evaluate ../shared/dev/gold.jsonl ../shared/dev/calls.jsonl
    """
    from .analyzer import Analyzer
    from .evaluate import evaluate as run
    from .evaluate import format_report

    try:
        r = run(gold, calls, Analyzer(config=config_path))
    except EscalyzerError as exc:
        raise _fail(exc) from None
    click.echo(json.dumps(r, ensure_ascii=False, indent=1) if as_json else format_report(r))


from .commands import register as _register  # noqa: E402

_register(cli)


def main():
    cli(prog_name="escalyzer")


if __name__ == "__main__":
    main()
