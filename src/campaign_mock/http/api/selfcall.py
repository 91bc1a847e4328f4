"""A campaign whose `event_callback` is a mock is refused when it is sent (V-3).

Such a campaign would make the mock POST to its own API or control API (`/_mock/reset`), or
to a sibling instance's on the same store (wiping the world they share), when it sends.
Delivery refuses it anyway (delivery/policy.py); saying so at POST or PUT tells the client
at once. Only what needs no DNS lookup is judged here: the host and port the request itself
came to; literal loopback, unspecified or local addresses (any spelling: `localhost`,
`127.1`, `[::1]`, `0.0.0.0`) with a port a mock of this process, or an instance on its
store, listens on; and a path into a mock's control API (`/_mock/...`), whatever the host.
A reading of Q-4 (docs/internals.md, "Readings").
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Request

from campaign_mock.core import Mock
from campaign_mock.delivery.policy import numeric_address, reaches_control_api
from campaign_mock.http.body import Params

#: The endpoints that take an `event_callback`.
_WITH_CALLBACK = {"campaign.create_campaign", "campaign.update_campaign"}
MESSAGE = "must not point at this mock itself"
CONTROL_MESSAGE = "must not point at a mock's control API (/_mock/...), on any host"


def refuse_callbacks_to_itself(request: Request, params: Params, core: Mock) -> None:
    """Adds an `event_callback` field error (V-3 `invalid`) when it points at a mock."""
    if request.endpoint not in _WITH_CALLBACK:
        return
    url = params.values.get("event_callback")
    if not isinstance(url, str) or not url:
        return
    why = refusal(url, request, core)
    if why is not None:
        params.errors.setdefault("event_callback", []).append(why)


def refusal(url: str, request: Request, core: Mock) -> str | None:
    """Why a callback to `url` would reach a mock, or None."""
    try:
        parts = urlsplit(url)
        port = parts.port or _default_port(parts.scheme)
    except ValueError:
        return None  # malformed: the field's own validation says so
    host = (parts.hostname or "").lower().rstrip(".")
    if not host or port is None:
        return None
    if reaches_control_api(parts.path):
        return CONTROL_MESSAGE
    if (host, port) == _request_host(request):
        return MESSAGE
    address = numeric_address(host)
    if address is None:
        return None
    mock = core.is_a_mock(address, port)
    if mock is not None:
        return f"must not point at {mock}"
    # No server registered (an app served by another WSGI server): the port it was reached on.
    here = request.environ.get("SERVER_PORT")
    if here == str(port) and (address.is_loopback or address.is_unspecified):
        return MESSAGE
    return None


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
