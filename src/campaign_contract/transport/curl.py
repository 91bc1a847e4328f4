"""Exchanges rendered for people: curl commands (credentials redacted) and responses.

Without `secrets`, every credential is redacted. Given the run's secrets (the configured
password and API key), a credential is shown as sent with each secret in it redacted: a wrong
credential the suite made up (`nobody-…`, `Basic !!!not-base64`) is no secret, and a reader
needs it to replay the request. Session cookies and tokens are always redacted.
"""

from __future__ import annotations

import shlex

from campaign_contract.transport.exchange import Exchange
from campaign_contract.transport.redact import (
    REDACTED,
    content_type_of,
    decoded_basic,
    mask,
    redact_body,
    redact_cookies,
    shown,
)

#: Bodies longer than this are described rather than spelled out.
INLINE_BODY_LIMIT = 4096
#: Response bodies are cut to this many characters in reports.
RESPONSE_SNIPPET = 2000


def _authorization(name: str, value: str, secrets: frozenset[str] | None) -> tuple[str, str]:
    """("-u", "user:password") for Basic with a colon, else ("-H", the header), redacted."""
    scheme, _, rest = value.partition(" ")
    decoded = decoded_basic(rest)
    if scheme.lower() == "basic" and decoded is not None and (secrets is None or ":" in decoded):
        user, _, password = decoded.partition(":")
        return "-u", f"{user if secrets is None else mask(user, secrets)}:{mask(password, secrets)}"
    if secrets is None:
        return "-H", f"{name}: {scheme} {REDACTED}"
    if decoded is not None and mask(decoded, secrets) != decoded:
        rest = REDACTED  # the base64 of a secret
    return "-H", f"{name}: {mask(scheme, secrets)} {mask(rest, secrets)}"


def _body_argument(body: bytes) -> str:
    if len(body) <= INLINE_BODY_LIMIT:
        return "--data-binary " + shlex.quote(body.decode("utf-8", "backslashreplace"))
    if body == body[:1] * len(body):
        script = f"import sys; sys.stdout.write({body[:1].decode('latin-1')!r} * {len(body)})"
        return f"--data-binary @<(python3 -c {shlex.quote(script)})"
    head = body[:60].decode("utf-8", "backslashreplace")
    return f"--data-binary @body.bin  # {len(body)} bytes starting {head!r}"


def to_curl(exchange: Exchange, secrets: frozenset[str] | None = None) -> str:
    """A curl command that repeats the request, with credentials redacted (see `mask`)."""
    hide = shown(secrets)
    parts = ["curl", "-sS", "-i"]
    if exchange.method == "HEAD":
        parts.append("-I")
    elif exchange.method != "GET" or exchange.request_body:
        parts += ["-X", exchange.method]
    parts.append(shlex.quote(exchange.url))
    content_type = ""
    for name, value in exchange.request_headers.items():
        lowered = name.lower()
        if lowered == "authorization":
            option, argument = _authorization(name, value, secrets)
            parts += [option, shlex.quote(argument)]
            continue
        elif lowered == "cookie":
            value = redact_cookies(value, hide)
        elif lowered == "content-type":
            content_type = value.lower()
        parts += ["-H", shlex.quote(f"{name}: {value}")]
    if exchange.request_body:
        parts.append(_body_argument(redact_body(exchange.request_body, content_type, hide)))
    return " ".join(parts)


def response_text(exchange: Exchange, limit: int = RESPONSE_SNIPPET) -> str:
    """Status line, headers and the start of the body, or why there was no answer."""
    if exchange.error is not None and exchange.status is None:
        return f"(no response: {exchange.error})"
    hide = shown(None)
    lines = [f"HTTP {exchange.status}"]
    for name, value in exchange.response_headers:
        if name.lower() == "set-cookie":
            value = redact_cookies(value, hide)
        lines.append(f"{name}: {value}")
    response_type = content_type_of(exchange.response_headers)
    body = redact_body(exchange.response_body, response_type, hide).decode("utf-8", "replace")
    lines.append("")
    if len(body) > limit:
        body = body[:limit] + f"… ({len(exchange.response_body)} bytes in all)"
    elif exchange.truncated:
        body += "… (cut by the suite)"
    lines.append(body)
    if exchange.error is not None:
        lines.append(f"(then: {exchange.error})")
    return "\n".join(lines)
