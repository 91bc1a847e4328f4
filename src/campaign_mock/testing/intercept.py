"""`intercept()`: a mock of its own behind a base URL, in-process (moto's `mock_aws`)."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from campaign_mock.testing.inprocess import DEFAULT_BASE_URL, Interception
from campaign_mock.testing.mock_handle import CampaignMock, FixturesSource

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication as WsgiApp

    from campaign_mock.testing.clock_control import Moment
    from campaign_mock.testing.sink import CallbackSink


def intercept(
    base_url: str = DEFAULT_BASE_URL,
    *,
    fixtures: FixturesSource | None = None,
    seed: int | None = None,
    rates: Mapping[str, Mapping[str, float]] | None = None,
    settings: Mapping[str, Any] | None = None,
    frozen_at: Moment | None = None,
    auth: bool | None = None,
    apps: Mapping[str, WsgiApp] | None = None,
    sink: CallbackSink | None = None,
) -> Interception:
    """A mock of its own behind `base_url`, in-process, fresh each time it is entered.

    Options as `@pytest.mark.campaign_mock(...)`; a relative `fixtures` path is, as the
    marker's, relative to the file that calls `intercept()` (not to where pytest runs).
    `apps` maps URL prefixes to WSGI apps (your webhook receiver) reached without a socket;
    `sink` records callbacks in memory.
    """
    options = {
        "fixtures": _beside_caller(fixtures, sys._getframe(1).f_code.co_filename),
        "seed": seed,
        "rates": rates,
        "settings": settings,
        "frozen_at": frozen_at,
        "auth": auth,
    }
    return Interception(
        lambda: CampaignMock.in_process(url=base_url),
        base_url,
        apps=apps,
        sink=sink,
        options=options,
    )


def _beside_caller(fixtures: FixturesSource | None, caller: str) -> FixturesSource | None:
    """A relative path is found next to the calling file; from a REPL or `exec` (no file),
    in the current directory."""
    if not isinstance(fixtures, str | os.PathLike):
        return fixtures
    path = Path(fixtures)
    anchor = Path(caller)
    if path.is_absolute() or not anchor.is_file():
        return path
    return anchor.resolve().parent / path
