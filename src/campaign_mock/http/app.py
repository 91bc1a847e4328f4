"""`flask_app(core)`: the HTTP door, with V-4's order of checks in one before-request hook."""

from __future__ import annotations

import functools
import inspect
import logging
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, Request, Response, current_app, g, request
from flask.sessions import NullSession, SecureCookieSessionInterface
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import BaseConverter

from campaign_mock.core import Mock
from campaign_mock.core.errors import BusyError, WorldRequiredError
from campaign_mock.core.journal import BODY_PREVIEW, JournalRow
from campaign_mock.domain.errors import CampaignError, NotFoundError
from campaign_mock.domain.params import parse_id
from campaign_mock.http import page_headers
from campaign_mock.http.api import campaigns
from campaign_mock.http.api import login as session
from campaign_mock.http.api.selfcall import refuse_callbacks_to_itself
from campaign_mock.http.auth import (
    CHALLENGE,
    require_control_token,
    require_secrets_token,
    require_user,
)
from campaign_mock.http.body import MAX_BODY, Params, check_control_body, read_params
from campaign_mock.http.context import EXTENSION
from campaign_mock.http.control import campaigns as campaign_control
from campaign_mock.http.control import clock, deliveries, metrics, records, settings, spec
from campaign_mock.http.dashboard import guard as dashboard_guard
from campaign_mock.http.dashboard import pages as dashboard
from campaign_mock.http.envelope import (
    CAMPAIGN_PAGE,
    HttpError,
    failure,
    from_campaign_error,
    from_http_error,
    success,
)
from campaign_mock.http.failures import failed_answers
from campaign_mock.http.guard import check_control_change
from campaign_mock.http.hosts import check_host
from campaign_mock.http.logged import control_log, dashboard_log, log_request, requests_log
from campaign_mock.http.redaction import redacted, redacted_query
from campaign_mock.http.strict_json import StrictJSONProvider
from campaign_mock.http.world import check_scope

_NO_PARAMS = Params()
_PUBLIC_ENDPOINTS = {"session.login", "spec.openapi_document"}
#: Whose bodies and query strings the request journal shows without their passwords.
_SECRET_ENDPOINTS = {"session.login", "session.logout"}


def may_wait(path: str) -> bool:
    """Whether answering `path` may wait: under `/_mock/` (the control API and the
    dashboard), long-polls and clock moves that settle their callbacks wait on purpose, and
    a reset or a move of the clock may work for long. The API's routes answer from the
    state held."""
    return path.startswith("/_mock/")


class PositiveIntConverter(BaseConverter):
    """Path ids are ASCII digits worth more than 0; anything else is a routing 404 (V-4)."""

    # In the regex, not in to_python: a ValidationError there confuses werkzeug's 405 logic.
    regex = r"0*[1-9][0-9]*"

    def to_python(self, value: str) -> int:
        return parse_id(value)

    def to_url(self, value: object) -> str:
        return str(value)


class _NoFlaskSessions(SecureCookieSessionInterface):
    """The mock's sessions are its own (V-5's cookie, kept by the core); Flask's signed cookie
    is never used, so one read-only null session stands for it on every request instead of a
    new one made and checked per request."""

    _NULL = NullSession()

    def open_session(self, app: Flask, request: Request) -> NullSession:
        return self._NULL


class _SyncFlask(Flask):
    """Flask whose views, hooks and handlers are all plain functions (`flask_app` checks):
    `ensure_sync` need not inspect each one on every request (a sixth of a GET's calls)."""

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        return func


def _refuse_coroutines(app: Flask) -> None:
    """What `_SyncFlask` relies on: no `async def` anywhere the app calls per request."""
    handlers: list[Callable[..., Any]] = [*app.view_functions.values()]
    for table in (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs):
        handlers += [f for funcs in table.values() for f in funcs]
    for by_code in app.error_handler_spec.values():
        handlers += [f for by_class in by_code.values() for f in by_class.values()]
    for handler in handlers:
        if inspect.iscoroutinefunction(handler):
            raise TypeError(f"{handler.__qualname__}: the mock's app runs no async function")


def flask_app(core: Mock) -> Flask:
    """The HTTP door of `core`: the API, the control API and the dashboard, one Flask app.

    Built by `campaign_mock.assembly` (the one builder); the app owns nothing but routing:
    every view parses, calls one operation of `core` and renders.
    """
    app = _SyncFlask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    # Werkzeug keeps a multipart field in memory only up to 500 kB and answers 413 past it;
    # V-4's limit is the whole body's 1 MiB, whichever way it is encoded.
    app.config["MAX_FORM_MEMORY_SIZE"] = MAX_BODY
    app.json = StrictJSONProvider(app)
    app.session_interface = _NoFlaskSessions()
    app.url_map.converters["positive_int"] = PositiveIntConverter
    app.extensions[EXTENSION] = core
    app.extensions[CAMPAIGN_PAGE] = dashboard.api_campaign_page
    app.register_blueprint(campaigns.blueprint)
    app.register_blueprint(session.blueprint)
    for door in (records, clock, settings, deliveries, campaign_control, metrics, spec):
        app.register_blueprint(door.blueprint)
    app.register_blueprint(dashboard.blueprint)  # `/` and `/_mock/ui/`: pages for people
    # The hooks hold their app and core: no lookup through `current_app` per request.
    app.before_request(functools.partial(_check_request, app, core))
    app.after_request(functools.partial(_record_request, core))
    app.register_error_handler(CampaignError, _campaign_error)
    app.register_error_handler(WorldRequiredError, _world_required)
    app.register_error_handler(BusyError, _busy)
    app.register_error_handler(HttpError, from_http_error)
    app.register_error_handler(HTTPException, _http_exception)
    for error in core.unavailable:
        app.register_error_handler(error, _store_unavailable)
    _refuse_coroutines(app)
    return app


def _check_request(app: Flask, core: Mock) -> Response | None:
    """V-4: routing, then credentials, then the body; the application comes last.

    Before all of them, a served mock answers only to its own `Host` names (http/hosts.py).
    The control surface (`/_mock/`, the dashboard) then takes changes from no other site's
    page (http/guard.py) and, isolated, acts on the caller's world alone (http/world.py).
    The request, `g` and the mock's state are looked up once: each proxy lookup costs.
    """
    req: Request = request._get_current_object()  # type: ignore[attr-defined]
    held: dict[str, Any] = g._get_current_object().__dict__  # what `g.name` reads, unwrapped
    held["started"] = time.perf_counter()
    held["core"] = core  # for the views (http/context.py `caller`)
    held["environ"] = req.environ  # for the envelope (http/envelope.py `wants_html`)
    rule = req.url_rule  # its endpoint read once: `req.endpoint` and `req.blueprint` each call
    held["endpoint"] = endpoint = rule.endpoint if rule is not None else None
    held["dashboard"] = on_dashboard = (
        endpoint is not None and endpoint.rpartition(".")[0] == dashboard.NAME
    )
    held["params"] = Params()
    check_host(app, req)
    if req.routing_exception is not None:
        raise req.routing_exception
    method = req.method
    if method == "OPTIONS":
        return _options()
    if on_dashboard:  # `/` too: the dashboard is the control surface
        refused = dashboard_guard.check(req, core.control_token)
        if refused is None:
            check_scope()
        return refused
    if req.path.startswith("/_mock/"):
        require_control_token(req, core.control_token)
        require_secrets_token(req, core.secrets_token)
        check_control_change(req, core.control_token)
        if method in {"POST", "PUT"}:
            check_control_body(req)
        check_scope()
        return None
    if core.auth and endpoint not in _PUBLIC_ENDPOINTS:
        held["user"] = require_user(req, core)
        if core.isolated:
            held["account"] = held["user"]
    else:
        held["user"] = "anonymous"
    if method in {"POST", "PUT"}:
        held["params"] = read_params(req)
        refuse_callbacks_to_itself(req, held["params"], core)
    return None


def _options() -> Response:
    """V-4: OPTIONS is answered wherever GET is (no credentials needed); elsewhere it is a 405."""
    adapter = request.url_rule.map.bind_to_environ(request.environ) if request.url_rule else None
    allowed = sorted(adapter.allowed_methods(request.path)) if adapter else []
    if "GET" not in allowed:
        raise MethodNotAllowed(valid_methods=[m for m in allowed if m != "OPTIONS"])
    response = success({"allow": allowed})
    response.headers["Allow"] = ", ".join(allowed)
    return response


def _campaign_error(error: CampaignError) -> Response:
    if isinstance(error, NotFoundError):  # V-4 step 4: a missing id is a 404
        return failure(404, error.code, error.message, error.errors)
    return from_campaign_error(error)


def _world_required(error: WorldRequiredError) -> Response:
    """Isolated, a control route on one world needs the account's credentials."""
    message = (
        f"With --isolate accounts, {request.path} acts on one account's world: "
        "send that account's credentials (HTTP Basic or its session cookie)"
    )
    return failure(401, "unauthorized", message, headers=CHALLENGE)


def _busy(error: BusyError) -> Response:
    return failure(429, "busy", str(error), headers={"Retry-After": "1"})


def _store_unavailable(error: Exception) -> Response:
    """The shared store (--state) did not answer: a 503 naming it, never a traceback."""
    current_app.logger.warning("campaign-mock: the state store failed: %s", error)
    g.store_failed = True  # nor can the journal be written
    return failure(503, "unavailable", f"The mock's state store cannot serve this request: {error}")


def _http_exception(error: HTTPException) -> Response:
    """Werkzeug's own failures (routing, size) in the envelope."""
    status = error.code or 500
    if isinstance(error, NotFound):
        return failure(404, "not_found", f"No such resource: {request.path}")
    if isinstance(error, MethodNotAllowed):
        allowed = sorted(error.valid_methods or [])
        return failure(
            405,
            "method_not_allowed",
            f"{request.method} is not allowed on {request.path}; use {', '.join(allowed)}",
            headers={"Allow": ", ".join(allowed)},
        )
    if status == 413:
        return failure(413, "too_large", f"The body is larger than {MAX_BODY} bytes")
    if status == 400:
        return failure(400, "malformed", error.description or "Malformed request")
    return failure(status, "malformed", error.description or error.name)


def _record_request(core: Mock, response: Response) -> Response:
    """Every answer is counted (`/_mock/metrics`) and logged (http/logged.py); an API
    request's is journalled too. The dashboard is neither counted nor journalled, and its
    lines are DEBUG: its pages poll every second. Every dashboard answer and every page for a
    browser gets `page_headers`: not framed, nothing foreign. (One hook: each costs.)"""
    req: Request = request._get_current_object()  # type: ignore[attr-defined]
    held: dict[str, Any] = g._get_current_object().__dict__  # what `g.name` reads, unwrapped
    status = response.status_code
    now = time.perf_counter()
    duration_ms = round((now - held.get("started", now)) * 1e3, 3)
    on_dashboard = held.get("dashboard")
    if on_dashboard is None:
        on_dashboard = req.blueprint == dashboard.NAME
    if on_dashboard or (held.get("json_answer") is not response and _is_html(response)):
        page_headers.protect(response)
    if on_dashboard:
        logger, level, account = dashboard_log, logging.DEBUG, held.get("caller")
    elif req.path.startswith("/_mock/"):
        logger, level, account = control_log, logging.INFO, held.get("caller")
    else:
        logger, level, account = requests_log, logging.INFO, held.get("user")
    if logger is not dashboard_log:
        core.request_counts.count(req.url_rule.rule if req.url_rule else None, req.method, status)
    if logger.isEnabledFor(level):
        log_request(
            logger,
            level,
            method=req.method,
            path=req.path,
            status=status,
            code=held.get("failure_code"),
            ms=duration_ms,
            account=account,
        )
    if logger is requests_log and not held.get("store_failed"):
        _journal_request(req, held, core, status, duration_ms)
    return response


def _is_html(response: Response) -> bool:
    """Whether the answer is a page (its mimetype, without parsing the header's parameters)."""
    content_type = response.headers.get("Content-Type", "")
    return content_type[:9].lower() == "text/html" and content_type[9:10] in ("", ";", " ")


def _journal_request(
    req: Request, held: dict[str, Any], core: Mock, status: int, duration_ms: float
) -> None:
    params: Params = held.get("params", _NO_PARAMS)
    body = req.get_data(cache=True) if params.values or params.errors else b""
    text = body[:BODY_PREVIEW].decode("utf-8", "replace")
    environ = req.environ  # as werkzeug's `query_string` and `content_type` read it
    query: str = environ.get("QUERY_STRING", "")
    content_type: str | None = environ.get("CONTENT_TYPE")
    known: tuple[str, ...] = ()
    endpoint = held.get("endpoint") or req.endpoint  # `_check_request` read it
    if endpoint in _SECRET_ENDPOINTS:
        secret = params.values.get("password")
        known = (secret,) if isinstance(secret, str) else ()
        text = redacted(content_type, body, known)[:BODY_PREVIEW]
        query = redacted_query(query)
    seq = core.journal.next_seq()  # one sequence, so journals merge in order
    failed = held.get("failure_text")
    if failed is not None and not any(s and s in failed for s in known):  # for the dashboard
        failed_answers().keep(seq, failed)
    row: JournalRow = (
        seq, core.now(), req.method, req.path, query, content_type, text, status,
        held.get("success"), duration_ms,
    )  # fmt: skip
    try:
        core.record_request(held.get("account") if core.isolated else None, row)
    except core.unavailable as error:  # the answer stands; only its journal line is lost
        current_app.logger.warning("campaign-mock: the request journal's store failed: %s", error)
