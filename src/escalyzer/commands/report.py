"""``escalyzer report``: the QA analysts' HTML report over a scored batch."""
from __future__ import annotations

from pathlib import Path

import click

from ..errors import EscalyzerError


@click.command("report")
@click.argument("scores", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", "out", required=True, help="The HTML file to write (one self-contained page).")
@click.option("--title", default=None, help="Page title (default: escalyzer QA レポート).")
@click.option("--redact", is_flag=True,
              help="Mask personal data left in the results (phones, e-mails, numbers, addresses, names); "
                   "masks keep the original length.")
def command(scores, out, title, redact):
    """A QA report over a scored batch, as one self-contained HTML page.

    SCORES is a results file written by `escalyzer score` (JSONL or Parquet). The page shows the
    distributions of anger and urgency, the escalation rate by kind and by reason, the calls ranked
    by risk (each linking to its mini summary), supervisor step coverage (a heatmap by supervisor and
    step) and trends over received_at. Every chart is embedded (PNG, Japanese font) with its numbers
    in a table beside it.

    Example:

        escalyzer report out/results.jsonl -o out/report.html
    """
    from ..render.report import FontError, build_report, load_records, render_report_html

    try:
        records = load_records(scores, redact=redact)
        rep = build_report(records, title=title, source=Path(scores).name)
    except (EscalyzerError, FontError) as exc:
        raise click.ClickException(str(exc)) from None
    if not rep["n_calls"]:
        raise click.ClickException(f"no scored calls in {scores}")
    Path(out).write_text(render_report_html(rep), encoding="utf-8")
    click.echo(f"wrote the report of {rep['n_calls']} calls ({rep['n_escalated']} escalated) to {out}", err=True)
