"""The integrator's client of the Campaign API, on `requests`: what their application calls."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import requests


class CampaignApiError(Exception):
    """The API answered `success: false` (V-3) or an HTTP error (V-4)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


@dataclass(frozen=True)
class Campaign:
    id: int
    name: str
    state: str
    when: int | None
    event_callback: str | None


class CampaignClient:
    """Creates, schedules and sends campaigns; one `requests.Session`, HTTP Basic (V-5)."""

    def __init__(self, base_url: str, username: str, password: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = requests.Session()
        self.http.auth = (username, password)

    def create(
        self, name: str, *, domain: int, list_id: int, callback: str | None = None
    ) -> Campaign:
        fields: dict[str, Any] = {"name": name, "domain": domain, "list": list_id}
        if callback:
            fields["event_callback"] = callback
        return self._call("POST", "/campaign", fields)

    def schedule(self, ident: int, when: float) -> Campaign:
        """Planned, not yet approved: stays SCHEDULED even when the time comes (M-4)."""
        return self._call("PUT", f"/campaign/{ident}", {"state": "SCHEDULED", "when": int(when)})

    def send(self, ident: int, when: float | None = None) -> Campaign:
        """Approved: READY sends at `when` (default: now, by this machine's clock). A DRAFT
        goes through SCHEDULED first, the only way to READY (M-1, M-2)."""
        moment = time.time() if when is None else when
        self.schedule(ident, moment)
        return self._call("PUT", f"/campaign/{ident}", {"state": "READY"})

    def get(self, ident: int) -> Campaign:
        return self._call("GET", f"/campaign/{ident}")

    def _call(self, method: str, path: str, fields: dict[str, Any] | None = None) -> Campaign:
        answer = self.http.request(method, self.base_url + path, data=fields, timeout=10)
        body = answer.json()
        if not body["success"]:
            raise CampaignApiError(body["data"]["code"], body["data"]["error"])
        data = body["data"]
        return Campaign(data["id"], data["name"], data["state"], data["when"],
                        data["event_callback"])  # fmt: skip
