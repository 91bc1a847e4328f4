"""Where the app keeps the core (`app.extensions["campaign_mock"]`, flaskr's way), and what a
checked request holds in `g`."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g

from campaign_mock.core import Mock
from campaign_mock.http.body import Params

#: The key of `app.extensions` that holds the app's `Mock`.
EXTENSION = "campaign_mock"


def mock_of(app: Flask) -> Mock:
    """The core behind an app built by `http.app.flask_app`."""
    found: Mock = app.extensions[EXTENSION]
    return found


def mock() -> Mock:
    """The core behind the app handling this request."""
    found: Mock = current_app.extensions[EXTENSION]
    return found


def caller() -> tuple[Mock, str | None, Params]:
    """The core, the world (`g.account`: the caller's, isolated; else None) and the body's
    parameters of an API request `http.app` has checked: one lookup of `g`, where `mock()`
    and each `g.name` take one apiece (a tenth of the mock's own cost per request)."""
    held: dict[str, Any] = g._get_current_object().__dict__  # what `g.name` reads, unwrapped
    return held["core"], held.get("account"), held["params"]
