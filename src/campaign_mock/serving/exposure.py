"""Whether an address the mock binds to can be reached from other machines.

On loopback only this machine can reach the control API (`/_mock/`), so it may go without a
token; anywhere else `campaign-mock serve` and `CampaignMock.serve` want a token or an
explicit `--insecure-control` / `insecure_control=True`.
"""

from __future__ import annotations

import ipaddress
import socket

#: `campaign-mock serve`'s exit status when it refuses to expose an open control API.
EXIT_EXPOSED = 4


def is_loopback_host(host: str) -> bool:
    """`127.0.0.1`, `::1`, `localhost`, or a name all of whose addresses are loopback."""
    name = host.strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    if not name:
        return False  # every interface
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)
    except OSError:
        return False
    return bool(found) and all(
        ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]).is_loopback for info in found
    )


def exposure_refusal(host: str, token: str | None, insecure: bool) -> str | None:
    """The one line `serve` stops with, or None when serving `host` this way is fine."""
    if token or insecure or is_loopback_host(host):
        return None
    return (
        f"refusing to serve the control API (/_mock/) on {host} without a token: pass "
        "--control-token TOKEN (or CAMPAIGN_MOCK_CONTROL_TOKEN), or --insecure-control to "
        "let anyone who can reach it reset and rewrite the mock"
    )
