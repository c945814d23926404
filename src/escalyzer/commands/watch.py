"""``escalyzer watch``: replay a call turn by turn, as a live call would arrive, and alert on escalation."""
from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator

import click

from ..errors import EscalyzerError, InputError
from ..speakers import SpeakerMap
from ..transcript import Transcript, Turn


def live_turns(stream, speakers: SpeakerMap) -> Iterator[Turn]:
    """Turns from a live feed: one per line, ``話者: 発話`` or a JSON object ``{"speaker", "text", ...}``."""
    for n, line in enumerate(stream, 1):
        line = line.strip()
        if not line:
            continue
        if line.startswith("{"):
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError("E001", "<stdin>", n, None, None, {"detail": exc.msg}) from None
            label, text = str(obj.get("speaker", "")), obj.get("text", "")
            start, end = obj.get("start"), obj.get("end")
        else:
            label, sep, text = line.replace("：", ":").partition(":")
            if not sep:
                raise InputError("E011", "<stdin>", n, None, None, {"detail": "expected '話者: 発話' or a JSON object"})
            start = end = None
        role = speakers.role(label.strip())
        if role is None:
            raise InputError("E003", "<stdin>", n, "speaker", None, {"value": label})
        yield Turn(role, text.strip(), start, end)


def replay(analyzer, transcript_meta: Transcript, turns: Iterator[Turn], echo, delay: float = 0.0,
           redact: bool = False) -> dict:
    """Analyse the call again after every turn (only what has been said so far) and report alerts."""
    call = Transcript(transcript_meta.call_id, [], transcript_meta.received_at, transcript_meta.first_contact_at,
                      transcript_meta.callback_promised_at, transcript_meta.sla_hours, transcript_meta.status,
                      dict(transcript_meta.metadata))
    flagged_at = None
    seen_reasons: set[str] = set()
    last = None
    thr = analyzer.config["escalation"]["risk_threshold"]
    if redact:
        from ..redact import redact_text

        def show(text: str) -> str:
            return redact_text(text)[0]
    else:
        def show(text: str) -> str:
            return text
    for i, turn in enumerate(turns):
        call.turns.append(turn)
        rec = analyzer.analyze(call)
        esc = rec["escalation"]
        risk = esc["risk_by_turn"][-1] if esc["risk_by_turn"] else 0.0
        a, u = rec["anger"], rec["urgency"]
        echo(f"[{i:>3}] {turn.speaker:<10} {show(turn.text)[:60]}")
        echo(f"      risk {risk:.2f} | anger {a['level']} {a['label']} | urgency {u['level']} {u['label']}")
        new = [r for r in esc["reasons"] if r["rule"] not in seen_reasons]
        if flagged_at is None and risk >= thr:
            flagged_at = i
            echo(f"  >>> ALERT at turn {i}: escalation needed ({', '.join(esc['types']) or 'risk'}) → "
                 f"{', '.join(esc['route_to']) or 'supervisor'}")
        if flagged_at is not None:
            for r in new:
                ev = r["evidence"][0] if r["evidence"] else {}
                echo(f"      reason {r['rule']} ({r['kind']}): {show(ev.get('text', ''))[:50]}")
        if esc["harassment"]["flag"] and "harassment" not in seen_reasons:
            seen_reasons.add("harassment")
            echo("  >>> HARASSMENT: abusive conduct — " + ", ".join(show(e["text"]) for e in esc["harassment"]["evidence"][:3]))
        seen_reasons.update(r["rule"] for r in esc["reasons"])
        last = rec
        if delay:
            time.sleep(delay)
    return {"flagged_at": flagged_at, "record": last}


@click.command("watch")
@click.argument("source", default="-")
@click.option("--call-id", default=None, help="Which call of a multi-call file to replay (default: the first).")
@click.option("--delay", default=0.0, show_default=True, help="Seconds to wait between turns (a live-like replay).")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False), default=None)
@click.option("--encoding", default=None)
@click.option("--redact", is_flag=True, help="Mask personal data in what is printed.")
def command(source, call_id, delay, config_path, encoding, redact):
    """Replay a call turn by turn and print an alert with reasons the moment escalation is flagged.

    SOURCE is a transcript file (any input format) or - for a live feed on stdin: one turn per line,
    '話者: 発話' or a JSON object {"speaker": ..., "text": ...}.

    Example:

        escalyzer watch data/samples/calls.jsonl --call-id S-003
        printf 'お客様: 責任者を出せ！\\n' | escalyzer watch -
    """
    from ..analyzer import Analyzer
    from ..readers import read

    try:
        az = Analyzer(config=config_path)
        if source == "-":
            meta = Transcript("live", [])
            turns = live_turns(sys.stdin, SpeakerMap())
        else:
            meta = None
            for t in read(source, encoding=encoding):
                if call_id is None or t.call_id == call_id:
                    meta = t
                    break
            if meta is None:
                raise click.ClickException(f"call {call_id!r} not found in {source}")
            turns = iter(list(meta.turns))
        result = replay(az, meta, turns, click.echo, delay, redact)
    except EscalyzerError as exc:
        raise click.ClickException(str(exc)) from None
    if result["flagged_at"] is None:
        click.echo("no escalation flagged")
