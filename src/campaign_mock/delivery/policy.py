"""Where a callback may go: never to a mock itself nor to another instance sharing its store,
never to a mock's control API on any host, never to link-local or metadata addresses unless
an allow-list names them, and only to the allow-list when one is given.

Any API user picks the `event_callback`, so without this a campaign could make the mock POST
to its own `/_mock/reset` (or a sibling instance's, wiping the world they share), to a
cloud's metadata service or to any port of the host. The address check is made when the
connection is opened, on every address the host name resolves to, and the connection goes
to an address that passed (a name cannot resolve once to pass and again to connect). A
refused destination is never connected to, so its journal line is "refused by policy: ..."
whether a port there is open or closed.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from campaign_mock.domain.listening import Listener

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

#: Link-local ranges and the metadata services of the big clouds (AWS, GCP, Azure, Alibaba).
DENIED_NETWORKS: tuple[Network, ...] = tuple(
    ipaddress.ip_network(n)
    for n in (
        "169.254.0.0/16",
        "fe80::/10",
        "fd00:ec2::254/128",
        "100.100.100.200/32",
        "168.63.129.16/32",
    )
)
#: Names of metadata services, refused before any lookup.
DENIED_NAMES = frozenset(
    {"metadata.google.internal", "metadata.goog", "metadata", "instance-data"}
    | {"instance-data.ec2.internal"}
)
_NAME = re.compile(r"[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\.?")

# The (host, port) pairs the mocks of this process listen on (server.py registers them).
_serving: Counter[tuple[str, int]] = Counter()
_serving_lock = threading.Lock()


class RefusedDestination(Exception):
    """The policy does not let a callback go there; the text says why, never how it would go."""


def serving(host: str, port: int) -> None:
    """A mock of this process now listens on `host:port`: no callback may go there."""
    with _serving_lock:
        _serving[host, port] += 1


def stopped(host: str, port: int) -> None:
    with _serving_lock:
        _serving[host, port] -= 1
        if _serving[host, port] <= 0:
            del _serving[host, port]


def is_mock_itself(address: Address, port: int) -> bool:
    """Whether `address:port` reaches a mock of this process: a port one listens on, at an
    address of this machine (loopback, 0.0.0.0, the bound address, any local interface)."""
    with _serving_lock:
        hosts = [host for host, bound in _serving if bound == port]
    if not hosts:
        return False
    address = _unmapped(address)
    if address.is_loopback or address.is_unspecified or str(address) in hosts:
        return True
    return _is_local(address)


def here(host: str, port: int) -> Listener:
    """A listener of this process, at `host:port`, named by this machine."""
    return Listener(socket.gethostname(), host, port)


def is_an_instance(address: Address, port: int, listeners: Iterable[Listener]) -> bool:
    """Whether `address:port` reaches one of `listeners` (the instances sharing a store):
    on this machine, as `is_mock_itself` judges; on another, the address it bound."""
    address = _unmapped(address)
    machine = socket.gethostname()
    for listener in listeners:
        if listener.port != port:
            continue
        bound = numeric_address(listener.host)
        if bound is not None and address == bound and not bound.is_loopback:
            return True
        if listener.machine == machine and (
            address.is_loopback or address.is_unspecified or address == bound or _is_local(address)
        ):
            return True
    return False


def is_a_mock(address: Address, port: int, listeners: Iterable[Listener]) -> str | None:
    """What `address:port` is, if a mock of this process or of its store: "this mock
    itself", "an instance of this mock (it shares its store)"; None for anything else."""
    if is_mock_itself(address, port):
        return "this mock itself"
    if is_an_instance(address, port, listeners):
        return "an instance of this mock (it shares its store)"
    return None


#: Where a mock's control API and the dashboard's actions live (`/_mock/ui/do/...`); the
#: dashboard's page at `/` only reads.
CONTROL_PREFIX = "/_mock"


def reaches_control_api(target: str) -> bool:
    """Whether a request target (path and query) names a mock's control API, however it is
    spelled: percent-encoded (`/%5Fmock/reset`), doubled slashes, dot segments, any case."""
    path = target.split("?", 1)[0].split("#", 1)[0]
    for _ in range(len(path)):  # each round shortens it, or it is as the server reads it
        decoded = unquote(path)
        if decoded == path:
            break
        path = decoded
    segments: list[str] = []
    for segment in path.replace("\\", "/").split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment not in ("", "."):
            segments.append(segment.lower())
    return bool(segments) and segments[0] == CONTROL_PREFIX[1:]


def numeric_address(host: str) -> Address | None:
    """The address a literal host means, in any spelling the resolver takes (`127.1`,
    `2130706433`, `[::ffff:127.0.0.1]`); `localhost` names count as loopback; None for other
    names (no lookup is made)."""
    name = host.strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return ipaddress.ip_address("127.0.0.1")
    try:
        found = socket.getaddrinfo(name, None, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    except (OSError, UnicodeError, ValueError):
        return None
    return _unmapped(ipaddress.ip_address(str(found[0][4][0]).split("%", 1)[0]))


@dataclass(frozen=True, slots=True)
class Rule:
    """One `--callback-allow` entry: a host name, an address or network, and maybe a port."""

    name: str | None = None
    network: Network | None = None
    port: int | None = None

    def matches(self, name: str, address: Address, port: int) -> bool:
        if self.port is not None and self.port != port:
            return False
        if self.name is not None:
            return self.name == name
        return self.network is not None and address in self.network


def parse_rule(text: str) -> Rule:
    """`HOST`, `HOST:PORT`, `ADDRESS`, `[V6]:PORT` or `CIDR` (`10.0.0.0/8`, `fd00::/8`)."""
    spec = text.strip().lower()
    port: int | None = None
    try:
        return Rule(network=ipaddress.ip_network(spec, strict=False))
    except ValueError:
        pass
    if spec.startswith("["):
        host, _, rest = spec[1:].partition("]")
        if rest and not rest.startswith(":"):
            raise ValueError(f"{text!r}: expected [ADDRESS]:PORT")
        spec, port = host, _port(text, rest[1:]) if rest else None
    elif spec.count(":") == 1:
        spec, raw_port = spec.split(":")
        port = _port(text, raw_port)
    try:
        return Rule(network=ipaddress.ip_network(spec, strict=False), port=port)
    except ValueError:
        pass
    if not _NAME.fullmatch(spec):
        raise ValueError(f"{text!r} is not a host, address, network (CIDR) or HOST:PORT")
    return Rule(name=spec.rstrip("."), port=port)


def _port(text: str, raw: str) -> int:
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ValueError(f"{text!r}: the port must be 1 to 65535")
    return int(raw)


class DestinationPolicy:
    """Vets a callback's destination; `allow` empty: anything but link-local and metadata."""

    def __init__(
        self, allow: Iterable[str] = (), listeners: Callable[[], list[Listener]] | None = None
    ) -> None:
        self.rules: tuple[Rule, ...] = tuple(parse_rule(item) for item in allow)
        #: Where the other instances sharing this mock's store listen, read when a
        #: connection opens (an instance started after the campaign was made counts).
        self.listeners = listeners or list

    @property
    def allow(self) -> list[str]:
        """The allow-list as text, for the banner and `/_mock/state`."""
        shown = []
        for rule in self.rules:
            host = rule.name or str(rule.network)
            if rule.network is not None and rule.network.num_addresses == 1:
                host = str(rule.network.network_address)
            if ":" in host and rule.port is not None:
                host = f"[{host}]"
            shown.append(host if rule.port is None else f"{host}:{rule.port}")
        return shown

    def refusal(
        self, name: str, address: Address, port: int, listeners: Iterable[Listener] = ()
    ) -> str | None:
        """Why `address:port` (reached through host `name`) is refused, or None; `listeners`:
        the instances sharing this mock's store."""
        shown = f"{name}:{port}"
        mock = is_a_mock(address, port, listeners)
        if mock is not None:
            return f"{shown} is {mock}"
        address = _unmapped(address)
        if self.rules:
            if any(rule.matches(name, address, port) for rule in self.rules):
                return None
            return f"{shown} is not in the callback allow-list"
        if any(address in network for network in DENIED_NETWORKS):
            return f"{shown} is a link-local or metadata address"
        return None

    def addresses(self, host: str, port: int) -> list[tuple[int, Any]]:
        """(family, socket address) pairs to connect to, each vetted; RefusedDestination if
        none passes. Host names are resolved here, once."""
        name = host.strip("[]").lower().rstrip(".")
        if name in DENIED_NAMES and not any(rule.name == name for rule in self.rules):
            raise RefusedDestination(f"refused by policy: {name}:{port} is a metadata service")
        if self.rules and numeric_address(name) is None:
            names = {rule.name for rule in self.rules if rule.name is not None}
            if name not in names and all(rule.network is None for rule in self.rules):
                raise RefusedDestination(
                    f"refused by policy: {name}:{port} is not in the callback allow-list"
                )
        found = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
        try:
            listeners = self.listeners()
        except Exception as error:  # the store did not answer: refused, never unchecked
            raise RefusedDestination(
                f"refused by policy: where this mock's instances listen could not be read "
                f"({type(error).__name__})"
            ) from None
        passed: list[tuple[int, Any]] = []
        reason = None
        for family, _type, _proto, _canonical, sockaddr in found:
            address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
            why = self.refusal(name, address, port, listeners)
            if why is None:
                passed.append((family, sockaddr))
            else:
                reason = reason or why
        if not passed:
            raise RefusedDestination(f"refused by policy: {reason}")
        return passed

    def connect(
        self, host: str, port: int, timeout: float | None, source: tuple[str, int] | None = None
    ) -> socket.socket:
        """A connected socket to a vetted address of `host` (socket.create_connection's job)."""
        error: OSError | None = None
        for family, sockaddr in self.addresses(host, port):
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                if timeout is not None:
                    sock.settimeout(timeout)
                if source:
                    sock.bind(source)
                sock.connect(sockaddr)
            except OSError as exc:
                sock.close()
                error = exc
                continue
            return sock
        assert error is not None
        raise error


def _unmapped(address: Address) -> Address:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_local(address: Address) -> bool:
    """An address of one of this machine's interfaces: only those can be bound to."""
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.bind((str(address), 0))
    except OSError:
        return False
    return True
