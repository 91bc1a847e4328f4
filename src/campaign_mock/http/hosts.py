"""Which `Host` names a served mock answers to: a DNS-rebinding page reaches the mock under
its own name (`attacker.example:8080` resolving to 127.0.0.1), so a name the mock was not
bound to or told to serve is refused before anything else runs.

Always allowed: `localhost` and `*.localhost`, loopback addresses (`127.0.0.1`, `[::1]`)
and the address the mock is bound to. Bound to every interface (`0.0.0.0`, `::`), the
mock's names are the machine's: any IP address (a page cannot rebind a literal address;
docker's published ports and NAT show addresses the mock cannot list) and the machine's
host names (`socket.gethostname()`, `getfqdn()`). Any other name (a compose service, a
reverse proxy's name) is allowed with `--allowed-host NAME`. The port is not compared: a
proxy or a published port may change it, and the name is what a rebinding page controls.

A mock that is not served by `MockServer` or the granian workers (`create_app`, Flask's test
client) has no policy and answers any `Host`; nor is a request `intercept()` hands a served
mock in-process (`IN_PROCESS`) judged by one.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass

from flask import Flask, Request

from campaign_mock.http.envelope import HttpError

#: The key of `app.extensions` holding a served app's `HostPolicy`.
KEY = "campaign_mock.hosts"
#: The WSGI environ key of a request the test kit hands the app in-process (`intercept()`),
#: under the base URL the test chose: no socket, no browser, no rebinding; no network client
#: can set a key that is not `HTTP_*`.
IN_PROCESS = "campaign_mock.in_process"
_EVERY_INTERFACE = {"", "0.0.0.0", "::"}


def _name(text: str) -> str:
    """A host name or address as compared: lower case, no brackets, no trailing dot."""
    return text.strip().strip("[]").lower().rstrip(".")


def _address(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return None


@dataclass(slots=True, frozen=True)
class HostPolicy:
    """The names one served mock answers to."""

    names: frozenset[str]
    any_address: bool = False

    @classmethod
    def bound(cls, host: str, extra: Iterable[str] = ()) -> HostPolicy:
        """The policy of a mock bound to `host`, also serving the names `extra`."""
        names = {_name(n) for n in extra if _name(n)}
        bound = _name(host)
        if bound in _EVERY_INTERFACE:
            names |= {_name(socket.gethostname()), _name(socket.getfqdn())} - {""}
            return cls(frozenset(names), any_address=True)
        return cls(frozenset(names | {bound}))

    def allows(self, host: str) -> bool:
        """Whether a `Host` header (`name`, `name:port`, `[v6]:port`) names this mock."""
        if host.startswith("["):
            name = _name(host.partition("]")[0])
        else:
            before, colon, port = host.rpartition(":")
            name = _name(before if colon and port.isdigit() else host)
        if name == "localhost" or name.endswith(".localhost") or name in self.names:
            return True
        address = _address(name)
        if address is None:
            return False
        return address.is_loopback or self.any_address


def answer_only_to(app: Flask, host: str, extra: Iterable[str] = ()) -> None:
    """From now on `app` answers only to the names of a mock bound to `host` (and `extra`)."""
    app.extensions[KEY] = HostPolicy.bound(host, extra)


def check_host(app: Flask, request: Request) -> None:
    """A 421 envelope naming the `Host` when a served mock was not told to answer to it.

    A request without `Host` (HTTP/1.0) passes: a browser always sends one.
    """
    policy: HostPolicy | None = app.extensions.get(KEY)
    if policy is None or request.environ.get(IN_PROCESS):
        return
    host = request.environ.get("HTTP_HOST")
    if host is None or policy.allows(host):
        return
    raise HttpError(
        421,
        "wrong_host",
        f"Host {host!r} is not a name this mock serves: use the address it listens on, "
        "localhost, or start it with --allowed-host NAME",
    )
