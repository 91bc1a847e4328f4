"""A campaign whose `event_callback` is this mock itself is refused when it is sent (V-3).

Such a campaign would make the mock POST to its own API or control API (`/_mock/reset`)
when it sends. Delivery refuses it anyway (delivery/policy.py); saying so at POST or PUT
tells the client at once. Only what needs no DNS lookup is judged here: the host and port
the request itself came to, and literal loopback, unspecified or local addresses (any
spelling: `localhost`, `127.1`, `[::1]`, `0.0.0.0`) with a port a mock of this process
listens on. A reading of Q-4 (docs/internals.md, "Readings").
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Request

from campaign_mock.delivery.policy import is_mock_itself, numeric_address
from campaign_mock.http.body import Params

#: The endpoints that take an `event_callback`.
_WITH_CALLBACK = {"campaign.create_campaign", "campaign.update_campaign"}
MESSAGE = "must not point at this mock itself (its own host and port)"


def refuse_callbacks_to_itself(request: Request, params: Params) -> None:
    """Adds an `event_callback` field error (V-3 `invalid`) when it points here."""
    if request.endpoint not in _WITH_CALLBACK:
        return
    url = params.values.get("event_callback")
    if isinstance(url, str) and url and points_here(url, request):
        params.errors.setdefault("event_callback", []).append(MESSAGE)


def points_here(url: str, request: Request) -> bool:
    try:
        parts = urlsplit(url)
        port = parts.port or _default_port(parts.scheme)
    except ValueError:
        return False  # malformed: the field's own validation says so
    host = (parts.hostname or "").lower().rstrip(".")
    if not host or port is None:
        return False
    if (host, port) == _request_host(request):
        return True
    address = numeric_address(host)
    if address is None:
        return False
    if is_mock_itself(address, port):
        return True
    # No server registered (an app served by another WSGI server): the port it was reached on.
    here = request.environ.get("SERVER_PORT")
    return here == str(port) and (address.is_loopback or address.is_unspecified)


def _request_host(request: Request) -> tuple[str, int | None]:
    try:
        parts = urlsplit(f"//{request.host}")
        return (parts.hostname or "").lower().rstrip("."), parts.port or _default_port(
            request.scheme
        )
    except ValueError:
        return "", None


def _default_port(scheme: str) -> int | None:
    return {"http": 80, "https": 443}.get(scheme.lower())
