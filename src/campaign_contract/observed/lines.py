"""The proxy's terminal line per exchange: when it ended, what was asked (the path with the
configured secrets masked), what came back, how long it took."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from campaign_contract.judges.callback_form import parse_callback
from campaign_contract.observed.judging import Judged
from campaign_contract.transport.received import Received
from campaign_contract.transport.redact import mask, redact_target, shown
from campaign_contract.transport.traffic import Seen


def exchange_line(seen: Seen, secrets: frozenset[str]) -> str:
    """`12:03:04 PUT /campaign/3 -> 200 (4 ms)`; `-> no answer (why)` when none came."""
    exchange = seen.exchange
    parts = urlsplit(exchange.url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    path = redact_target(mask(target, secrets), shown(secrets))
    outcome = f"{exchange.status}" if exchange.status is not None else "no answer"
    if exchange.error:
        outcome += f" ({exchange.error})"
    moment = time.strftime("%H:%M:%S", time.localtime(seen.answered_at))
    millis = round((seen.answered_at - seen.sent_at) * 1000)
    return f"{moment} {exchange.method} {path} -> {outcome} ({millis} ms)"


def verdict_text(judged: Judged, secrets: frozenset[str]) -> str:
    """What the judges made of the exchange: `ok`, `FAIL R-2: why (+1 more)`, or why it was
    not judged; secrets masked, one line."""
    if judged.skipped is not None:
        return f"not judged: {judged.skipped}"
    said = ""
    if judged.client is not None:
        word = "VIOLATION" if judged.client.severity == "violation" else "WARN"
        said = f"; client {word} {judged.client.rule}: {_short(judged.client.message, secrets)}"
    if not judged.findings:
        return "ok" + said
    rule, message = judged.findings[0]
    more = len(judged.findings) - 1
    return f"FAIL {rule}: {_short(message, secrets)}" + (f" (+{more} more)" if more else "") + said


def _short(message: str, secrets: frozenset[str]) -> str:
    text = " ".join(mask(message, secrets).split())
    return text if len(text) <= 160 else text[:157] + "..."


def callback_line(received: Received, campaign: int | None, secrets: frozenset[str]) -> str:
    """`12:03:05 callback email delivered x3 for campaign 5 -> client 200`: what the server
    reported, and what the client's receiver answered (the server's retries follow it)."""
    moment = time.strftime("%H:%M:%S", time.localtime(received.arrived))
    if received.foreign:
        return f"{moment} callback from an address --to does not send from: refused 403"
    if not received.matched:
        return f"{moment} callback to a URL the proxy never handed out: 404, not judged"
    if received.incomplete:
        return f"{moment} callback its sender closed before its body ended: not relayed"
    form = parse_callback(received.header("Content-Type") or "", received.body)
    told = ", ".join(f"{channel} x{len(found)}" for channel, found in form.addresses.items())
    what = f"{form.event or '(no event)'} {told or '(no address)'}"
    whose = f" for campaign {campaign}" if campaign is not None else ""
    answer = f"client {received.status}" if received.status is not None else "no answer"
    return f"{moment} callback {_short(what, secrets)}{whose} -> {answer}"
