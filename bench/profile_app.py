"""Where the mock's time goes: cProfile over direct WSGI calls, mock vs the bare app, no server."""

from __future__ import annotations

import argparse
import base64
import cProfile
import io
import pstats
import statistics
import time
from collections.abc import Callable, Iterable
from typing import Any

import bare_app  # bench/ is on sys.path when this file runs as a script
from werkzeug.test import EnvironBuilder

from campaign_mock import create_app

AUTH = "Basic " + base64.b64encode(b"demo:demo-password").decode()
POST_BODY = b"name=bench&domain=1&list=1"
FORM = "application/x-www-form-urlencoded"

EXAMPLES = """\
examples:
  .venv/bin/python bench/profile_app.py                        # GET and POST, 10000 requests each
  .venv/bin/python bench/profile_app.py --endpoint post --reset-every 100   # fixed cost only
  .venv/bin/python bench/profile_app.py --endpoint get --held 10000         # GET with 10k held
  .venv/bin/python bench/profile_app.py --calls                 # calls per request, exact
"""

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def make_environ(method: str) -> dict[str, Any]:
    headers = {"Authorization": AUTH, "Accept": "application/json"}
    if method == "GET":
        builder = EnvironBuilder(path="/campaign/1", method="GET", headers=headers)
    else:
        builder = EnvironBuilder(
            path="/campaign", method="POST", headers=headers, data=POST_BODY, content_type=FORM
        )
    try:
        return builder.get_environ()
    finally:
        builder.close()


def call(app: WsgiApp, base: dict[str, Any], body: bytes) -> bytes:
    environ = dict(base)
    environ["wsgi.input"] = io.BytesIO(body)
    statuses: list[str] = []
    result = app(environ, lambda status, headers, exc_info=None: statuses.append(status))
    try:
        data = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    if not statuses or not statuses[0].startswith("200"):
        raise SystemExit(f"unexpected answer {statuses}: {data[:200]!r}")
    return data


def prepare(app: WsgiApp, held: int) -> None:
    """Reset, then hold `held` campaigns (at least campaign 1)."""
    call(app, EnvironBuilder(path="/_mock/reset", method="POST").get_environ(), b"")
    post = make_environ("POST")
    for _ in range(max(1, held)):
        call(app, post, POST_BODY)


def run(
    app: WsgiApp,
    method: str,
    requests: int,
    reset_every: int,
    held: int,
    profiler: cProfile.Profile | None = None,
) -> float:
    """CPU seconds of this thread for `requests` calls (what another process on a loaded
    machine cannot add to); resets (untimed, unprofiled) every `reset_every` calls."""
    base = make_environ(method)
    body = POST_BODY if method == "POST" else b""
    spent = 0.0
    done = 0
    while done < requests:
        batch = min(requests - done, reset_every or requests)
        if profiler is not None:
            profiler.enable()
        started = time.thread_time()
        for _ in range(batch):
            call(app, base, body)
        spent += time.thread_time() - started
        if profiler is not None:
            profiler.disable()
        done += batch
        if reset_every and done < requests:
            prepare(app, held)
    return spent


def calls_per_request(app: WsgiApp, method: str, held: int, requests: int = 200) -> float:
    """Python and C calls per request (cProfile's count): a measure of work no other process
    on the machine can change, unlike time."""
    prepare(app, held)
    run(app, method, 20, 0, held)  # first-call work (caches, imports) is not per request
    profiler = cProfile.Profile()
    run(app, method, requests, 0, held, profiler)
    return float(pstats.Stats(profiler).total_calls) / requests  # type: ignore[attr-defined]


def where(stats: pstats.Stats, top: int) -> None:
    """Inclusive time of the mock's own functions, and own time of everything, as shares."""
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = stats.stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in raw.values())

    def name(key: tuple[str, int, str]) -> str:
        path, _, func = key
        for marker in ("/src/", "/site-packages/", "/lib/python3"):
            if marker in path:
                path = path.split(marker, 1)[1]
                break
        return f"{path}:{func}"

    ours = [(entry[3], key) for key, entry in raw.items() if "campaign_mock" in key[0]]
    print(f"  inclusive time of campaign_mock functions (share of {total * 1e3:.0f} ms):")
    for cumulative, key in sorted(ours, reverse=True)[:top]:
        print(f"    {cumulative / total:6.1%}  {name(key)}")
    print("  own time, any code:")
    own = sorted(((entry[2], key) for key, entry in raw.items()), reverse=True)[:top]
    for spent, key in own:
        print(f"    {spent / total:6.1%}  {name(key)}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Time and profile the mock's and the bare app's WSGI call for the "
        "benchmark's GET and POST, in process, with Basic auth as the benchmark sends it.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--endpoint", choices=["get", "post", "both"], default="both")
    parser.add_argument("--requests", type=int, default=10_000, help="calls per app [10000]")
    parser.add_argument("--held", type=int, default=1, help="campaigns held at the start [1]")
    parser.add_argument(
        "--reset-every", type=int, default=0, help="reset (untimed) every N calls; 0 never [0]"
    )
    parser.add_argument(
        "--rounds", type=int, default=10, help="interleaved rounds the calls are split in [10]"
    )
    parser.add_argument("--top", type=int, default=15, help="rows per profile list [15]")
    parser.add_argument("--no-profile", action="store_true", help="timings only")
    parser.add_argument(
        "--calls",
        action="store_true",
        help="only count Python calls per request, mock and bare (exact, whatever the load)",
    )
    args = parser.parse_args(argv)
    methods = ["GET", "POST"] if args.endpoint == "both" else [args.endpoint.upper()]
    if args.calls:
        for method in methods:
            mock_calls, bare_calls = (
                calls_per_request(make(), method, args.held)
                for make in (create_app, bare_app.create_app)
            )
            print(
                f"{method}: mock {mock_calls:.0f} calls/request, bare {bare_calls:.0f} "
                f"calls/request, mock/bare {mock_calls / bare_calls:.2f}"
            )
        return
    for method in methods:
        apps = {"mock": create_app(), "bare": bare_app.create_app()}
        for app in apps.values():
            prepare(app, args.held)
        # Interleaved rounds: a burst of load from elsewhere lands on both apps alike, and
        # each round's ratio is measured over the same few seconds.
        per_round = max(1, args.requests // args.rounds)
        times: dict[str, list[float]] = {label: [] for label in apps}
        for _ in range(args.rounds):
            for label, app in apps.items():
                spent = run(app, method, per_round, args.reset_every, args.held)
                times[label].append(spent / per_round)
        mock, bare = statistics.median(times["mock"]), statistics.median(times["bare"])
        ratio = statistics.median(m / b for m, b in zip(times["mock"], times["bare"], strict=True))
        print(
            f"{method}: mock {mock * 1e6:.0f} us/request, bare {bare * 1e6:.0f} us/request "
            f"(medians of {args.rounds} interleaved rounds of {per_round} calls, CPU time), "
            f"mock/bare time {ratio:.2f}, throughput {1 / ratio:.2f} ({args.held} held, "
            f"reset every {args.reset_every or 'never'})"
        )
        if args.no_profile:
            continue
        app = create_app()
        prepare(app, args.held)
        profiler = cProfile.Profile()
        run(app, method, args.requests, args.reset_every, args.held, profiler)
        where(pstats.Stats(profiler), args.top)


if __name__ == "__main__":
    main()
