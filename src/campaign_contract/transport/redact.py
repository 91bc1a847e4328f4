"""Credentials out of exchanges: one implementation for the reports' curl renderings and the
proxy's recordings (docs/design/proxy-and-judge.md, section 3.3).

What is a credential: the `Authorization` header, the `sergiosgc_auth` session cookie (in
`Cookie` and `Set-Cookie`), and the `password`, `token` and `api_key` fields of form and JSON
bodies (and of a query string). What replaces one is the caller's `Hide`: the reports show
`REDACTED` (or the value with each known secret masked, see `shown`); a recording writes a
keyed placeholder (`keyed`), so equal credentials stay equal and none can be read back. Every
other byte is kept as it was.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Iterable
from urllib.parse import quote_plus, unquote_plus

REDACTED = "REDACTED"
#: Body (and query) fields whose values are credentials.
SECRET_FIELDS = frozenset({"password", "token", "api_key"})
#: The API's session cookie (CONTRACT.md V-5).
SESSION_COOKIE = "sergiosgc_auth"

#: What a credential is replaced by: (where it was: a field, cookie or header name; its value)
#: -> the text written instead.
Hide = Callable[[str, str], str]

_COOKIE = re.compile(rf"({SESSION_COOKIE}=)([^;,\s]+)")
_JSON_FIELD = re.compile(rb'("(password|token|api_key)"\s*:\s*")((?:[^"\\]|\\.)*)"')


def mask(value: str, secrets: frozenset[str] | None) -> str:
    """`value` with every secret in it redacted; all of it when the secrets are unknown."""
    if secrets is None:
        return REDACTED
    for secret in sorted((x for x in secrets if x), key=len, reverse=True):
        value = value.replace(secret, REDACTED)
    return value


def shown(secrets: frozenset[str] | None) -> Hide:
    """The reports' rule: a session token or cookie is always `REDACTED`; any other
    credential is shown with the configured secrets in it masked (see `mask`)."""

    def hide(name: str, value: str) -> str:
        return REDACTED if name in {"token", SESSION_COOKIE} else mask(value, secrets)

    return hide


def placeholder(key: bytes, value: str) -> str:
    """`REDACTED-<8 hex>`, keyed: the same value gives the same placeholder under one key."""
    digest = hmac.new(key, value.encode("utf-8", "surrogateescape"), hashlib.sha256)
    return f"{REDACTED}-{digest.hexdigest()[:8]}"


def keyed(key: bytes) -> Hide:
    """A recording's rule: every credential becomes its keyed placeholder."""
    return lambda _name, value: placeholder(key, value)


def redact_form(text: str, hide: Hide) -> str:
    """A form body or query string with the secret fields' values hidden, pair by pair (the
    other pairs keep their bytes and spelling)."""
    pairs = text.split("&")
    for index, pair in enumerate(pairs):
        name, equals, value = pair.partition("=")
        key = unquote_plus(name)
        if equals and key in SECRET_FIELDS:
            pairs[index] = f"{name}={quote_plus(hide(key, unquote_plus(value)))}"
    return "&".join(pairs)


def redact_body(body: bytes, content_type: str, hide: Hide) -> bytes:
    """The body with its secret form fields (a form `content_type`) or JSON fields (any other:
    a server may mislabel JSON, and a secret in it is still a secret) hidden; every other
    byte unchanged."""
    if "x-www-form-urlencoded" in content_type:
        # latin-1 maps every byte to one character and back: the other pairs keep their bytes.
        return redact_form(body.decode("latin-1"), hide).encode("latin-1")
    return _JSON_FIELD.sub(lambda m: m[1] + _json_field(m[2], m[3], hide) + b'"', body)


def _json_field(name: bytes, raw: bytes, hide: Hide) -> bytes:
    """A JSON string's escaped bytes, hidden as its decoded value says (escapes hide nothing)."""
    try:
        value = json.loads(b'"' + raw + b'"')
    except ValueError:
        return REDACTED.encode()
    replaced = hide(name.decode(), value)
    if replaced == value:
        return raw
    return json.dumps(replaced, ensure_ascii=False)[1:-1].encode("utf-8")


def redact_cookies(value: str, hide: Hide) -> str:
    """A `Cookie` or `Set-Cookie` value with the session cookie's value hidden."""
    return _COOKIE.sub(lambda m: m[1] + hide(SESSION_COOKIE, m[2]), value)


def redact_authorization(value: str, hide: Hide) -> str:
    """An `Authorization` value with its credential hidden; the scheme stays."""
    scheme, space, rest = value.partition(" ")
    if not space:
        return hide("authorization", value)
    return f"{scheme} {hide('authorization', rest)}"


def decoded_basic(text: str) -> str | None:
    """The text of a Basic credential's base64, or None when it is none."""
    try:
        return base64.b64decode(text, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def redact_header(name: str, value: str, hide: Hide) -> str:
    """One header's value with any credential in it hidden."""
    lowered = name.lower()
    if lowered in {"authorization", "proxy-authorization"}:
        return redact_authorization(value, hide)
    if lowered in {"cookie", "set-cookie"}:
        return redact_cookies(value, hide)
    return value


def redact_headers(headers: Iterable[tuple[str, str]], hide: Hide) -> tuple[tuple[str, str], ...]:
    """Headers in their order, case and repeats, credentials hidden."""
    return tuple((name, redact_header(name, value, hide)) for name, value in headers)


def redact_target(target: str, hide: Hide) -> str:
    """A request target with the secret fields of its query hidden."""
    path, question, query = target.partition("?")
    return f"{path}{question}{redact_form(query, hide)}" if question else target


def content_type_of(headers: Iterable[tuple[str, str]]) -> str:
    """The first `Content-Type` of these headers, lowered; "" when there is none."""
    return next((v.lower() for k, v in headers if k.lower() == "content-type"), "")
