"""Escalation: functional, hierarchical, automatic (SLA/time), plus customer harassment, with reasons.

The rules are data (``resources/rules/escalation.yaml``); this module only evaluates them. Every
reason carries its rule id, kind, the turn it became known at, and evidence (a span of a turn, or
the metadata that triggered it).

``risk_by_turn[t]`` is the probability that the call needs escalation given turns ``0..t`` only: a
noisy-or of the weights of the reasons known by then (metadata reasons are known before turn 0),
plus the level model's own P(anger ≥ 2) for each turn so far. ``first_flag_turn`` is the first turn
where it reaches ``escalation.risk_threshold``.
"""
from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from typing import Any

from ..evidence import meta_evidence
from ..lexicons import get_lexicon
from ..resources_io import load_yaml, read_yaml_file
from .context import CallContext

KINDS = ("functional", "hierarchical", "automatic")


@lru_cache(maxsize=1)
def _rules() -> dict[str, Any]:
    return load_yaml("rules/escalation.yaml")


@lru_cache(maxsize=8)
def _routing(path: str | None) -> dict[str, Any]:
    return read_yaml_file(path) if path else load_yaml("rules/routing.yaml")


def _turn_level(ctx: CallContext, dim: str, turn: int) -> int:
    """The level of the customer's most recent turn at or before ``turn`` (0 before any)."""
    lvl = 0
    for bt in (ctx.results.get(dim) or {}).get("by_turn", []):
        if bt["turn"] <= turn:
            lvl = bt["level"]
    return lvl


def _reason(rule: dict[str, Any], turn: int | None, evidence: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    r = {"rule": rule["id"], "kind": rule["kind"], "turn": turn, "weight": rule["weight"],
         "description": rule["description"], "evidence": evidence}
    r.update(extra)
    return r


def decide_escalation(ctx: CallContext, levels=None) -> dict[str, Any]:
    cfg = ctx.config["escalation"]
    rules = _rules()["rules"]
    routing = _routing(ctx.config.get("routing_file"))
    lexdir = ctx.config.get("lexicon_dir")
    cues = get_lexicon("escalation_cues", lexdir)
    topics = get_lexicon("topics", lexdir)
    turns = ctx.turns
    # all cue hits once
    hits_by_turn = {i: cues.find(ctx.norms[i]) for i in range(len(turns))}
    topic_hits = {i: topics.find(ctx.norms[i]) for i in range(len(turns)) if turns[i].speaker == "customer"}
    reasons: list[dict[str, Any]] = []
    first_agent_turns = [i for i in ctx.pre_handoff() if turns[i].speaker == "agent"]

    for rule in rules:
        w = rule["when"]
        if "cue_label" in w:
            speaker = w.get("speaker")
            found: list[tuple[int, Any]] = []
            for i, hits in hits_by_turn.items():
                if speaker and turns[i].speaker != speaker:
                    continue
                if speaker == "agent" and i not in first_agent_turns:
                    continue
                for h in hits:
                    if h.label != w["cue_label"] or not h.active:
                        continue
                    if "min_turn_anger" in w and _turn_level(ctx, "anger", i) < w["min_turn_anger"]:
                        continue
                    found.append((i, h))
            if found:
                # one reason per rule: known at its first hit, with up to three hits as evidence
                reasons.append(_reason(rule, found[0][0], [h.evidence(i) for i, h in found[:3]]))
        elif "anger_at_least" in w:
            anger = ctx.results.get("anger") or {}
            if anger.get("level", 0) >= w["anger_at_least"]:
                # known at the first turn that reached it (else the turn that came closest)
                bt = next((b for b in anger.get("by_turn", []) if b["level"] >= w["anger_at_least"]
                           and not b.get("carried_over")), None)
                turn = bt["turn"] if bt else anger.get("peak_turn")
                # lexicon cues first (a named rule reads better than a model n-gram), strongest first
                ev = sorted((e for e in anger.get("evidence", []) if e["turn"] == turn),
                            key=lambda e: (e["rule"].startswith("model."), -e["score"]))[:3]
                if not ev and turn is not None:
                    t = turns[turn].text
                    ev = [{"turn": turn, "start": 0, "end": len(t), "text": t, "rule": "model.anger",
                           "score": anger["probabilities"][anger["level"]]}]
                reasons.append(_reason(rule, turn, ev, level=anger["level"]))
        elif w.get("topic"):
            first_line = set(routing.get("first_line_topics") or [])
            for i, hits in topic_hits.items():
                if i not in ctx.pre_handoff():
                    continue
                good = [h for h in hits if h.active and h.weight >= w["min_topic_weight"]
                        and h.entry.extra.get("topic") not in first_line]
                if good:
                    h = good[0]
                    topic = h.entry.extra.get("topic")
                    reasons.append(_reason(rule, i, [h.evidence(i)], topic=topic))
                    break
        elif "metadata" in w:
            r = _metadata_reason(ctx, rule, w["metadata"])
            if r:
                reasons.append(r)
        elif "first_agent_seconds_over" in w:
            r = _takeover_time_reason(ctx, rule, cfg[w["first_agent_seconds_over"]], hits_by_turn)
            if r:
                reasons.append(r)
    # the routing: topics of functional reasons (also from agent referrals: the customer's topic)
    topics_found = []
    for i, hits in topic_hits.items():
        for h in hits:
            t = h.entry.extra.get("topic")
            if h.active and t not in topics_found and i in ctx.pre_handoff():
                topics_found.append(t)
    types = [k for k in KINDS if any(r["kind"] == k for r in reasons)]
    route_to: list[str] = []
    if "functional" in types:
        for t in topics_found:
            team = (routing.get("topics") or {}).get(t)
            if team and team not in route_to:
                route_to.append(team)
    for k in ("hierarchical", "automatic"):
        if k in types:
            team = (routing.get("kinds") or {}).get(k)
            if team and team not in route_to:
                route_to.append(team)
    harassment = _harassment(ctx, hits_by_turn)
    if harassment["flag"]:
        team = (routing.get("kinds") or {}).get("harassment")
        if team and team not in route_to:
            route_to.append(team)
    risk = _risk_by_turn(ctx, reasons)
    thr = cfg["risk_threshold"]
    first_flag = next((t for t, r in enumerate(risk) if r >= thr), None)
    needed = bool(types)
    out = {
        "needed": needed,
        "types": types,
        "reasons": [{k: v for k, v in r.items() if k != "weight"} | {"score": r["weight"]} for r in reasons],
        "first_flag_turn": first_flag if needed else None,
        "route_to": route_to,
        "topics": topics_found,
        "risk_by_turn": risk,
        "harassment": harassment,
        "handoff_turn": ctx.handoff_turn,
    }
    if needed:
        out["ticket"] = _ticket(ctx, out)
    return out


def _metadata_reason(ctx: CallContext, rule: dict[str, Any], which: str) -> dict[str, Any] | None:
    tr = ctx.transcript
    if tr.received_at is None:
        return None
    if which == "callback_promised_at" and tr.callback_promised_at is not None:
        try:
            late = tr.received_at - tr.callback_promised_at
        except TypeError:  # naive vs aware
            return None
        if late > timedelta(0):
            ev = [meta_evidence("callback_promised_at", tr.callback_promised_at.isoformat(), rule["id"]),
                  meta_evidence("received_at", tr.received_at.isoformat(), rule["id"])]
            return _reason(rule, -1, ev, overdue_hours=round(late.total_seconds() / 3600, 1))
    if which == "sla" and tr.sla_hours is not None:
        start = tr.first_contact_at
        if start is None:
            return None
        try:
            due = start + timedelta(hours=tr.sla_hours)
            late = tr.received_at - due
        except TypeError:
            return None
        if late > timedelta(0):
            ev = [meta_evidence("first_contact_at", start.isoformat(), rule["id"]),
                  meta_evidence("sla_hours", tr.sla_hours, rule["id"]),
                  meta_evidence("received_at", tr.received_at.isoformat(), rule["id"])]
            return _reason(rule, -1, ev, overdue_hours=round(late.total_seconds() / 3600, 1), due=due.isoformat())
    return None


def _takeover_time_reason(ctx: CallContext, rule, limit: float, hits_by_turn) -> dict[str, Any] | None:
    turns = ctx.turns
    pre = list(ctx.pre_handoff())
    if not pre:
        return None
    t0 = next((turns[i].start for i in pre if turns[i].start is not None), None)
    if t0 is None:
        return None
    resolved_at = None
    for i in pre:
        if turns[i].speaker == "agent" and any(h.label == "RESOLVED" and h.active for h in hits_by_turn[i]):
            resolved_at = i
    for i in pre:
        ts = turns[i].end if turns[i].end is not None else turns[i].start
        if ts is None:
            continue
        if ts - t0 > limit:
            if resolved_at is not None and resolved_at <= i and ctx.handoff_turn is None:
                return None
            ev = [{"turn": i, "start": 0, "end": len(turns[i].text), "text": turns[i].text,
                   "rule": rule["id"], "score": rule["weight"]}]
            return _reason(rule, i, ev, first_agent_seconds=round(ts - t0, 1), limit_seconds=limit)
    return None


def _harassment(ctx: CallContext, hits_by_turn) -> dict[str, Any]:
    spec = _rules()["harassment"]
    ev = []
    for i, hits in hits_by_turn.items():
        if ctx.turns[i].speaker != spec["speaker"]:
            continue
        for h in hits:
            if h.label == spec["cue_label"] and h.active:
                ev.append(h.evidence(i))
    return {"flag": bool(ev), "evidence": ev,
            "note": "abusive means are flagged separately; the complaint itself keeps its own levels and reasons"}


def _risk_by_turn(ctx: CallContext, reasons: list[dict[str, Any]]) -> list[float]:
    n = len(ctx.turns)
    anger_p2: dict[int, float] = {}
    idx_probs = (ctx.results.get("turn_probs") or {}).get("anger")
    if idx_probs is not None:
        idx, P = idx_probs
        for k, ti in enumerate(idx):
            anger_p2[ti] = float(P[k][2:].sum())
    risk = []
    keep = 1.0
    for t in range(n):
        keep_t = keep
        for r in reasons:
            if r["turn"] is not None and (r["turn"] == t or (t == 0 and r["turn"] == -1)):
                keep_t *= 1.0 - r["weight"]
        keep = keep_t
        soft = anger_p2.get(t, 0.0) * 0.8
        risk.append(round(1.0 - keep * (1.0 - soft), 4))
    # risk is a running assessment: never lower than the strongest evidence so far
    for t in range(1, n):
        risk[t] = max(risk[t], risk[t - 1]) if risk[t - 1] >= 0.95 else risk[t]
    return risk


def _ticket(ctx: CallContext, esc: dict[str, Any]) -> dict[str, Any]:
    """The escalation record the management process asks for at its start (004 article, step 1-2)."""
    tr = ctx.transcript
    facts = (ctx.results.get("facts") or {}).get("slots") or {}
    who = [f["text"] for f in facts.get("who") or []]
    what = [f["text"] for f in facts.get("what") or []]
    created = tr.received_at
    update_by = None
    if created is not None:
        end_s = max((t.end or t.start or 0.0) for t in tr.turns)
        update_by = (created + timedelta(seconds=end_s) + timedelta(hours=ctx.config["escalation"]["update_within_hours"])).isoformat()
    return {
        "kinds": esc["types"],
        "route_to": esc["route_to"],
        "customer": who[0] if who else None,
        "affected_service": what[0] if what else (esc["topics"][0] if esc["topics"] else None),
        "topics": esc["topics"],
        "facts": {k: [f["text"] for f in v] for k, v in facts.items()},
        "linked_call_ids": [],
        "created_at": created.isoformat() if created else None,
        "update_by": update_by,
        "status": "open",
    }
