"""Exchanges rendered for people: curl commands (credentials redacted) and responses.

Without `secrets`, every credential is redacted. Given the run's secrets (the configured
password and API key), a credential is shown as sent with each secret in it redacted: a wrong
credential the suite made up (`nobody-…`, `Basic !!!not-base64`) is no secret, and a reader
needs it to replay the request. Session cookies and tokens are always redacted.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import shlex
from urllib.parse import parse_qsl, urlencode

from campaign_contract.transport.exchange import Exchange

REDACTED = "REDACTED"
#: Bodies longer than this are described rather than spelled out.
INLINE_BODY_LIMIT = 4096
#: Response bodies are cut to this many characters in reports.
RESPONSE_SNIPPET = 2000

_SECRET_FIELDS = frozenset({"password", "token", "api_key"})
_COOKIE_SECRET = re.compile(r"(sergiosgc_auth=)[^;,\s]+")


def mask(value: str, secrets: frozenset[str] | None) -> str:
    """`value` with every secret in it redacted; all of it when the secrets are unknown."""
    if secrets is None:
        return REDACTED
    for secret in sorted((x for x in secrets if x), key=len, reverse=True):
        value = value.replace(secret, REDACTED)
    return value


def _field(name: str, value: str, secrets: frozenset[str] | None) -> str:
    """A secret field's value as a report shows it (a session `token` is always a secret)."""
    return REDACTED if name == "token" else mask(value, secrets)


def redact_body(body: bytes, content_type: str, secrets: frozenset[str] | None = None) -> bytes:
    """The body with secret form or JSON fields replaced (see `mask`)."""
    if "x-www-form-urlencoded" in content_type:
        try:
            pairs = parse_qsl(body.decode("ascii"), keep_blank_values=True, strict_parsing=True)
        except (UnicodeDecodeError, ValueError):
            return body
        if any(k in _SECRET_FIELDS for k, _ in pairs):
            return urlencode(
                [(k, _field(k, v, secrets) if k in _SECRET_FIELDS else v) for k, v in pairs]
            ).encode()
        return body
    if "json" in content_type:
        text = body.decode("utf-8", "replace")
        pattern = r'("(password|token|api_key)"\s*:\s*")((?:[^"\\]|\\.)*)"'
        return re.sub(
            pattern, lambda m: f'{m[1]}{_json_field(m[2], m[3], secrets)}"', text
        ).encode()
    return body


def _json_field(name: str, raw: str, secrets: frozenset[str] | None) -> str:
    """A JSON string's escaped text, redacted as its decoded value says (escapes hide nothing)."""
    try:
        value = json.loads(f'"{raw}"')
    except ValueError:
        return REDACTED
    shown = _field(name, value, secrets)
    return raw if shown == value else json.dumps(shown, ensure_ascii=False)[1:-1]


def _authorization(name: str, value: str, secrets: frozenset[str] | None) -> tuple[str, str]:
    """("-u", "user:password") for Basic with a colon, else ("-H", the header), redacted."""
    scheme, _, rest = value.partition(" ")
    decoded = _decoded(rest)
    if scheme.lower() == "basic" and decoded is not None and (secrets is None or ":" in decoded):
        user, _, password = decoded.partition(":")
        return "-u", f"{user if secrets is None else mask(user, secrets)}:{mask(password, secrets)}"
    if secrets is None:
        return "-H", f"{name}: {scheme} {REDACTED}"
    if decoded is not None and mask(decoded, secrets) != decoded:
        rest = REDACTED  # the base64 of a secret
    return "-H", f"{name}: {mask(scheme, secrets)} {mask(rest, secrets)}"


def _decoded(text: str) -> str | None:
    try:
        return base64.b64decode(text, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


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
            value = _COOKIE_SECRET.sub(rf"\g<1>{REDACTED}", value)
        elif lowered == "content-type":
            content_type = value.lower()
        parts += ["-H", shlex.quote(f"{name}: {value}")]
    if exchange.request_body:
        parts.append(_body_argument(redact_body(exchange.request_body, content_type, secrets)))
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
