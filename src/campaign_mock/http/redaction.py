"""Passwords never enter the request journal: `redacted()` replaces every `password` value of
a login's body (form, multipart or JSON) and query string with `***` before an entry is made."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote_plus

#: What a secret is shown as, here and in the control API's answers.
REDACTED = "***"
#: What a body that holds a password but cannot be read to redact it is journalled as.
WITHHELD = "(body withheld: it may hold a password)"
_SECRET = "password"
_PART_NAME = re.compile(rb"""name\s*=\s*(?:"password"|password(?=[\s;]|$))""", re.I | re.M)


def redacted(content_type: str | None, body: bytes, known: tuple[str, ...] = ()) -> str:
    """The body as the journal shows it: any `password` field's value is `***`. If one of
    the `known` secrets (what the body was read as) still shows, the body is withheld."""
    mimetype = (content_type or "").split(";", 1)[0].strip().lower()
    if mimetype == "application/x-www-form-urlencoded":
        text = redacted_query(body.decode("utf-8", "replace"))
    elif mimetype == "application/json" or mimetype.endswith("+json"):
        text = _redacted_json(body)
    elif mimetype == "multipart/form-data":
        text = _redacted_multipart(content_type or "", body)
    elif _SECRET.encode() in body.lower():
        text = WITHHELD
    else:
        text = body.decode("utf-8", "replace")
    return WITHHELD if any(s and s in text for s in known) else text


def redacted_query(text: str) -> str:
    """`a=1&password=x` as `a=1&password=***`; the other pairs byte for byte."""
    pairs = text.split("&")
    for index, pair in enumerate(pairs):
        key, equals, _value = pair.partition("=")
        if _is_secret(unquote_plus(key)):
            pairs[index] = f"{key}{equals or '='}{REDACTED}"
    return "&".join(pairs)


def _is_secret(key: str) -> bool:
    name = key.strip().lower()
    return name == _SECRET or name.startswith(f"{_SECRET}[")


def _redacted_json(body: bytes) -> str:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return WITHHELD if _SECRET.encode() in body.lower() else body.decode("utf-8", "replace")
    if not _has_secret(document):
        return body.decode("utf-8", "replace")
    text = json.dumps(_without_secrets(document), ensure_ascii=False)
    # `json` reads an escaped lone surrogate (`"\\ud83e"`) into text no UTF-8 encoder can
    # write: kept as it was, it made every later answer holding the journal a 500.
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _has_secret(value: Any, depth: int = 0) -> bool:
    if depth > 64:
        return True  # too deep to look through: treat as holding one
    if isinstance(value, dict):
        return any(_is_secret(k) or _has_secret(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_secret(v, depth + 1) for v in value)
    return False


def _without_secrets(value: Any, depth: int = 0) -> Any:
    if depth > 64:
        return REDACTED
    if isinstance(value, dict):
        return {
            k: REDACTED if _is_secret(k) else _without_secrets(v, depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_without_secrets(v, depth + 1) for v in value]
    return value


def _redacted_multipart(content_type: str, body: bytes) -> str:
    """Each part named `password` keeps its headers; its content becomes `***`. A body that
    mentions a password in a way this cannot take apart is withheld."""
    found = re.search(r'boundary="?([^";]+)"?', content_type, re.I)
    delimiter = b"--" + found.group(1).encode("latin-1") if found else b""
    parts = body.split(delimiter) if delimiter else [body]
    done = 0
    for index, part in enumerate(parts):
        head, separator, content = part.partition(b"\r\n\r\n")
        if not separator:
            head, separator, content = part.partition(b"\n\n")
        if delimiter and separator and _PART_NAME.search(head):
            ending = content[len(content.rstrip(b"\r\n")) :]
            parts[index] = head + separator + REDACTED.encode() + ending
            done += 1
    named = len(_PART_NAME.findall(body))
    if named > done or (not named and _SECRET.encode() in body.lower()):
        return WITHHELD
    return delimiter.join(parts).decode("utf-8", "replace")
