"""Throughput and latency of the mock vs a bare Flask app and Prism, under wrk, plus an RSS soak."""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
LUA = BENCH / "wrk.lua"
OPENAPI = REPO / "openapi.yaml"
NODE_PREFIX = BENCH / ".node"
PRISM = NODE_PREFIX / "node_modules" / ".bin" / "prism"
USERNAME, PASSWORD = "demo", "demo-password"
AUTH = "Basic " + base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
POST_BODY = "name=bench&domain=1&list=1"
DEFAULT_SERVER_THREADS = 8  # campaign_mock.serving.server.DEFAULT_THREADS, what `serve` runs with
SERVERS = ("waitress", "gunicorn", "granian")
STORES = ("memory", "sqlite", "redis")
TARGET_RATIO = 0.70
#: Two worker processes on a shared store against one in-memory process, on GET.
TARGET_SCALE = 1.6
#: POST on Redis against POST in memory, on the same server and process count.
TARGET_REDIS_POST = 0.5
#: Twice the p99 the issue measured for `campaign-mock serve` on GET (33 ms).
TARGET_P99_MS = 66.0

EXAMPLES = """\
examples:
  python bench/http_throughput.py                      # full run: 3 x 10 s per target, soak 100k
  python bench/http_throughput.py --soak 1000000       # the 1M-request memory check
  python bench/http_throughput.py --quick              # smoke run: 1 x 3 s, soak 20k
  python bench/http_throughput.py --servers waitress --no-prism --duration 5
  python bench/http_throughput.py --json reports/bench.json --check
  python bench/http_throughput.py --stores sqlite,redis --servers waitress,granian --no-prism

Run as root and wrk is installed with apt-get if missing; otherwise `sudo apt-get install wrk`.
Prism is installed with npm into bench/.node/ on first use.
"""


@dataclass(frozen=True)
class Endpoint:
    """One request the load generator repeats."""

    title: str
    method: str
    path: str
    body: str | None = None


ENDPOINTS = (
    Endpoint("GET /campaign/{id}", "GET", "/campaign/1"),
    Endpoint("POST /campaign", "POST", "/campaign", POST_BODY),
)


@dataclass
class Target:
    """One server process to measure: a WSGI server with an app, or Prism."""

    server: str
    app: str
    argv: list[str]
    port: int
    stateful: bool = True
    proc: subprocess.Popen[bytes] | None = None
    log: Path | None = None
    #: `campaign-mock serve` as shipped (what the targets compare against), and its --state.
    shipped: bool = False
    store: str = "memory"

    @property
    def label(self) -> str:
        return f"{self.server}/{self.app}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Run:
    """What one wrk run measured."""

    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int


@dataclass
class Summary:
    """Medians over the repeats of one target on one endpoint."""

    server: str
    app: str
    rps: float
    p50_ms: float
    p99_ms: float
    spread: float
    non_2xx: int
    socket_errors: int
    runs: list[Run] = field(default_factory=list)
    #: The row `campaign-mock serve` runs with no options (only --port), whichever server
    #: that is.
    default: bool = False


# -- setup ------------------------------------------------------------------------------------


def venv_bin(args: argparse.Namespace) -> Path:
    return Path(args.venv).resolve() / "bin"


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        note("wrk is missing; installing the Debian package (apt-get install -y wrk)")
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "wrk"],
            check=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
        found = shutil.which("wrk")
        if found:
            return found
    sys.exit(
        "wrk is not installed. Install it with `sudo apt-get install -y wrk` (Debian/Ubuntu) or "
        "`brew install wrk` (macOS), or run this script as root to have it installed."
    )


def ensure_python_servers(bin_dir: Path, servers: Sequence[str]) -> None:
    if not (bin_dir / "campaign-mock").exists():
        sys.exit(f"{bin_dir / 'campaign-mock'} is missing: run `pip install -e '.[dev]'` first")
    missing = [name for name in servers if name != "waitress" and not (bin_dir / name).exists()]
    if missing:
        note(f"installing {', '.join(missing)} into {bin_dir.parent}")
        subprocess.run(
            [str(bin_dir / "python"), "-m", "pip", "install", "-q", *missing], check=True
        )


def ensure_prism() -> bool:
    if not OPENAPI.exists():
        note(f"{OPENAPI} does not exist (yet): the Prism row is skipped")
        return False
    if PRISM.exists():
        return True
    npm = shutil.which("npm")
    if npm is None:
        note("npm is not installed: the Prism row is skipped (apt-get install -y npm)")
        return False
    note(f"installing @stoplight/prism-cli into {NODE_PREFIX}")
    subprocess.run(
        [npm, "install", "--prefix", str(NODE_PREFIX), "@stoplight/prism-cli"], check=True
    )
    return PRISM.exists()


def gunicorn_flags(bin_dir: Path) -> list[str]:
    """gunicorn >= 24 opens a control socket under ~/.gunicorn; several at once would clash."""
    text = subprocess.run(
        [str(bin_dir / "gunicorn"), "--help"], capture_output=True, text=True, check=False
    ).stdout
    return ["--no-control-socket"] if "--no-control-socket" in text else []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def ensure_redis() -> str | None:
    """A redis-server of the bench's own on a free port (installed with apt-get as root)."""
    binary = shutil.which("redis-server")
    if binary is None and os.geteuid() == 0 and shutil.which("apt-get"):
        note("redis-server is missing; installing the Debian package")
        subprocess.run(["apt-get", "install", "-y", "-qq", "redis-server"], check=True)
        binary = shutil.which("redis-server")
    if binary is None:
        note("redis-server is not installed: the Redis rows are skipped")
        return None
    port = free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    REDIS_SERVERS.append(server)
    time.sleep(0.5)
    return f"redis://127.0.0.1:{port}/0"


REDIS_SERVERS: list[subprocess.Popen[bytes]] = []


class StoreUrls:
    """A fresh `--state` per target (a SQLite file, a Redis database), so no two share one."""

    def __init__(self, args: argparse.Namespace, log_dir: Path) -> None:
        self._dir = log_dir
        self._redis = ensure_redis() if "redis" in args.stores else None
        self._made = 0
        self.stores = [s for s in args.stores if s != "redis" or self._redis]

    def fresh(self, store: str) -> str:
        self._made += 1
        if store == "sqlite":
            return f"sqlite:///{self._dir / f'bench-{self._made}.db'}"
        if store == "redis":
            assert self._redis is not None
            return f"{self._redis.rsplit('/', 1)[0]}/{self._made % 16}"
        return "memory"


def mock_argv(bin_dir: Path, port: int, state: str, workers: int | None) -> list[str]:
    argv = [str(bin_dir / "campaign-mock"), "serve", "--port", str(port), "--state", state]
    return argv + (["--workers", str(workers)] if workers else [])


def store_target(bin_dir: Path, urls: StoreUrls, store: str, workers: int | None) -> Target:
    port = free_port()
    server = "waitress" if workers is None else f"granian-x{workers}"
    argv = mock_argv(bin_dir, port, urls.fresh(store), workers)
    target = Target(server, f"mock+{store}", argv, port)
    target.store = store
    return target


def store_targets(args: argparse.Namespace, urls: StoreUrls) -> list[Target]:
    """The shipped mock on each store: one waitress process, and granian with 1 and 2
    workers (memory: 1 only; several processes need a shared store)."""
    bin_dir = venv_bin(args)
    targets: list[Target] = []
    for store in urls.stores:
        runs: list[int | None] = [1] if store == "memory" else [None, 1, 2]
        targets += [store_target(bin_dir, urls, store, workers) for workers in runs]
    return targets


def is_default(argv: Sequence[str]) -> bool:
    """Whether `argv` is `campaign-mock serve` with no option but its port."""
    name = Path(argv[0]).name if argv else ""
    return name == "campaign-mock" and len(argv) == 4 and list(argv[1:3]) == ["serve", "--port"]


def make_targets(args: argparse.Namespace, with_prism: bool) -> list[Target]:
    bin_dir = venv_bin(args)
    threads = str(args.server_threads)
    targets: list[Target] = []
    for server in args.servers:
        for app in ("mock", "bare"):
            port = free_port()
            if server == "waitress" and app == "mock":  # as users run it
                argv = [str(bin_dir / "campaign-mock"), "serve", "--port", str(port)]
                if args.server_threads != DEFAULT_SERVER_THREADS:
                    argv += ["--threads", threads]
            elif server == "waitress":  # the same MockServer, serving the bare app
                argv = [str(bin_dir / "python"), str(BENCH / "servers.py"), app]
                argv += ["--port", str(port), "--threads", threads]
            elif server == "gunicorn":
                argv = [str(bin_dir / "gunicorn"), "--workers", "1", "--worker-class", "gthread"]
                argv += ["--threads", threads, "--bind", f"127.0.0.1:{port}"]
                argv += ["--chdir", str(BENCH), *gunicorn_flags(bin_dir)]
                argv += ["servers:app" if app == "mock" else "bare_app:app"]
            else:
                argv = [str(bin_dir / "granian"), "--interface", "wsgi", "--workers", "1"]
                argv += ["--blocking-threads", threads, "--host", "127.0.0.1", "--port", str(port)]
                argv += ["--working-dir", str(BENCH), "--no-ws"]
                argv += ["servers:app" if app == "mock" else "bare_app:app"]
            targets.append(Target(server, app, argv, port, shipped=argv[1:2] == ["serve"]))
    if with_prism:
        port = free_port()
        argv = [str(PRISM), "mock", "-h", "127.0.0.1", "-p", str(port), str(OPENAPI)]
        targets.append(Target("prism", "prism", argv, port, stateful=False))
    return targets


# -- processes ----------------------------------------------------------------------------------


def start(target: Target, log_dir: Path) -> None:
    target.log = log_dir / f"{target.server}-{target.app}.log"
    with target.log.open("wb") as log:
        target.proc = subprocess.Popen(
            target.argv,
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop() ends the server's children
        )


def wait_ready(target: Target, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if target.proc is not None and target.proc.poll() is not None:
            sys.exit(f"{target.label} exited with {target.proc.returncode}:\n{log_tail(target)}")
        try:
            http(target, "GET", "/campaign/1")
            return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"{target.label} did not answer within {timeout:.0f} s:\n{log_tail(target)}")


def stop(target: Target) -> None:
    proc = target.proc
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
    except ProcessLookupError:
        pass


@contextmanager
def running(targets: Sequence[Target], log_dir: Path) -> Iterator[None]:
    try:
        for target in targets:
            start(target, log_dir)
        for target in targets:
            wait_ready(target)
        yield
    finally:
        for target in targets:
            stop(target)


def log_tail(target: Target, lines: int = 20) -> str:
    if target.log is None or not target.log.exists():
        return "(no log)"
    return "\n".join(target.log.read_text(errors="replace").splitlines()[-lines:])


def rss_kib(group: int) -> int:
    """The RSS of every process in process group `group` (a server and its workers)."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[2]) != group:
                continue
            status = (entry / "status").read_text()
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
        total += next(
            (int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")),
            0,
        )
    if not total:
        raise RuntimeError(f"no process in group {group}")
    return total


# -- HTTP ---------------------------------------------------------------------------------------


def http(
    target: Target, method: str, path: str, body: str | None = None, *, auth: bool = True
) -> tuple[int, bytes]:
    """One request with urllib; HTTP error statuses are returned, not raised."""
    headers = {"Accept": "application/json"}
    if auth:
        headers["Authorization"] = AUTH
    data = body.encode() if body is not None else None
    if data is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    request = urllib.request.Request(target.url + path, data, headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read()


def prepare(target: Target, attempts: int = 40) -> None:
    """A fresh server holding campaign 1, so every run starts from the same state.

    A server may still be answering requests wrk queued before it hung up (gunicorn does), so
    this resets until the campaign it creates right after is campaign 1 again.
    """
    if not target.stateful:
        return
    for _ in range(attempts):
        status, body = http(target, "POST", "/_mock/reset", auth=False)
        if status != 200:
            sys.exit(f"{target.label}: POST /_mock/reset answered {status}: {body[:200]!r}")
        status, body = http(target, "POST", "/campaign", POST_BODY)
        created = json.loads(body) if status == 200 else {}
        if not created.get("success"):
            sys.exit(f"{target.label}: creating campaign 1 answered {status}: {body[:200]!r}")
        if created["data"].get("id") == 1:
            return
        time.sleep(0.25)
    sys.exit(f"{target.label}: still busy with old requests after {attempts} resets")


def sanity_check(targets: Sequence[Target]) -> None:
    """Every target answers 200 with a success envelope; mock and bare send the same bytes."""
    bodies: dict[tuple[str, str, str], bytes] = {}
    for target in targets:
        prepare(target)
        for endpoint in ENDPOINTS:
            status, body = http(target, endpoint.method, endpoint.path, endpoint.body)
            if status != 200 or not json.loads(body).get("success"):
                sys.exit(f"{target.label} {endpoint.title}: {status} {body[:200]!r}")
            bodies[(target.server, target.app, endpoint.method)] = body
        prepare(target)
    for server in {t.server for t in targets if t.stateful}:
        for endpoint in ENDPOINTS:
            mock = bodies.get((server, "mock", endpoint.method))
            bare = bodies.get((server, "bare", endpoint.method))
            if mock != bare:
                note(f"warning: {server} mock and bare answer {endpoint.title} differently")


# -- wrk ----------------------------------------------------------------------------------------


def run_wrk(
    wrk: str,
    target: Target,
    endpoint: Endpoint,
    args: argparse.Namespace,
    duration: float,
) -> Run:
    env = {**os.environ, "BENCH_METHOD": endpoint.method, "BENCH_AUTH": AUTH}
    if endpoint.body is not None:
        env["BENCH_BODY"] = endpoint.body
    argv = [wrk, "--threads", str(args.wrk_threads), "--connections", str(args.connections)]
    argv += ["--duration", f"{max(1, round(duration))}s", "--timeout", "10s", "--latency"]
    argv += ["--script", str(LUA), target.url + endpoint.path]
    done = subprocess.run(
        argv, env=env, capture_output=True, text=True, timeout=duration + 120, check=False
    )
    report = next(
        (line for line in done.stdout.splitlines() if line.startswith("BENCH_JSON ")), None
    )
    if done.returncode != 0 or report is None:
        sys.exit(f"wrk failed on {target.label} ({done.returncode}):\n{done.stdout}{done.stderr}")
    data = json.loads(report.removeprefix("BENCH_JSON "))
    errors = data["errors"]
    return Run(
        rps=data["requests"] / (data["duration_us"] / 1e6),
        p50_ms=data["p50_us"] / 1e3,
        p99_ms=data["p99_us"] / 1e3,
        requests=data["requests"],
        non_2xx=errors["status"],
        socket_errors=errors["connect"] + errors["read"] + errors["write"] + errors["timeout"],
    )


def measure(wrk: str, targets: list[Target], args: argparse.Namespace) -> dict[str, list[Summary]]:
    """Round-robin over targets for each repeat, so drift on a noisy machine hits all alike."""
    runs: dict[tuple[str, str], list[Run]] = {}
    for rep in range(args.repeats):
        order = targets[rep % len(targets) :] + targets[: rep % len(targets)]
        for endpoint in ENDPOINTS:
            for target in order:
                prepare(target)
                if args.warmup > 0:
                    run_wrk(wrk, target, endpoint, args, args.warmup)
                    prepare(target)
                run = run_wrk(wrk, target, endpoint, args, args.duration)
                runs.setdefault((endpoint.title, target.label), []).append(run)
                flag = f"  non-2xx {run.non_2xx}" if run.non_2xx else ""
                flag += f"  socket errors {run.socket_errors}" if run.socket_errors else ""
                note(
                    f"[{rep + 1}/{args.repeats}] {endpoint.title:<20} {target.label:<16} "
                    f"{run.rps:8.0f} req/s  p50 {run.p50_ms:6.1f} ms  p99 {run.p99_ms:6.1f} ms"
                    f"{flag}"
                )
    summaries: dict[str, list[Summary]] = {}
    for endpoint in ENDPOINTS:
        for target in targets:
            got = runs[(endpoint.title, target.label)]
            rps = statistics.median(r.rps for r in got)
            summaries.setdefault(endpoint.title, []).append(
                Summary(
                    server=target.server,
                    app=target.app,
                    rps=rps,
                    p50_ms=statistics.median(r.p50_ms for r in got),
                    p99_ms=statistics.median(r.p99_ms for r in got),
                    spread=(max(r.rps for r in got) - min(r.rps for r in got)) / rps,
                    non_2xx=sum(r.non_2xx for r in got),
                    socket_errors=sum(r.socket_errors for r in got),
                    runs=got,
                    default=is_default(target.argv),
                )
            )
    return summaries


# -- memory soak --------------------------------------------------------------------------------


@dataclass
class Soak:
    """The production mock's RSS across a long run of GETs."""

    requests: int
    seconds: float
    cold_kib: int
    before_kib: int
    peak_kib: int
    after_kib: int
    journal_entries: int
    samples: list[tuple[int, int]] = field(default_factory=list)  # (requests so far, RSS KiB)

    @property
    def growth_kib(self) -> int:
        return self.after_kib - self.before_kib

    @property
    def flat(self) -> bool:
        """No more than 2 MiB and 2% over the warmed-up size, whatever the request count."""
        return self.growth_kib <= min(2048, self.before_kib * 0.02)


def soak(wrk: str, args: argparse.Namespace, log_dir: Path, target: Target) -> Soak:
    """One mock as users run it (`target`), RSS before and after `--soak` GET requests; with
    granian workers, the RSS of every process of the server's group.

    wrk has no request count, so the soak runs in chunks of at most 30 s, each sized from the
    rate of the one before, until `--soak` requests are done; RSS is read after each chunk and
    sampled twice a second for the peak.
    """
    endpoint = ENDPOINTS[0]
    with running([target], log_dir):
        assert target.proc is not None
        pid = target.proc.pid
        time.sleep(1.0)  # granian's workers come up after the first one answers
        prepare(target)
        cold = rss_kib(pid)
        run_wrk(wrk, target, endpoint, args, max(args.warmup, 2))  # fills the journal
        time.sleep(0.5)
        before = rss_kib(pid)
        peak = [before]
        stopping = threading.Event()

        def sample() -> None:
            while not stopping.wait(0.5):
                peak[0] = max(peak[0], rss_kib(pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        started = time.monotonic()
        sent, rate, samples = 0, 0.0, [(0, before)]
        while sent < args.soak:
            guess = rate or 2000.0  # req/s; the first chunk's rate sizes the rest
            seconds = min(30.0 if rate else 10.0, max(2.0, (args.soak - sent) / guess))
            run = run_wrk(wrk, target, endpoint, args, seconds)
            sent, rate = sent + run.requests, run.rps
            samples.append((sent, rss_kib(pid)))
            note(f"soak: {sent:,} requests, RSS {samples[-1][1] / 1024:.1f} MiB")
        elapsed = time.monotonic() - started
        stopping.set()
        sampler.join()
        time.sleep(0.5)
        after = rss_kib(pid)
        status, body = http(target, "GET", "/_mock/requests", auth=False)
        journal = len(json.loads(body)["data"]["requests"]) if status == 200 else -1
    return Soak(sent, elapsed, cold, before, max(peak[0], after), after, journal, samples)


# -- report -------------------------------------------------------------------------------------


def ratio(numerator: float | None, denominator: float | None) -> str:
    if not numerator or not denominator:
        return "-"
    return f"{numerator / denominator:.2f}"


def report(
    summaries: dict[str, list[Summary]],
    memory: list[tuple[str, Soak]],
    args: argparse.Namespace,
    load: tuple[float, float],
) -> list[str]:
    """Prints the tables and returns the targets missed."""
    missed: list[str] = []
    print()
    print(
        f"campaign-mock HTTP benchmark: wrk {args.wrk_threads} threads, {args.connections} "
        f"connections, loopback; median of {args.repeats} x {args.duration:g} s "
        f"(after {args.warmup:g} s warm-up); {args.server_threads} server threads, 1 process"
    )
    print(
        f"{os.cpu_count()} cores shared by wrk and the server; 1-min load average "
        f"{load[0]:.2f} before, {load[1]:.2f} after the runs"
    )
    for title, rows in summaries.items():
        by_key = {(s.server, s.app): s for s in rows}
        prism = by_key.get(("prism", "prism"))
        print()
        print(title)
        header = (
            f"  {'server':<9} {'app':<6} {'req/s':>8} {'spread':>7} {'p50 ms':>8} {'p99 ms':>8}"
            f" {'/bare':>6} {'/prism':>7}"
        )
        print(header)
        print("  " + "-" * (len(header) - 2))
        for row in rows:
            bare = by_key.get((row.server, "bare"))
            vs_bare = ratio(row.rps, bare.rps if bare else None) if row.app != "prism" else "-"
            vs_prism = ratio(row.rps, prism.rps if prism else None) if row.app == "mock" else "-"
            marks = ""
            if row.non_2xx:
                marks += f"  ({row.non_2xx} non-2xx)"
            if row.socket_errors:
                marks += f"  ({row.socket_errors} socket errors)"
            print(
                f"  {row.server:<9} {row.app:<6} {row.rps:8.0f} {row.spread:>6.0%} "
                f"{row.p50_ms:8.1f} {row.p99_ms:8.1f} {vs_bare:>6} {vs_prism:>7}{marks}"
            )
        mocks = [s for s in rows if s.app == "mock"]
        base = by_key.get(("waitress", "mock"))
        if len(mocks) > 1 and base:
            best = max(mocks, key=lambda s: s.rps)
            print(
                f"  fastest WSGI server for the mock: {best.server} "
                f"({best.rps / base.rps - 1:+.0%} vs waitress)"
            )
        prod, prod_bare = base, by_key.get(("waitress", "bare"))
        if prod and prod_bare:
            share = prod.rps / prod_bare.rps
            said = f"mock >= {TARGET_RATIO:.0%} of bare (waitress): {share:.0%}"
            target(missed, share >= TARGET_RATIO, said, f"{title}: mock/bare {share:.2f}")
        if prod and prism:
            times = prod.rps / prism.rps
            said = f"mock >= prism: {times:.2f}x"
            target(missed, times >= 1, said, f"{title}: mock/prism {times:.2f}")
    missed += report_stores(summaries)
    for label, soaked in memory:
        missed += report_memory(label, soaked)
    return missed


def report_memory(label: str, memory: Soak) -> list[str]:
    """One soak's table; the target missed, if it is."""
    missed: list[str] = []
    mib = 1024.0
    print()
    print(f"memory: {label}, {memory.requests:,} x GET /campaign/1")
    rows = [
        ("RSS at start (campaign 1 created)", memory.cold_kib, ""),
        ("RSS after warm-up (journal full)", memory.before_kib, ""),
        (
            f"RSS after {memory.requests:,} more requests",
            memory.after_kib,
            f"   (peak {memory.peak_kib / mib:.1f} MiB, {memory.seconds:.0f} s)",
        ),
    ]
    for row_label, kib, extra in rows:
        print(f"  {row_label:<40} {kib / mib:7.1f} MiB{extra}")
    step = max(1, len(memory.samples) // 6)
    series = memory.samples[::step] + (
        [memory.samples[-1]] if (len(memory.samples) - 1) % step else []
    )
    print(
        "  RSS along the way: "
        + ", ".join(f"{n / 1000:,.0f}k {kib / mib:.1f}" for n, kib in series)
        + " MiB"
    )
    per_request = memory.growth_kib * 1024 / max(memory.requests, 1)
    print(
        f"  growth {memory.growth_kib / mib:+.2f} MiB ({per_request:+.2f} B/request); "
        f"journal holds {memory.journal_entries} entries; flat: "
        + ("PASS" if memory.flat else "MISS")
    )
    if not memory.flat:
        missed.append(f"{label}: memory grew {memory.growth_kib / mib:.2f} MiB")
    return missed


def report_stores(summaries: dict[str, list[Summary]]) -> list[str]:
    """The shipped mock on each store and server against the shipped default, and the
    targets: the default within 70% of the fastest bare ceiling with p99 at most 66 ms, and
    two workers on a shared store at least 1.6x one in-memory process on GET."""
    missed: list[str] = []
    for title, rows in summaries.items():
        by_key = {(s.server, s.app): s for s in rows}
        default = by_key.get(("waitress", "mock"))
        stored = [s for s in rows if s.app.startswith("mock+")]
        bares = [s for s in rows if s.app == "bare"]
        if default is None:
            continue
        print()
        print(f"{title}: the shipped mock, `campaign-mock serve [--state S] [--workers N]`")
        header = (
            f"  {'server':<11} {'state':<7} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7}"
            f" {'/default':>9}"
        )
        print(header)
        print("  " + "-" * (len(header) - 2))
        for row in [default, *stored]:
            state = row.app.partition("+")[2] or "memory"
            print(
                f"  {row.server:<11} {state:<7} {row.rps:8.0f} {row.p50_ms:7.1f} "
                f"{row.p99_ms:7.1f} {row.rps / default.rps:9.2f}"
            )
        if bares:
            ceiling = max(bares, key=lambda s: s.rps)
            share = default.rps / ceiling.rps
            said = (
                f"default >= {TARGET_RATIO:.0%} of the fastest bare Flask "
                f"({ceiling.server}, {ceiling.rps:.0f} req/s): {share:.0%}"
            )
            target(
                missed, share >= TARGET_RATIO, said, f"{title}: default/fastest bare {share:.2f}"
            )
        if title.startswith("GET"):
            said = f"default p99 <= {TARGET_P99_MS:.0f} ms: {default.p99_ms:.1f} ms"
            miss = f"{title}: default p99 {default.p99_ms:.1f} ms"
            target(missed, default.p99_ms <= TARGET_P99_MS, said, miss)
            two = [s for s in stored if s.server == "granian-x2"]
            if two:
                best = max(two, key=lambda s: s.rps)
                scale = best.rps / default.rps
                one = by_key.get(("granian-x1", "mock+memory"))
                versus = f", {best.rps / one.rps:.2f}x granian-x1 in memory" if one else ""
                said = (
                    f"2 workers on a store >= {TARGET_SCALE}x one in-memory process: "
                    f"{best.app} {scale:.2f}x the default{versus}"
                )
                target(missed, scale >= TARGET_SCALE, said, f"{title}: 2 workers {scale:.2f}x")
        if title.startswith("POST"):
            missed += redis_writes(title, by_key)
    return missed


def target(missed: list[str], met: bool, said: str, miss: str) -> None:
    """Prints one target's line, PASS or MISS; a miss is noted in `missed` as `miss`."""
    print(f"  target {said} {'PASS' if met else 'MISS'}")
    if not met:
        missed.append(miss)


def redis_writes(title: str, by_key: dict[tuple[str, str], Summary]) -> list[str]:
    """POST on Redis against POST in memory on the same server and process count (waitress:
    the default in memory; granian: one worker in memory)."""
    missed: list[str] = []
    memory = {
        "waitress": by_key.get(("waitress", "mock")),
        "granian-x1": by_key.get(("granian-x1", "mock+memory")),
    }
    for server, base in memory.items():
        redis = by_key.get((server, "mock+redis"))
        if base is None or redis is None:
            continue
        share = redis.rps / base.rps
        said = (
            f"POST on Redis >= {TARGET_REDIS_POST:.0%} of POST in memory ({server}): "
            f"{redis.rps:.0f} / {base.rps:.0f} req/s = {share:.0%}"
        )
        target(
            missed, share >= TARGET_REDIS_POST, said, f"{title}: {server} Redis/memory {share:.2f}"
        )
    two = by_key.get(("granian-x2", "mock+redis"))
    one = memory["granian-x1"]
    if two is not None and one is not None:
        print(f"  POST on Redis, 2 workers / 1 in memory: {two.rps / one.rps:.2f}x")
    return missed


# -- main ---------------------------------------------------------------------------------------


def note(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python bench/http_throughput.py",
        description="Requests/s and p50/p99 latency of GET /campaign/{id} and POST /campaign: "
        "the mock vs a bare Flask app on waitress, gunicorn (gthread) and granian (one process, "
        "threads), and vs Prism on openapi.yaml; then the mock's RSS over a long run.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--duration", type=float, default=10, help="seconds per run [10]")
    parser.add_argument("--warmup", type=float, default=2, help="seconds before each run [2]")
    parser.add_argument("--repeats", type=int, default=3, help="runs per target; medians [3]")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections [32]")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk threads [2]")
    parser.add_argument(
        "--server-threads",
        type=int,
        default=DEFAULT_SERVER_THREADS,
        help=f"threads of each WSGI server's one process [{DEFAULT_SERVER_THREADS}]",
    )
    parser.add_argument(
        "--servers",
        type=lambda text: [s.strip() for s in text.split(",") if s.strip()],
        default=list(SERVERS),
        help=f"comma-separated subset of {','.join(SERVERS)} [all]",
    )
    parser.add_argument("--no-prism", action="store_true", help="skip the Prism row")
    parser.add_argument(
        "--stores",
        type=lambda text: [s.strip() for s in text.split(",") if s.strip()],
        default=list(STORES),
        help=f"comma-separated subset of {','.join(STORES)}: the shipped mock on each store, "
        "1 waitress process and granian with 1 and 2 workers [all]; '' for none",
    )
    parser.add_argument(
        "--soak",
        type=int,
        default=100_000,
        metavar="REQUESTS",
        help="GET requests for the memory check; 1000000 for the full check, 0 skips [100000]",
    )
    parser.add_argument("--quick", action="store_true", help="1 x 3 s runs, 1 s warm-up, soak 20k")
    parser.add_argument("--venv", default=str(REPO / ".venv"), help="the project's venv [.venv]")
    parser.add_argument("--json", metavar="PATH", help="also write every run as JSON here")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.warmup, args.repeats = 3, 1, 1
        args.soak = min(args.soak, 20_000)
    unknown = sorted(set(args.servers) - set(SERVERS))
    if unknown or not args.servers:
        parser.error(f"--servers takes a subset of {','.join(SERVERS)}, not {unknown}")
    if set(args.stores) - set(STORES):
        parser.error(f"--stores takes a subset of {','.join(STORES)}")
    if args.wrk_threads > args.connections:
        parser.error("--wrk-threads cannot exceed --connections")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    wrk = ensure_wrk()
    ensure_python_servers(venv_bin(args), args.servers)
    with_prism = not args.no_prism and ensure_prism()
    log_dir = Path(tempfile.mkdtemp(prefix="campaign-bench-"))
    try:
        urls = StoreUrls(args, log_dir)
        targets = make_targets(args, with_prism) + store_targets(args, urls)
        note(f"{len(targets)} targets; server logs in {log_dir}")
        with running(targets, log_dir):
            time.sleep(1.0)  # granian's other workers come up after the first answers
            sanity_check(targets)
            load_before = os.getloadavg()[0]
            summaries = measure(wrk, targets, args)
            load = (load_before, os.getloadavg()[0])
        memory: list[tuple[str, Soak]] = []
        if args.soak > 0:
            bin_dir = venv_bin(args)
            port = free_port()
            shipped = [str(bin_dir / "campaign-mock"), "serve", "--port", str(port)]
            soaked = [
                (
                    "campaign-mock serve (waitress, memory)",
                    Target("waitress", "mock-soak", shipped, port),
                )
            ]
            for store in urls.stores:
                for workers in [1] if store == "memory" else [None, 2]:
                    target = store_target(bin_dir, urls, store, workers)
                    soaked.append(
                        (f"campaign-mock serve --state {store} ({target.server})", target)
                    )
            memory = [(label, soak(wrk, args, log_dir, target)) for label, target in soaked]
    finally:
        for server in REDIS_SERVERS:
            server.terminate()
    missed = report(summaries, memory, args, load)
    if args.json:
        document = {
            "settings": {k: v for k, v in vars(args).items() if k not in {"json", "check"}},
            "results": {t: [asdict(s) for s in rows] for t, rows in summaries.items()},
            "memory": {label: asdict(soaked) for label, soaked in memory},
            "load_average": load,
            "missed": missed,
        }
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(document, indent=2) + "\n")
    if missed:
        print(f"\ntargets missed: {'; '.join(missed)}")
    return 1 if missed and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
