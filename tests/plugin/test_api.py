"""The public surface, pinned (httpx and click do the same): a change here is a release note."""

from __future__ import annotations

import campaign_mock

PUBLIC = [
    "CallbackSink",
    "CampaignMock",
    "ClockControl",
    "Interception",
    "ReceivedEvent",
    "SinkServer",
    "__version__",
    "create_app",
    "intercept",
]


def test_all_is_pinned() -> None:
    assert campaign_mock.__all__ == PUBLIC


def test_every_public_name_resolves() -> None:
    for name in PUBLIC:
        assert getattr(campaign_mock, name) is not None
    assert set(PUBLIC) <= set(dir(campaign_mock))


def test_an_unknown_name_is_an_attribute_error() -> None:
    try:
        campaign_mock.nothing_here  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as error:
        assert "nothing_here" in str(error)
    else:
        raise AssertionError("expected AttributeError")
