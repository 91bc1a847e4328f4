"""Issue 18, item 1: no API user wipes a mock of several instances with a callback.

Each instance used to refuse callbacks to its own address only, so a campaign on A whose
`event_callback` was B's `/_mock/reset` reset the world A and B share when it sent. Now every
instance registers where it listens in the store (store/shared.py, `LISTENERS`), and each
refuses callbacks to any of them, at POST/PUT (V-3 `invalid` naming `event_callback`) and
again when it sends (an instance started after the campaign was made counts); a mock's
control API (`/_mock/...`) is refused on any host. Two real `serve` processes on one SQLite
file, and on one real redis-server.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.serving import free_port

from .instances import Instance, instances, start

SPELLINGS = (
    "http://127.0.0.1:{port}{path}",
    "http://localhost:{port}{path}",
    "http://[::ffff:127.0.0.1]:{port}{path}",
    "http://0.0.0.0:{port}{path}",
    "http://2130706433:{port}{path}",
)


@pytest.fixture(params=["sqlite", "redis"])
def state(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shared.db'}"
    url: str = request.getfixturevalue("redis_url")
    return url


@pytest.fixture
def pair(state: str, tmp_path: Path) -> Iterator[list[Instance]]:
    with instances(state, tmp_path, 2, "--frozen") as both:
        yield both


def _create(on: Instance, **fields: Any) -> dict[str, Any]:
    now = on.data(on.get("/_mock/clock"))["now"]
    body = {"name": "n", "domain": 1, "list": 1, "state": "READY", "when": int(now), **fields}
    answer: dict[str, Any] = on.post("/campaign", json=body).json()
    return answer


def _ids(on: Instance) -> list[int]:
    return [c["id"] for c in on.data(on.get("/_mock/state"))["campaigns"]]  # type: ignore[index]


def _refused(answer: dict[str, Any], says: str) -> None:
    assert answer["success"] is False, answer
    assert answer["data"]["code"] == "invalid", answer
    assert any(says in m for m in answer["data"]["errors"]["event_callback"]), answer


def _port(instance: Instance) -> int:
    return int(instance.url.rsplit(":", 1)[1])


def test_a_callback_to_the_other_instance_is_refused_at_post_and_put(
    pair: list[Instance],
) -> None:
    """A's campaign may not call B (nor B's call A), in any spelling, on any path: the
    `/_mock/reset` of the issue, and the API itself; the shared world keeps its campaigns."""
    a, b = pair
    kept = [_create(a, state="DRAFT", when=None)["data"]["id"] for _ in range(2)]
    for here, there in ((a, b), (b, a)):
        for spelling in SPELLINGS:
            for path in ("/_mock/reset", "/campaign", "/hook"):
                url = spelling.format(port=_port(there), path=path)
                _refused(_create(here, event_callback=url), "must not point at")
                put = here.put(f"/campaign/{kept[0]}", json={"event_callback": url}).json()
                _refused(put, "must not point at")
        url = f"http://127.0.0.1:{_port(there)}/hook"
        _refused(_create(here, event_callback=url), "an instance of this mock")
    assert _ids(a) == kept and _ids(b) == kept
    receiver = f"http://127.0.0.1:{free_port()}/hook"  # loopback elsewhere is a receiver
    assert _create(a, event_callback=receiver)["success"] is True


def test_the_control_api_of_any_host_is_refused(pair: list[Instance]) -> None:
    a, _ = pair
    for url in (
        "http://some-other-host.example/_mock/reset",
        "https://some-other-host.example:8443/_mock/fixtures?x=1",
        "http://some-other-host.example/%5Fmock/reset",
        "http://some-other-host.example//_mock/ui/do/flush",
        "http://some-other-host.example/hooks/../_mock/reset",
    ):
        _refused(_create(a, event_callback=url), "control API")
    assert _create(a, event_callback="http://some-other-host.example/hooks/_mock")["success"]


def test_an_instance_started_after_the_campaign_is_refused_when_it_sends(
    state: str, tmp_path: Path
) -> None:
    """The campaign's callback names a port nobody listens on when it is made; B starts
    there before it sends: the send never reaches B, and B's world keeps its campaigns."""
    with instances(state, tmp_path, 1, "--frozen") as (a,):
        # Chosen once A listens: a port picked before could be the one A then got (loaded
        # run s28x1: the callback named A itself, and was refused at creation).
        later = free_port()
        made = _create(a, event_callback=f"http://127.0.0.1:{later}/hook")
        assert made["success"] is True, made
        b = start(state, tmp_path, "--frozen", name="later", port=later)
        try:
            assert _ids(b) == [made["data"]["id"]]
            a.data(a.post("/_mock/clock/advance", json={"seconds": 120}))
            a.data(a.post("/_mock/deliveries/flush"))
            wait = a.post("/_mock/deliveries/wait", json={"idle": True, "timeout": 20})
            assert a.data(wait)["reached"]
            entries: Any = a.data(a.get(f"/_mock/deliveries?campaign={made['data']['id']}"))
            attempts = entries["deliveries"]
            assert attempts, "no callback was attempted"
            # Never connected: refused by policy, not B's 404 for /hook.
            assert all(e["status"] is None for e in attempts), attempts
            assert all(e["error"].startswith("refused by policy: ") for e in attempts), attempts
            assert "an instance of this mock" in attempts[0]["error"], attempts
        finally:
            b.stop()


def test_a_clean_stop_unregisters_the_instance(state: str, tmp_path: Path) -> None:
    """B stopped with SIGTERM: its port is a receiver's again for A."""
    with instances(state, tmp_path, 1, "--frozen") as (a,):
        b = start(state, tmp_path, "--frozen", name="b")
        url = f"http://127.0.0.1:{_port(b)}/hook"
        _refused(_create(a, event_callback=url), "an instance of this mock")
        b.stop()
        assert _create(a, event_callback=url)["success"] is True
