"""`--state redis://...` on a real redis-server: several processes are one mock."""

from __future__ import annotations

import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
import requests
from tests.conftest import REDIS_MISSING
from tests.serving import THIS_PYTHON, free_port

from campaign_mock.testing.sink import SinkServer

from .instances import (
    AUTH,
    IN_FLIGHT,
    SEND_OPTIONS,
    Instance,
    big_fixtures,
    campaign_state,
    events_of,
    instances,
    lost_and_repeated,
    repeated_callbacks,
    settled,
    start,
    wait_until,
)
from .sends import SEND_TIMEOUT, reference_events, start_send


def test_two_instances_behind_one_client_are_one_mock(redis_url: str, tmp_path: Path) -> None:
    with instances(redis_url, tmp_path, 2) as (a, b):
        turn = [a, b]
        ids = []
        for n in range(10):  # alternating, as a load balancer would
            made = turn[n % 2].data(
                turn[n % 2].post("/campaign", data={"name": f"c{n}", "domain": 1, "list": 1})
            )
            ids.append(made["id"])
        assert ids == list(range(1, 11)), "one id sequence, never reused (M-5)"
        journal = b.data(b.get("/_mock/requests"))["requests"]
        posts = [e for e in journal if e["method"] == "POST" and e["path"] == "/campaign"]
        assert len(posts) == 10, "one request journal for both instances"
        assert [e["seq"] for e in journal] == sorted({e["seq"] for e in journal})
        b.data(b.put("/campaign/3", data={"name": "renamed"}))
        assert a.data(a.get("/campaign/3"))["name"] == "renamed"
        deleted = requests.delete(f"{a.url}/campaign/4", auth=AUTH, timeout=10)
        assert deleted.json()["success"]
        gone = b.get("/campaign/4")
        assert gone.status_code == 404 and gone.json()["success"] is False
        # A session opened on one instance works on the other, and ends on both.
        token = a.data(a.post("/login/", data={"username": AUTH[0], "password": AUTH[1]}))
        cookie = {"sergiosgc_auth": str(token["token"])}
        assert requests.get(f"{b.url}/campaign/1", cookies=cookie, timeout=10).json()["success"]
        requests.post(f"{b.url}/logout/", cookies=cookie, timeout=10)
        assert requests.get(f"{a.url}/campaign/1", cookies=cookie, timeout=10).status_code == 401
        # One clock: frozen on one, frozen on the other.
        frozen = a.data(a.post("/_mock/clock/freeze"))
        seen = b.data(b.get("/_mock/clock"))
        assert seen["mode"] == "frozen" and seen["now"] == frozen["now"]
        # A reset on one is a fresh mock on both: ids from 1 again.
        b.data(b.post("/_mock/reset"))
        assert a.get("/campaign/1").status_code == 404
        again = a.data(a.post("/campaign", data={"name": "x", "domain": 1, "list": 1}))
        assert again["id"] == 1
        holders = [each.store()["sending"] for each in (a, b)]
        assert sorted(holders) == [False, True], "exactly one instance holds the sends"


def test_fifty_racing_puts_to_ready_over_two_instances_send_once(
    redis_url: str, tmp_path: Path, sink_server: SinkServer
) -> None:
    expected = reference_events(tmp_path, sink_server)
    options = ("--fixtures", str(big_fixtures(tmp_path)), *SEND_OPTIONS)
    sink = sink_server.open()
    with instances(redis_url, tmp_path, 2, *options) as (a, b):
        a.data(a.put("/_mock/settings", json={"delays": {"opened": 10, "clicked": 5}}))
        now = int(float(str(a.data(a.get("/_mock/clock"))["now"])))
        fields = {"name": "big", "domain": 1, "list": 10, "state": "SCHEDULED", "when": now}
        ident = a.data(a.post("/campaign", data=fields))["id"]
        ready = {"state": "READY", "event_callback": sink.url_for(ident)}
        answers: list[requests.Response] = []
        gate = threading.Barrier(50)

        def put(instance: Instance) -> None:
            gate.wait()
            answers.append(instance.put(f"/campaign/{ident}", data=ready))

        racers = [threading.Thread(target=put, args=([a, b][n % 2],)) for n in range(50)]
        for racer in racers:
            racer.start()
        for racer in racers:
            racer.join(60)
        assert len(answers) == 50 and all(r.status_code == 200 for r in answers)
        codes = {r.json()["data"].get("code") for r in answers if not r.json()["success"]}
        assert codes <= {"conflict"}, codes  # a PUT after the send began (M-5)
        wait_until(lambda: settled(b, int(ident)), SEND_TIMEOUT, "the send to end")
    got = events_of(sink)
    lost, repeated = lost_and_repeated(got, expected)
    assert not lost and set(got) == set(expected)
    assert repeated == 0, f"{repeated} events delivered twice: the campaign sent more than once"


def test_a_send_reads_the_store_s_version_per_tick_not_per_chunk(
    redis_url: str, tmp_path: Path
) -> None:
    """Drawing messages touches nothing another instance reads (store/lease.py `_send`): a
    100,000-contact send, drawn 100 contacts a hold of the lock, asks Redis for its version
    (MGET) once or twice a tick (every 50 ms), not once per hold (1,000 and more, before)."""
    contacts = 100_000
    holds = contacts // 100
    options = ("--fixtures", str(big_fixtures(tmp_path, contacts)), "--frozen")
    with instances(redis_url, tmp_path, 1, *options) as (mock,):
        now = mock.data(mock.get("/_mock/clock"))["now"]
        assert isinstance(now, int | float)
        made = mock.data(
            mock.post(
                "/campaign",
                data={"name": "big", "domain": 1, "list": 10, "state": "READY",
                      "when": int(now) + 1},
            )
        )  # fmt: skip
        mock.data(mock.post("/_mock/clock/advance", json={"seconds": 2}))  # it starts
        assert campaign_state(mock, made["id"]) == "SENDING"
        with redis.Redis.from_url(redis_url) as client:
            client.config_resetstat()
            # 100,000 contacts at 1,000 a second, then their last events: all in one move.
            mock.data(mock.post("/_mock/clock/advance", json={"seconds": 86_400}))
            reads = client.info("commandstats").get("cmdstat_mget", {}).get("calls", 0)
        assert campaign_state(mock, made["id"]) == "DONE", "every contact drawn in that move"
        assert reads < holds / 4, f"{reads} reads of the store's version for {holds} holds"


def test_kill_the_instance_holding_a_send_and_the_other_finishes_it(
    redis_url: str, tmp_path: Path, sink_server: SinkServer
) -> None:
    expected = reference_events(tmp_path, sink_server)
    options = ("--fixtures", str(big_fixtures(tmp_path)), *SEND_OPTIONS)
    sink = sink_server.open()
    with instances(redis_url, tmp_path, 2, *options) as pair:
        ident = start_send(pair[1], sink)
        wait_until(lambda: len(sink.events()) >= len(expected) // 4, 60, "a quarter of the send")
        holder = next(each for each in pair if each.store()["sending"])
        survivor = next(each for each in pair if each is not holder)
        assert campaign_state(survivor, ident) == "SENDING"
        holder.kill()
        before = sum(events_of(sink).values())
        wait_until(lambda: survivor.store()["sending"], 30, "the survivor to take the lease")
        wait_until(lambda: settled(survivor, ident), SEND_TIMEOUT, "the send to end")
    got = events_of(sink)
    lost, repeated = lost_and_repeated(got, expected)
    assert not lost, f"{len(lost)} events lost, e.g. {sorted(lost)[:3]}"
    assert set(got) == set(expected)
    twice = repeated_callbacks(sink)
    print(
        f"\nredis kill -9: {len(expected)} events, {before} before the kill, "
        f"{repeated} delivered twice in {twice} callbacks"
    )
    assert twice <= IN_FLIGHT, "only attempts in flight at the kill may come again (C-4)"


@contextmanager
def private_redis(
    port: int | None = None, data: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """A redis-server of this test's own, which it stops, pauses or kills; its port is
    `server.args[2]`. With `data`, a folder, it keeps its data there (`SHUTDOWN SAVE`) and
    reads it back when started again on it; without, it keeps nothing."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip(REDIS_MISSING)
    port = port or free_port()
    keeps = ["--dir", str(data)] if data is not None else []
    server = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            *keeps,
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_until(_answers(port), 20, "redis-server")
        yield server
    finally:
        if server.poll() is None:
            server.send_signal(signal.SIGCONT)  # a paused one would never see the SIGTERM
            server.terminate()
            server.wait(10)


def _answers(port: int) -> object:
    def check() -> bool:
        try:
            return bool(redis.Redis(port=port).ping())
        except redis.ConnectionError:
            return False

    return check


def _url(server: subprocess.Popen[bytes]) -> str:
    return f"redis://127.0.0.1:{server.args[2]}/0"  # type: ignore[index]


def test_a_store_that_goes_away_is_a_503_not_a_traceback(tmp_path: Path) -> None:
    with private_redis() as server:
        mock = start(_url(server), tmp_path)
        try:
            assert mock.data(mock.post("/campaign", data={"name": "a", "domain": 1, "list": 1}))
            server.terminate()
            server.wait(10)
            answer = mock.get("/campaign/1")
            assert answer.status_code == 503
            body = answer.json()
            assert body["success"] is False and "state store" in body["data"]["error"]
        finally:
            mock.stop()


def test_after_redis_restarts_with_its_data_every_thread_s_next_request_is_answered(
    tmp_path: Path,
) -> None:
    """Each of the server's threads keeps its own connection to Redis (store/redis_store.py
    `_own`); a restart breaks them all. The next request on each thread must reconnect and
    be answered, not fail with a 503: 24 GETs and 24 POSTs at once, after the restart."""
    port = free_port()
    fields = {"name": "before", "domain": 1, "list": 1}
    with private_redis(port, tmp_path) as server:
        url = _url(server)
        mock = start(url, tmp_path, "--threads", "8")
        try:
            kept = mock.data(mock.post("/campaign", data=fields))
            _on_every_thread(mock)  # every thread has its connection now
            redis.Redis(port=port).shutdown(save=True)
            server.wait(10)
        except BaseException:
            mock.stop()
            raise
    try:
        with private_redis(port, tmp_path):
            answers = _on_every_thread(mock)
            assert [a.status_code for a in answers] == [200] * len(answers), [
                a.text for a in answers if a.status_code != 200
            ]
            ids = [mock.data(a)["id"] for a in answers if a.request.method == "POST"]
            assert len(set(ids)) == len(ids) and kept["id"] not in ids, ids
            assert mock.data(mock.get(f"/campaign/{kept['id']}"))["name"] == "before"
    finally:
        mock.stop()


def _on_every_thread(mock: Instance) -> list[requests.Response]:
    """24 GETs and 24 POSTs sent at once, more than the server has threads."""
    answers: list[requests.Response] = []
    lock = threading.Lock()

    def ask(post: bool) -> None:
        if post:
            answer = mock.post("/campaign", data={"name": "after", "domain": 1, "list": 1})
        else:
            answer = mock.get("/campaign/1")
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=ask, args=(i % 2 == 0,)) for i in range(48)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return answers


#: `--store-timeout` for the stalled store: short, so the test is; the default is 5 s.
STALL_TIMEOUT = 1.0


def test_a_stalled_redis_answers_503_within_the_store_timeout_and_loses_nothing(
    tmp_path: Path,
) -> None:
    """SIGSTOP on redis-server: a read and a write each answer 503 `unavailable` in the
    envelope within the timeout (twice it: a request may first wait for the process's lock,
    which another thread holds in its own stalled call), not when Redis comes back; after
    SIGCONT the mock serves again, its campaign there and no id handed out twice."""
    fields = {"name": "kept", "domain": 1, "list": 1}
    with private_redis() as server:
        mock = start(_url(server), tmp_path, "--store-timeout", str(STALL_TIMEOUT))
        try:
            kept = mock.data(mock.post("/campaign", data=fields))
            server.send_signal(signal.SIGSTOP)
            try:
                for ask in (
                    lambda: mock.get(f"/campaign/{kept['id']}"),
                    lambda: mock.post("/campaign", data={**fields, "name": "stalled"}),
                ):
                    began = time.monotonic()
                    answer = ask()
                    took = time.monotonic() - began
                    body = answer.json()
                    assert answer.status_code == 503, body
                    assert body["success"] is False and body["data"]["code"] == "unavailable"
                    assert "state store" in body["data"]["error"]
                    assert took < 2 * STALL_TIMEOUT + 2, (
                        f"{answer.request.method} took {took:.1f} s"
                    )
            finally:
                server.send_signal(signal.SIGCONT)
            created: list[dict[str, object]] = []

            def serves_again() -> bool:
                answer = mock.post("/campaign", data={**fields, "name": "after"})
                if answer.status_code != 200:
                    return False  # the lock a stalled try left behind lasts until it expires
                created.append(mock.data(answer))
                return True

            wait_until(serves_again, 30, "the mock to write again after SIGCONT")
            assert mock.data(mock.get(f"/campaign/{kept['id']}"))["name"] == "kept"
            after = created[0]["id"]
            assert (
                after != kept["id"] and mock.data(mock.get(f"/campaign/{after}"))["name"] == "after"
            )
        finally:
            mock.stop()


def test_an_unreachable_store_is_one_line_and_exit_6(tmp_path: Path) -> None:
    done = subprocess.run(
        [*THIS_PYTHON, "serve", "--port", "0", "--state", f"redis://127.0.0.1:{free_port()}/0"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 6, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot reach Redis" in lines[0], done.stderr
