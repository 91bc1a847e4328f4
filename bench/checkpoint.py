"""The sends' checkpoint of a big send: how long making, packing and reading it back take.

A 1,000,000-contact campaign (Email + SMS) is drawn halfway in memory, a third of its
batches acknowledged; then the checkpoint a shared store would hold is timed: the record
(`Simulation.checkpoint`, under the backend's lock), its packing (store/codec.py), and
reading it back into a simulation (what a takeover does). Prints the best of `--runs`.

    python bench/checkpoint.py [--contacts 1000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import replace

from campaign_mock.domain.backend import CampaignBackend
from campaign_mock.domain.clock import MockClock
from campaign_mock.domain.models import ContactList, GeneratedContacts, State
from campaign_mock.domain.params import CampaignFields
from campaign_mock.domain.settings import SimulationSettings
from campaign_mock.domain.simulation import Simulation, read_checkpoint
from campaign_mock.fixtures.document import default_fixtures
from campaign_mock.store.codec import encode, read

START = 1_900_000_000.0


def halfway(contacts: int) -> CampaignBackend:
    """A backend whose one campaign has drawn half its contacts' events."""
    generated = GeneratedContacts(contacts, 100_000, "user{n}@example.com", "+3519{n:08d}")
    base = default_fixtures()
    fixtures = replace(base, lists=(*base.lists, ContactList(10, "Many", generated=generated)))
    clock = MockClock(start=START, frozen=True)
    settings = SimulationSettings(send_rate=1000.0)
    backend = CampaignBackend(fixtures, clock, settings)
    fields = frozenset({"name", "domain", "list", "state", "when", "event_callback"})
    backend.create_campaign(
        CampaignFields(fields, "big", 1, 10, [], State.READY, int(START), "http://127.0.0.1:9/")
    )
    clock.advance(contacts / settings.send_rate / 2)
    backend.tick(budget=100_000)
    outbox = backend.simulation.outbox
    now = clock.now()
    for _ in range(len(outbox.batches) // 3):
        delivery = outbox.take(now)
        if delivery is None:
            break
        outbox.record(delivery, now, 204, None, 1.0)
    return backend


def best(runs: int, work: Callable[[], object]) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    started = time.perf_counter()
    backend = halfway(args.contacts)
    simulation = backend.simulation
    outbox = simulation.outbox
    events = sum(len(b.chunk.addresses) for b in outbox.batches.values())
    print(
        f"{args.contacts:,} contacts, half drawn in {time.perf_counter() - started:.1f} s: "
        f"{len(outbox.batches):,} batches ({events:,} events), "
        f"{simulation.pending_events():,} events in buckets, {len(outbox.journal):,} attempts"
    )
    took, record = best(args.runs, simulation.checkpoint)
    print(f"record (under the lock)   {took * 1000:7.0f} ms")
    took, blob = best(args.runs, lambda: encode("checkpoint", record))
    assert isinstance(blob, bytes)
    print(f"pack (msgpack)            {took * 1000:7.0f} ms  {len(blob) / 1e6:.1f} MB")

    def takeover() -> None:
        saved = read("checkpoint", blob, read_checkpoint, "checkpoint", "")
        Simulation(simulation.settings).restore(saved, backend.fixtures, resume=True)

    took, _ = best(args.runs, takeover)
    print(f"read back and restore     {took * 1000:7.0f} ms")


if __name__ == "__main__":
    main()
