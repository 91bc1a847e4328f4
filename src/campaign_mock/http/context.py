"""Where the app keeps the core: `app.extensions["campaign_mock"]` (flaskr's way)."""

from __future__ import annotations

from flask import Flask, current_app

from campaign_mock.core import Mock

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
