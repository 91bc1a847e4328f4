"""Simulated sending end to end: a 1,000,000-contact campaign (Email + SMS) on a manual clock.

Runs the real mock (`campaign-mock serve --frozen`) and a receiver in their own processes,
drives the mock's clock through the control API in steps that keep C-3 (callbacks within
300 s of their events), and prints events/s, callback requests/s, wall time, the mock's peak
RSS, and GET /campaign/{id} latency while sending as a ratio to idle. The latency is taken
by a prober in its own process, on the same campaign before and during its send, so neither
the driver's nor the receiver's work is counted against the mock.

    python bench/sending.py [--contacts 1000000] [--step 240]
    python bench/sending.py --states memory,redis://127.0.0.1:6379/15   # Redis vs memory
    python bench/sending.py --repeats 5   # the median of 5 runs of each state, alternating
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

START = 1_900_000_000
AUTH = "Basic " + base64.b64encode(b"demo:demo-password").decode()


def receiver_main(port_file: str) -> None:
    """A receiver that acknowledges everything and counts requests and addresses."""
    counts = {"requests": 0, "addresses": 0}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with lock:
                counts["requests"] += 1
                counts["addresses"] += body.count(b"&") - 1
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            with lock:
                data = json.dumps(counts).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    Path(port_file).write_text(str(server.server_address[1]))
    server.serve_forever()


IDLE_SAMPLES = 300
WARM_UP = 50


def prober_main(base: str, path: str, out: str, ended: str) -> None:
    """GETs `path` at a client's pace, writing every (monotonic time, latency) to `out` as
    JSON: WARM_UP + IDLE_SAMPLES first (then `out`.idle appears), on through the send, and
    IDLE_SAMPLES more once `ended` appears, so the idle baseline brackets the send."""
    samples: list[tuple[float, float]] = []
    after = 0
    while after < IDLE_SAMPLES:
        started = time.monotonic()
        samples.append((started, latency(base, path)))
        if len(samples) == WARM_UP + IDLE_SAMPLES:
            Path(out + ".idle").write_text(str(started))
        if Path(ended).exists():
            after += 1
        time.sleep(0.01)  # a client's pace, not a wait for the simulation
    Path(out).write_text(json.dumps(samples))


def call(base: str, method: str, path: str, body: object = None, auth: bool = False) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if auth:
        request.add_header("Authorization", AUTH)
    with urllib.request.urlopen(request, timeout=300) as answer:
        document = json.loads(answer.read())
    assert document["success"], document
    return document["data"]


def latency(base: str, path: str) -> float:
    request = urllib.request.Request(base + path, headers={"Authorization": AUTH})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as answer:
        answer.read()
    return time.perf_counter() - started


def peak_rss_mib(pid: int) -> float:
    text = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmHWM:\s+(\d+) kB", text)
    return int(match.group(1)) / 1024 if match else float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of process `pid` so far: steadier than wall time on a busy machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_for_file(path: Path) -> str:
    for _ in range(600):
        if path.exists() and path.read_text():
            return path.read_text()
        time.sleep(0.05)  # waiting for another process to start; not simulation time
    raise SystemExit(f"{path} never appeared")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--step", type=float, default=240.0, help="clock step, seconds")
    parser.add_argument(
        "--states",
        type=lambda text: [s.strip() for s in text.split(",") if s.strip()],
        default=["memory"],
        help="comma-separated --state values, each on a fresh mock, compared to the first "
        "(e.g. memory,redis://127.0.0.1:6379/15,sqlite:////tmp/bench.db) [memory]",
    )
    parser.add_argument(
        "--repeats",
        type=_positive,
        default=3,
        help="runs of each state, alternating (the order rotates each round), so a slow patch "
        "of a shared machine hits every state alike; the summary gives medians [3]",
    )
    parser.add_argument("--receiver", help=argparse.SUPPRESS)
    parser.add_argument("--prober", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.receiver:
        receiver_main(args.receiver)
        return
    if args.prober:
        prober_main(*args.prober)
        return
    work = Path(tempfile.mkdtemp(prefix="bench-sending-"))
    fixtures = work / "fixtures.json"
    subprocess.run(
        [sys.executable, "-m", "campaign_mock", "fixtures", "show"],
        check=True,
        stdout=fixtures.open("w"),
    )
    import yaml  # the mock's own dependency, only to extend its built-in fixtures

    document = yaml.safe_load(fixtures.read_text())
    document["lists"].append(
        {
            "id": 10,
            "name": "Huge",
            "generate": {
                "count": args.contacts,
                "first_id": 1_000_000,
                "email": "user{n}@example.com",
                "telephone": "+3519{n:08d}",
            },
        }
    )
    fixtures.write_text(json.dumps(document))
    port_file = work / "receiver.port"
    receiver = subprocess.Popen([sys.executable, __file__, "--receiver", str(port_file)])
    mock_port = work / "mock.port"
    walls: dict[str, list[float]] = {state: [] for state in args.states}
    cpus: dict[str, list[float]] = {state: [] for state in args.states}
    try:
        for round_number in range(args.repeats):
            turn = round_number % len(args.states)
            for state in args.states[turn:] + args.states[:turn]:
                print(f"\n== state: {state} (run {round_number + 1} of {args.repeats})")
                wall, cpu = serve_and_run(args, state, fixtures, port_file, mock_port)
                walls[state].append(wall)
                cpus[state].append(cpu)
    finally:
        receiver.terminate()
        receiver.wait(10)
    base_state = args.states[0]
    base = statistics.median(walls[base_state])
    print(f"\nmedians of {args.repeats} run(s) each")
    for state in args.states:
        wall = statistics.median(walls[state])
        runs = ", ".join(f"{w:.1f}" for w in walls[state])
        print(
            f"wall time {state:<36} {wall:7.1f} s   {wall / base:.2f}x {base_state}"
            f"   (runs {runs}; mock CPU {statistics.median(cpus[state]):.1f} s)"
        )


def serve_and_run(
    args: argparse.Namespace, state: str, fixtures: Path, port_file: Path, mock_port: Path
) -> tuple[float, float]:
    """One send on a fresh mock on `state`: its wall time and the mock process's CPU time."""
    if state.startswith("redis://"):
        _empty_redis(state)
    elif state.startswith("sqlite:///"):
        Path(state.removeprefix("sqlite:///")).unlink(missing_ok=True)
    mock_port.unlink(missing_ok=True)
    mock = subprocess.Popen(
        [sys.executable, "-c", _SERVE, str(fixtures), str(mock_port), str(START), state],
    )
    try:
        return run(args, wait_for_file(port_file), wait_for_file(mock_port), mock.pid)
    finally:
        mock.terminate()
        mock.wait(30)


#: Serves the mock like `campaign-mock serve --frozen`, writing the port it got to a file.
_SERVE = """
import sys
from pathlib import Path
from campaign_mock.assembly import ServeOptions, build_app
from campaign_mock.fixtures.document import load_fixtures
from campaign_mock.serving.server import MockServer
options = ServeOptions(
    fixtures_path=sys.argv[1], start=float(sys.argv[3]), frozen=True, seed=1, journal_size=100,
    state=sys.argv[4],
)
server = MockServer(build_app(options, load_fixtures(sys.argv[1])), port=0)
Path(sys.argv[2]).write_text(str(server.port))
server.serve_forever()
"""


def run(
    args: argparse.Namespace, receiver_port: str, mock_port: str, mock_pid: int
) -> tuple[float, float]:
    base = f"http://127.0.0.1:{mock_port}"
    counted = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{receiver_port}/").read())
    hook = f"http://127.0.0.1:{receiver_port}/hook?bench=1"
    huge = call(
        base,
        "POST",
        "/campaign",
        {"name": "huge", "domain": 1, "list": 10, "state": "READY", "when": START + 1,
         "event_callback": hook},
        auth=True,
    )  # fmt: skip
    samples_file = Path(tempfile.mkdtemp(prefix="bench-prober-")) / "samples.json"
    ended_file = samples_file.with_suffix(".ended")
    prober = subprocess.Popen(
        [sys.executable, __file__, "--prober", base, f"/campaign/{huge['id']}",
         str(samples_file), str(ended_file)]
    )  # fmt: skip
    wait_for_file(Path(str(samples_file) + ".idle"))  # READY, not yet due: the idle baseline
    started = time.perf_counter()
    send_began = time.monotonic()
    send_ended: float | None = None
    steps = 0
    while True:
        call(base, "POST", "/_mock/clock/advance", {"seconds": args.step})
        reached = call(base, "POST", "/_mock/deliveries/wait", {"idle": True, "timeout": 120})
        assert reached["reached"], "deliveries did not settle"
        steps += 1
        summary = call(base, "GET", "/_mock/deliveries?summary=1")
        if (
            send_ended is None
            and call(base, "GET", f"/campaign/{huge['id']}", auth=True)["state"] != "SENDING"
        ):
            send_ended = time.monotonic()
        if summary["sending"] == 0 and summary["next_due"] is None:
            break
    wall = time.perf_counter() - started
    end = send_ended if send_ended is not None else time.monotonic()
    ended_file.write_text("ended")
    prober.wait(60)
    samples = json.loads(samples_file.read_text())[WARM_UP:]
    before = [took for at, took in samples if at < send_began]
    busy = [took for at, took in samples if send_began <= at < end]
    after = [took for at, took in samples[-IDLE_SAMPLES:] if at >= end]
    idle = before + after
    state = call(base, "GET", f"/campaign/{huge['id']}", auth=True)["state"]
    total = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{receiver_port}/").read())
    counts = {key: total[key] - counted[key] for key in total}  # this run's, not earlier ones'
    acknowledged = sum(summary["acknowledged"].get(str(huge["id"]), {}).values())
    rss = peak_rss_mib(mock_pid)
    cpu = cpu_seconds(mock_pid)
    idle_median, busy_median = statistics.median(idle), statistics.median(busy)
    print(f"contacts                 {args.contacts:,} (Email + SMS), final state {state}")
    print(f"clock steps              {steps} x {args.step:.0f} s of mock time")
    print(f"events reported          {counts['addresses']:,} (acknowledged {acknowledged:,})")
    print(f"callback requests        {counts['requests']:,}")
    print(f"wall time                {wall:.1f} s")
    print(f"events per second        {counts['addresses'] / wall:,.0f}")
    print(f"callback requests/s      {counts['requests'] / wall:,.0f}")
    print(f"mock peak RSS            {rss:,.0f} MiB")
    print(f"mock CPU time            {cpu:.1f} s (user + system, since it started)")
    print(
        f"GET /campaign idle       median {idle_median * 1e3:.2f} ms ({len(idle)} samples: "
        f"{statistics.median(before) * 1e3:.2f} before the send, "
        f"{statistics.median(after) * 1e3:.2f} after)"
    )
    print(
        f"GET /campaign sending    median {busy_median * 1e3:.2f} ms, "
        f"p95 {statistics.quantiles(busy, n=20)[-1] * 1e3:.2f} ms ({len(busy)} samples)"
    )
    print(f"sending / idle ratio     {busy_median / idle_median:.2f} (median)")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine load average     {load} on {os.cpu_count()} CPUs")
    return wall, cpu


def _positive(text: str) -> int:
    """`--repeats`: a whole number of runs, at least one (a median of none is nothing)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"not a whole number of runs, at least 1: {text!r}")
    return value


def _empty_redis(url: str) -> None:
    """The bench's Redis database starts empty (the mock would join what it finds)."""
    import redis

    with redis.Redis.from_url(url) as client:
        client.flushdb()


if __name__ == "__main__":
    main()
