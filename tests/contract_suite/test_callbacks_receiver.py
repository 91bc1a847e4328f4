"""The callbacks layer's receiver: raw records, fault scripts, malformed and concurrent senders."""

from __future__ import annotations

import http.client
import socket
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from campaign_contract.callbacks.plan import RETRY_SCRIPT, reported
from campaign_contract.judges.delivery import ACK_STATUSES
from campaign_contract.transport.received import Answer, Hang
from campaign_contract.transport.receiver import MAX_BODY, Receiver, target_sources


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver("127.0.0.1", 0) as started:
        yield started


def _post(
    receiver: Receiver,
    target: str,
    body: bytes,
    headers: dict[str, str] | None = None,
    method: str = "POST",
) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", receiver.port, timeout=5)
    try:
        connection.request(
            method, target, body, headers or {"Content-Type": "application/x-www-form-urlencoded"}
        )
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def _raw(receiver: Receiver, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", receiver.port), timeout=5) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_records_every_request_raw(receiver: Receiver) -> None:
    url = receiver.url_for("run/list-1", "k=v&x=%20a&plus=a+b")
    assert url == f"http://127.0.0.1:{receiver.port}/cb/run/list-1?k=v&x=%20a&plus=a+b"
    body = b"event=delivered&when=1&email%5B0%5D=a%40example.com"
    assert _post(receiver, "/cb/run/list-1?k=v&x=%20a&plus=a+b", body) == 200
    (entry,) = receiver.received("run/list-1")
    assert (entry.method, entry.path, entry.raw_query, entry.body) == (
        "POST",
        "/cb/run/list-1",
        b"k=v&x=%20a&plus=a+b",
        body,
    )
    assert entry.header("content-type") == "application/x-www-form-urlencoded"
    assert entry.acknowledged and entry.token == "run/list-1"
    exchange = entry.exchange(receiver.base_url)
    assert exchange.url == url and exchange.request_body == body and exchange.status == 200


def test_a_query_string_is_kept_without_a_question_mark_too(receiver: Receiver) -> None:
    _post(receiver, "/cb/t", b"x")
    _post(receiver, "/cb/t?", b"x")
    assert [e.raw_query for e in receiver.received("t")] == [None, b""]


def test_plays_the_fault_script_then_answers_2xx(receiver: Receiver) -> None:
    receiver.script("t", [Answer(500), Answer(204), Hang(0.3)])
    assert _post(receiver, "/cb/t", b"a") == 500
    assert _post(receiver, "/cb/t", b"a") == 204
    began = time.monotonic()
    assert _post(receiver, "/cb/t", b"a") == 503
    assert time.monotonic() - began >= 0.3
    assert _post(receiver, "/cb/t", b"a") == 200
    assert _post(receiver, "/cb/other", b"a") == 200
    statuses = [e.status for e in receiver.received("t")]
    assert statuses == [500, 204, None, 200]
    assert [e.acknowledged for e in receiver.received("t")] == [False, True, False, True]


def test_each_answer_keeps_how_long_it_took_from_the_request_line(receiver: Receiver) -> None:
    """C-4's latency: from the request line's arrival until the answer was written (a 2xx
    written late may have met the sender's timeout, so the judges need it)."""
    receiver.script("t", [Hang(0.1)])
    assert _post(receiver, "/cb/t", b"a") == 503
    with socket.create_connection(("127.0.0.1", receiver.port), timeout=5) as sock:
        sock.sendall(b"POST /cb/t HTTP/1.1\r\n")
        time.sleep(1.0)  # the rest of the head comes late: the wait counts
        sock.sendall(b"Host: x\r\nContent-Length: 1\r\nConnection: close\r\n\r\na")
        assert sock.recv(100).startswith(b"HTTP/1.1 200")
    hung, slow = receiver.received("t")
    assert hung.status is None and hung.latency is None  # never answered in time
    # From when its thread read the request line: on a busy machine somewhat after it came
    # (loaded run s28x1: 0.396 s of a 0.4 s wait), never after the rest of the head.
    assert slow.latency is not None and 0.5 <= slow.latency < 5
    assert slow.acknowledged_promptly(clock_speed=1) and not slow.acknowledged_promptly(600)


@pytest.mark.skipif(sys.platform != "linux", reason="the kernel's arrival stamps are Linux's")
def test_a_request_its_thread_reads_late_counts_the_wait_in_its_latency(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A starved receiver accepts and reads a request late (loaded run s302: "acknowledged
    with HTTP 201 0 ms after it came", and the sender had timed out and sent it again): the
    latency counts from when the request reached the kernel, not from when it was read; so
    does its arrival (C-3 would reckon a late read as the server's lateness)."""
    server = receiver._server
    accept = server.get_request

    def late() -> Any:
        time.sleep(1.0)  # as a thread that gets no CPU for a second
        return accept()

    monkeypatch.setattr(server, "get_request", late)
    time.sleep(0.6)  # the accept loop's current poll ends: the next accept is a late one
    with socket.create_connection(("127.0.0.1", receiver.port), timeout=5) as sock:
        sent = time.time()
        sock.sendall(b"POST /cb/t HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\na")
        assert sock.recv(100).startswith(b"HTTP/1.1 200")
        answered = time.time()
    late_read = receiver.received("t")[-1]
    assert late_read.latency is not None and late_read.latency >= 0.5, late_read.latency
    assert not late_read.acknowledged_promptly(clock_speed=600)
    assert sent - 0.05 <= late_read.arrived < sent + 0.5 <= answered, (sent, late_read.arrived)


def test_an_answer_the_sender_closed_before_binds_nobody(receiver: Receiver) -> None:
    """A sender that gave up (its FIN came before the answer was written) cannot have taken
    the 2xx in time, however promptly the receiver's thread answered once it read the
    request: a starved receiver reads late, which its latency cannot show (loaded run s28y1)."""
    head = b"POST /cb/t HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n"
    for _ in range(5):  # the FIN must reach the receiver before its thread reads the body
        with socket.create_connection(("127.0.0.1", receiver.port), timeout=5) as sock:
            sock.sendall(head)
            time.sleep(0.2)  # the handler waits for the body
            sock.sendall(b"a")
            sock.shutdown(socket.SHUT_WR)
            sock.recv(100)
        if receiver.received("t")[-1].closed_first:
            break
    gave_up = receiver.received("t")[-1]
    assert gave_up.closed_first and gave_up.status == 200, gave_up
    assert gave_up.acknowledged and not gave_up.acknowledged_promptly(clock_speed=1)
    assert _post(receiver, "/cb/t", b"a") == 200  # an ordinary sender waits for its answer
    waited = receiver.received("t")[-1]
    assert not waited.closed_first and waited.acknowledged_promptly(clock_speed=1)


def test_a_script_with_a_reader_faults_first_tellings_only(receiver: Receiver) -> None:
    """C-4's statuses cost one backoff step each: a retry (an event already told) is
    acknowledged, so no event is refused twice; each new event takes the next fault."""
    receiver.script("t", [Answer(410), Answer(429)], reported)
    form = "application/x-www-form-urlencoded"
    ana = b"event=delivered&when=1&email%5B0%5D=ana%40example.com"
    both = b"event=delivered&when=2&email%5B0%5D=ana%40example.com&email%5B1%5D=eva%40example.com"
    eva = b"event=submitted&when=1&email%5B0%5D=eva%40example.com"
    assert _post(receiver, "/cb/t", ana, {"Content-Type": form}) == 410
    assert _post(receiver, "/cb/t", both, {"Content-Type": form}) == 200  # ana's retry
    assert _post(receiver, "/cb/t", b"not a form", {"Content-Type": "text/plain"}) == 200
    assert _post(receiver, "/cb/t", eva, {"Content-Type": form}) == 429
    assert receiver.script_left("t") == 0


def test_taking_a_script_hands_its_unplayed_faults_on(receiver: Receiver) -> None:
    """plan.follow_up: the faults a send left unplayed are taken from its token, whose later
    requests are then acknowledged (no fault is played twice)."""
    receiver.script("t", [Answer(410), Answer(429), Answer(503)])
    assert _post(receiver, "/cb/t", b"a") == 410
    assert receiver.take_script("t") == (Answer(429), Answer(503))
    assert _post(receiver, "/cb/t", b"b") == 200
    assert receiver.take_script("t") == ()


def test_acknowledgements_take_each_2xx_in_turn(receiver: Receiver) -> None:
    receiver.acknowledge_with(ACK_STATUSES)
    receiver.script("t", [Answer(500)])
    got = [_post(receiver, f"/cb/{token}", b"a") for token in ["t", *["u"] * 6]]
    assert got == [500, 200, 201, 202, 204, 299, 200]
    assert all(e.acknowledged for e in receiver.received("u"))


def test_the_retry_script_tries_every_other_status_and_no_answer() -> None:
    statuses = {f.status for f in RETRY_SCRIPT if isinstance(f, Answer)}
    assert statuses == {302, 400, 404, 410, 429, 500, 503}
    assert sum(isinstance(f, Hang) for f in RETRY_SCRIPT) == 1


def test_a_refusing_url_refuses_connections_until_it_listens(receiver: Receiver) -> None:
    url = receiver.refusing_url("run/refused", "k=v")
    assert url is not None and url.endswith("/cb/run/refused?k=v")
    port = int(url.split(":")[2].split("/")[0])
    assert port != receiver.port
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    receiver.listen()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("POST", "/cb/run/refused?k=v", b"event=delivered")
    assert connection.getresponse().status == 200
    connection.close()
    (entry,) = receiver.received("run/refused")
    assert entry.matched and entry.raw_query == b"k=v"


def test_no_refusing_url_through_a_public_url() -> None:
    with Receiver("127.0.0.1", 0, "https://tunnel.example") as behind:
        assert behind.refusing_url("run/refused") is None


def test_close_releases_a_hanging_request() -> None:
    receiver = Receiver("127.0.0.1", 0).start()
    receiver.script("t", [Hang(30)])
    answers: list[int] = []
    sender = threading.Thread(target=lambda: answers.append(_post(receiver, "/cb/t", b"a")))
    sender.start()
    assert receiver.wait(lambda: receiver.count() == 1, 5)
    began = time.monotonic()
    receiver.close()
    sender.join(5)
    assert time.monotonic() - began < 3 and answers == [503]


@pytest.mark.parametrize(
    "data",
    [
        b"\x00\xff garbage \r\n\r\n",
        b"POST /cb/t HTTP/1.1\r\nContent-Length: nope\r\n\r\nevent=x",
        b"POST /cb/t HTTP/1.1\r\nContent-Length: 100\r\n\r\nshort",
        b"POST /cb/t HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"GET /cb/t HTTP/1.1\r\n" + b"X: y\r\n" * 200 + b"\r\n",
        b"",
    ],
    ids=["not-http", "bad-length", "short-body", "bad-chunk", "many-headers", "nothing"],
)
def test_malformed_requests_are_recorded_and_never_stop_it(receiver: Receiver, data: bytes) -> None:
    _raw(receiver, data)
    assert _post(receiver, "/cb/after", b"event=delivered") == 200
    assert receiver.received("after")


def test_a_huge_body_is_cut_and_flagged(receiver: Receiver) -> None:
    body = b"e" * (MAX_BODY + 1000)
    receiver.url_for("big")
    assert _post(receiver, "/cb/big", body) == 200
    (entry,) = receiver.received("big")
    assert entry.truncated and len(entry.body) == MAX_BODY


def test_a_chunked_body_is_read_whole(receiver: Receiver) -> None:
    body = b"event=opened&when=5&email%5B0%5D=a%40b.c"
    receiver.url_for("ch")
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in (body[:10], body[10:])) + b"0\r\n\r\n"
    _raw(
        receiver,
        b"POST /cb/ch HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        b"Connection: close\r\n\r\n" + chunked,
    )
    (entry,) = receiver.received("ch")
    assert entry.body == body and not entry.truncated


def test_the_malformed_are_recorded_with_their_problem(receiver: Receiver) -> None:
    _raw(receiver, b"\x00\xff garbage\r\n\r\n")
    assert receiver.wait(lambda: receiver.count() == 1, 5)
    (entry,) = receiver.received()
    assert entry.problem and "malformed" in entry.problem and not entry.acknowledged


def test_concurrent_senders_are_all_recorded(receiver: Receiver) -> None:
    def send(worker: int) -> None:
        for n in range(10):
            _post(receiver, f"/cb/w{worker}?n={n}", f"event=delivered&n={n}".encode())

    for worker in range(16):
        receiver.url_for(f"w{worker}")  # handed out: only such requests are callbacks to judge
    threads = [threading.Thread(target=send, args=(w,)) for w in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    entries = receiver.received()
    assert len(entries) == 160
    assert sorted(e.number for e in entries) == list(range(1, 161))
    assert all(len(receiver.received(f"w{w}")) == 10 for w in range(16))


def test_listens_on_any_free_port_and_derives_its_url() -> None:
    with Receiver("0.0.0.0", 0) as wildcard:
        assert wildcard.port > 0
        assert wildcard.base_url == f"http://127.0.0.1:{wildcard.port}"
    with Receiver("127.0.0.1", 0, "https://hooks.example/in/") as public:
        assert public.url_for("a/b", "q=1") == "https://hooks.example/in/cb/a/b?q=1"


def _post_from(source: str, receiver: Receiver, target: str, body: bytes) -> int:
    """A POST whose connection leaves from `source` (Linux routes all of 127/8 to lo)."""
    connection = http.client.HTTPConnection(
        "127.0.0.1", receiver.port, timeout=5, source_address=(source, 0)
    )
    try:
        connection.request(
            "POST", target, body, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def test_a_callback_from_an_address_the_target_does_not_send_from_is_refused_not_judged() -> None:
    """Issue 18: anyone who read a callback URL could POST to it and be judged as the server."""
    sources, unresolved = target_sources("http://127.0.0.1:8080", [])
    assert unresolved == [] and [str(n) for n in sources] == ["127.0.0.1/32"]
    with Receiver("127.0.0.1", 0, sources=sources) as receiver:
        path = "/cb/" + receiver.url_for("t1").rsplit("/cb/", 1)[1]
        assert _post_from("127.0.0.2", receiver, path, b"event=delivered&when=1") == 403
        assert _post_from("127.0.0.1", receiver, path, b"event=opened&when=2") == 200
        forged, real = receiver.received()
        assert (forged.foreign, forged.matched, forged.status) == (True, False, 403)
        assert (real.foreign, real.matched, real.body) == (False, True, b"event=opened&when=2")
        assert receiver.foreign() == (1, ["127.0.0.2"])
        assert receiver.noise() == 0
    extra, unresolved = target_sources("http://127.0.0.1:8080", ["127.0.0.2", "no-such.invalid"])
    assert [str(n) for n in extra] == ["127.0.0.1/32", "127.0.0.2/32"]
    assert unresolved == ["no-such.invalid"]
    with Receiver("127.0.0.1", 0, sources=extra) as receiver:
        path = "/cb/" + receiver.url_for("t1").rsplit("/cb/", 1)[1]
        assert _post_from("127.0.0.2", receiver, path, b"event=delivered&when=1") == 200
        assert receiver.foreign() == (0, [])


@pytest.mark.parametrize(
    "cut",
    [
        b"POST /cb/cut HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nevent=deliv",
        b"POST /cb/cut HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n",
        b"POST /cb/cut HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nevent",
        b"POST /cb/cut HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nevent",
    ],
    ids=["length-half", "length-none", "chunked-no-last-chunk", "chunked-short-chunk"],
)
def test_a_body_its_sender_cut_short_is_an_incomplete_request_never_answered(
    receiver: Receiver, cut: bytes
) -> None:
    """RFC 9112 section 8: a message whose body ends before its length is incomplete. A
    sender whose timeout ran out mid-request sends it again (C-4); the suite judged the half
    body as the callback's (a false failure, loaded run s341)."""
    receiver.url_for("cut")
    assert _raw(receiver, cut) == b""  # no answer: the sender has gone
    assert receiver.wait(lambda: receiver.count() == 1, 5)
    (entry,) = receiver.received("cut")
    assert entry.incomplete and entry.status is None and not entry.acknowledged
    assert _post(receiver, "/cb/cut", b"event=delivered") == 200
    whole = receiver.received("cut")[-1]
    assert not whole.incomplete and whole.body == b"event=delivered"
