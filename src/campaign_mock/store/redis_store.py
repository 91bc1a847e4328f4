"""`--state redis://host:port/0`: the mock's state in Redis (redis-py), shared by processes
on any number of machines.

The exclusive lock and the sends' lease are redis-py `Lock`s (Lua scripts, with a timeout,
so a holder killed with `kill -9` frees them when they expire). Every call has a deadline
(`--store-timeout`, redis-py's socket timeouts): a stalled Redis is a 503, not a hang. A
write is one MULTI/EXEC transaction; the checkpoint is written only while the lease is still
this holder's (WATCH on the lease). Commands go through a list and their answers come back
with BLPOP.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import redis
from redis.backoff import NoBackoff
from redis.lock import Lock
from redis.retry import Retry

from campaign_mock.domain.listening import Listener
from campaign_mock.domain.records import (
    campaign_from_record,
    campaign_to_record,
    clock_from_record,
    clock_to_record,
    meta_from_record,
    meta_to_record,
)
from campaign_mock.store.base import (
    LEASE_SECONDS,
    STORE_TIMEOUT,
    Changes,
    Check,
    Stamp,
    Write,
    with_ids,
)
from campaign_mock.store.codec import StoreFormatError, encode, read

#: Real seconds the world lock lasts if its holder dies mid-operation.
LOCK_SECONDS = 10.0
#: Real seconds a process waits for the world lock another instance holds before the
#: request fails (each try at it is one call, under the store's timeout).
LOCK_WAIT = 30.0
#: Seconds an answer waits for its asker before Redis drops it.
ANSWER_TTL = 60


_JOURNAL_APPEND = """
local last = redis.call('INCRBY', KEYS[1], #ARGV - 1)
local first = last - (#ARGV - 1) + 1
for i = 2, #ARGV do
  redis.call('RPUSH', KEYS[2], (first + i - 2) .. ' ' .. ARGV[i])
end
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[1]), -1)
return last
"""


#: A write, checked or not, in one atomic step. KEYS: version, log, campaigns, meta,
#: meta_version, clock, clock_version, reset, lock, acknowledged, ids, epoch. ARGV: "check"
#: or "write", the epoch, seen, the number of campaigns checked, then (id, bound) for each;
#: reset ("1" or "0"), meta ("" if none), the id counter's seed, clock ("" if none), then
#: (id, record: "" deletes) for each campaign written. Answers {status, version}: status 1
#: written (or nothing to write), 0 something read was written since, -1 the lock is held,
#: -2 another epoch.
_COMMIT = """
local seen = tonumber(ARGV[3])
local i = 5
if ARGV[1] == 'check' then
  if redis.call('GET', KEYS[12]) ~= ARGV[2] then return {-2, 0} end
  if redis.call('EXISTS', KEYS[9]) == 1 then return {-1, 0} end
  for _, key in ipairs({KEYS[8], KEYS[5], KEYS[7]}) do
    if tonumber(redis.call('GET', key) or '0') > seen then return {0, 0} end
  end
  for _ = 1, tonumber(ARGV[4]) do
    local at = redis.call('ZSCORE', KEYS[2], ARGV[i])
    if at and tonumber(at) > tonumber(ARGV[i + 1]) then return {0, 0} end
    i = i + 2
  end
else
  i = i + 2 * tonumber(ARGV[4])
end
local reset, meta, seed, clock = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
i = i + 4
if reset == '0' and meta == '' and clock == '' and i > #ARGV then
  return {1, tonumber(redis.call('GET', KEYS[1]) or '0')}
end
local version = redis.call('INCR', KEYS[1])
if reset == '1' then
  redis.call('DEL', KEYS[3], KEYS[2], KEYS[10])
  redis.call('SET', KEYS[8], version)
  redis.call('SET', KEYS[11], 0)
end
if meta ~= '' then
  redis.call('SET', KEYS[4], meta)
  redis.call('SET', KEYS[5], version)
  redis.call('SETNX', KEYS[11], seed)
end
if clock ~= '' then
  redis.call('SET', KEYS[6], clock)
  redis.call('SET', KEYS[7], version)
end
while i < #ARGV do
  if ARGV[i + 1] == '' then
    redis.call('HDEL', KEYS[3], ARGV[i])
  else
    redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1])
  end
  redis.call('ZADD', KEYS[2], version, ARGV[i])
  i = i + 2
end
return {1, version}
"""

#: The next id, on the store this instance joined (0: another epoch).
_TAKE_ID = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('INCR', KEYS[2])
"""
#: The id counter, if it has none, after `ARGV[1]` and every campaign id the log holds.
_SEED_IDS = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local last = tonumber(ARGV[1])
for _, ident in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  last = math.max(last, tonumber(ident))
end
redis.call('SET', KEYS[1], last)
return 1
"""
#: Real seconds between two looks at a lock another instance holds, for a commit.
LOCK_POLL = 0.001


class RedisStore:
    """Keys under one prefix in one Redis database."""

    def __init__(
        self, url: str, prefix: str = "campaign-mock:", timeout: float = STORE_TIMEOUT
    ) -> None:
        # Typed loosely: redis-py's stubs type every reply as bytes | str | list.
        self.client: Any = redis.Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            # One more try on a broken connection (a Redis restarted), none on a timeout:
            # redis-py's default, ten tries of each, would make the deadline ten times longer.
            retry=Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)),
        )
        self.timeout = timeout
        #: A blocking read (BLPOP) waits in slices shorter than the socket's timeout.
        self._slice = timeout / 2
        parts = urlsplit(url)
        self.label = (
            f"{parts.scheme}://{parts.hostname or 'localhost'}:{parts.port or 6379}{parts.path}"
        )
        self.client.ping()
        #: Each thread's own client on one connection of the pool (`_own`).
        self._threads = threading.local()
        self._p = prefix
        self.fresh = (
            f"delete the keys {prefix}* from that database or serve once with --state-reset "
            "(the mock's state is lost), or use another database"
        )
        #: One round trip per request's journal entry: number, append and trim, atomically.
        self._append = self.client.register_script(_JOURNAL_APPEND)
        self._commit = self.client.register_script(_COMMIT)
        self._take_id = self.client.register_script(_TAKE_ID)
        self._seed_ids = self.client.register_script(_SEED_IDS)
        self._world_keys = [
            self._k(name)
            for name in (
                "version", "log", "campaigns", "meta", "meta_version", "clock",
                "clock_version", "reset", "lock", "acknowledged", "ids", "epoch",
            )
        ]  # fmt: skip

    def _k(self, name: str) -> str:
        return self._p + name

    @property
    def _own(self) -> Any:
        """This thread's client, holding one connection of the pool for good (redis-py's
        `single_connection_client`): a call through it skips the pool's lending and
        returning, about a third of what a script's call costs (an EVALSHA with a commit's
        arguments took 86 us of CPU through the pool, 57 us through its own connection, on
        the VM where bench/README's figures come from). Used for the calls each request
        makes: a read's version, a commit, an id, a journal entry. The connection goes back
        to the pool when its thread ends; `close()` closes the pool, and with it every
        connection, held or not."""
        own = getattr(self._threads, "client", None)
        if own is None:
            own = redis.Redis(
                connection_pool=self.client.connection_pool, single_connection_client=True
            )
            self._threads.client = own
        return own

    def where(self, kind: str, ident: int = 0) -> str:
        places = {
            "checkpoint": f"key {self._k('checkpoint')}",
            "command": f"list {self._k('commands')}, command {ident}",
            "answer": f"key {self._k(f'answer:{ident}')}",
        }
        return f"{self.label}: {places.get(kind, kind)}"

    # -- the lock ----------------------------------------------------------------------

    @contextmanager
    def locked(self) -> Iterator[None]:
        lock = Lock(
            self.client,
            self._k("lock"),
            timeout=LOCK_SECONDS,
            sleep=0.001,
            blocking_timeout=LOCK_WAIT,
            thread_local=False,
        )
        if not lock.acquire():
            raise TimeoutError(f"the store's lock was held for over {LOCK_WAIT:.0f} s")
        try:
            yield
        finally:
            lock.release()

    # -- the world ---------------------------------------------------------------------

    def version(self) -> int:
        return int(self._own.get(self._k("version")) or 0)

    def stamp(self) -> Stamp:
        version, epoch = self._own.mget(self._k("version"), self._k("epoch"))
        return Stamp(None if epoch is None else bytes(epoch).decode(), int(version or 0))

    def claim_epoch(self, epoch: str) -> str:
        pipe = self.client.pipeline(transaction=True)
        pipe.setnx(self._k("epoch"), epoch)
        pipe.get(self._k("epoch"))
        return bytes(pipe.execute()[1]).decode()

    def start_epoch(self, epoch: str) -> None:
        keys = list(self.client.scan_iter(match=self._p + "*", count=1000))
        pipe = self.client.pipeline(transaction=True)
        if keys:
            pipe.delete(*keys)
        pipe.set(self._k("epoch"), epoch)
        pipe.execute()

    def changes(self, since: int, also: Collection[int] = ()) -> Changes:
        pipe = self.client.pipeline(transaction=True)
        pipe.get(self._k("version"))
        pipe.get(self._k("reset"))
        pipe.get(self._k("meta_version"))
        pipe.get(self._k("clock_version"))
        pipe.zrangebyscore(self._k("log"), f"({since}", "+inf")
        pipe.get(self._k("ids"))
        raw_version, raw_reset, raw_meta, raw_clock, changed, ids = pipe.execute()
        version = int(raw_version or 0)
        full = since == 0 or int(raw_reset or 0) > since
        if also and not full:
            changed = list(dict.fromkeys([*changed, *(str(i).encode() for i in also)]))
        read = self.client.pipeline(transaction=True)
        if full:
            read.hgetall(self._k("campaigns"))
        else:
            read.hmget(self._k("campaigns"), changed or ["-"])  # HMGET needs a field
        read.get(self._k("meta"))
        read.get(self._k("clock"))
        records, meta, clock = read.execute()
        campaigns: dict[int, Any] = {}
        if full:
            campaigns = {
                int(i): self._read("campaign", r, f"campaigns field {int(i)}")
                for i, r in records.items()
            }
        elif changed:
            campaigns = {
                int(i): None
                if r is None
                else self._read("campaign", r, f"campaigns field {int(i)}")
                for i, r in zip(changed, records, strict=True)
            }
        take_meta = full or bool(also) or int(raw_meta or 0) > since
        take_clock = full or bool(also) or int(raw_clock or 0) > since
        return Changes(
            version=version,
            full=full,
            campaigns=campaigns,
            meta=with_ids(self._read("meta", meta, "meta"), ids) if take_meta and meta else None,
            clock=self._read("clock", clock, "clock") if take_clock and clock else None,
            reset=int(raw_reset or 0),
        )

    def write(self, write: Write) -> int:
        # Inside locked(): a commit that checks nothing.
        written = self._run_commit("write", write, Check("", 0, {}))
        assert written is not None
        return written

    def commit(self, write: Write, check: Check) -> int | None:
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            try:
                return self._run_commit("check", write, check)
            except _LockHeld:
                if time.monotonic() >= deadline:
                    raise TimeoutError(
                        f"the store's lock was held for over {LOCK_WAIT:.0f} s"
                    ) from None
                time.sleep(LOCK_POLL)

    def _run_commit(self, mode: str, write: Write, check: Check) -> int | None:
        args: list[bytes | str | int] = [mode, check.epoch, check.seen, len(check.campaigns)]
        for ident, bound in check.campaigns.items():
            args += [ident, bound]
        meta = b"" if write.meta is None else encode("meta", meta_to_record(write.meta))
        seed = 0 if write.meta is None else write.meta.next_id - 1
        clock = b"" if write.clock is None else encode("clock", clock_to_record(write.clock))
        args += [int(write.reset), meta, seed, clock]
        for ident, campaign in write.campaigns.items():
            args += [
                ident,
                b"" if campaign is None else encode("campaign", campaign_to_record(campaign)),
            ]
        status, version = self._commit(keys=self._world_keys, args=args, client=self._own)
        if status == -1:
            raise _LockHeld
        return int(version) if status == 1 else None

    def take_id(self, epoch: str) -> int | None:
        ident = int(
            self._take_id(keys=[self._k("epoch"), self._k("ids")], args=[epoch], client=self._own)
        )
        return ident or None

    def seed_ids(self, last: int) -> None:
        self._seed_ids(keys=[self._k("ids"), self._k("log")], args=[last])

    def last_id(self) -> int:
        return int(self.client.get(self._k("ids")) or 0)

    # -- sessions: a key each, expiring by itself, and their order of login ----------------

    def open_session(self, token: str, username: str, ends_at: float, capacity: int) -> None:
        ttl_ms = max(1, int((ends_at - time.time()) * 1000))
        pipe = self.client.pipeline(transaction=True)
        pipe.set(self._k(f"session:{token}"), username, px=ttl_ms)
        pipe.zadd(self._k("sessions"), {token: ends_at})
        pipe.zremrangebyscore(self._k("sessions"), "-inf", time.time())
        pipe.zcard(self._k("sessions"))
        count = pipe.execute()[-1]
        if count > capacity:
            oldest = self.client.zpopmin(self._k("sessions"), count - capacity)
            if oldest:
                self.client.delete(*(self._k(f"session:{t.decode()}") for t, _ in oldest))

    def session_user(self, token: str, now: float) -> str | None:
        found = self.client.get(self._k(f"session:{token}"))
        return None if found is None else bytes(found).decode()

    def close_session(self, token: str) -> None:
        pipe = self.client.pipeline(transaction=True)
        pipe.delete(self._k(f"session:{token}"))
        pipe.zrem(self._k("sessions"), token)
        pipe.execute()

    def clear_sessions(self) -> None:
        tokens = self.client.zrange(self._k("sessions"), 0, -1)
        pipe = self.client.pipeline(transaction=True)
        for token in tokens:
            pipe.delete(self._k(f"session:{token.decode()}"))
        pipe.delete(self._k("sessions"))
        pipe.execute()

    # -- the sends ---------------------------------------------------------------------

    def _lease(self, seconds: float) -> Lock:
        return Lock(self.client, self._k("lease"), timeout=seconds, thread_local=False)

    def hold_lease(self, holder: str, seconds: float = LEASE_SECONDS) -> bool:
        lease = self._lease(seconds)
        if self.client.get(self._k("lease")) == holder.encode():
            lease.local.token = holder.encode()
            try:
                return bool(lease.reacquire())
            except redis.exceptions.LockError:
                return False
        return bool(lease.acquire(blocking=False, token=holder))

    def release_lease(self, holder: str) -> None:
        lease = self._lease(LEASE_SECONDS)
        lease.local.token = holder.encode()
        with contextlib.suppress(redis.exceptions.LockError):  # expired, or taken by another
            lease.release()

    def lease_holder(self) -> str | None:
        found = self.client.get(self._k("lease"))
        return None if found is None else bytes(found).decode()

    def save_checkpoint(self, holder: str, blob: bytes) -> bool:
        with self.client.pipeline(transaction=True) as pipe:
            try:
                pipe.watch(self._k("lease"))
                if pipe.get(self._k("lease")) != holder.encode():
                    return False
                pipe.multi()
                pipe.set(self._k("checkpoint"), blob)
                pipe.incr(self._k("checkpoint_version"))
                pipe.execute()
                return True
            except redis.exceptions.WatchError:
                return False

    def checkpoint_version(self) -> int:
        return int(self.client.get(self._k("checkpoint_version")) or 0)

    def load_checkpoint(self) -> tuple[int, bytes] | None:
        pipe = self.client.pipeline(transaction=True)
        pipe.get(self._k("checkpoint_version"))
        pipe.get(self._k("checkpoint"))
        version, blob = pipe.execute()
        return None if blob is None else (int(version or 0), bytes(blob))

    def acknowledge(self, key: bytes) -> None:
        self.client.sadd(self._k("acknowledged"), key)

    def acknowledged(self) -> set[bytes]:
        return {bytes(key) for key in self.client.smembers(self._k("acknowledged"))}

    def send_command(self, blob: bytes) -> int:
        ident = int(self.client.incr(self._k("command_seq")))
        # Its id in ASCII digits, a space, the command's record: no envelope of its own.
        self.client.rpush(self._k("commands"), b"%d %s" % (ident, blob))
        return ident

    def take_commands(self) -> Iterator[tuple[int, bytes]]:
        """Raises `StoreFormatError` for an item not framed as `send_command` frames it
        (that item is gone; the rest wait for the next call)."""
        while True:
            item = self.client.lpop(self._k("commands"))
            if item is None:
                return
            head, space, blob = bytes(item).partition(b" ")
            if not (space and head.isdigit() and len(head) < 20):
                raise StoreFormatError(
                    f"{self.label}: an item of list {self._k('commands')} is no command "
                    f"(it begins {bytes(item)[:16]!r}); it was dropped"
                )
            yield int(head), blob

    def answer(self, ident: int, blob: bytes) -> None:
        pipe = self.client.pipeline(transaction=True)
        pipe.rpush(self._k(f"answer:{ident}"), blob)
        pipe.expire(self._k(f"answer:{ident}"), ANSWER_TTL)
        pipe.execute()

    def wait_answer(self, ident: int, timeout: float) -> bytes | None:
        deadline = time.monotonic() + timeout
        while True:  # in slices: one BLPOP longer than the socket's timeout would fail
            wait = max(0.01, min(deadline - time.monotonic(), self._slice))
            found = self.client.blpop([self._k(f"answer:{ident}")], timeout=wait)
            if found is not None:
                return bytes(found[1])
            if time.monotonic() >= deadline:
                return None

    # -- where the instances listen: a hash, field "instance host port" --------------------

    def register_listener(self, instance: str, at: Listener, until: float) -> None:
        # The value is plain text, "until port host machine": the machine's name is last,
        # so any text it holds reads back.
        key = self._k("listeners")
        stale = [
            f for f, v in self.client.hgetall(key).items() if _listener(v, time.time()) is None
        ]
        pipe = self.client.pipeline(transaction=True)
        if stale:
            pipe.hdel(key, *stale)
        pipe.hset(
            key, f"{instance} {at.host} {at.port}", f"{until!r} {at.port} {at.host} {at.machine}"
        )
        pipe.execute()

    def forget_listeners(self, instance: str) -> None:
        key = self._k("listeners")
        mine = [f for f in self.client.hkeys(key) if bytes(f).decode().split(" ")[0] == instance]
        if mine:
            self.client.hdel(key, *mine)

    def listeners(self, now: float) -> list[Listener]:
        found = (_listener(v, now) for v in self.client.hvals(self._k("listeners")))
        return [each for each in found if each is not None]

    # -- the request journal: one list, trimmed to its capacity ------------------------

    def journal_append(self, entries: list[str], capacity: int) -> None:
        self._append(
            keys=[self._k("journal_seq"), self._k("journal")],
            args=[capacity, *entries],
            client=self._own,
        )

    def journal_entries(self) -> list[tuple[int, str]]:
        found = []
        for raw in self.client.lrange(self._k("journal"), 0, -1):
            seq, _, entry = bytes(raw).decode().partition(" ")
            found.append((int(seq), entry))
        return found

    def journal_clear(self) -> None:
        self.client.delete(self._k("journal"))

    def close(self) -> None:
        self.client.close()

    def _read(self, kind: str, data: bytes, where: str) -> Any:
        """A record from a key; `where` names the key (and field) for the error."""
        return read(
            kind, bytes(data), _READERS[kind], f"{self.label}: key {self._p}{where}", self.fresh
        )


class _LockHeld(Exception):
    """A commit met the store's lock held by a whole-world write: it waits and tries again."""


def _listener(value: bytes, now: float) -> Listener | None:
    """A listener's entry read back; None once past its time, or for text that is none (an
    entry only adds a refusal, so one that does not read is dropped, not an error)."""
    words = bytes(value).decode(errors="replace").split(" ", 3)
    if len(words) != 4 or not words[1].isdigit():
        return None
    until, port, host, machine = words
    try:
        if not float(until) > now:
            return None
    except ValueError:
        return None
    return Listener(machine, host, int(port))


#: How each kind of record kept under its own key is read back.
_READERS: dict[str, Callable[[object, str], Any]] = {
    "campaign": campaign_from_record,
    "meta": meta_from_record,
    "clock": clock_from_record,
}
