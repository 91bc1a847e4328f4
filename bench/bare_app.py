"""The ceiling: a bare Flask app serving the mock's campaign JSON from an in-memory dict."""

from __future__ import annotations

import base64
import json
import threading

from flask import Flask, Response, request

USERNAME = "demo"
PASSWORD = "demo-password"
_EXPECTED_AUTH = "Basic " + base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
_PAYLOADS = ["email", "sms"]


def _envelope(data: dict[str, object], status: int = 200, *, ok: bool = True) -> Response:
    text = json.dumps({"success": ok, "data": data}, ensure_ascii=False, separators=(",", ":"))
    return Response(text, status, mimetype="application/json")


def create_app() -> Flask:
    """The least a single-process stateful mock must do: check one header, keep a dict, dump JSON.

    The bodies are byte-for-byte what the mock answers for the benchmark's requests.
    """
    app = Flask(__name__)
    campaigns: dict[int, dict[str, object]] = {}
    lock = threading.Lock()
    next_id = [1]

    @app.before_request
    def _auth() -> Response | None:
        if request.path.startswith("/_mock/"):
            return None
        if request.headers.get("Authorization") != _EXPECTED_AUTH:
            data = {"error": "Authentication required", "code": "unauthorized", "errors": {}}
            return _envelope(data, 401, ok=False)
        return None

    @app.post("/_mock/reset")
    def _reset() -> Response:
        with lock:
            campaigns.clear()
            next_id[0] = 1
        return _envelope({})

    @app.post("/campaign")
    def _create() -> Response:
        form = request.form
        try:
            name, domain, list_id = form["name"], int(form["domain"]), int(form["list"])
        except (KeyError, ValueError):
            data = {"error": "name, domain and list are required", "code": "invalid", "errors": {}}
            return _envelope(data, ok=False)
        with lock:
            ident = next_id[0]
            next_id[0] += 1
            campaign: dict[str, object] = {
                "id": ident,
                "name": name,
                "domain": domain,
                "list": list_id,
                "segments": [],
                "state": "DRAFT",
                "when": None,
                "event_callback": None,
                "payloads": _PAYLOADS,
            }
            campaigns[ident] = campaign
        return _envelope(campaign)

    @app.get("/campaign/<int:ident>")
    def _get(ident: int) -> Response:
        campaign = campaigns.get(ident)
        if campaign is None:
            data = {"error": f"campaign {ident} does not exist", "code": "not_found", "errors": {}}
            return _envelope(data, 404, ok=False)
        return _envelope(campaign)

    return app


app = create_app()
