"""Reading a control request's JSON body: an object whose numbers are finite and in range."""

from __future__ import annotations

from typing import Any

from flask import request

from campaign_mock.domain.errors import InvalidError
from campaign_mock.domain.timestamp import MAX_TIMESTAMP, TimestampError, parse_when
from campaign_mock.http import numbers


def json_object() -> dict[str, Any]:
    """The JSON object of the body (`{}` for none); every number finite (`numbers`)."""
    if not request.get_data():
        return {}
    try:
        document = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the parser goes
        document = None
    if not isinstance(document, dict):
        raise InvalidError("body: must be a JSON object", {"body": ["must be a JSON object"]})
    numbers.check_finite(document)
    return document


def moment(value: object, field: str = "now") -> float:
    """Unix seconds (a float may carry a fraction) or ISO 8601, from 1970 to the year 9999."""
    if isinstance(value, float) and not value.is_integer():
        if not 0 <= value <= MAX_TIMESTAMP:  # NaN fails this too
            message = "must be a finite time from 1970 to the year 9999"
            raise InvalidError(f"{field}: {message}", {field: [message]})
        return value
    try:
        return float(parse_when(value))
    except TimestampError as exc:
        raise InvalidError(f"{field}: {exc}", {field: [str(exc)]}) from None
