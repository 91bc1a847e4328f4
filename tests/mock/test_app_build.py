"""The app runs plain functions only: its `ensure_sync` does not look (http/app.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from campaign_mock.http.app import _refuse_coroutines

from .conftest import Api


async def _later(*_args: object) -> str:
    return "never awaited"


@pytest.mark.parametrize(
    "add",
    [
        lambda app: app.add_url_rule("/later", view_func=_later),
        lambda app: app.before_request(_later),
        lambda app: app.after_request(_later),
        lambda app: app.register_error_handler(418, _later),
    ],
    ids=["view", "before-request", "after-request", "error-handler"],
)
def test_an_async_function_anywhere_the_app_calls_is_refused(
    app: Flask, add: Callable[[Flask], object]
) -> None:
    _refuse_coroutines(app)  # the app as built: nothing async
    add(app)
    with pytest.raises(TypeError, match="_later: the mock's app runs no async function"):
        _refuse_coroutines(app)


def test_views_hooks_and_handlers_run_as_plain_functions(api: Api) -> None:
    """One of each kind the app calls: a view's answer, the request hook's 401 and the
    answer hook's journal entry, a handler's 404 envelope."""
    made = api.call("POST", "/campaign", data={"name": "x", "domain": 1, "list": 1})
    assert made.ok, made.body
    assert api.get(made.body["data"]["id"]).ok
    assert api.call("GET", "/campaign/1", auth=False).status == 401
    missing = api.call("GET", "/no-such-route")
    assert missing.status == 404 and missing.body["data"]["code"] == "not_found"
    journal = api.call("GET", "/_mock/requests").body["data"]["requests"]
    assert [(e["method"], e["status"]) for e in journal[-3:]] == [
        ("GET", 200), ("GET", 401), ("GET", 404)
    ]  # fmt: skip
