"""More conforming readings in the V, R and Q area: choices CONTRACT.md leaves open that the
new cells (every method, endpoint, flow and boundary) must not fail."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any, Final

from flask import Flask

from campaign_mock.domain.backend import CampaignBackend

from .conforming import conforming
from .middleware import Call, WsgiApp, install

#: Paths without GET, where V-4 does not say whether OPTIONS is a method they have.
WITHOUT_GET: Final = ("/campaign", "/campaign/", "/login/", "/logout/")
ALLOW: Final = {
    "/campaign": "POST, OPTIONS",
    "/login/": "POST, OPTIONS",
    "/logout/": "POST, OPTIONS",
}


def _options_everywhere(call: Call, _b: CampaignBackend) -> None:
    if call.method == "OPTIONS" and call.path in WITHOUT_GET:
        allow = ALLOW.get(call.path.rstrip("/") or call.path, ALLOW["/campaign"])
        call.answer = (200, {"success": True, "data": {"allow": allow.split(", ")}})


@conforming(
    "options_on_every_path",
    "OPTIONS is answered on /campaign, /login/ and /logout/ too (not only where GET is)",
)
def _options_on_every_path(app: Flask) -> None:
    install(app, on_request=_options_everywhere)


def _leap_second(call: Call, _b: CampaignBackend) -> None:
    when = call.params().get("when")
    if isinstance(when, str) and "T23:59:60" in when:
        call.set_param("when", when.replace("T23:59:60", "T23:59:59"))


@conforming(
    "real_leap_second_accepted",
    "a real leap second (2016-12-31T23:59:60Z), which Unix time cannot name, is read as :59",
)
def _real_leap_second_accepted(app: Flask) -> None:
    install(app, on_request=_leap_second)


@conforming(
    "login_without_fields_is_401",
    "POST /login/ without `username` or `password` is V-4's 401 for missing credentials "
    "(not V-3's 200 `invalid`)",
)
def _login_without_fields_is_401(app: Flask) -> None:
    inner: WsgiApp = app.wsgi_app

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/login/" and environ["REQUEST_METHOD"] == "POST":
            captured: dict[str, Any] = {}

            def capture(status: str, headers: list[tuple[str, str]], exc: Any = None) -> Any:
                captured["status"], captured["headers"] = status, headers
                return lambda data: None

            body = b"".join(inner(environ, capture))
            document = json.loads(body) if body else {}
            code = (document.get("data") or {}).get("code")
            if captured["status"].startswith("200") and code == "invalid":
                document["data"]["code"] = "unauthorized"
                payload = json.dumps(document).encode()
                start_response(
                    "401 Unauthorized",
                    [
                        ("Content-Type", "application/json"),
                        ("WWW-Authenticate", 'Basic realm="vendor"'),
                        ("Content-Length", str(len(payload))),
                    ],
                )
                return [payload]
            start_response(captured["status"], captured["headers"])
            return [body]
        return inner(environ, start_response)

    app.wsgi_app = wrapped  # type: ignore[method-assign]


@conforming(
    "session_paths_without_slash",
    "/login and /logout (no trailing slash) are routed like /login/ and /logout/",
)
def _session_paths_without_slash(app: Flask) -> None:
    inner: WsgiApp = app.wsgi_app

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") in ("/login", "/logout"):
            environ["PATH_INFO"] += "/"
        return inner(environ, start_response)

    app.wsgi_app = wrapped  # type: ignore[method-assign]


@conforming(
    "body_refusals_reworded",
    "each 400, 413 or 415 says its `error` in other words every time, so a repeated refused "
    "request differs from the first in its text (only status and `code` are stable, V-3/V-4)",
)
def _body_refusals_reworded(app: Flask) -> None:
    told = [0]

    def on_response(call: Call, status: int, doc: dict[str, Any], _b: CampaignBackend) -> int:
        data = doc.get("data")
        if status in (400, 413, 415) and isinstance(data, dict):
            told[0] += 1
            data["error"] = f"{data.get('error')} (refusal {told[0]})"
        return status

    install(app, on_response=on_response)
