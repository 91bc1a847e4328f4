"""Paths, the campaign's shape, and what each method returns (R-1..R-3)."""

from __future__ import annotations

from .conftest import FUTURE, Api

FIELDS = {"id", "name", "domain", "list", "segments", "state", "when", "event_callback"}


def test_R1_paths_and_trailing_slash(api: Api) -> None:
    """R-1: /campaign and /campaign/{id}; [profile] a trailing slash is accepted."""
    assert api.call("POST", "/campaign/", json={"name": "a", "domain": 1, "list": 1}).ok
    assert api.call("GET", "/campaign/1/").ok
    assert api.call("PUT", "/campaign/1/", json={"name": "b"}).ok
    assert api.call("DELETE", "/campaign/1/").ok


def test_R2_campaign_shape(api: Api) -> None:
    """R-2: integers, `when` int or null, segments always an array, callback string or null."""
    data = api.create(
        name="Winter sale", when=FUTURE, event_callback="https://h.example/cb?k=v"
    ).data
    assert set(data) >= FIELDS
    assert all(isinstance(data[k], int) for k in ("id", "domain", "list", "when"))
    assert data["segments"] == [] and data["event_callback"] == "https://h.example/cb?k=v"
    bare = api.create().data
    assert bare["when"] is None and bare["event_callback"] is None and bare["segments"] == []


def test_R3_every_method_returns_the_campaign(api: Api) -> None:
    """R-3: GET, POST and PUT return the campaign, DELETE the deleted one, all HTTP 200."""
    created = api.create()
    assert created.status == 200 and created.ok
    ident = created.data["id"]
    got = api.get(ident)
    assert got.status == 200 and got.data == created.data
    put = api.update(ident, name="x")
    assert put.status == 200 and put.data == {**created.data, "name": "x"}
    deleted = api.call("DELETE", f"/campaign/{ident}")
    assert deleted.status == 200 and deleted.data == put.data
