"""A store that lost its data under running instances (FLUSHALL, a Redis restarted without
persistence, its rows deleted): they refuse it rather than hand out ids again (M-5)."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
from pathlib import Path

import pytest
import redis
import requests
from tests.serving import THIS_PYTHON

from .instances import Instance, instances, start

FIELDS = {"name": "a", "domain": 1, "list": 1}


def _refused(answer: requests.Response) -> None:
    """A 503 `unavailable` in the envelope, saying the store lost its data and the way out."""
    body = answer.json()
    assert answer.status_code == 503, body
    assert body["success"] is False and body["data"]["code"] == "unavailable"
    assert "lost the data" in body["data"]["error"] and "--state-reset" in body["data"]["error"]


def test_an_instance_refuses_a_store_emptied_and_written_by_another(
    redis_url: str, tmp_path: Path
) -> None:
    """The issue's case: FLUSHALL, then a new instance writes first (it cannot know: the
    store is as empty as a new one). The first instance, paused meanwhile so its ticker
    cannot look first, refuses its next write: it hands out no id the new one did."""
    with instances(redis_url, tmp_path, 1) as (first,):
        made = [first.data(first.post("/campaign", data=FIELDS))["id"] for _ in range(3)]
        assert made == [1, 2, 3]
        first.process.send_signal(signal.SIGSTOP)
        try:
            with redis.Redis.from_url(redis_url) as client:
                client.flushall()
            newcomer = start(redis_url, tmp_path, name="newcomer")
            try:
                assert newcomer.data(newcomer.post("/campaign", data=FIELDS))["id"] == 1
            finally:
                newcomer.stop()
        finally:
            first.process.send_signal(signal.SIGCONT)
        _refused(first.post("/campaign", data=FIELDS))
        _refused(first.get("/campaign/2"))


def _flushall(state: str) -> None:
    with redis.Redis.from_url(state) as client:
        client.flushall()


def _delete_rows(state: str) -> None:
    with sqlite3.connect(state.removeprefix("sqlite:///")) as db:
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            if not table.startswith("sqlite_"):
                db.execute(f'DELETE FROM "{table}"')


@pytest.mark.parametrize("store", ["redis", "sqlite"])
def test_an_emptied_store_is_refused_until_state_reset(
    store: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Emptied under a running instance: it refuses (and leaves a mark); an instance started
    there refuses to start (one line, exit 6) until `--state-reset` starts it afresh on
    purpose, ids from 1, while the first one keeps refusing until restarted."""
    if store == "redis":
        state, empty = str(request.getfixturevalue("redis_url")), _flushall
    else:
        state, empty = f"sqlite:///{tmp_path / 'mock.db'}", _delete_rows
    with instances(state, tmp_path, 1) as (first,):
        for _ in range(3):
            first.data(first.post("/campaign", data=FIELDS))
        empty(state)
        _refused(first.post("/campaign", data=FIELDS))
        done = subprocess.run(
            [*THIS_PYTHON, "serve", "--port", "0", "--state", state],
            capture_output=True,
            text=True,
            timeout=60,
        )
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 6, done.stderr
        assert len(lines) == 1 and "--state-reset" in lines[0], done.stderr
        fresh = start(state, tmp_path, "--state-reset", name="fresh")
        try:
            assert fresh.data(fresh.post("/campaign", data=FIELDS))["id"] == 1
            _refused(first.post("/campaign", data=FIELDS))
            _refused(first.get("/campaign/1"))
            assert fresh.data(fresh.get("/campaign/1"))["name"] == "a"
        finally:
            fresh.stop()
        _restarted(first, state, tmp_path)


def _restarted(first: Instance, state: str, tmp_path: Path) -> None:
    """Restarted, the first instance joins the store as it is now, and serves again."""
    first.stop()
    again = start(state, tmp_path, name="again")
    try:
        assert again.data(again.post("/campaign", data=FIELDS))["id"] == 2
    finally:
        again.stop()
