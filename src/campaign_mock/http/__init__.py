"""The mock's HTTP doors: the Flask app, its envelope, auth, body parsing and blueprints."""

from __future__ import annotations

from campaign_mock.http.app import flask_app

__all__ = ["flask_app"]
