"""A stateful mock of DUO's Campaign API: state machine, clock, simulated sending, callbacks.

The public names load on first use (PEP 562), so that importing the package, which every
pytest run does through the plugin, costs nothing: no Flask, requests or waitress.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

__version__ = "0.1.0"

__all__ = [
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

if TYPE_CHECKING:
    from campaign_mock.assembly import create_app
    from campaign_mock.testing.clock_control import ClockControl
    from campaign_mock.testing.inprocess import Interception
    from campaign_mock.testing.intercept import intercept
    from campaign_mock.testing.mock_handle import CampaignMock
    from campaign_mock.testing.sink import CallbackSink, ReceivedEvent, SinkServer

_WHERE = {
    "CallbackSink": ".testing.sink",
    "CampaignMock": ".testing.mock_handle",
    "ClockControl": ".testing.clock_control",
    "Interception": ".testing.inprocess",
    "ReceivedEvent": ".testing.sink",
    "SinkServer": ".testing.sink",
    "create_app": ".assembly",
    "intercept": ".testing.intercept",
}


def __getattr__(name: str) -> object:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'campaign_mock' has no attribute {name!r}")
    value = getattr(import_module(where, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
