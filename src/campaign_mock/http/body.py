"""Turning a request body (form, multipart or JSON) into a raw parameter mapping (Q-1, V-4)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from flask import Request
from werkzeug.exceptions import RequestEntityTooLarge

from .envelope import HttpError

MAX_BODY = 1024 * 1024  # V-4: 413 over 1 MiB

_FORM = "application/x-www-form-urlencoded"
_MULTIPART = "multipart/form-data"
_INDEXED = re.compile(r"segments\[([0-9]+)\]")
_ARRAY_KEYS = {"segments[]", "segments"}


@dataclass(slots=True)
class Params:
    """A body's parameters, and field errors found while reading them.

    The errors are V-3 failures, so they wait until the id is known to exist (V-4 step 4).
    """

    values: dict[str, object] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    repeated: frozenset[str] = frozenset()

    def errors_for(self, known: frozenset[str]) -> dict[str, list[str]]:
        """The errors of the parameters an operation reads; unknown ones are ignored."""
        errors = {k: list(v) for k, v in self.errors.items() if k in known}
        for key in sorted(self.repeated & known):
            errors.setdefault(key, []).append("given more than once")
        return errors


def read_params(request: Request) -> Params:
    """The request's parameters; 413, 415 or 400 before the application runs (V-4 step 3)."""
    if (request.content_length or 0) > MAX_BODY:
        raise _too_large()
    try:
        data = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise _too_large() from None
    mimetype = request.mimetype
    if not mimetype:
        if data:
            raise _unsupported("(none)")
        return Params()
    if mimetype == "application/json" or mimetype.endswith("+json"):
        return _json_params(data)
    if mimetype in {_FORM, _MULTIPART}:
        return _form_params(request)
    raise _unsupported(mimetype)


def _json_params(data: bytes) -> Params:
    if not data.strip():
        return Params()
    try:
        document = json.loads(
            data.decode("utf-8"),
            object_pairs_hook=_JsonObject.from_pairs,
            parse_constant=_refuse_constant,
        )
    except (ValueError, RecursionError) as exc:
        raise HttpError(400, "malformed", f"The body is not valid JSON: {_reason(exc)}") from None
    if not isinstance(document, _JsonObject):
        kind = "array" if isinstance(document, list) else type(document).__name__
        raise HttpError(400, "malformed", f"The JSON body must be an object, not {kind}")
    return Params(values=dict(document), repeated=document.repeated)


def _form_params(request: Request) -> Params:
    try:
        form = request.form
    except ValueError as exc:
        raise HttpError(400, "malformed", f"The form body cannot be parsed: {exc}") from None
    if request.mimetype == _MULTIPART:
        _check_multipart(request)
    params: dict[str, object] = {}
    errors: dict[str, list[str]] = {}
    indexed: dict[int, str] = {}
    spellings: set[str] = set()
    for key, values in form.lists():
        if key is None:  # a part whose name werkzeug cannot read: an unknown parameter
            continue
        match = _INDEXED.fullmatch(key)
        if match:
            spellings.add("segments[N]")
            index = int(match[1])
            if index in indexed or len(values) > 1:
                errors.setdefault("segments", []).append(f"index {index} given more than once")
            indexed[index] = values[0]
        elif key in _ARRAY_KEYS:
            spellings.add(key)
            # a single empty `segments[]=` means "no segments".
            params["segments"] = [] if values == [""] else list(values)
        else:
            params[key] = values[0]
    if indexed:
        params["segments"] = [indexed[i] for i in sorted(indexed)]
    if len(spellings) > 1:
        errors.setdefault("segments", []).append(
            f"spelled more than one way ({', '.join(sorted(spellings))}); use one"
        )
    repeated = frozenset(k for k, v in form.lists() if len(v) > 1 and k not in _ARRAY_KEYS)
    return Params(params, errors, repeated)


class _JsonObject(dict[str, Any]):
    """A JSON object that remembers which of its keys occurred more than once."""

    repeated: frozenset[str] = frozenset()

    @classmethod
    def from_pairs(cls, pairs: list[tuple[str, Any]]) -> _JsonObject:
        obj = cls(pairs)
        if len(obj) != len(pairs):
            keys = [k for k, _ in pairs]
            obj.repeated = frozenset(k for k in keys if keys.count(k) > 1)
        return obj


def _check_multipart(request: Request) -> None:
    """Werkzeug forgives a truncated multipart body; V-4 calls it broken."""
    boundary = request.mimetype_params.get("boundary")
    if not boundary:
        raise HttpError(400, "malformed", "The multipart Content-Type has no boundary")
    if f"--{boundary}--".encode("latin-1", "replace") not in request.get_data(cache=True):
        raise HttpError(400, "malformed", "The multipart body is truncated: no closing boundary")


def _refuse_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    if isinstance(exc, UnicodeDecodeError):
        return "not UTF-8"
    return str(exc)


def _too_large() -> HttpError:
    return HttpError(413, "too_large", f"The body is larger than {MAX_BODY} bytes")


def _unsupported(mimetype: str) -> HttpError:
    return HttpError(
        415,
        "unsupported_media_type",
        f"Content-Type {mimetype} is not supported; send application/x-www-form-urlencoded, "
        "multipart/form-data or application/json",
    )
