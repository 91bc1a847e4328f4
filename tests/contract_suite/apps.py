"""Tiny servers for testing the suite: one that follows V-1..V-5 and R-1, and planted bugs."""

from __future__ import annotations

import io
import json
import logging
import re
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from flask import Flask, Request, Response, request
from werkzeug.formparser import parse_form_data
from werkzeug.serving import make_server

USERNAME = "alice"
PASSWORD = "secret"
API_KEY = "key-1"
BOUNCING_DOMAIN = 1
LIST_ID = 1
#: The one segment of list 1 (tests/contract_suite/test_cli.py's config).
SEGMENT_ID = 5
LIMIT = 1024 * 1024
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]
EDGES = {
    ("DRAFT", "SCHEDULED"),
    ("SCHEDULED", "DRAFT"),
    ("SCHEDULED", "READY"),
    ("READY", "SCHEDULED"),
}
STATUS_CODE = {400: "malformed", 401: "unauthorized", 404: "not_found", 405: "method_not_allowed",
               413: "too_large", 415: "unsupported_media_type"}  # fmt: skip

#: Bugs a broken variant can carry, each breaking one thing the suite must catch.
BUGS = frozenset({"json500", "no_challenge", "html_404", "auth_first", "hang", "session_sticks"})


class Reject(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        errors: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or STATUS_CODE.get(status, "invalid")
        self.errors = errors or {}


def envelope(success: bool, data: dict[str, Any], status: int = 200) -> Response:
    return Response(
        json.dumps({"success": success, "data": data}), status, mimetype="application/json"
    )


def failure(
    status: int, message: str, code: str, errors: dict[str, list[str]] | None = None
) -> Response:
    return envelope(False, {"error": message, "code": code, "errors": errors or {}}, status)


def create_app(bugs: frozenset[str] = frozenset(), auth: bool = True) -> Flask:
    """A deliberately conforming server, or one with the named `bugs` planted."""
    assert bugs <= BUGS, bugs - BUGS
    app = Flask(__name__)
    campaigns: dict[int, dict[str, Any]] = {}
    sessions: set[str] = set()
    next_id = [1]

    def route(method: str, path: str) -> tuple[str, int | None]:
        trimmed = path.rstrip("/") or "/"
        campaign_id = None
        if trimmed in ("/login", "/logout"):
            allowed, kind = {"POST"}, trimmed[1:]
        elif trimmed == "/campaign":
            allowed, kind = {"POST", "OPTIONS"}, "collection"
        elif match := re.fullmatch(r"/campaign/([^/]+)", trimmed):
            raw = match.group(1)
            if not (raw.isascii() and raw.isdigit()) or int(raw) == 0:
                raise Reject(404, f"no route for {path}")
            allowed, kind, campaign_id = (
                {"GET", "HEAD", "PUT", "DELETE", "OPTIONS"},
                "item",
                int(raw),
            )
        else:
            raise Reject(404, f"no route for {path}")
        if method not in allowed:
            raise Reject(405, f"{method} is not allowed on {path}")
        return kind, campaign_id

    def authenticated(req: Request) -> bool:
        if not auth:
            return True
        if req.authorization is not None and req.authorization.type == "basic":
            return req.authorization.username == USERNAME and req.authorization.password in (
                PASSWORD,
                API_KEY,
            )
        return req.cookies.get("sergiosgc_auth") in sessions

    def body(req: Request) -> dict[str, Any]:
        if (req.content_length or 0) > LIMIT:
            _drain(req)
            raise Reject(413, "body over 1 MiB")
        raw = req.stream.read(LIMIT + 1)
        if len(raw) > LIMIT:
            _drain(req)
            raise Reject(413, "body over 1 MiB")
        ctype = req.mimetype
        if not raw and not ctype:
            return {}
        if ctype == "application/json" or ctype.endswith("+json"):
            try:
                parsed = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                if "json500" in bugs:
                    raise RuntimeError("planted bug: broken JSON crashes") from None
                raise Reject(400, "the body is not valid JSON") from None
            if not isinstance(parsed, dict):
                raise Reject(400, "the JSON body is not an object")
            return parsed
        if ctype == "application/x-www-form-urlencoded":
            try:
                return dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
            except (UnicodeDecodeError, ValueError):
                raise Reject(400, "the form body does not parse") from None
        if ctype == "multipart/form-data":
            environ = dict(req.environ)
            environ["wsgi.input"] = io.BytesIO(raw)
            environ["CONTENT_LENGTH"] = str(len(raw))
            try:
                _, form, _ = parse_form_data(environ, silent=False)
            except ValueError:
                raise Reject(400, "the multipart body does not parse") from None
            return dict(form)
        raise Reject(415, f"unsupported content type {ctype or '(none)'}")

    def validate(params: dict[str, Any], creating: bool) -> dict[str, Any]:
        errors: dict[str, list[str]] = {}
        out: dict[str, Any] = {}
        if "list" in params and not creating:
            errors["list"] = ["list cannot be changed"]
        for key in ("domain", "list"):
            if key in params and (creating or key == "domain"):
                if not str(params[key]).isdigit():
                    errors[key] = ["must be an integer"]
                else:
                    out[key] = int(params[key])
            elif creating:
                errors[key] = ["is required"]
        if "name" in params:
            out["name"] = str(params["name"])
            if not out["name"].strip() or len(out["name"]) > 255:  # Q-4, on POST and PUT
                errors["name"] = ["must be 1 to 255 characters, not blank"]
        elif creating:
            errors["name"] = ["is required"]
        if "when" in params and params["when"] not in ("", None) and not _is_when(params["when"]):
            errors["when"] = ["is not a Unix time or an RFC 3339 date-time"]
        spelled = [v for k, v in params.items() if k == "segments" or k.startswith("segments[")]
        if any(not str(v).isdigit() for v in _flat(spelled) if v != ""):
            errors["segments"] = ["must be integers"]
        if "state" in params:
            if params["state"] not in ("DRAFT", "SCHEDULED", "READY", "SENDING", "DONE", "ERROR"):
                errors["state"] = ["unknown state"]
            out["state"] = params["state"]
        if errors:
            raise Reject(200, f"invalid: {', '.join(errors)}", "invalid", errors)
        refs = {
            k: ["does not resolve"]
            for k, v in (("domain", out.get("domain")), ("list", out.get("list")))
            if v is not None and v != {"domain": BOUNCING_DOMAIN, "list": LIST_ID}[k]
        }
        segments = {int(v) for v in _flat(spelled) if str(v).isdigit()}
        if segments - {SEGMENT_ID}:  # Q-6: each segment within the list (5 is list 1's)
            refs["segments"] = ["is not a segment of the list"]
        if refs:
            raise Reject(200, f"reference: {', '.join(refs)}", "reference", refs)
        return out

    def application(
        kind: str, method: str, campaign_id: int | None, params: dict[str, Any]
    ) -> Response:
        if kind == "login":
            if not params.get("username") or not params.get("password"):
                return failure(200, "username and password are required", "invalid")
            if params["username"] != USERNAME or params["password"] not in (PASSWORD, API_KEY):
                raise Reject(401, "wrong credentials")
            token = secrets.token_hex(8)
            sessions.add(token)
            response = envelope(True, {"token": token, "username": USERNAME})
            response.set_cookie("sergiosgc_auth", token, httponly=True)
            return response
        if kind == "logout":
            if "session_sticks" not in bugs:
                sessions.discard(request.cookies.get("sergiosgc_auth", ""))
            response = envelope(True, {})
            response.delete_cookie("sergiosgc_auth")
            return response
        if method == "POST":
            fields = validate(params, creating=True)
            fields.setdefault("state", "DRAFT")
            if fields["state"] not in ("DRAFT", "SCHEDULED", "READY"):
                return failure(200, "a campaign cannot start in this state", "conflict")
            campaign = {
                "id": next_id[0],
                "segments": [],
                "when": None,
                "event_callback": None,
                **fields,
            }
            campaigns[next_id[0]] = campaign
            next_id[0] += 1
            return envelope(True, campaign)
        assert campaign_id is not None
        campaign = campaigns[campaign_id]
        if method in ("GET", "HEAD"):
            return envelope(True, campaign)
        if method == "DELETE":
            return envelope(True, campaigns.pop(campaign_id))
        fields = validate(params, creating=False)
        state = fields.get("state", campaign["state"])
        if state != campaign["state"] and (campaign["state"], state) not in EDGES:
            return failure(200, f"cannot go from {campaign['state']} to {state}", "conflict")
        campaign.update(fields)
        return envelope(True, campaign)

    @app.route("/", defaults={"path": ""}, methods=ALL_METHODS)
    @app.route("/<path:path>", methods=ALL_METHODS)
    def dispatch(path: str) -> Response:
        try:
            if "hang" in bugs and path == "campaign/abc":
                time.sleep(3)
            if "auth_first" in bugs and not authenticated(request):
                raise Reject(401, "credentials required")
            kind, campaign_id = route(request.method, "/" + path)
            if request.method == "OPTIONS":
                return envelope(True, {"allow": ["GET", "PUT", "DELETE", "HEAD", "OPTIONS"]})
            if kind != "login" and not authenticated(request):
                raise Reject(401, "credentials required")
            params = body(request) if request.method in ("POST", "PUT") else {}
            if campaign_id is not None and campaign_id not in campaigns:
                raise Reject(404, f"campaign {campaign_id} does not exist")
            return application(kind, request.method, campaign_id, params)
        except Reject as reject:
            if reject.status == 404 and "html_404" in bugs:
                return Response("<h1>Not found</h1>", 404, mimetype="text/html")
            response = failure(reject.status, str(reject), reject.code, reject.errors)
            if reject.status == 401 and "no_challenge" not in bugs:
                response.headers["WWW-Authenticate"] = 'Basic realm="campaign"'
            return response

    return app


def _drain(req: Request) -> None:
    while req.stream.read(65536):
        pass


@contextmanager
def serve(app: Flask) -> Iterator[str]:
    """Serve `app` on a free local port in a thread; yields its base URL."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _is_when(value: object) -> bool:
    """Q-2 as this small server reads it: digits, or an ISO date-time/date Python parses."""
    text = str(value)
    if text.isdigit():
        return True
    try:
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def _flat(values: list[object]) -> list[object]:
    return [v for value in values for v in (value if isinstance(value, list) else [value])]
