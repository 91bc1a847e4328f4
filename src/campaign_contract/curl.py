"""Exchanges rendered for people: curl commands (credentials redacted) and responses."""

from __future__ import annotations

import base64
import binascii
import re
import shlex
from urllib.parse import parse_qsl, urlencode

from campaign_contract.exchange import Exchange

REDACTED = "REDACTED"
#: Bodies longer than this are described rather than spelled out.
INLINE_BODY_LIMIT = 4096
#: Response bodies are cut to this many characters in reports.
RESPONSE_SNIPPET = 2000

_SECRET_FIELDS = frozenset({"password", "token", "api_key"})
_COOKIE_SECRET = re.compile(r"(sergiosgc_auth=)[^;,\s]+")


def _basic_user(value: str) -> str | None:
    scheme, _, encoded = value.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        return base64.b64decode(encoded, validate=True).decode("utf-8").partition(":")[0]
    except (binascii.Error, UnicodeDecodeError):
        return None


def redact_body(body: bytes, content_type: str) -> bytes:
    """The body with secret form or JSON fields replaced."""
    if "x-www-form-urlencoded" in content_type:
        try:
            pairs = parse_qsl(body.decode("ascii"), keep_blank_values=True, strict_parsing=True)
        except (UnicodeDecodeError, ValueError):
            return body
        if any(k in _SECRET_FIELDS for k, _ in pairs):
            return urlencode(
                [(k, REDACTED if k in _SECRET_FIELDS else v) for k, v in pairs]
            ).encode()
        return body
    if "json" in content_type:
        text = body.decode("utf-8", "replace")
        return re.sub(
            r'("(?:password|token|api_key)"\s*:\s*)"(?:[^"\\]|\\.)*"', rf'\1"{REDACTED}"', text
        ).encode()
    return body


def _body_argument(body: bytes) -> str:
    if len(body) <= INLINE_BODY_LIMIT:
        return "--data-binary " + shlex.quote(body.decode("utf-8", "backslashreplace"))
    if body == body[:1] * len(body):
        script = f"import sys; sys.stdout.write({body[:1].decode('latin-1')!r} * {len(body)})"
        return f"--data-binary @<(python3 -c {shlex.quote(script)})"
    head = body[:60].decode("utf-8", "backslashreplace")
    return f"--data-binary @body.bin  # {len(body)} bytes starting {head!r}"


def to_curl(exchange: Exchange) -> str:
    """A curl command that repeats the request, with credentials redacted."""
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
            user = _basic_user(value)
            if user is not None:
                parts += ["-u", shlex.quote(f"{user}:{REDACTED}")]
                continue
            value = f"{value.partition(' ')[0]} {REDACTED}"
        elif lowered == "cookie":
            value = _COOKIE_SECRET.sub(rf"\g<1>{REDACTED}", value)
        elif lowered == "content-type":
            content_type = value.lower()
        parts += ["-H", shlex.quote(f"{name}: {value}")]
    if exchange.request_body:
        parts.append(_body_argument(redact_body(exchange.request_body, content_type)))
    return " ".join(parts)


def response_text(exchange: Exchange, limit: int = RESPONSE_SNIPPET) -> str:
    """Status line, headers and the start of the body, or why there was no answer."""
    if exchange.error is not None and exchange.status is None:
        return f"(no response: {exchange.error})"
    lines = [f"HTTP {exchange.status}"]
    for name, value in exchange.response_headers:
        if name.lower() == "set-cookie":
            value = _COOKIE_SECRET.sub(rf"\g<1>{REDACTED}", value)
        lines.append(f"{name}: {value}")
    body = exchange.response_body.decode("utf-8", "replace")
    body = re.sub(r'("token"\s*:\s*)"[^"]*"', rf'\1"{REDACTED}"', body)
    lines.append("")
    if len(body) > limit:
        body = body[:limit] + f"… ({len(exchange.response_body)} bytes in all)"
    elif exchange.truncated:
        body += "… (cut by the suite)"
    lines.append(body)
    if exchange.error is not None:
        lines.append(f"(then: {exchange.error})")
    return "\n".join(lines)
