"""Traffic the suite did not drive, as its sources hand it to the judges: the proxy's relay,
its `--record` file and HAR files all produce `Seen` exchanges, in the order they completed
(docs/design/proxy-and-judge.md, section 2). Headers keep their order, case and repeats."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from campaign_contract.transport.exchange import Exchange

#: A header as it crossed the wire: (name as spelt, value).
Header = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Seen:
    """One exchange between a client and the server, on the server's side of the proxy (what
    the server was sent and answered: the judges judge the server by it)."""

    #: Its place in the source, from 1, in completion order.
    number: int
    #: Which client connection carried it (keep-alive and overlap: requests on one
    #: connection are sequential; on two they may overlap). 0 when the source does not say.
    connection: int
    #: time.time() when the request was sent, and when the answer (or the error) ended.
    sent_at: float
    answered_at: float
    #: What the judges read: method, URL, headers, bodies, status, error, truncation.
    exchange: Exchange
    #: The request's and the answer's headers as they crossed the wire.
    request_headers: tuple[Header, ...] = ()
    response_headers: tuple[Header, ...] = ()
    #: The HTTP reason phrase of the answer, as the server wrote it.
    reason: str = ""
    #: The tokens of the callback URLs the proxy handed to the server in this request (in
    #: place of an `event_callback`) -> the client's own URL.
    rewrites: Mapping[str, str] = field(default_factory=dict)


def header_dict(headers: Iterable[Header]) -> dict[str, str]:
    """Headers as an `Exchange` holds a request's: by their first spelling, repeats joined
    with ", " (the list form stays on `Seen`)."""
    joined: dict[str, str] = {}
    spelling: dict[str, str] = {}
    for name, value in headers:
        key = spelling.setdefault(name.lower(), name)
        joined[key] = f"{joined[key]}, {value}" if key in joined else value
    return joined
