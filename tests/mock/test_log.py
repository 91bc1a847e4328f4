"""The log `campaign-mock serve` writes on stderr (issue 19, item 1): a line per API request
and per callback attempt, text or JSON, none with `--quiet`, never a secret of a callback URL,
never colour off a terminal; and the pytest plugin's fixture puts the same lines in a failing
test's report."""

from __future__ import annotations

import io
import json
import logging
import os
import queue
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from tests.serving import running, until_answering

from campaign_mock.serving import logs

pytest_plugins = ["pytester"]

COMMAND = [sys.executable, "-m", "campaign_mock"]
AUTH = ("demo", "demo-password")
#: Secrets in the callback URLs: none may reach the log.
PASSWORD = "hunter2-pw"
TOKEN = "s3cret-query-token"
KEY = "k3y-in-query"


def closed_port() -> int:
    """A port nothing listens on: a callback there is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@dataclass
class Served:
    """A `campaign-mock serve` process and the lines of its stderr, read as they come."""

    process: subprocess.Popen[str]
    url: str
    lines: list[str] = field(default_factory=list)
    _arrived: queue.Queue[str | None] = field(default_factory=queue.Queue)

    def read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self._arrived.put(line.rstrip("\n"))
        self._arrived.put(None)

    def wait_for(self, found: Callable[[str], bool], timeout: float = 20.0) -> str:
        """The first line (already read or to come) for which `found` holds."""
        for line in self.lines:
            if found(line):
                return line
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._arrived.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            self.lines.append(line)
            if found(line):
                return line
        pytest.fail("no such line in the log:\n" + "\n".join(self.lines))

    def stop(self) -> list[str]:
        """Stops it (SIGTERM) and returns every line it wrote."""
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(15)
        while (line := self._arrived.get(timeout=10)) is not None:
            self.lines.append(line)
        return self.lines


@contextmanager
def serve(*options: str) -> Iterator[Served]:
    with running(
        [*COMMAND, "serve", "--port", "0", "--speed", "600", *options],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "NO_COLOR": ""},  # empty: colour is off only because it is no TTY
    ) as process:
        assert process.stderr is not None
        banner = process.stderr.readline()
        match = re.search(r"serving on (http://[0-9.:]+)", banner)
        assert match, banner
        served = Served(process, match[1], [banner.rstrip("\n")])
        reader = threading.Thread(target=served.read, daemon=True)
        reader.start()
        try:
            yield served
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(10)
            reader.join(10)


def send_to_closed_ports(url: str) -> tuple[int, int]:
    """Two sending campaigns, whose callbacks go to closed ports: one with a password in its
    URL's userinfo (the mock refuses to send credentials), one with an API key in its query
    (connection refused). A failed GET too: its line names the envelope's code."""
    port = closed_port()
    hooks = [
        f"http://hook-user:{PASSWORD}@127.0.0.1:{port}/hook?token={TOKEN}&run=7",
        f"http://127.0.0.1:{port}/hook?api_key={KEY}&run=7",
    ]
    made = []
    for hook in hooks:
        answer = requests.post(
            f"{url}/campaign",
            data={"name": "Logged", "domain": 1, "list": 1, "event_callback": hook,
                  "when": "2020-01-01T00:00:00Z"},
            auth=AUTH, timeout=10,
        )  # fmt: skip
        ident = answer.json()["data"]["id"]
        for state in ("SCHEDULED", "READY"):
            answer = requests.put(
                f"{url}/campaign/{ident}", data={"state": state}, auth=AUTH, timeout=10
            )
            assert answer.json()["success"] is True, answer.text
        made.append(ident)
    assert requests.get(f"{url}/campaign/99", auth=AUTH, timeout=10).status_code == 404
    return made[0], made[1]


def test_text_log_has_a_line_per_request_and_per_callback_attempt() -> None:
    with serve() as served:
        with_password, with_key = send_to_closed_ports(served.url)
        created = served.wait_for(lambda line: "POST /campaign 200" in line)
        assert re.fullmatch(
            r"\d\d:\d\d:\d\d\.\d{3} POST /campaign 200 \(\d+\.\d ms, demo\)", created
        )
        missing = served.wait_for(lambda line: "GET /campaign/99" in line)
        assert re.fullmatch(r"\S+ GET /campaign/99 404 not_found \(\d+\.\d ms, demo\)", missing)
        refused = served.wait_for(lambda line: f"callback campaign {with_key} " in line)
        assert "connection refused" in refused and "retry at 20" in refused
        assert re.search(r"-> http://127\.0\.0\.1:\d+/hook\?api_key=\*\*\*&run=7: ", refused)
        userinfo = served.wait_for(lambda line: f"callback campaign {with_password} " in line)
        assert re.search(r"-> http://\*\*\*@127\.0\.0\.1:\d+/hook\?token=\*\*\*&run=7: ", userinfo)
        lines = served.stop()
    text = "\n".join(lines)
    assert PASSWORD not in text and TOKEN not in text and KEY not in text
    assert "hook-user" not in text
    assert "\x1b[" not in text  # stderr is a pipe: no colour


def test_json_log_is_one_object_per_line_with_the_fields() -> None:
    with serve("--log-format", "json") as served:
        with_password, with_key = send_to_closed_ports(served.url)
        served.wait_for(lambda line: '"path": "/campaign/99"' in line)
        served.wait_for(lambda line: f'"campaign": {with_key},' in line)
        served.wait_for(lambda line: f'"campaign": {with_password},' in line)
        lines = served.stop()
    records = [json.loads(line) for line in lines]  # every line parses, the banner too
    assert "serving on" in records[0]["message"] and records[0]["url"].startswith("http://")
    created = next(r for r in records if r.get("path") == "/campaign" and r["method"] == "POST")
    assert created["logger"] == "campaign_mock.requests"
    assert created["status"] == 200 and created["code"] is None and created["account"] == "demo"
    assert isinstance(created["ms"], float) and created["time"].endswith("Z")
    missing = next(r for r in records if r.get("path") == "/campaign/99")
    assert (missing["status"], missing["code"]) == (404, "not_found")
    attempt = next(r for r in records if r.get("campaign") == with_key)
    assert attempt["logger"] == "campaign_mock.callbacks"
    assert attempt["event"] in {"submitted", "delivered", "bounced", "opened", "clicked"}
    assert attempt["channel"] in {"email", "sms"}
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/hook\?api_key=\*\*\*&run=7", attempt["url"])
    assert attempt["status"] is None and attempt["error"] == "connection refused"
    assert isinstance(attempt["latency_ms"], float)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", attempt["retry_at"])
    assert all(PASSWORD not in line and TOKEN not in line and KEY not in line for line in lines)


def test_quiet_logs_no_exchange() -> None:
    with serve("--quiet") as served:
        send_to_closed_ports(served.url)
        deadline = time.monotonic() + 20
        while not requests.get(f"{served.url}/_mock/deliveries", timeout=10).json()["data"][
            "deliveries"
        ]:
            assert time.monotonic() < deadline, "no callback attempt was made"
            time.sleep(0.05)  # polling the mock's journal for the attempt the log would show
        lines = served.stop()
    assert "serving on" in lines[0]
    assert not [line for line in lines if re.match(r"\d\d:\d\d:\d\d\.\d{3} ", line)], lines
    text = "\n".join(lines)
    assert "POST /campaign 200" not in text and "callback campaign" not in text
    assert lines[-1] == "campaign-mock stopped (SIGTERM)"


@pytest.mark.parametrize("options", [(), ("--workers", "1")], ids=["waitress", "granian-worker"])
def test_every_line_of_a_burst_is_written_before_the_stop_line(options: tuple[str, ...]) -> None:
    """One thread writes serve's lines (serving/logs.py), and one each granian worker's; the
    request threads only queue theirs. A stop right after a burst still writes every queued
    line (a worker's as it ends, which runs no `atexit`), the stop's own last."""
    with serve(*options) as served:
        until_answering(served.url)
        paths = [f"/campaign/{n}" for n in range(1000, 1400)]

        def get(path: str) -> None:
            requests.get(f"{served.url}{path}", auth=("demo", "demo-password"), timeout=10).close()

        workers = [
            threading.Thread(target=lambda part=paths[i::8]: [get(p) for p in part])
            for i in range(8)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)
        lines = served.stop()
    logged = [m[1] for line in lines if (m := re.search(r"GET (/campaign/\d+) 404", line))]
    assert sorted(logged) == sorted(paths), "a request's line was lost"
    assert lines[-1].startswith("campaign-mock stopped"), lines[-3:]  # granian's names no signal


def _worker_logging(count: int) -> None:
    """A granian worker's logging, in a `multiprocessing` child as granian runs it: it queues
    `count` lines and returns at once."""
    sys.stderr = open(2, "w", closefd=False)  # fd 2, as in a worker (not pytest's capture)  # noqa: SIM115
    logs.configure_from_environment()
    for n in range(count):
        logging.getLogger("campaign_mock.requests").info("line %d", n)


def test_a_worker_process_writes_every_queued_line_as_it_ends() -> None:
    """A `multiprocessing` child ends with `os._exit`, no `atexit`: the worker's writer is
    stopped by the child's finalizers, or the lines still queued then are lost."""
    import multiprocessing

    count = 20_000
    read, write = os.pipe()
    kept = os.dup(2)
    os.environ[logs.LOG_VARIABLE] = "text"
    try:
        os.dup2(write, 2)  # the child's stderr: the pipe
        child = multiprocessing.get_context("fork").Process(target=_worker_logging, args=(count,))
        child.start()
    finally:
        os.dup2(kept, 2)
        os.close(kept)
        os.close(write)
        del os.environ[logs.LOG_VARIABLE]
    with os.fdopen(read, encoding="utf-8") as output:
        lines = output.read().splitlines()  # until the child's end closes the pipe
    child.join(30)
    assert child.exitcode == 0
    assert [line.split(" ", 1)[1] for line in lines] == [f"line {n}" for n in range(count)]


class _SlowStream(io.StringIO):
    """stderr on a slow terminal: each write takes 5 ms."""

    def write(self, text: str) -> int:
        time.sleep(0.005)  # the slow device this test stands for, not a wait on the mock
        return super().write(text)


def test_flushing_the_writer_writes_every_queued_line_first() -> None:
    """`serve` flushes the writer before its stop line (cli.py): lines still queued then are
    written first, however slow the stream."""
    stream = _SlowStream()
    root = logging.getLogger(logs.ROOT)
    kept = (list(root.handlers), root.level, root.propagate)
    logs.configure("text", stream=stream, writer=True)
    try:
        for n in range(40):
            logging.getLogger("campaign_mock.requests").info("line %d", n)
        logs.flush_writer()
        written = stream.getvalue().splitlines()
        assert [line.split(" ", 1)[1] for line in written] == [f"line {n}" for n in range(40)]
    finally:
        logs.stop_writer()
        root.handlers[:], root.level, root.propagate = kept


class _CountingSlowStream(io.StringIO):
    """A slow stream (2 ms a write) that counts the lines written to it."""

    def __init__(self) -> None:
        super().__init__()
        self.lines = 0

    def write(self, text: str) -> int:
        time.sleep(0.002)  # the slow device this test stands for, not a wait on the mock
        self.lines += text.count("\n")
        return super().write(text)


def test_requests_wait_for_a_writer_that_falls_behind_so_memory_stays_bounded() -> None:
    """Four threads log 6,000 lines each as fast as they can, to a slow stream: no line may
    be queued more than QUEUED_LINES (plus the batch being written) ahead of the stream,
    and every line is written, each thread's in its order. An unbounded queue let a worker
    grow 500 MiB over a million requests (`serve --workers 1`)."""
    stream = _CountingSlowStream()
    root = logging.getLogger(logs.ROOT)
    kept = (list(root.handlers), root.level, root.propagate)
    logs.configure("text", stream=stream, writer=True)
    made = [0]
    ahead: list[int] = []
    lock = threading.Lock()

    def produce(name: str) -> None:
        log = logging.getLogger("campaign_mock.requests")
        for n in range(6000):
            log.info("%s %d", name, n)
            with lock:
                made[0] += 1
                ahead.append(made[0] - stream.lines)

    try:
        threads = [threading.Thread(target=produce, args=(f"t{i}",)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        logs.flush_writer()
        written = [line.split(" ", 1)[1] for line in stream.getvalue().splitlines()]
    finally:
        logs.stop_writer()
        root.handlers[:], root.level, root.propagate = kept
    bound = logs.QUEUED_LINES + logs.BATCH_LINES + 4
    assert max(ahead) <= bound, f"{max(ahead)} lines queued ahead of the stream (bound {bound})"
    assert len(written) == 24_000
    for i in range(4):
        assert [w for w in written if w.startswith(f"t{i} ")] == [f"t{i} {n}" for n in range(6000)]


FAILING_TEST = """
import requests

def test_it(campaign_mock):
    answer = requests.get(f"{campaign_mock.url}/campaign/42", auth=campaign_mock.auth, timeout=10)
    assert answer.json()["success"] is True
"""


def test_a_failing_test_report_shows_the_mock_s_request_lines(pytester: pytest.Pytester) -> None:
    """The `campaign_mock` fixture routes the mock's log into pytest's captured log."""
    pytester.makepyfile(FAILING_TEST)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*- Captured log call -*",
            "INFO *campaign_mock.requests*GET /campaign/42 404 not_found (* ms, demo)*",
        ]
    )


def _request_line_on_a_terminal(env: dict[str, str]) -> str:
    """`serve` with stderr on a pseudo-terminal: the raw line of one API request."""
    import pty

    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [*COMMAND, "serve", "--port", "0"], stderr=follower, env=env, text=True
    )
    os.close(follower)
    seen = b""
    asked = False
    try:
        deadline = time.monotonic() + 20
        while b"GET /campaign/7 " not in seen:
            ready, _, _ = select.select([leader], [], [], max(0.0, deadline - time.monotonic()))
            assert ready, f"no request line on the terminal:\n{seen.decode()}"
            seen += os.read(leader, 65536)
            match = re.search(rb"serving on (http://[0-9.:]+)\s", seen)
            if match and not asked:
                requests.get(f"{match[1].decode()}/campaign/7", auth=AUTH, timeout=10)
                asked = True
    finally:
        process.terminate()
        process.wait(10)
        os.close(leader)
    return next(line for line in seen.decode().splitlines() if "/campaign/7 " in line)


def test_colour_on_a_terminal_unless_no_color() -> None:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    coloured = _request_line_on_a_terminal(env)
    assert "\x1b[" in coloured and "GET /campaign/7 404 not_found" in coloured
    plain = _request_line_on_a_terminal({**env, "NO_COLOR": "1"})
    assert "\x1b[" not in plain and "GET /campaign/7 404 not_found" in plain


def test_every_worker_process_logs(tmp_path: Path) -> None:
    """`--workers 2`: granian's processes each set the log up as `serve` was told."""
    state = f"sqlite:///{tmp_path / 'mock.db'}"
    with serve("--workers", "2", "--state", state, "--log-format", "json") as served:
        until_answering(served.url)
        for n in range(40):  # granian spreads fresh connections over its workers
            with requests.Session() as fresh:
                fresh.get(f"{served.url}/campaign/{100 + n}", auth=AUTH, timeout=10)
        served.wait_for(lambda line: '"path": "/campaign/139"' in line)
        lines = served.stop()
    records = [json.loads(line) for line in lines]
    asked = [r for r in records if r.get("logger") == "campaign_mock.requests"]
    assert len(asked) == 40 and all(r["code"] == "not_found" for r in asked)
    writers = {r["pid"] for r in asked}
    assert len(writers) == 2 and served.process.pid not in writers, writers
