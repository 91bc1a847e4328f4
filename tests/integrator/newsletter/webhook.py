"""The integrator's webhook: a Flask app that stores the Campaign API's event callbacks (C-2)."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from flask import Flask, request


@dataclass(frozen=True)
class CampaignEvent:
    ref: str
    event: str
    address: str
    when: int


class EventStore:
    """What the integrator's application keeps of each event; thread-safe."""

    def __init__(self) -> None:
        self._events: list[CampaignEvent] = []
        self._lock = threading.Lock()

    def add(self, found: list[CampaignEvent]) -> None:
        with self._lock:
            self._events.extend(found)

    def events(self, ref: str | None = None) -> list[CampaignEvent]:
        with self._lock:
            return [e for e in self._events if ref is None or e.ref == ref]


def create_webhook_app(store: EventStore) -> Flask:
    """POST /campaign-events?ref=...: `event`, `when`, `email[N]` or `telephone[N]`."""
    app = Flask(__name__)

    @app.post("/campaign-events")
    def receive() -> tuple[str, int]:
        ref = request.args.get("ref", "")
        event, when = request.form["event"], int(request.form["when"])
        addresses = [
            value
            for key, value in request.form.items(multi=True)
            if key.startswith(("email[", "telephone["))
        ]
        store.add([CampaignEvent(ref, event, a, when) for a in addresses])
        return "", 204

    return app
