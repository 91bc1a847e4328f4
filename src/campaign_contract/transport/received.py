"""What a callback receiver got and how it may answer, as plain data (no IO): the suite's own
`receiver.py` records `Received` entries and plays `Fault` scripts; the judges read them, and a
proxy or a recording makes the same entries (docs/design/proxy-and-judge.md)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from campaign_contract.transport.exchange import Exchange

#: Path segment that starts every callback path the suite hands out.
PREFIX = "cb"
#: C-4: a receiver that has not answered within this many seconds has not acknowledged.
ACK_WITHIN = 10.0
#: How long a `Hang` keeps the request unanswered by default: past C-4's 10 s.
HANG_SECONDS = 11.0
#: C-4: a 2xx the receiver wrote within this share of ACK_WITHIN (by the server's clock) surely
#: reached the server in time. A later one may have met the server's timeout (the receiver
#: cannot see transit or a busy machine's stalls), so a retry after it is allowed, and so is none.
PROMPT_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class Answer:
    """Answer with this HTTP status."""

    status: int


@dataclass(frozen=True, slots=True)
class Hang:
    """Keep the request unanswered this long, then answer 503 (never an acknowledgement)."""

    seconds: float = HANG_SECONDS


Fault = Answer | Hang


@dataclass(frozen=True, slots=True)
class Relayed:
    """Answer as another receiver did (a proxy forwarding callbacks to its client's URL):
    this status, reason, headers in their order and case, and body."""

    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes


@dataclass(frozen=True, slots=True)
class Reset:
    """Close the connection without answering (the other receiver refused the connection)."""


@dataclass(frozen=True, slots=True)
class Silence:
    """Keep the request unanswered this long, then close (the other receiver never answered)."""

    seconds: float = HANG_SECONDS


#: What an answerer (`Receiver(answerer=...)`) makes of a request.
Reply = Relayed | Reset | Silence


@dataclass(frozen=True, slots=True)
class Received:
    """One request as it reached the receiver: nothing parsed, nothing normalised."""

    number: int
    arrived: float
    method: str
    target: bytes
    headers: tuple[tuple[str, str], ...]
    body: bytes
    #: What the receiver answered; None when it kept the request unanswered (a hang).
    status: int | None
    truncated: bool = False
    #: Set when the request was not even well-formed HTTP.
    problem: str | None = None
    #: Whether its path names a URL the suite handed out (`url_for`); the rest is noise.
    matched: bool = True
    #: Whether it came from an address the target does not send from: answered 403, never
    #: judged (anyone who read a callback URL from the server's state could forge one).
    foreign: bool = False
    #: Real seconds from its request line's arrival until the answer was written (on Linux
    #: the kernel's arrival, which a starved receiver thread cannot make late; elsewhere when
    #: the thread read it); None when not known (unanswered, or an older recording).
    latency: float | None = None
    #: Whether the sender had closed its side before the answer was written: it gave up
    #: waiting (a busy receiver reads a request late, which `latency` cannot show), or it
    #: half-closed after sending, which HTTP allows. Either way the answer binds nobody.
    closed_first: bool = False
    #: Whether its body ended before its length said (the sender closed first): no request
    #: at all (RFC 9112 section 8, incomplete), never answered nor judged as a callback. A
    #: sender that gave up mid-request (its own timeout) sends it again (C-4).
    incomplete: bool = False

    @property
    def path(self) -> str:
        return self.target.split(b"?", 1)[0].decode("latin-1")

    @property
    def raw_query(self) -> bytes | None:
        """The query string byte for byte (None when the target has no `?`)."""
        parts = self.target.split(b"?", 1)
        return parts[1] if len(parts) == 2 else None

    @property
    def token(self) -> str | None:
        """The part of the path after `/cb/`, naming the campaign the suite gave it to (a
        proxy's token is its first segment: the client's path follows)."""
        marker = f"/{PREFIX}/"
        path = self.path
        return path.split(marker, 1)[1] if marker in path else None

    @property
    def acknowledged(self) -> bool:
        """C-4: any 2xx may have acknowledged (the server may count a late one)."""
        return self.status is not None and 200 <= self.status < 300

    def acknowledged_promptly(self, clock_speed: float) -> bool:
        """C-4: a 2xx written well within 10 s of the server's clock (running at `clock_speed`)
        surely acknowledged: nothing it reported may come again. An unknown latency counts as
        prompt."""
        if not self.acknowledged or self.closed_first:
            return False
        return self.latency is None or self.latency * clock_speed <= ACK_WITHIN * PROMPT_SHARE

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers if k.lower() == lowered), None)

    def exchange(self, base_url: str) -> Exchange:
        """This request as evidence: a curl command that replays it, and what it was answered."""
        split = urlsplit(base_url)
        url = f"{split.scheme}://{split.netloc}{self.target.decode('latin-1')}"
        return Exchange(
            method=self.method,
            url=url,
            request_headers=dict(self.headers),
            request_body=self.body,
            status=self.status,
            truncated=self.truncated,
            error=self.problem
            or (None if self.status is not None else "kept unanswered by the suite (C-4 fault)"),
        )
