"""A reset on one instance of a shared store is the start on every instance: the faults, the
seed and the clock one job left go for all of them, not only for the instance it reached."""

from __future__ import annotations

from pathlib import Path

import pytest

from .instances import Instance, instances, wait_until

#: 2030-01-01T00:00:00Z: where every instance's frozen clock starts.
START = "1893456000"


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_a_reset_on_one_instance_is_the_start_on_all(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    state = (
        f"sqlite:///{tmp_path / 'mock.db'}"
        if kind == "sqlite"
        else request.getfixturevalue("redis_url")
    )
    with instances(state, tmp_path, 2, "--frozen", "--start-time", START, "--seed", "3") as (
        a,
        b,
    ):
        fresh = read(a)
        a.data(a.put("/_mock/faults", json={"duplicate_rate": 1}))
        a.data(a.put("/_mock/settings", json={"seed": 42}))
        a.data(a.put("/_mock/clock", json={"now": 1_900_000_000, "speed": 60}))
        wait_until(lambda: read(b) != fresh, 10, "the changes on the other instance")
        b.data(b.post("/_mock/reset"))
        assert read(b) == fresh
        # The other instance takes it in on its ticker's next look at the store.
        wait_until(lambda: read(a) == fresh, 10, "the reset on the other instance")


def read(instance: Instance) -> tuple[dict[str, object], dict[str, object]]:
    """The settings and the clock an instance shows."""
    return instance.data(instance.get("/_mock/settings")), instance.data(
        instance.get("/_mock/clock")
    )
