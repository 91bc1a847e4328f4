"""Turning a request body (form, multipart or JSON) into a raw parameter mapping (Q-1, V-4)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from flask import Request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.sansio.multipart import Data, Epilogue, Field, MultipartDecoder, NeedData

from campaign_mock.domain.errors import InvalidError
from campaign_mock.domain.text import bad_text, is_text
from campaign_mock.http.envelope import HttpError
from campaign_mock.http.strict_json import JsonObject, JsonRefused, loads, repeated_keys

MAX_BODY = 1024 * 1024  # V-4: 413 over 1 MiB

_FORM = "application/x-www-form-urlencoded"
_MULTIPART = "multipart/form-data"
_INDEXED = re.compile(r"segments\[([0-9]+)\]")
_ARRAY_KEYS = {"segments[]", "segments"}
_NOT_TEXT = "is not text: it cannot be encoded as UTF-8"
_MAX_NAMED = 20  # fields named in one refusal, so its message stays short


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
    if not data:  # no body: no parameters; whitespace alone is broken JSON (RFC 8259)
        return Params()
    try:
        document = loads(data)
    except JsonRefused as exc:
        raise HttpError(400, "malformed", f"The body is not valid JSON: {exc}") from None
    if not isinstance(document, JsonObject):
        kind = "array" if isinstance(document, list) else type(document).__name__
        raise HttpError(400, "malformed", f"The JSON body must be an object, not {kind}")
    errors: dict[str, list[str]] = {}
    for key, value in document.items():
        if is_text(key) and bad_text(value):  # a bad key is an unknown parameter: ignored
            errors[key] = [_NOT_TEXT]
    return Params(values=dict(document), errors=errors, repeated=document.repeated)


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
    for key in _keys_not_utf8(request):
        array = key in _ARRAY_KEYS or _INDEXED.fullmatch(key)
        errors.setdefault("segments" if array else key, []).append(_NOT_TEXT)
    if len(spellings) > 1:
        errors.setdefault("segments", []).append(
            f"spelled more than one way ({', '.join(sorted(spellings))}); use one"
        )
    repeated = frozenset(k for k, v in form.lists() if len(v) > 1 and k not in _ARRAY_KEYS)
    return Params(params, errors, repeated)


def _keys_not_utf8(request: Request) -> set[str]:
    """Form keys whose values are not UTF-8, raw or percent-encoded.

    Werkzeug hides them: it re-quotes percent-encoded bytes as text (`%ED%A0%80`), replaces
    bad multipart bytes with U+FFFD, and reads an urlencoded body with raw bad bytes as empty.
    """
    data = request.get_data(cache=True)
    if request.mimetype == _FORM:
        if data.isascii() and b"%" not in data:
            return set()  # no byte to decode but ASCII: every value is UTF-8 (most bodies)
        pairs = parse_qsl(
            data.decode("utf-8", "surrogateescape"),
            keep_blank_values=True,
            errors="surrogateescape",
        )
        return {k for k, v in pairs if is_text(k) and not is_text(v)}
    return {k for k, v in _multipart_fields(request, data) if not _utf8(v)}


def _multipart_fields(request: Request, data: bytes) -> list[tuple[str, bytes]]:
    """The raw bytes of each form field of a multipart body (files are not parameters)."""
    boundary = request.mimetype_params.get("boundary", "")
    decoder = MultipartDecoder(boundary.encode("latin-1", "replace"), max_form_memory_size=None)
    fields: list[tuple[str, bytes]] = []
    current: Field | None = None
    chunks: list[bytes] = []
    try:
        decoder.receive_data(data)
        decoder.receive_data(None)
        event = decoder.next_event()
        while not isinstance(event, Epilogue | NeedData):
            if isinstance(event, Field):
                current, chunks = event, []
            elif not isinstance(event, Data):
                current = None  # a file part
            elif current is not None:
                chunks.append(event.data)
                if not event.more_data:
                    fields.append((current.name, b"".join(chunks)))
            event = decoder.next_event()
    except ValueError:  # what werkzeug could not frame is judged by _check_multipart
        return fields
    return fields


def _utf8(value: bytes) -> bool:
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def check_control_body(request: Request) -> None:
    """`/_mock/` JSON bodies: 400 unless strict JSON, `invalid` for text UTF-8 cannot encode.

    The control routes read the body with `request.get_json()` (the strict provider); this
    says why a body is refused instead of letting each route see None.
    """
    if request.mimetype != "application/json" and not request.mimetype.endswith("+json"):
        return
    if (request.content_length or 0) > MAX_BODY:
        raise _too_large()
    try:
        data = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise _too_large() from None
    if not data:  # as `_json_params`: only no body at all is no parameters
        return
    try:
        document = loads(data)
    except JsonRefused as exc:
        raise HttpError(400, "malformed", f"The body is not valid JSON: {exc}") from None
    errors: dict[str, list[str]] = {}
    for path in bad_text(document)[:_MAX_NAMED]:
        errors.setdefault(path, []).append(_NOT_TEXT)
    for path in repeated_keys(document)[:_MAX_NAMED]:
        errors.setdefault(path, []).append("given more than once")
    if errors:
        raise InvalidError.from_fields(errors)


def _check_multipart(request: Request) -> None:
    """Werkzeug forgives a truncated multipart body; V-4 calls it broken. The close delimiter
    counts only at the body's start or after a line break (RFC 2046): inside a part's text
    (`--b\r\n[]--b--`, what schemathesis made of a negative body) it is that part's content."""
    boundary = request.mimetype_params.get("boundary")
    if not boundary:
        raise HttpError(400, "malformed", "The multipart Content-Type has no boundary")
    close = re.escape(f"--{boundary}--".encode("latin-1", "replace"))
    if not re.search(rb"(?:\A|\r\n|\n|\r)" + close, request.get_data(cache=True)):
        raise HttpError(400, "malformed", "The multipart body is truncated: no closing boundary")


def _too_large() -> HttpError:
    return HttpError(413, "too_large", f"The body is larger than {MAX_BODY} bytes")


def _unsupported(mimetype: str) -> HttpError:
    return HttpError(
        415,
        "unsupported_media_type",
        f"Content-Type {mimetype} is not supported; send application/x-www-form-urlencoded, "
        "multipart/form-data or application/json",
    )
