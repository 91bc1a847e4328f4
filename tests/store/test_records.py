"""Records are data: what a store holds is read back as data, never run as code.

A hostile pickle (whose loading would create a marker file) planted as each of the mock's
keys and rows is refused with one line: `serve` exits 6 before serving, a running mock
answers 503 or logs the refusal; the marker never appears. A file of the old (pickle)
format is told apart without unpickling it. Every record kind survives its round trip.
"""

from __future__ import annotations

import pickle
import sqlite3
import subprocess
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import msgpack
import pytest
import redis
from tests.serving import THIS_PYTHON, free_port

from campaign_mock.domain.backend import CampaignBackend
from campaign_mock.domain.clock import ClockState, MockClock
from campaign_mock.domain.commands import (
    Abort,
    Answer,
    BatchAnswer,
    CampaignAnswer,
    Done,
    Flush,
    Redeliver,
    Refused,
    answer_from_record,
    answer_to_record,
    command_from_record,
    command_to_record,
)
from campaign_mock.domain.deliveries import batch_to_record
from campaign_mock.domain.errors import ConflictError
from campaign_mock.domain.models import (
    Account,
    Contact,
    ContactList,
    GeneratedContacts,
    Segment,
    State,
)
from campaign_mock.domain.params import CampaignFields
from campaign_mock.domain.records import (
    campaign_from_record,
    campaign_to_record,
    clock_from_record,
    clock_to_record,
    meta_from_record,
    meta_to_record,
)
from campaign_mock.domain.settings import SimulationSettings
from campaign_mock.domain.simulation import Simulation, read_checkpoint
from campaign_mock.domain.world import WorldMeta
from campaign_mock.fixtures.document import default_fixtures
from campaign_mock.store.codec import StoreFormatError, decode, encode, read
from campaign_mock.store.sqlite_store import _SCHEMA

from .instances import Instance, instances, start, wait_until

PREFIX = "campaign-mock:"
START = 1_900_000_000.0


class Hostile:
    """Unpickling this opens (creates) `marker` for writing: code a pickle runs."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (self.marker, "w"))


def hostile(tmp_path: Path) -> tuple[bytes, Path]:
    marker = tmp_path / "pwned"
    data = pickle.dumps(Hostile(marker), 5)
    assert data[:1] == b"\x80"
    return data, marker


def refused_at_start(state: str) -> str:
    """`serve` on `state`: exit 6 with one line on stderr, no traceback; that line."""
    done = subprocess.run(
        [*THIS_PYTHON, "serve", "--port", str(free_port()), "--state", state],
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 6, (done.returncode, done.stderr)
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    return lines[0]


def envelope(kind: str, record: object, version: int = 1) -> bytes:
    """A record packed by hand, as another campaign-mock (or a forger) would."""
    document = {"format": "campaign-mock", "version": version, "kind": kind, "record": record}
    packed: bytes = msgpack.packb(document, use_bin_type=True)
    return packed


# -- SQLite: old files and planted rows ---------------------------------------------------


def sqlite_file(path: Path, rows: dict[str, list[tuple[object, ...]]]) -> str:
    """A store file in the schema every campaign-mock so far has used, with `rows`."""
    conn = sqlite3.connect(path)
    conn.executescript(_SCHEMA)
    for table, values in rows.items():
        for row in values:
            marks = ", ".join("?" for _ in row)
            conn.execute(f"INSERT INTO {table} VALUES ({marks})", row)
    conn.commit()
    conn.close()
    return f"sqlite:///{path}"


def test_a_sqlite_file_of_the_old_pickle_format_gets_one_line_and_exit_6(
    tmp_path: Path,
) -> None:
    """What the mock wrote before records were data: pickles of its own objects."""
    fixtures = default_fixtures()
    campaign = CampaignBackend(fixtures).create_campaign(
        CampaignFields(frozenset({"name", "domain", "list"}), "old", 1, 1)
    )
    meta = WorldMeta(2, fixtures, SimulationSettings())
    clock = ClockState(False, 1.0, 0.0, 0.0)
    state = sqlite_file(
        tmp_path / "old.db",
        {
            "meta": [
                ("version", 1),
                ("meta", pickle.dumps(meta, 5)),
                ("meta_version", 1),
                ("clock", pickle.dumps(clock, 5)),
                ("clock_version", 1),
            ],
            "campaigns": [(1, pickle.dumps(campaign, 5), 1)],
        },
    )
    line = refused_at_start(state)
    assert "written by an older campaign-mock" in line, line
    assert f"delete {tmp_path / 'old.db'}" in line and "new path" in line, line


@pytest.mark.parametrize(
    ("table", "row"),
    [
        ("campaigns", lambda bad: (1, bad, 1)),
        ("meta", lambda bad: ("meta", bad)),
        ("meta", lambda bad: ("clock", bad)),
        ("checkpoint", lambda bad: (1, 1, bad)),
    ],
    ids=["campaign", "meta", "clock", "checkpoint"],
)
def test_a_hostile_pickle_in_a_sqlite_table_is_refused_at_start_and_never_run(
    tmp_path: Path, table: str, row: Callable[[bytes], tuple[object, ...]]
) -> None:
    bad, marker = hostile(tmp_path)
    state = sqlite_file(tmp_path / "mock.db", {table: [row(bad)]})
    line = refused_at_start(state)
    assert f": table {table}" in line and "older campaign-mock" in line, line
    assert not marker.exists(), "the pickle was loaded: it ran code"


def test_an_unknown_format_version_is_refused_at_start(tmp_path: Path) -> None:
    clock = clock_to_record(ClockState(True, 1.0, 0.0, START))
    state = sqlite_file(tmp_path / "mock.db", {"meta": [("clock", envelope("clock", clock, 2))]})
    line = refused_at_start(state)
    assert "format version 2" in line and "reads version 1 only" in line, line


def test_a_malformed_record_is_refused_at_start_naming_its_field(tmp_path: Path) -> None:
    wrong = {"frozen": "yes", "speed": 1.0, "real_anchor": 0.0, "mock_anchor": 0.0}
    state = sqlite_file(tmp_path / "mock.db", {"meta": [("clock", envelope("clock", wrong))]})
    line = refused_at_start(state)
    assert "clock.frozen: expected true or false, found str" in line, line


def test_a_hostile_command_in_a_sqlite_file_is_refused_while_serving(tmp_path: Path) -> None:
    bad, marker = hostile(tmp_path)
    path = tmp_path / "mock.db"
    mock = start(f"sqlite:///{path}", tmp_path)
    try:
        with sqlite3.connect(path) as conn:
            conn.execute("INSERT INTO commands (id, body) VALUES (777, ?)", (bad,))
        answered = lambda: _sqlite_answer(path, 777) is not None  # noqa: E731
        wait_until(answered, 30, "the sending instance to refuse the command")
        refusal = read("answer", _sqlite_answer(path, 777) or b"", answer_from_record, "", "")
        assert isinstance(refusal, Refused) and "older campaign-mock" in refusal.message
        assert mock.data(mock.post("/_mock/deliveries/flush"))["busy"] == 0, "still serving"
    finally:
        mock.stop()
    assert "a command is refused" in mock.log.read_text()
    assert "Traceback" not in mock.log.read_text()
    assert not marker.exists(), "the pickle was loaded: it ran code"


def _sqlite_answer(path: Path, ident: int) -> bytes | None:
    with sqlite3.connect(path) as conn:
        row = conn.execute("SELECT answer FROM commands WHERE id = ?", (ident,)).fetchone()
    return None if row is None or row[0] is None else bytes(row[0])


# -- Redis: every key, before and while serving ------------------------------------------


@pytest.mark.parametrize("key", ["campaigns", "meta", "clock", "checkpoint"])
def test_a_hostile_pickle_under_a_redis_key_is_refused_at_start_and_never_run(
    redis_url: str, tmp_path: Path, key: str
) -> None:
    bad, marker = hostile(tmp_path)
    with redis.Redis.from_url(redis_url) as client:
        if key == "campaigns":
            client.hset(PREFIX + key, "1", bad)
        else:
            client.set(PREFIX + key, bad)
    line = refused_at_start(redis_url)
    assert f"key {PREFIX}{key}" in line and "older campaign-mock" in line, line
    assert f"delete the keys {PREFIX}*" in line, line
    assert not marker.exists(), "the pickle was loaded: it ran code"


def test_a_campaign_record_planted_while_serving_answers_503(
    redis_url: str, tmp_path: Path
) -> None:
    bad, marker = hostile(tmp_path)
    mock = start(redis_url, tmp_path)
    try:
        mock.data(mock.post("/campaign", data={"name": "a", "domain": 1, "list": 1}))
        with redis.Redis.from_url(redis_url) as client:
            # As a write of another instance would: the record, the log, the version.
            version = int(client.get(PREFIX + "version") or 0) + 1
            client.hset(PREFIX + "campaigns", "1", bad)
            client.zadd(PREFIX + "log", {"1": version})
            client.set(PREFIX + "version", version)
        answer = mock.get("/campaign/1")
        assert answer.status_code == 503, answer.text
        body = answer.json()
        assert body["success"] is False and body["data"]["code"] == "unavailable", body
        assert f"key {PREFIX}campaigns field 1" in body["data"]["error"]
    finally:
        mock.stop()
    assert "Traceback" not in _log(mock), _log(mock)
    assert not marker.exists(), "the pickle was loaded: it ran code"


def test_a_planted_checkpoint_and_commands_are_refused_and_logged_while_serving(
    redis_url: str, tmp_path: Path
) -> None:
    bad, marker = hostile(tmp_path)
    with instances(redis_url, tmp_path, 2) as (a, b):
        wait_until(lambda: a.store()["sending"] or b.store()["sending"], 30, "a lease holder")
        holder, follower = (a, b) if a.store()["sending"] else (b, a)
        with redis.Redis.from_url(redis_url) as client:
            client.set(PREFIX + "checkpoint", bad)
            client.incr(PREFIX + "checkpoint_version")
            client.rpush(PREFIX + "commands", b"424242 " + bad)  # framed, a pickle inside
            client.rpush(PREFIX + "commands", bad)  # not even framed
            unknown = envelope("command", {"command": "system", "args": ["touch", "x"]})
            client.rpush(PREFIX + "commands", b"424243 " + unknown)
            wait_until(lambda: client.exists(PREFIX + "answer:424243"), 30, "the refusals")
            answers = {i: client.lrange(f"{PREFIX}answer:{i}", 0, -1) for i in (424242, 424243)}
        for ident, found in answers.items():
            refusal = read("answer", found[0], answer_from_record, str(ident), "")
            assert isinstance(refusal, Refused) and refusal.code == "invalid", refusal
        assert (
            "'system' is not a command"
            in read("answer", answers[424243][0], answer_from_record, "", "").message
        )  # type: ignore[union-attr]
        wait_until(lambda: "checkpoint is not used" in _log(follower), 30, "the follower's line")
        # The mock goes on: a command from the follower runs on the holder.
        assert follower.data(follower.post("/_mock/deliveries/flush"))["busy"] == 0
    holder_log = _log(holder)
    assert holder_log.count("a command is refused") == 2, holder_log
    assert "is no command" in holder_log, holder_log
    assert "Traceback" not in holder_log + _log(follower)
    assert not marker.exists(), "the pickle was loaded: it ran code"


def _log(instance: Instance) -> str:
    return instance.log.read_text()


# -- round trips --------------------------------------------------------------------------


def _world() -> tuple[CampaignBackend, MockClock]:
    """A frozen mock with a list of generated contacts, contacts and a segment."""
    base = default_fixtures()
    many = ContactList(
        id=10,
        name="Many",
        contacts=(Contact(5, "five@example.com", None), Contact(6, None, "+351900000006")),
        segments=(Segment(77, "some", frozenset({5, 100_001, 100_002})),),
        generated=GeneratedContacts(400, 100_000, "user{n}@example.com", "+3519{n:08d}"),
    )
    accounts = (*base.accounts, Account("other", "secret", ("key-1", "key-2")))
    fixtures = replace(base, lists=(*base.lists, many), accounts=accounts)
    settings = SimulationSettings(seed=3, send_rate=20, window=5).updated(
        {"delays": {"opened": 10, "clicked": 5}, "faults": {"duplicate_rate": 0.5}}
    )
    clock = MockClock(start=START, frozen=True)
    return CampaignBackend(fixtures, clock, settings), clock


def _sending(backend: CampaignBackend) -> int:
    fields = CampaignFields(
        frozenset({"name", "domain", "list", "state", "when", "event_callback"}),
        name="big",
        domain=1,
        list_id=10,
        state=State.READY,
        when=int(START),
        event_callback="http://127.0.0.1:9/callback",
    )
    return backend.create_campaign(fields).id


def test_round_trip_of_campaign_meta_and_clock_records() -> None:
    backend, clock = _world()
    ident = _sending(backend)
    clock.advance(3)
    backend.tick()
    campaign = backend.get_campaign(ident)
    assert len(campaign.history) == 2 and campaign.state is State.SENDING
    assert read("campaign", encode("campaign", campaign_to_record(campaign)),
                campaign_from_record, "", "") == campaign  # fmt: skip
    meta = backend.export_changes(everything=True).meta
    assert meta is not None
    assert meta.fixtures.lists[-1].generated is not None
    assert read("meta", encode("meta", meta_to_record(meta)), meta_from_record, "", "") == meta
    state = ClockState(True, 60.0, 1_700_000_000.5, START)
    assert read("clock", encode("clock", clock_to_record(state)), clock_from_record, "", "") == (
        state
    )


def test_round_trip_of_a_checkpoint_mid_send_carries_the_send_on_identically() -> None:
    backend, clock = _world()
    ident = _sending(backend)
    clock.advance(12)
    backend.tick()
    outbox = backend.simulation.outbox
    now = clock.now()
    first = outbox.take(now)
    assert first is not None, "batches are due"
    outbox.record(first, now, 204, None, 1.5)  # acknowledged (maybe duplicated)
    failed = outbox.take(now)
    if failed is not None:
        outbox.record(failed, now, 500, "HTTP 500", 2.0)  # a retry waits
    outbox.take(now)  # one left in flight
    backend.redeliver(first.batch.id)
    assert backend.simulation.has_job(ident), "the send is not over"

    record = backend.simulation.checkpoint()
    saved = read("checkpoint", encode("checkpoint", record), read_checkpoint, "", "")
    replica = Simulation(backend.simulation.settings)
    replica.restore(saved, backend.fixtures, resume=False)
    assert replica.checkpoint() == record, "every field comes back as it went"

    # A simulation resumed from it draws exactly what the original goes on to draw.
    resumed = Simulation(backend.simulation.settings)
    resumed.restore(
        read("checkpoint", encode("checkpoint", record), read_checkpoint, "", ""),
        backend.fixtures,
        resume=True,
    )
    later = now + 60
    for simulation in (backend.simulation, resumed):
        while simulation.advance(later, later, 100):
            pass
    original = backend.simulation.outbox.batches.values()
    again = resumed.outbox.batches.values()
    assert [b.chunk for b in again] == [b.chunk for b in original]
    assert len(original) > len(saved.outbox.batches), "the send went on after the checkpoint"


def _same(answer: Answer) -> Answer:
    return read("answer", encode("answer", answer_to_record(answer)), answer_from_record, "", "")


def test_round_trip_of_commands_and_answers() -> None:
    for command in (Flush(), Abort(3, "a fault, injected"), Redeliver(12)):
        found = read("command", encode("command", command_to_record(command)),
                     lambda r, w: command_from_record(r, w), "", "")  # fmt: skip
        assert found == command
    backend, clock = _world()
    campaign = backend.get_campaign(_sending(backend))
    assert _same(CampaignAnswer(campaign)) == CampaignAnswer(campaign)
    assert _same(Done()) == Done()
    assert _same(BatchAnswer(None)) == BatchAnswer(None)
    clock.advance(12)
    backend.tick()
    batch = next(iter(backend.simulation.outbox.batches.values()))
    answer = _same(BatchAnswer(batch))
    assert isinstance(answer, BatchAnswer) and answer.value is not None
    assert batch_to_record(answer.value) == batch_to_record(batch)
    refused = _same(Refused.of(ConflictError("campaign 3 is DONE", {"state": ["is DONE"]})))
    assert isinstance(refused, Refused)
    error = refused.error()
    assert isinstance(error, ConflictError) and error.errors == {"state": ["is DONE"]}


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (envelope("clock", {}, version=2), "format version 2"),
        (envelope("meta", {}), "a 'meta' record where a 'clock' belongs"),
        (b"\x92\x01\x02", "no format envelope"),
        (b"\xc1", "is not a campaign-mock record"),
        (b"{not msgpack", "is not a campaign-mock record"),
        (envelope("clock", {"frozen": True}), "field 'speed' is missing"),
        (pickle.dumps(ClockState(True, 1, 0, 0), 5), "older campaign-mock"),
    ],
    ids=["version", "kind", "no-envelope", "invalid", "text", "missing-field", "pickle"],
)
def test_what_is_not_a_record_gives_a_clear_error(data: bytes, says: str) -> None:
    with pytest.raises(StoreFormatError) as raised:
        read("clock", data, clock_from_record, "the key", "start afresh")
    message = str(raised.value)
    assert message.startswith("the key") and says in message and "\n" not in message, message


def test_an_unknown_command_name_is_refused() -> None:
    from campaign_mock.domain.reading import RecordError

    record = decode("command", envelope("command", {"command": "__import__"}), "", "")
    with pytest.raises(RecordError, match="'__import__' is not a command"):
        command_from_record(record)


def test_an_attempts_answer_and_each_events_time_survive_the_round_trip() -> None:
    """What a receiver answered (headers in order, the first KiB of the body) and when each
    reported event happened are kept in the checkpoint; records written before they were
    kept still read, with none."""
    backend, clock = _world()
    _sending(backend)
    clock.advance(12)
    backend.tick()
    outbox = backend.simulation.outbox
    now = clock.now()
    taken = outbox.take(now)
    assert taken is not None, "batches are due"
    said = (("X-Receiver", "hooks-7"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"))
    outbox.record(taken, now, 202, None, 1.5, said, b"y" * 3000)
    kept = outbox.entries()[-1]
    assert (kept.answer_headers, kept.answer_body) == (said, b"y" * 1024)
    chunk = taken.batch.chunk
    assert len(chunk.times) == len(chunk.addresses) and chunk.when == int(min(chunk.times))

    record = backend.simulation.checkpoint()
    saved = read("checkpoint", encode("checkpoint", record), read_checkpoint, "", "")
    assert saved.outbox.journal[-1] == kept
    assert saved.outbox.batches[taken.batch.id].chunk.times == chunk.times

    older = msgpack.unpackb(msgpack.packb(record, use_bin_type=True), raw=False)
    for attempt in older["outbox"]["journal"]:
        del attempt["answer_headers"], attempt["answer_body"]
    for batch in older["outbox"]["batches"]:
        del batch["chunk"]["times"]
    again = read("checkpoint", encode("checkpoint", older), read_checkpoint, "", "")
    assert again.outbox.journal[-1] == replace(kept, answer_headers=(), answer_body=b"")
    assert len(again.outbox.batches[taken.batch.id].chunk.times) == 0

    older["outbox"]["journal"][-1]["answer_headers"] = [["X-Receiver"]]
    with pytest.raises(StoreFormatError, match=r"journal\[\d+\]\.answer_headers\[0\]"):
        read("checkpoint", encode("checkpoint", older), read_checkpoint, "", "")
