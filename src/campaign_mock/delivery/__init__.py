"""Callback delivery: POSTs the batches the domain made, through a replaceable transport."""

from __future__ import annotations

from campaign_mock.delivery.dispatcher import Dispatcher
from campaign_mock.delivery.transport import (
    Answer,
    AnsweringTransport,
    CallableTransport,
    HttpTransport,
    Transport,
    TransportError,
)

__all__ = [
    "Answer",
    "AnsweringTransport",
    "CallableTransport",
    "Dispatcher",
    "HttpTransport",
    "Transport",
    "TransportError",
]
