"""`--state sqlite:///...`: the mock's state survives a restart, a send included."""

from __future__ import annotations

import ctypes
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.serving import THIS_PYTHON, AnsweringReceiver

from campaign_mock.testing.sink import SinkServer

from .instances import (
    IN_FLIGHT,
    SEND_OPTIONS,
    big_fixtures,
    campaign_state,
    events_of,
    lost_and_repeated,
    repeated_callbacks,
    settled,
    start,
    wait_until,
)
from .sends import SEND_TIMEOUT, reference_events, start_send


def test_campaigns_ids_and_sessions_survive_a_restart(tmp_path: Path) -> None:
    state = f"sqlite:///{tmp_path / 'mock.db'}"
    first = start(state, tmp_path)
    try:
        made = first.data(first.post("/campaign", data={"name": "a", "domain": 1, "list": 1}))
        scheduled = {"state": "SCHEDULED", "when": 4_000_000_000}
        first.data(first.put(f"/campaign/{made['id']}", data=scheduled))
        first.data(first.post("/campaign", data={"name": "b", "domain": 1, "list": 1}))
        login = first.post("/login/", data={"username": "demo", "password": "demo-password"})
        token = first.data(login)["token"]
    finally:
        first.stop()
    again = start(state, tmp_path)
    try:
        kept = again.data(again.get("/campaign/1"))
        assert (kept["state"], kept["when"], kept["name"]) == ("SCHEDULED", 4_000_000_000, "a")
        third = again.data(again.post("/campaign", data={"name": "c", "domain": 1, "list": 1}))
        assert third["id"] == 3, "ids are never reused (M-5), not even after a restart"
        cookie = {"sergiosgc_auth": str(token)}
        import requests

        by_session = requests.get(f"{again.url}/campaign/1", cookies=cookie, timeout=10)
        assert by_session.json()["success"], "a session opened before the restart still works"
        assert "sqlite:///" in again.log.read_text(), "the banner names the store"
    finally:
        again.stop()


def test_a_send_interrupted_by_a_restart_resumes_and_loses_no_event(
    tmp_path: Path, sink_server: SinkServer
) -> None:
    expected = reference_events(tmp_path, sink_server)
    state = f"sqlite:///{tmp_path / 'mock.db'}"
    options = ("--fixtures", str(big_fixtures(tmp_path)), *SEND_OPTIONS)
    sink = sink_server.open()
    first = start(state, tmp_path, *options, name="first")
    try:
        ident = start_send(first, sink)
        wait_until(lambda: len(sink.events()) >= len(expected) // 4, 60, "a quarter of the send")
        assert campaign_state(first, ident) == "SENDING"
    finally:
        first.kill()
    received_before = sum(events_of(sink).values())
    again = start(state, tmp_path, *options, name="again")
    try:
        wait_until(lambda: settled(again, ident), SEND_TIMEOUT, "the resumed send to end")
    finally:
        again.stop()
    got = events_of(sink)
    lost, repeated = lost_and_repeated(got, expected)
    assert not lost, f"{len(lost)} events lost across the restart, e.g. {sorted(lost)[:3]}"
    assert set(got) == set(expected), "events nobody would have sent"
    twice = repeated_callbacks(sink)
    print(
        f"\nsqlite restart: {len(expected)} events, {received_before} before the kill, "
        f"{repeated} delivered twice in {twice} callbacks"
    )
    assert twice <= IN_FLIGHT, "only attempts in flight at the kill may come again (C-4)"


def test_what_receivers_answered_survives_a_restart(tmp_path: Path) -> None:
    """`GET /_mock/deliveries` shows each attempt's answer (headers in order, the first KiB
    of the body), and a mock restarted on the same file shows it still."""
    state = f"sqlite:///{tmp_path / 'mock.db'}"
    said = [["X-Receiver", "hooks-7"], ["Set-Cookie", "a=1"], ["Set-Cookie", "b=2"]]
    body = b"thanks " + b"z" * 2000
    with AnsweringReceiver(202, [(name, value) for name, value in said], body) as receiver:
        first = start(state, tmp_path, name="first")
        try:
            first.data(first.post("/_mock/clock/freeze"))
            now = int(first.data(first.get("/_mock/clock"))["now"])  # type: ignore[call-overload]
            fields = {"name": "a", "domain": 1, "list": 1, "state": "READY", "when": now}
            made = first.data(
                first.post("/campaign", data={**fields, "event_callback": receiver.url})
            )
            first.data(first.post("/_mock/clock/advance", json={"seconds": 3600}))
            assert first.data(first.post("/_mock/deliveries/wait", json={"idle": True}))["reached"]
            before = first.data(first.get(f"/_mock/deliveries?campaign={made['id']}"))
        finally:
            first.stop()
    shown = before["deliveries"]
    assert isinstance(shown, list) and shown and len(shown) == len(receiver.received)
    for attempt in shown:
        assert attempt["status"] == 202
        names = [pair[0] for pair in attempt["answer_headers"]]
        assert names[:2] == ["Server", "Date"]  # http.server's own, first
        assert attempt["answer_headers"][2:5] == said  # in order, a repeated name twice
        assert attempt["answer_body"] == body[:1024].decode()
    again = start(state, tmp_path, name="again")

    def journal() -> object:
        return again.data(again.get(f"/_mock/deliveries?campaign={made['id']}"))["deliveries"]

    try:  # the journal shows once the new instance has read the checkpoint (its first tick)
        wait_until(lambda: journal() == shown, 30, "the journal read back from the file")
    finally:
        again.stop()


# -- a file it cannot use: one line and exit 6 at start, never a traceback nor a 503 later --

#: prctl(2): drop a capability from the bounding set (kept across exec only as dropped).
PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 1, 2


@pytest.fixture(scope="module")
def valid_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store file a mock wrote (a campaign, sessions, a journal), its WAL folded in."""
    folder = tmp_path_factory.mktemp("valid")
    path = folder / "mock.db"
    mock = start(f"sqlite:///{path}", folder)
    try:
        for n in range(20):
            mock.data(mock.post("/campaign", data={"name": f"c{n}", "domain": 1, "list": 1}))
    finally:
        mock.stop()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def _copy(valid: Path, folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / "mock.db"
    shutil.copyfile(valid, path)
    return path


def _garbage_page(valid: Path, tmp_path: Path) -> Path:
    """A page in the middle of the file overwritten: the tables read at start are intact."""
    path = _copy(valid, tmp_path / "store")
    data = bytearray(path.read_bytes())
    size = int.from_bytes(data[16:18], "big")  # the header's page size
    middle = len(data) // size // 2
    data[middle * size : (middle + 1) * size] = bytes(range(256)) * (size // 256)
    path.write_bytes(bytes(data))
    return path


def _random_bytes(valid: Path, tmp_path: Path) -> Path:
    path = tmp_path / "noise.db"
    path.write_bytes(os.urandom(64 * 1024))
    return path


def _read_only_file(valid: Path, tmp_path: Path) -> Path:
    path = _copy(valid, tmp_path / "store")
    path.chmod(0o444)
    return path


def _read_only_folder(valid: Path, tmp_path: Path) -> Path:
    path = _copy(valid, tmp_path / "store")
    path.parent.chmod(0o555)  # no room for its -wal and -shm files
    return path


def _a_folder(valid: Path, tmp_path: Path) -> Path:
    return tmp_path


def _under_proc(valid: Path, tmp_path: Path) -> Path:
    """A folder nobody may create, root included."""
    return Path(f"/proc/campaign-mock-{os.getpid()}/mock.db")


def _unprivileged() -> None:
    """Run in the child before exec: as root, file modes stop no write; without these two
    capabilities root is held to them as any user is."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@pytest.mark.parametrize(
    "make",
    [_garbage_page, _random_bytes, _read_only_file, _read_only_folder, _a_folder, _under_proc],
    ids=lambda make: make.__name__.strip("_"),
)
def test_a_file_it_cannot_use_is_one_line_and_exit_6(
    make: Callable[[Path, Path], Path], valid_store: Path, tmp_path: Path
) -> None:
    path = make(valid_store, tmp_path)
    server = subprocess.Popen(
        [*THIS_PYTHON, "serve", "--port", "0", "--state", f"sqlite:///{path}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_unprivileged if os.geteuid() == 0 else None,
    )
    try:
        _, stderr = server.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        _, stderr = server.communicate()
        pytest.fail(f"serve started on {path}: {stderr}")
    finally:
        if path.parent.is_relative_to(tmp_path):
            path.parent.chmod(0o755)  # for pytest to remove it
    lines = stderr.strip().splitlines()
    assert server.returncode == 6, stderr
    assert len(lines) == 1 and str(path) in lines[0], stderr
