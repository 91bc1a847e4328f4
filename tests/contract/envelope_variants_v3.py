"""One-cell broken variants of V-1 and V-2: each gets ONE endpoint's ONE answer kind wrong (for
one `Accept`, for V-1) and answers every other request as the mock does."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Flask

from campaign_mock.domain.backend import CampaignBackend

from .clause_variants_vrq import Inner, Response, _around
from .middleware import Call, install
from .variants import variant

HTML = [("Content-Type", "text/html; charset=utf-8")]
PAGE = b"<html><body><h1>Something happened</h1></body></html>"
Doc = dict[str, Any]


def _page_when(wanted: Callable[[dict[str, Any], int], bool]) -> Callable[[Flask], None]:
    """Answer an HTML page, same status, for the requests `wanted(environ, status)` picks."""

    def rewrite(environ: dict[str, Any], inner: Inner) -> Response:
        status, headers, body = inner()
        if wanted(environ, status):
            return status, list(HTML), PAGE
        return status, headers, body

    return _around(rewrite)


def _is(environ: dict[str, Any], method: str, path: str) -> bool:
    return bool(
        environ["REQUEST_METHOD"] == method
        and environ.get("PATH_INFO", "").rstrip("/").startswith(path)
    )


variant("v_html_put_413_for_accept_json", ("V-1",), ("V-1",),
        "a PUT over 1 MiB with Accept: application/json gets an HTML 413")(
    _page_when(lambda env, status: _is(env, "PUT", "/campaign/") and status == 413
               and env.get("HTTP_ACCEPT") == "application/json")
)  # fmt: skip
variant("v_html_logout_401_without_accept", ("V-1p",), ("V-1",),
        "POST /logout/ without credentials and without Accept gets an HTML 401")(
    _page_when(lambda env, status: _is(env, "POST", "/logout") and status == 401
               and "HTTP_ACCEPT" not in env)
)  # fmt: skip
variant("v_text_delete_success_for_any_accept", ("V-1p",), ("V-1",),
        "a DELETE that succeeds with Accept: */* gets an HTML page")(
    _page_when(lambda env, status: _is(env, "DELETE", "/campaign/") and status == 200
               and env.get("HTTP_ACCEPT") == "*/*")
)  # fmt: skip


def _doc_when(name: str, why: str, change: Callable[[Call, int, Doc], None]) -> None:
    def on_response(call: Call, status: int, doc: Doc, _b: CampaignBackend) -> int:
        change(call, status, doc)
        return status

    variant(name, ("V-2",), ("V-2",), why)(lambda app: install(app, on_response=on_response))


def _login_401(call: Call, status: int, doc: Doc) -> None:
    if call.method == "POST" and call.path.rstrip("/") == "/login" and status == 401:
        doc.pop("success", None)


def _put_415(call: Call, status: int, doc: Doc) -> None:
    if call.method == "PUT" and status == 415:
        doc["success"] = json.dumps(doc.get("success"))


def _post_refused(call: Call, status: int, doc: Doc) -> None:
    post = call.method == "POST" and call.path.rstrip("/") == "/campaign"
    if post and status == 200 and doc.get("success") is False:
        doc["data"] = [doc.get("data")]


_doc_when("v_login_401_without_success", "a 401 from POST /login/ has no `success`", _login_401)
_doc_when("v_415_on_put_success_as_text", 'a PUT answered 415 has "success": "false"', _put_415)
_doc_when("v_app_failure_on_post_data_a_list", "a POST's V-3 failure has `data` as a list",
          _post_refused)  # fmt: skip
