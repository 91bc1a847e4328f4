"""A reset is the start: `POST /_mock/reset` and the handle's `reset()` are one operation.

Each mock here is a real waitress server (started frozen, with a seed, as `serve --frozen
--start-time ... --seed 3` would be); it is used through HTTP, dirtied (fixtures, faults, a
seed, rates, a moved clock, a campaign, a journal) and reset through one door, then compared
with a mock freshly started with the same options.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from campaign_mock.assembly import ServeOptions, build_app
from campaign_mock.fixtures.document import default_fixtures, fixtures_to_document
from campaign_mock.serving.server import MockServer
from campaign_mock.testing.mock_handle import CampaignMock

AUTH = ("demo", "demo-password")
#: 2030-01-01T00:00:00Z, where the mocks' frozen clocks start.
START = 1_893_456_000
OPTIONS = ServeOptions(frozen=True, start=START, seed=3)
#: What a reset may keep (docs/internals.md).
KEEPABLE = ("fixtures", "settings", "seed", "faults", "clock")


@pytest.fixture
def start() -> Iterator[Callable[..., CampaignMock]]:
    """Starts mocks (`start(isolate=...)`), stopped at the test's end."""
    started: list[CampaignMock] = []

    def make(**options: Any) -> CampaignMock:
        app = build_app(ServeOptions(**{**vars_of(OPTIONS), **options}))
        server = MockServer(app, port=0).start()
        started.append(CampaignMock(app, server.url, server=server))
        return started[-1]

    yield make
    for mock in started:
        mock.close()


def vars_of(options: ServeOptions) -> dict[str, Any]:
    return {name: getattr(options, name) for name in options.__dataclass_fields__}


def call(mock: CampaignMock, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    headers = mock.control_headers  # the control token, when the mock has one
    answer = requests.request(method, mock.url + path, headers=headers, timeout=30, **kwargs)
    body = answer.json()
    assert answer.status_code == 200 and body["success"], (method, path, body)
    data: dict[str, Any] = body["data"]
    return data


def dirty(mock: CampaignMock) -> None:
    """What one CI job leaves behind, all through HTTP."""
    fixtures = fixtures_to_document(default_fixtures())
    fixtures["lists"].append({"id": 99, "name": "Added", "contacts": [], "segments": []})
    fixtures["accounts"].append({"username": "alice", "password": "alice-password"})
    call(mock, "PUT", "/_mock/fixtures?secrets=1", json=fixtures)
    call(mock, "PUT", "/_mock/faults", json={"duplicate_rate": 1, "reorder": True})
    call(mock, "PUT", "/_mock/settings", json={"seed": 42, "email": {"bounce": 1}})
    call(mock, "PUT", "/_mock/clock", json={"now": START + 86_400, "speed": 60})  # frozen
    call(mock, "POST", "/campaign", auth=AUTH, data={"name": "left", "domain": 1, "list": 1})


def seen(mock: CampaignMock) -> dict[str, Any]:
    """What a user reads of the mock: settings, clock, fixtures, campaigns, request journal."""
    state = call(mock, "GET", "/_mock/state")  # isolated, without credentials: `worlds`
    return {
        "settings": call(mock, "GET", "/_mock/settings"),
        "clock": call(mock, "GET", "/_mock/clock"),
        "fixtures": call(mock, "GET", "/_mock/fixtures"),
        "campaigns": (state.get("campaigns"), state.get("next_id"), state.get("worlds")),
        "requests": call(mock, "GET", "/_mock/requests")["requests"],
    }


def reset_by(door: str, mock: CampaignMock, keep: list[str] | None = None) -> None:
    if door == "handle":
        mock.reset() if keep is None else mock.reset(keep=keep)
    else:
        call(mock, "POST", "/_mock/reset", **({} if keep is None else {"json": {"keep": keep}}))


@pytest.mark.parametrize("door", ["http", "handle"])
def test_a_reset_gives_what_a_fresh_start_gives(
    start: Callable[..., CampaignMock], door: str
) -> None:
    fresh = seen(start())
    mock = start()
    dirty(mock)
    before = seen(mock)
    assert all(before[part] != fresh[part] for part in fresh), "every part was changed"
    reset_by(door, mock)
    assert seen(mock) == fresh
    # A new campaign is campaign 1 again, and the journal holds it alone.
    made = call(mock, "POST", "/campaign", auth=AUTH, data={"name": "n", "domain": 1, "list": 1})
    assert made["id"] == 1 and len(seen(mock)["requests"]) == 1


@pytest.mark.parametrize("door", ["http", "handle"])
@pytest.mark.parametrize("kept", KEEPABLE)
def test_a_reset_keeps_what_it_is_asked_to_and_nothing_else(
    start: Callable[..., CampaignMock], door: str, kept: str
) -> None:
    fresh = seen(start())
    mock = start()
    dirty(mock)
    before = seen(mock)
    reset_by(door, mock, [kept])
    expected = dict(fresh)
    if kept in {"fixtures", "clock", "settings"}:
        expected[kept] = before[kept]
    else:  # seed and faults, one part of the settings
        expected["settings"] = {**fresh["settings"], kept: before["settings"][kept]}
    assert seen(mock) == expected


def test_a_reset_keeps_several_at_once(start: Callable[..., CampaignMock]) -> None:
    fresh = seen(start())
    mock = start()
    dirty(mock)
    before = seen(mock)
    call(mock, "POST", "/_mock/reset", json={"keep": ["fixtures", "seed"]})
    after = seen(mock)
    assert after["fixtures"] == before["fixtures"]
    assert after["settings"] == {**fresh["settings"], "seed": 42}
    assert (after["clock"], after["campaigns"]) == (fresh["clock"], fresh["campaigns"])


@pytest.mark.parametrize(
    "body",
    [{"keep": ["campaigns"]}, {"keep": ["clock", "ids"]}, {"keep": "clock"}, {"keep": [1]}],
)
def test_an_unknown_keep_is_refused_naming_keep_and_changes_nothing(
    start: Callable[..., CampaignMock], body: dict[str, object]
) -> None:
    mock = start()
    dirty(mock)
    before = seen(mock)
    answer = requests.post(mock.url + "/_mock/reset", json=body, timeout=30)
    found = answer.json()
    assert found["success"] is False and found["data"]["code"] == "invalid", found
    assert list(found["data"]["errors"]) == ["keep"] and "keep" in found["data"]["error"]
    assert seen(mock) == before
    with pytest.raises(ValueError, match="keep: 'ids': a reset keeps only fixtures"):
        mock.reset(keep=["ids"])
    assert seen(mock) == before


def test_isolated_an_accounts_reset_is_its_world_and_a_reset_without_is_the_start(
    start: Callable[..., CampaignMock],
) -> None:
    isolated = {"isolate": "accounts", "control_token": "reset-token"}  # every world: the token
    fresh = seen(start(**isolated))
    mock = start(**isolated)
    dirty(mock)
    before = seen(mock)
    # alice's reset: her world alone; the faults, seed and clock are every world's: they stay.
    alice = ("alice", "alice-password")
    call(mock, "POST", "/campaign", auth=alice, data={"name": "a", "domain": 1, "list": 1})
    assert call(mock, "POST", "/_mock/reset", auth=alice) == {"reset": True, "account": "alice"}
    assert call(mock, "GET", "/_mock/state", auth=alice)["next_id"] == 1
    assert call(mock, "GET", "/_mock/state", auth=AUTH)["next_id"] == 2  # demo's campaign
    after = seen(mock)
    assert (after["settings"], after["fixtures"]) == (before["settings"], before["fixtures"])
    assert after["clock"] == before["clock"]
    # The control token without credentials: the whole mock, as it started.
    call(mock, "POST", "/_mock/reset")
    assert seen(mock) == fresh
