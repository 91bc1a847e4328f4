"""DUO's response envelope `{"success", "data"}` as JSON, or as a page for people (V-1, V-2)."""

from __future__ import annotations

import html
from typing import Any

from flask import Response, current_app, g, request

from campaign_mock.domain.errors import CampaignError
from campaign_mock.http.page_headers import PAGE_STYLE
from campaign_mock.http.strict_json import dumps

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>{style}</style></head>
<body><h1 class="{cls}">{title}</h1><p>{summary}</p><pre>{body}</pre>
<p><small>campaign-mock: send <code>Accept: application/json</code> for the API's JSON;
<a href="/">the dashboard</a> shows every campaign.</small>
</p></body></html>
"""


#: The API's campaign answers a browser gets as the dashboard's campaign page (V-1).
_CAMPAIGN_PAGES = frozenset(
    {"campaign.get_campaign", "campaign.create_campaign", "campaign.update_campaign"}
)


class HttpError(Exception):
    """A failure before the application runs, answered with its own status (V-4)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def success(data: dict[str, object], status: int = 200) -> Response:
    """`success: true` with `data` (V-2)."""
    return _render({"success": True, "data": data}, status)


def failure(
    status: int,
    code: str,
    message: str,
    errors: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """`success: false` with `data.error`, `data.code` and `data.errors` (V-3, V-4)."""
    response = _render(failure_document(code, message, errors), status)
    response.headers.update(headers or {})
    return response


#: Where the app keeps what renders a campaign the API answered as a page (V-1): the
#: dashboard's, registered by http/app.py so this lowest module imports no page.
CAMPAIGN_PAGE = "campaign_mock.campaign_page"


def failure_document(
    code: str, message: str, errors: dict[str, list[str]] | None = None
) -> dict[str, object]:
    """The failure envelope itself; the WSGI server's own refusals use it too (V-4)."""
    return {"success": False, "data": {"error": message, "code": code, "errors": errors or {}}}


def from_campaign_error(error: CampaignError) -> Response:
    """An application-level failure: HTTP 200 (V-3)."""
    return failure(200, error.code, error.message, error.errors)


def from_http_error(error: HttpError) -> Response:
    return failure(error.status, error.code, error.message, headers=error.headers)


def wants_html(environ: dict[str, Any] | None = None) -> bool:
    """Only a request that prefers text/html to JSON gets a page (V-1). `environ`: this
    request's, when the caller holds it (a lookup through `request` costs three calls)."""
    header = (request.environ if environ is None else environ).get("HTTP_ACCEPT", "")
    if "html" not in header:  # the common case, without parsing the header (nor its lookup)
        return False
    accept = request.accept_mimetypes
    return accept["text/html"] > accept["application/json"]


def _render(body: dict[str, object], status: int) -> Response:
    held = g._get_current_object().__dict__  # what `g.name` reads, unwrapped once
    held["success"] = body["success"]
    text = dumps(body)
    if not body["success"]:
        held["failure_text"] = text  # the request journal's dashboard shows it (failures.py)
        data = body["data"]
        held["failure_code"] = data.get("code") if isinstance(data, dict) else None  # the log's
    # No page: bytes and a full content type, so werkzeug has nothing to work out.
    if not wants_html(held.get("environ")):
        answer = Response(text.encode(), status, content_type="application/json")
        held["json_answer"] = answer  # no page: the answer's hook need not read its type
        return answer
    data = body["data"]
    ok = bool(body["success"])
    if ok and request.endpoint in _CAMPAIGN_PAGES and isinstance(data, dict):
        page_of = current_app.extensions[CAMPAIGN_PAGE]  # the dashboard's (http/app.py)
        return Response(page_of(data, _pretty(body)), status, mimetype="text/html")
    title = "OK" if ok else "Request failed"
    summary = "" if ok or not isinstance(data, dict) else str(data.get("error", ""))
    page = _PAGE.format(
        title=html.escape(title),
        style=PAGE_STYLE,
        cls="" if ok else "bad",
        summary=html.escape(summary),
        body=html.escape(_pretty(body)),
    )
    return Response(page, status, mimetype="text/html")


def _pretty(body: dict[str, object]) -> str:
    return dumps(body, indent=2, separators=(",", ": "))
