"""``escalyzer summary``: the supervisor's one-screen briefing before picking up a call."""
from __future__ import annotations

import sys

import click

from ..errors import EscalyzerError


@click.command("summary")
@click.argument("input_path", metavar="INPUT")
@click.option("--call-id", "call_ids", multiple=True,
              help="The call to summarise (repeatable). Default: every call in INPUT.")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "html"]), default="text", show_default=True,
              help="text: a terminal screen (rich); markdown; html: one self-contained, printable page.")
@click.option("-o", "--output", "out", default=None, help="Write to this file instead of standard output.")
@click.option("--redact", is_flag=True,
              help="Mask personal data (phones, e-mails, card/account/contract numbers, addresses, names); "
                   "masks keep the original length, so offsets stay meaningful.")
@click.option("--team", default=None, help="Your team, for the suggested introduction (default: the article's ○○チーム).")
@click.option("--name", "supervisor", default=None, help="Your name, for the suggested introduction (default: ●●).")
@click.option("--width", default=100, show_default=True, help="Text width for --format text written to a file.")
@click.option("--encoding", default=None, help="Force the input encoding (utf-8, cp932, euc-jp); detected by default.")
@click.option("--speaker-map", type=click.Path(exists=True, dir_okay=False), default=None,
              help="YAML file of extra speaker aliases or participant ids -> customer|agent|supervisor.")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False), default=None,
              help="YAML file overriding the default configuration.")
def command(input_path, call_ids, fmt, out, redact, team, supervisor, width, encoding, speaker_map, config_path):
    """The one screen a supervisor reads before picking up a call.

    Built from the part of the call before the handoff (all of it when nobody took over yet),
    following the article's preparation steps: current status (on hold / callback promised / in
    call), the customer's anger and urgency with the quotes that show them and their trajectory,
    what the customer wants and the 6W3H table (missing slots as questions still to ask), facts and
    emotions separated, what the first agent already said, checked or promised, escalation kind,
    reasons and route, time on the call and since the first contact against the SLA, and suggested
    opening lines adapted from the article's examples.

    INPUT is a transcript file in any format escalyzer reads (JSONL, JSON, CSV, TXT, platform exports).

    Example:

        escalyzer summary data/samples/calls.jsonl --call-id S-003 --format html -o S-003.html
    """
    from ..analyzer import Analyzer
    from ..readers import read
    from ..render.summary import print_summary, render
    from ..speakers import SpeakerMap

    try:
        speakers = SpeakerMap(speaker_map) if speaker_map else None
        wanted = set(call_ids)
        calls = [t for t in read([input_path], encoding=encoding, speakers=speakers)
                 if not wanted or t.call_id in wanted]
        if wanted:
            found = {t.call_id for t in calls}
            missing = [c for c in call_ids if c not in found]
            if missing:
                raise click.ClickException(f"call id(s) not found in {input_path}: {', '.join(missing)}")
        if not calls:
            raise click.ClickException(f"no calls in {input_path}")
        analyzer = Analyzer(config=config_path)
        from ..render.summary import build_summary

        summaries = [build_summary(t, analyzer, redact=redact, team=team, supervisor=supervisor) for t in calls]
    except EscalyzerError as exc:
        raise click.ClickException(str(exc)) from None
    if fmt == "text" and out is None:
        from rich.console import Console

        console = Console(markup=False, highlight=False, emoji=False)
        for n, s in enumerate(summaries):
            if n:
                console.print()
            print_summary(s, console)
        return
    text = render(summaries, fmt, width=width)
    if out is None or out == "-":
        sys.stdout.write(text)
    else:
        with open(out, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        click.echo(f"wrote {fmt} summary of {len(summaries)} call(s) to {out}", err=True)
