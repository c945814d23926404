"""Linking calls of the same customer within a batch (the escalation record's ``linked_call_ids``).

The 004 article asks an escalation record for "linked records". Within one scoring run, a call is linked to
the *earlier* calls of the same customer: output is streamed, so earlier records are never rewritten. The
customer key is, in order: ``metadata.customer_id`` (or ``customer``/``phone``) from the input, else the
customer's name from the 6W3H ``who`` slot, normalised (NFKC, no spaces, no honorific).
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any

_HONORIFIC = re.compile(r"(様|さま|さん|殿|くん|ちゃん)$")


def customer_key(record: dict[str, Any], metadata: dict[str, Any] | None = None) -> str | None:
    md = metadata or {}
    for k in ("customer_id", "customer", "phone", "account_id"):
        if md.get(k):
            return f"{k}:{unicodedata.normalize('NFKC', str(md[k])).strip()}"
    for item in (record.get("facts") or {}).get("who") or []:
        text = unicodedata.normalize("NFKC", item.get("text") or "").replace(" ", "").replace("\u3000", "")
        text = _HONORIFIC.sub("", text)
        if len(text) >= 2 and not re.search(r"[0-9]", text):
            return f"name:{text}"
    return None


class CustomerLinker:
    """Remembers the call ids seen per customer key; fills ``escalation.ticket.linked_call_ids``."""

    def __init__(self) -> None:
        self.seen: dict[str, list[str]] = {}

    def link(self, record: dict[str, Any], metadata: dict[str, Any] | None = None) -> dict[str, Any]:
        key = customer_key(record, metadata)
        if key is None:
            return record
        earlier = self.seen.setdefault(key, [])
        ticket = (record.get("escalation") or {}).get("ticket")
        if ticket is not None:
            ticket["linked_call_ids"] = list(earlier)
        earlier.append(record["call_id"])
        return record
