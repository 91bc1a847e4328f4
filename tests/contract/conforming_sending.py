"""Conforming variants of the mock's sending and callbacks: readings CONTRACT.md leaves open
("Where servers may differ": how soon a send starts and ends, window sizes, arrival order,
retry schedule), each with what must show on the wire for the variant to prove anything."""

from __future__ import annotations

import itertools
import random
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Flask

from campaign_mock.delivery.transport import TransportTimeout
from campaign_mock.domain.backend import CampaignBackend
from campaign_mock.domain.deliveries import Attempt
from campaign_mock.http.context import mock_of

from .callback_variants import SPEED, Post, _settings, _transport
from .conforming import Conforming, conforming

#: The layer that judges sending and callbacks; M-4's timing is the stateful layer's too.
CALLBACKS = ("callbacks",)
SENDING_VARIANTS: list[Conforming] = []
#: Mock seconds of start_delay and done_delay: 1 real second at SPEED.
SLOW = 300.0


def backend_of(app: Flask) -> CampaignBackend:
    found: CampaignBackend = mock_of(app).root
    return found


def journal(app: Flask) -> list[Attempt]:
    """Every callback attempt the mock made (its delivery journal)."""
    return backend_of(app).simulation.outbox.entries()


@dataclass
class Arrival:
    """One callback as it left the variant's transport: when it was answered, and what."""

    done: float
    url: str
    channel: str
    event: str
    when: int


def arrivals(app: Flask) -> list[Arrival]:
    found: list[Arrival] = app.extensions.setdefault("conforming.arrivals", [])
    return found


# -- parallel callbacks: arrival order across requests is free ---------------------------


def _scattered(app: Flask) -> Callable[[str, bytes, Post], int]:
    """Each POST waits a random 0-80 ms first, so parallel workers finish in any order."""
    rng = random.Random(17)
    lock = threading.Lock()
    log = arrivals(app)

    def rewrite(url: str, body: bytes, post: Post) -> int:
        with lock:
            pause = rng.uniform(0, 0.08)
        time.sleep(pause)
        status = post(url, body)
        fields = dict(pair.split("=", 1) for pair in body.decode("ascii").split("&"))
        channel = "email" if "email%5B0%5D" in fields else "telephone"
        event, when = fields["event"], int(fields["when"])
        with lock:
            log.append(Arrival(time.monotonic(), url, channel, event, when))
        return status

    return rewrite


@conforming(
    "parallel_callbacks",
    "callbacks go out on 16 workers at once, lanes not waiting for their head, each after a "
    "random 0-80 ms: arrival order across requests is free (E-2 holds per message, by `when`)",
    only=CALLBACKS,
    into=SENDING_VARIANTS,
)
def _parallel_callbacks(app: Flask) -> None:
    _settings({"workers": 16, "faults": {"reorder": True}})(app)
    _transport(_scattered(app))(app)


def arrived_out_of_when_order(app: Flask) -> str | None:
    """None if some lane's callbacks arrived against their `when` order; else why not."""
    by_lane: dict[tuple[str, str], list[Arrival]] = {}
    for arrival in sorted(arrivals(app), key=lambda a: a.done):
        by_lane.setdefault((arrival.url, arrival.channel), []).append(arrival)
    for lane in by_lane.values():
        if any(a.when > b.when for a, b in itertools.pairwise(lane)):
            return None
    return f"no lane's {len(arrivals(app))} callbacks arrived out of `when` order"


# -- aggregation windows of the full 300 s -------------------------------------------------


@conforming(
    "windows_of_300_s",
    "windows of 300 s and every batch held to C-3's limit: each callback goes exactly 300 s "
    "after its earliest event",
    only=CALLBACKS,
    into=SENDING_VARIANTS,
)
def _windows_of_300_s(app: Flask) -> None:
    _settings({"window": 300, "faults": {"extra_delay": 300}})(app)


def every_batch_at_the_limit(app: Flask) -> str | None:
    firsts = [a for a in journal(app) if a.kind.value == "first"]
    early = [a for a in firsts if a.at - a.when < 299]
    if not firsts or early:
        return f"{len(early)} of {len(firsts)} first attempts went before 299 s"
    return None


# -- retries with full-jitter backoff ------------------------------------------------------


def _first_tries_lost(url: str, body: bytes, post: Post) -> int:
    """The retry send's first try of every batch is lost on the way (an instant 503), so
    there are many retries to draw, beside those the suite's receiver forces."""
    if "/retry?" in url and body not in _LOST:
        _LOST.add(body)
        return 503
    return post(url, body)


_LOST: set[bytes] = set()


@conforming(
    "full_jitter_retries",
    "failed callbacks are retried after a wait drawn uniformly below the exponential backoff "
    "(full jitter), under the suite's own receiver faults and a lossy way to it",
    only=CALLBACKS,
    into=SENDING_VARIANTS,
)
def _full_jitter_retries(app: Flask) -> None:
    _LOST.clear()
    _settings({"retry_jitter": "full"})(app)
    _transport(_first_tries_lost)(app)


def retries_were_jittered(app: Flask) -> str | None:
    """Some retry came well before its plain exponential backoff, and none after it."""
    settings = backend_of(app).simulation.settings
    waits = [
        (  # the attempt's own duration (real ms) is on the mock's clock too
            a.retry_at - a.at - a.latency_ms / 1000 * SPEED,
            settings.retry_initial * settings.retry_factor ** (a.attempt - 1),
        )
        for a in journal(app)
        if a.outcome == "failed" and a.retry_at is not None and a.kind.value in ("first", "retry")
    ]
    early = sum(1 for wait, plain in waits if wait < 0.9 * plain)
    if len(waits) >= 5 and early >= len(waits) // 2:
        return None
    shown = ", ".join(f"{wait:.0f}/{plain:.0f}" for wait, plain in waits[:20])
    return f"{early} of {len(waits)} retries came early of their plain backoff ({shown})"


# -- a slower DONE, a slower start (M-4 says when, not how soon) ---------------------------


@conforming(
    "slow_done",
    f"a send ends in DONE {SLOW:g} s (mock time) after its last final outcome, not at once",
    only=(*CALLBACKS, "stateful"),
    into=SENDING_VARIANTS,
)
def _slow_done(app: Flask) -> None:
    _settings({"done_delay": SLOW})(app)


@conforming(
    "slow_start",
    f"a READY campaign starts SENDING {SLOW:g} s (mock time) after its `when` has come "
    "(or after it was made READY, if later)",
    only=(*CALLBACKS, "stateful"),
    into=SENDING_VARIANTS,
)
def _slow_start(app: Flask) -> None:
    _settings({"start_delay": SLOW})(app)


# -- aggregation at its smallest: one event per callback -----------------------------------


@conforming(
    "one_event_per_callback",
    "no aggregation at all: every callback reports exactly one event (C-2 allows 1 to 1000)",
    only=CALLBACKS,
    into=SENDING_VARIANTS,
)
def _one_event_per_callback(app: Flask) -> None:
    _settings({"batch_size": 1})(app)


def one_event_each(app: Flask) -> str | None:
    counts = [a.count for a in journal(app)]
    if len(counts) < 10 or set(counts) != {1}:
        return f"callback sizes {sorted(set(counts))} over {len(counts)} attempts"
    return None


# -- brackets as they are: C-2 lets them arrive percent-encoded, so raw ones conform too ------


@conforming(
    "raw_brackets_in_callbacks",
    "callback bodies carry `email[0]`/`telephone[0]` with raw brackets, not percent-encoded "
    "(C-2: brackets *may* arrive percent-encoded)",
    only=CALLBACKS,
    into=SENDING_VARIANTS,
)
def _raw_brackets(app: Flask) -> None:
    sent: list[bytes] = app.extensions.setdefault("conforming.raw", [])

    def rewrite(url: str, body: bytes, post: Post) -> int:
        raw = body.replace(b"%5B", b"[").replace(b"%5D", b"]")
        sent.append(raw)
        return post(url, raw)

    _transport(rewrite)(app)


def raw_brackets_sent(app: Flask) -> str | None:
    sent: list[bytes] = app.extensions.get("conforming.raw", [])
    raw = [b for b in sent if b"[0]=" in b and b"%5B" not in b]
    return None if raw else f"no body with raw brackets among {len(sent)} callbacks"


#: What must show in the mock after the run for the variant's reading to have been taken.
# -- a sender that gives up mid-request, then tries again ---------------------------------


_ABANDONED: set[bytes] = set()


def _half_a_body_first(url: str, body: bytes, post: Post) -> int:
    """The first try of each body sends its head and half of it, then closes (a sender whose
    timeout ran out mid-request), as a failed attempt; later tries post it whole (C-4)."""
    if body in _ABANDONED:
        return post(url, body)
    _ABANDONED.add(body)
    parts = urlsplit(url)
    target = url[len(f"{parts.scheme}://{parts.netloc}") :]
    head = (f"POST {target} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()  # fmt: skip
    with socket.create_connection((parts.hostname or "", parts.port or 80), timeout=5) as sock:
        sock.sendall(head + body[: len(body) // 2])
    raise TransportTimeout("gave up mid-request (the variant's reading)")


@conforming(
    "gives_up_mid_request",
    "the first try of every callback sends its head and half its body, then closes (its "
    "timeout ran out mid-request) and is retried: an incomplete request is no callback",
    only=CALLBACKS,
    into=SENDING_VARIANTS,
)
def _gives_up_mid_request(app: Flask) -> None:
    _ABANDONED.clear()
    _transport(_half_a_body_first)(app)


def abandoned_then_sent(app: Flask) -> str | None:
    """Some bodies were abandoned half-sent, and attempts were answered after them."""
    whole = [a for a in journal(app) if a.outcome != "failed"]
    if len(_ABANDONED) >= 3 and len(whole) >= len(_ABANDONED) // 2:
        return None
    return f"{len(_ABANDONED)} bodies abandoned, {len(whole)} attempts answered"


SHOWN: dict[str, Callable[[Flask], str | None]] = {
    "raw_brackets_in_callbacks": raw_brackets_sent,
    "parallel_callbacks": arrived_out_of_when_order,
    "windows_of_300_s": every_batch_at_the_limit,
    "full_jitter_retries": retries_were_jittered,
    "one_event_per_callback": one_event_each,
    "gives_up_mid_request": abandoned_then_sent,
}

#: Real seconds the suite must see a campaign READY (slow_start) or SENDING (slow_done) for.
SLOW_REAL = SLOW / SPEED
