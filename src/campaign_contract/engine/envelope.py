"""Pure judgements of a response against the envelope rules (V-1, V-2, V-3, V-4)."""

from __future__ import annotations

from typing import Final

from campaign_contract.transport.exchange import Exchange

#: V-3's list of stable failure codes.
CODES: Final = frozenset(
    {
        "invalid",
        "reference",
        "conflict",
        "not_found",
        "method_not_allowed",
        "unauthorized",
        "too_large",
        "unsupported_media_type",
        "malformed",
    }
)

#: The V-3 code that goes with each status V-4 names.
CODE_FOR_STATUS: Final = {
    400: "malformed",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
}


def json_problem(exchange: Exchange) -> str | None:
    """Why this response is not a JSON answer (V-1), or None."""
    if not exchange.answered:
        return f"no answer: {exchange.error}"
    if not exchange.parses_as_json:
        return f"body is not JSON: {exchange.describe()}"
    if not exchange.is_json_type:
        return f"JSON body sent as Content-Type {exchange.content_type or '(none)'!r}"
    return None


def envelope_problem(exchange: Exchange) -> str | None:
    """Why a JSON response is not `{"success": bool, "data": object}` (V-2), or None."""
    body = exchange.json()
    if not isinstance(body, dict):
        return f"JSON body is a {type(body).__name__}, not an object"
    if not isinstance(body.get("success"), bool):
        return f"`success` is {body.get('success')!r}, not a boolean"
    if not isinstance(body.get("data"), dict):
        return f"`data` is {type(body.get('data')).__name__}, not an object"
    return None


def failure_problem(exchange: Exchange) -> str | None:
    """Why a response is not a failure envelope with a text `data.error` (V-3), or None."""
    problem = envelope_problem(exchange)
    if problem is not None:
        return problem
    if exchange.success() is not False:
        return "`success` is true for a request that must fail"
    if not isinstance(exchange.data().get("error"), str) or not exchange.data()["error"]:
        return "`data.error` is missing or not a non-empty text"
    return None


def code_problem(exchange: Exchange, expected: str) -> str | None:
    """Why `data.code` is not the expected stable code (V-3 profile part), or None."""
    code = exchange.data().get("code")
    if code != expected:
        return f"`data.code` is {code!r}, expected {expected!r}"
    return None


def errors_problem(exchange: Exchange, field: str | None = None) -> str | None:
    """Why `data.errors` is not a map of field to messages naming `field`, or None."""
    errors = exchange.data().get("errors")
    if not isinstance(errors, dict):
        return f"`data.errors` is {type(errors).__name__}, not an object"
    for key, messages in errors.items():
        if not isinstance(messages, list) or not all(isinstance(m, str) for m in messages):
            return f"`data.errors[{key!r}]` is not a list of texts"
    if field is not None and field not in errors:
        return f"`data.errors` does not name the offending field {field!r}: {sorted(errors)}"
    return None
