"""One request's fields encoded in each body type Q-1 names: form, multipart or JSON."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import quote

from campaign_contract.engine.probe import Probe
from campaign_contract.transport.exchange import Exchange
from campaign_contract.transport.http import FORM, JSON

BODIES: Final = ("form", "multipart", "JSON")
#: How a form spells the `segments` array (Q-1): `segments[]` repeated, its brackets raw or
#: percent-encoded, or indexed keys `segments[0]`, `segments[1]`...
SPELLINGS: Final = ("repeated", "percent-encoded", "indexed")
BOUNDARY: Final = "cc-cells-boundary"
MULTIPART: Final = f"multipart/form-data; boundary={BOUNDARY}"


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def pairs(fields: Mapping[str, Any], spelling: str = "repeated") -> list[tuple[str, str]]:
    """Form pairs: scalars as text (None as empty), `segments` spelt as asked; an empty list is
    the single empty `segments[]=` that clears (Q-5)."""
    out: list[tuple[str, str]] = []
    for name, value in fields.items():
        if name != "segments":
            out.append((name, _text(value)))
        elif not value:
            out.append(("segments[]", ""))
        elif spelling == "indexed":
            out.extend((f"segments[{i}]", _text(v)) for i, v in enumerate(value))
        else:
            out.extend(("segments[]", _text(v)) for v in value)
    return out


def encode(fields: Mapping[str, Any], body: str, spelling: str = "repeated") -> tuple[bytes, str]:
    """The request body and its content type; JSON keeps the values' own types."""
    if body == "JSON":
        return json.dumps(dict(fields)).encode(), JSON
    found = pairs(fields, spelling)
    if body == "multipart":
        parts = [
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
            for k, v in found
        ]
        return ("".join(parts) + f"--{BOUNDARY}--\r\n").encode(), MULTIPART
    raw = spelling != "percent-encoded"
    text = "&".join(f"{quote(k, safe='[]' if raw else '')}={quote(v, safe='')}" for k, v in found)
    return text.encode(), FORM


def send(
    t: Probe,
    method: str,
    path: str,
    fields: Mapping[str, Any],
    body: str,
    spelling: str = "repeated",
    **kwargs: Any,
) -> Exchange:
    """Send `fields` in this body type; a campaign it created goes to the ledger."""
    payload, content_type = encode(fields, body, spelling)
    answer = t.request(method, path, body=payload, headers={"Content-Type": content_type}, **kwargs)
    t.ctx.note_created(answer)
    return answer
