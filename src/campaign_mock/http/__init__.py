"""The mock's HTTP face: the Flask app, its envelope, auth, body parsing and blueprints."""

from __future__ import annotations

from campaign_mock.http.app import create_app

__all__ = ["create_app"]
