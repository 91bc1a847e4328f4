"""The `campaign-contract` command: run, proxy, init, clean, rules."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import ipaddress
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import click

from campaign_contract._version import __version__
from campaign_contract.config.model import (
    AuthConfig,
    CallbackConfig,
    Config,
    ConfigError,
    Domains,
    load_config,
)
from campaign_contract.config.scaffold import (
    TEMPLATE,
    MockStateError,
    NotAMockError,
    render_from_mock,
)
from campaign_contract.coverage import rules
from campaign_contract.engine.cleanup import clean as clean_campaigns
from campaign_contract.engine.ledger import Ledger
from campaign_contract.engine.outcome import CheckResult, Status
from campaign_contract.engine.registry import Check
from campaign_contract.engine.run_report import RunReport
from campaign_contract.engine.runner import open_client, run_selection
from campaign_contract.engine.selection import Selection, SelectionError, resolve, split_tokens
from campaign_contract.engine.waiver import WaiverError, load_waivers
from campaign_contract.report import render_html, render_json, render_junit, render_terminal
from campaign_contract.report.terminal import printable

#: Exit codes, so CI can tell them apart: 0 conforms (every selected rule part passed or was
#: waived), 1 does not conform, 2 usage or config error, 3 target unreachable or preflight
#: failed, 4 `init --from-mock` got an answer that is no mock's, 130 interrupted (the
#: partial report is still written).
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3
EXIT_NOT_A_MOCK = 4
EXIT_INTERRUPTED = 130


def _die(message: str, code: int = EXIT_USAGE) -> None:
    click.echo(f"campaign-contract: error: {message}", err=True)
    sys.exit(code)


def default_work_dir() -> Path:
    """The user's cache (XDG), so a run leaves nothing in the directory it was started from."""
    cache = os.environ.get("XDG_CACHE_HOME", "")
    root = Path(cache) if os.path.isabs(cache) else Path.home() / ".cache"
    return root / "campaign-contract"


def _in_work_dir(config: Config, work_dir: Path | None) -> tuple[Config, Path]:
    """The config with its ledger under the work directory (an absolute `ledger` stays)."""
    work = (work_dir or default_work_dir()).resolve()
    try:
        work.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        _die(f"--work-dir: cannot create {work}: {error.strerror}")
    return dataclasses.replace(config, ledger=str(work / config.ledger)), work


def report_options(command: Callable[..., None]) -> Callable[..., None]:
    """--junitxml, --json and --html: the report files, the same for run, judge and proxy."""
    for option in reversed(
        (
            click.option(
                "--junitxml", type=click.Path(dir_okay=False), metavar="F", help="Write JUnit XML."
            ),
            click.option("--json", "json_path", type=click.Path(dir_okay=False), metavar="F"),
            click.option("--html", "html_path", type=click.Path(dir_okay=False), metavar="F"),
        )
    ):
        command = option(command)
    return command


work_dir_option = click.option(
    "--work-dir",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="Where the run keeps its files: the ledger (a relative `ledger`) and Hypothesis's "
    "cache. Default: $XDG_CACHE_HOME/campaign-contract, else ~/.cache/campaign-contract.",
)


def _progress(index: int, total: int, check: Check, results: list[CheckResult] | None) -> None:
    if results is None:
        click.echo(f"[{index:>3}/{total}] {check.name} ...", err=True, nl=False)
        return
    statuses = {r.status for r in results}
    word = next((s.value for s in (Status.FAIL, Status.PASS) if s in statuses), "not exercised")
    click.echo(f" {word}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="campaign-contract")
def main() -> None:
    """Judge any server against the DUO Campaign API contract, rule by rule.

    \b
    Examples:
      campaign-contract init -o contract.yaml
      campaign-contract init --from-mock http://127.0.0.1:8080 -o contract.yaml
      campaign-contract run --base-url https://api.example --config contract.yaml
      campaign-contract proxy --to http://127.0.0.1:8080 --record session.jsonl
      campaign-contract judge session.jsonl --config contract.yaml --html report.html
      campaign-contract clean --config contract.yaml --base-url https://api.example
    """


@main.command()
@click.option("--base-url", metavar="URL", help="The server to judge (else the config's base_url).")
@click.option(
    "--config",
    "config_path",
    required=True,
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="The YAML config (see `campaign-contract init`).",
)
@click.option(
    "--level",
    type=click.Choice(["core", "all"]),
    default="all",
    show_default=True,
    help="core: seed and vendor rules only; all: profile rules too.",
)
@click.option(
    "--only",
    multiple=True,
    metavar="GROUPS",
    help="Run only these: group letters (V,R,Q,M,A,E,C), rules (V-4), parts (V-1p), layers "
    "(robustness, schema, stateful, callbacks) or checks (stateful.transitions; named alone, "
    "only they run). Comma-separated or repeated.",
)
@click.option("--skip", multiple=True, metavar="GROUPS", help="Leave these out (as --only).")
@click.option("--max-examples", default=20, show_default=True, type=click.IntRange(min=0))
@click.option("--seed", type=int, help="Seed for generated inputs (default: random, reported).")
@report_options
@click.option(
    "--waivers",
    type=click.Path(dir_okay=False),
    metavar="F",
    help="YAML list of {rule, reason, expires: YYYY-MM-DD}: known failures count as waived.",
)
@work_dir_option
@click.option("-v", "--verbose", is_flag=True, help="Also list rule parts left out.")
def run(
    base_url: str | None,
    config_path: str,
    level: str,
    only: tuple[str, ...],
    skip: tuple[str, ...],
    max_examples: int,
    seed: int | None,
    junitxml: str | None,
    json_path: str | None,
    html_path: str | None,
    waivers: str | None,
    work_dir: Path | None,
    verbose: bool,
) -> None:
    """Run the contract suite against a server and report every rule.

    Exit codes: 0 conforms (every selected rule part passed or was waived), 1 does
    not conform, 2 usage or config error, 3 target unreachable or preflight failed
    (one line on stderr, before any check), 130 interrupted (Ctrl-C or SIGTERM; the
    partial report is written). Progress goes to stderr, the summary to stdout.

    \b
    Examples:
      campaign-contract run --base-url http://127.0.0.1:8080 --config contract.yaml
      campaign-contract run --config c.yaml --level core --junitxml report.xml
      campaign-contract run --config c.yaml --only V,R-1 --seed 42 --html report.html
      campaign-contract run --config c.yaml --skip callbacks --waivers waivers.yaml
    """
    with _stop_signals():
        try:
            config, work = _in_work_dir(load_config(config_path), work_dir)
            _keep_hypothesis_files_in(work)
            waived = load_waivers(waivers) if waivers else []
            selection = Selection(
                level="core" if level == "core" else "all",
                only=tuple(t for o in only for t in split_tokens(o)),
                skip=tuple(t for s in skip for t in split_tokens(s)),
            )
            report = run_selection(
                config,
                base_url=base_url,
                selection=selection,
                seed=seed,
                max_examples=max_examples,
                waivers=waived,
                progress=_progress,
            )
        except (ConfigError, WaiverError, SelectionError) as error:
            _die(str(error))
            return
        except KeyboardInterrupt:
            click.echo("campaign-contract: interrupted before any check ran", err=True)
            sys.exit(EXIT_INTERRUPTED)
        # The run is over: a second Ctrl-C must not cost the report that is being written.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if report.unreachable:
            click.echo(
                f"campaign-contract: cannot judge the target: {printable(report.stopped or '')}",
                err=True,
            )
        else:
            click.echo(render_terminal(report, verbose=verbose), nl=False)
        _write_reports(report, junitxml, json_path, html_path)
        if report.unreachable:
            sys.exit(EXIT_UNREACHABLE)
        if report.interrupted:
            sys.exit(EXIT_INTERRUPTED)
        sys.exit(0 if report.ok else EXIT_FAILED)


def _write_reports(
    report: RunReport, junitxml: str | None, json_path: str | None, html_path: str | None
) -> None:
    """The report files asked for (JUnit, JSON, HTML), each named on stderr once written."""
    for path, render in (
        (junitxml, render_junit),
        (json_path, render_json),
        (html_path, render_html),
    ):
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).write_text(render(report), "utf-8")
            click.echo(f"wrote {path}", err=True)


def _keep_hypothesis_files_in(work: Path) -> None:
    """Hypothesis writes a cache (its `.hypothesis/`) in the current directory unless told."""
    from hypothesis.configuration import set_hypothesis_home_dir

    set_hypothesis_home_dir(work / "hypothesis")


#: Seconds from the first Ctrl-C or SIGTERM to the process's end, whatever it is doing: the
#: run stops sending within INTERRUPT_GRACE and writes its report well inside this.
EXIT_BOUND = 30.0
_bound: list[threading.Timer] = []


def _interrupt(_signum: int, _frame: object) -> None:
    """Ctrl-C and SIGTERM (a CI job cancelled) stop the run so the report is written, and
    the first one starts the clock on EXIT_BOUND."""
    if not _bound:
        timer = threading.Timer(EXIT_BOUND, _give_up)
        timer.daemon = True
        timer.start()
        _bound.append(timer)
    raise KeyboardInterrupt


def _give_up() -> None:
    sys.stderr.write(
        f"campaign-contract: still running {EXIT_BOUND:g} s after the interrupt; exiting "
        "without waiting for it\n"
    )
    sys.stderr.flush()
    os._exit(EXIT_INTERRUPTED)


@contextlib.contextmanager
def _stop_signals() -> Iterator[None]:
    """Ctrl-C and SIGTERM stop a run within EXIT_BOUND; both handlers are put back after it."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


#: The config of a proxy or a judge not given one: nothing known of the server's lists, its
#: clock real time, callbacks received on any free loopback port.
PASSIVE_CONFIG = Config(
    auth=AuthConfig(),
    domains=Domains(0),
    lists=(),
    callbacks=CallbackConfig(listen_port=0),
)

#: Where the proxy listens unless told: loopback only.
DEFAULT_LISTEN = "127.0.0.1:8081"


def _listen_address(text: str) -> tuple[str, int]:
    """HOST:PORT (an IPv6 host in brackets), or a usage error."""
    host, colon, port = text.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not colon or not host or not port.isdigit() or int(port) > 65535:
        _die(f"--listen: expected HOST:PORT, got {text!r}")
    return host, int(port)


#: Seconds the main thread waits at a time: a signal another thread received runs its Python
#: handler only once the main thread is back in the interpreter.
SIGNAL_POLL = 0.25


def _wait_for(stop: threading.Event, duration: float | None) -> None:
    """Until `stop` is set or `duration` passes, in short waits: a process-directed signal
    (SIGTERM, SIGINT) may be delivered to any thread, and then the main thread, blocked in
    an endless wait, would never run the handler that sets `stop`."""
    deadline = None if duration is None else time.monotonic() + duration
    while not stop.is_set():
        left = SIGNAL_POLL if deadline is None else min(SIGNAL_POLL, deadline - time.monotonic())
        if left <= 0:
            return
        stop.wait(left)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


@main.command()
@click.option("--to", "to_url", required=True, metavar="URL", help="The server to relay to.")
@click.option(
    "--listen",
    default=DEFAULT_LISTEN,
    show_default=True,
    metavar="HOST:PORT",
    help="Where clients connect (port 0: any free port, printed). A host other than "
    "loopback must be given explicitly, and is warned about.",
)
@click.option(
    "--record",
    "record_path",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Write every exchange to FILE as it ends (JSON Lines, mode 0600, credentials "
    "replaced by keyed placeholders).",
)
@click.option(
    "--duration",
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help="Stop after this long (else on Ctrl-C or SIGTERM).",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="The YAML config (see `campaign-contract init`): its password and API key are "
    "masked in the lines printed; its auth.method says whether a request without "
    "credentials must get a 401; limits.request_timeout bounds the drain at the end.",
)
@click.option(
    "--callback-to",
    multiple=True,
    metavar="HOST[:PORT]",
    help="Also forward callbacks to this host (repeatable; no port: any). Callback URLs on "
    "loopback are always forwarded; others are left as the client sent them, unjudged.",
)
@click.option(
    "--no-callbacks",
    is_flag=True,
    help="Leave every event_callback as the client sent it: the server calls the client "
    "directly and A, E and C are not judged.",
)
@report_options
def proxy(
    to_url: str,
    listen: str,
    record_path: str | None,
    duration: float | None,
    config_path: str | None,
    callback_to: tuple[str, ...],
    no_callbacks: bool,
    junitxml: str | None,
    json_path: str | None,
    html_path: str | None,
) -> None:
    """Relay a client's traffic to a server, unchanged, one line per exchange.

    Every request and answer crosses byte for byte (streamed, keep-alive and
    pipelining kept), but for the request's Host line, set to --to's. Only --to
    is dialled: a request naming another server and CONNECT get a 403 from the
    proxy. Bytes that are not HTTP are relayed as they are, never answered by the
    proxy. Each exchange is judged as it ends, by the judges `run` and `judge`
    use; its line, on stdout: time, method, path, status, milliseconds, then `ok`,
    `FAIL <rule>: <why>` or why it was not judged. Ctrl-C, SIGTERM or --duration
    end it: exchanges in flight finish, the recording gets its end line, the
    summary goes to stderr and the report files are written (marked observed).

    Exit codes: 0 stopped and no rule part failed, 1 one did, 2 usage or config
    error, 3 --to refused the first connection (made at start).

    Callbacks: each campaign's event_callback (on loopback, or a --callback-to
    host) is handed to the server as a URL of the proxy's own receiver (on
    callbacks.listen_host/listen_port, or callbacks.public_url, of --config;
    else any free loopback port). Each callback the server makes is forwarded to
    the client's URL byte for byte, the query string as the server sent it, and
    the client's answer goes back to the server; answers show the client's own
    URL. At the end, the callbacks are judged by A, E and C (the audience from
    the config's lists).

    \b
    Examples:
      campaign-contract proxy --to http://127.0.0.1:8080
      campaign-contract proxy --to https://api.example --listen 127.0.0.1:9000 \\
          --config contract.yaml --record session.jsonl --duration 600 --html r.html
    """
    # Here, not at the top: the help must work without the extra (h11), as `entry.py` says.
    from campaign_contract.observed.callback_side import CallbackSide
    from campaign_contract.observed.judging import TrafficJudge, observed_report
    from campaign_contract.observed.lines import callback_line, exchange_line, verdict_text
    from campaign_contract.observed.record import Recorder
    from campaign_contract.observed.relay import Relay, Target
    from campaign_contract.transport.received import Received
    from campaign_contract.transport.redact import mask
    from campaign_contract.transport.traffic import Seen

    try:
        target = Target.parse(to_url)
    except ValueError as error:
        _die(f"--to: {error}")
        return
    host, port = _listen_address(listen)
    secrets: frozenset[str] = frozenset()
    config = PASSIVE_CONFIG
    if config_path:
        try:
            config = load_config(config_path)
        except ConfigError as error:
            _die(str(error))
            return
        secrets = config.auth.secrets
    timeout = config.limits.request_timeout
    started, clock = dt.datetime.now(dt.UTC), time.monotonic()
    selection = Selection()
    parts = resolve(selection, (), ()).parts
    judge = TrafficJudge.of(parts, config if config_path else None)
    try:
        target.connect(timeout).close()
    except OSError as error:
        _die(f"cannot reach --to {target.origin}: {error}", EXIT_UNREACHABLE)
    if not _is_loopback(host):
        click.echo(
            f"warning: listening on {host}, not loopback: whoever reaches this machine can "
            f"use the proxy, and {target.origin} through it",
            err=True,
        )
    recorder = None

    def note(line: str) -> None:
        # A note may quote a URL or a server's words: the configured secrets stay out.
        click.echo(f"campaign-contract proxy: {printable(mask(line, secrets))}", err=True)

    def heard(received: Received, campaign: int | None) -> None:
        if recorder is not None:
            recorder.callback(received)
        click.echo(printable(callback_line(received, campaign, secrets)))

    side = None
    if not no_callbacks:
        try:
            side = CallbackSide(config, parts, target.origin, callback_to, heard, note)
        except ValueError as error:
            _die(f"--callback-to: {error}")
            return
        except OSError as error:
            where = f"{config.callbacks.listen_host}:{config.callbacks.listen_port}"
            _die(f"callbacks: cannot listen on {where}: {error.strerror}")
            return
    if record_path:
        try:
            recorder = Recorder(
                record_path,
                to=target.origin,
                started=time.time(),
                receiver=side.receiver.base_url if side is not None else None,
            )
        except OSError as error:
            _die(f"--record: cannot write {record_path}: {error.strerror}")
            return

    def sink(seen: Seen) -> None:
        if recorder is not None:
            recorder.write(seen)
        if side is not None:
            side.exchange(seen)
        verdict = verdict_text(judge.feed(seen), secrets)
        click.echo(printable(f"{exchange_line(seen, secrets)} {verdict}"))

    rewriter = side.rewriter if side is not None else None
    try:
        relay = Relay(target, (host, port), sink, note=note, timeout=timeout, rewriter=rewriter)
    except OSError as error:
        _die(f"--listen: cannot listen on {listen}: {error.strerror}")
        return
    stop = threading.Event()
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in saved:
        signal.signal(sig, lambda _signum, _frame: stop.set())
    if side is not None:
        side.start()
    relay.start()
    bound_host, bound_port = relay.address
    shown_host = f"[{bound_host}]" if ":" in bound_host else bound_host
    click.echo(
        f"proxying http://{shown_host}:{bound_port} -> {target.origin} (Ctrl-C to stop)", err=True
    )
    ended = time.time()
    try:
        _wait_for(stop, duration)
    finally:
        relay.stop(drain=timeout)
        if side is not None:
            side.close()
        ended = time.time()
        if recorder is not None:
            recorder.close(ended)
        for sig, handler in saved.items():
            signal.signal(sig, handler)
    if record_path:
        click.echo(f"wrote {record_path}", err=True)
    report = observed_report(
        judge,
        side.results(ended) if side is not None else [],
        mode="proxy",
        source=target.origin,
        base_url=target.origin,
        selection=selection,
        started=started,
        clock=clock,
        secrets=secrets,
    )
    # On stderr: stdout holds one line per exchange, for whoever reads them.
    click.echo(render_terminal(report), nl=False, err=True)
    _write_reports(report, junitxml, json_path, html_path)
    sys.exit(0 if report.ok else EXIT_FAILED)


@main.command(name="judge")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="The YAML config: whether the server asks for credentials (V-5), and the secrets "
    "to keep out of the reports.",
)
@click.option(
    "--origin",
    metavar="URL",
    help="A HAR file's server (scheme://host[:port]); default: the one origin with /campaign "
    "paths.",
)
@click.option("--level", type=click.Choice(["core", "all"]), default="all", show_default=True)
@click.option("--only", multiple=True, metavar="RULES", help="Judge only these (as `run`).")
@click.option("--skip", multiple=True, metavar="RULES", help="Leave these out (as `run`).")
@report_options
@click.option("-v", "--verbose", is_flag=True, help="Also list rule parts left out.")
def judge_file(
    file: Path,
    config_path: str | None,
    origin: str | None,
    level: str,
    only: tuple[str, ...],
    skip: tuple[str, ...],
    junitxml: str | None,
    json_path: str | None,
    html_path: str | None,
    verbose: bool,
) -> None:
    """Judge recorded traffic by CONTRACT.md, with no network.

    FILE is the proxy's recording (`proxy --record`) or a HAR file (what browsers,
    Playwright and mitmproxy export). Every exchange with the Campaign API is
    judged, in the order it completed, by the judges `run` uses (V, R, Q and M-2);
    the reports are `run`'s, marked observed. What traffic cannot show is not
    exercised, never failed.

    Exit codes: 0 no selected rule part failed, 1 one did, 2 usage, config or file
    error (one line on stderr).

    \b
    Examples:
      campaign-contract judge session.jsonl
      campaign-contract judge browser.har --origin http://127.0.0.1:8080 --json r.json
      campaign-contract judge session.jsonl --config contract.yaml --only V,Q --html r.html
    """
    from campaign_contract.observed.callbacks import CallbackSession
    from campaign_contract.observed.judging import TrafficJudge, observed_report
    from campaign_contract.observed.sources import TrafficFileError, load_traffic

    started, clock = dt.datetime.now(dt.UTC), time.monotonic()
    secrets: frozenset[str] | None = None
    config = PASSIVE_CONFIG
    try:
        if config_path:
            config = load_config(config_path)
            secrets = config.auth.secrets
        selection = Selection(
            level="core" if level == "core" else "all",
            only=tuple(t for o in only for t in split_tokens(o)),
            skip=tuple(t for s in skip for t in split_tokens(s)),
        )
        parts = resolve(selection, (), ()).parts
        traffic = load_traffic(file, origin)
    except (ConfigError, SelectionError, TrafficFileError) as error:
        _die(str(error))
        return
    judge = TrafficJudge.of(parts, config if config_path else None)
    session = None
    if traffic.kind == "recording" and traffic.receiver:
        session = CallbackSession(config, parts, receiver_url=traffic.receiver)
    for seen in traffic.seen:
        judge.feed(seen)
        if session is not None:
            session.exchange(seen)
    callbacks: list[CheckResult] = []
    if session is not None:
        for received in traffic.callbacks:
            if received.matched and not received.foreign:
                session.callback(received)
        last = max([s.answered_at for s in traffic.seen] + [r.arrived for r in traffic.callbacks],
                   default=time.time())  # fmt: skip
        callbacks = session.results(traffic.ended_at or last)
    report = observed_report(
        judge,
        callbacks,
        mode="judge",
        source=str(file),
        base_url=traffic.origin,
        selection=selection,
        started=started,
        clock=clock,
        warnings=traffic.warnings,
        secrets=secrets,
    )
    click.echo(render_terminal(report, verbose=verbose), nl=False)
    _write_reports(report, junitxml, json_path, html_path)
    sys.exit(0 if report.ok else EXIT_FAILED)


@main.command()
@click.option("--from-mock", metavar="URL", help="Fill the config in from a running mock's state.")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), help="Write here (default stdout)."
)
@click.option("--force", is_flag=True, help="Overwrite an existing output file.")
def init(from_mock: str | None, output: str | None, force: bool) -> None:
    """Write a commented config template, or a config for a running mock.

    Exit codes: 0 written, 2 usage error or the mock cannot be read, 4 the URL
    answered, but not as a campaign-mock (one line: its status, content type and
    first bytes).

    \b
    Examples:
      campaign-contract init -o contract.yaml
      campaign-contract init --from-mock http://127.0.0.1:8080 -o contract.yaml
    """
    text = TEMPLATE
    if from_mock:
        try:
            text = render_from_mock(from_mock)
        except NotAMockError as error:
            _die(str(error), EXIT_NOT_A_MOCK)
        except MockStateError as error:
            _die(str(error))
    if output is None:
        click.echo(text, nl=False)
        return
    if Path(output).exists() and not force:
        _die(f"{output} exists (use --force to overwrite)")
    Path(output).write_text(text, "utf-8")
    click.echo(f"wrote {output}", err=True)


@main.command()
@click.option("--base-url", metavar="URL", help="The server (else the config's base_url).")
@click.option(
    "--config", "config_path", required=True, type=click.Path(dir_okay=False), metavar="FILE"
)
@work_dir_option
def clean(base_url: str | None, config_path: str, work_dir: Path | None) -> None:
    """Delete campaigns an interrupted run left on the server.

    The API has no list endpoint, so the suite keeps a ledger of the ids it
    created (the config's `ledger`); only campaigns whose name still carries
    their run tag are deleted.

    \b
    Example:
      campaign-contract clean --config contract.yaml --base-url https://api.example
    """
    try:
        config, _ = _in_work_dir(load_config(config_path), work_dir)
    except ConfigError as error:
        _die(str(error))
        return
    target = base_url or config.base_url
    if not target:
        _die(f"{config.source}: base_url: is required (or pass --base-url)")
        return
    ledger = Ledger(config.ledger)
    entries = ledger.entries(target)
    if not entries:
        click.echo(f"nothing to clean for {target} in {config.ledger}")
        return
    client, warnings = open_client(config, target)
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    with client:
        results = clean_campaigns(client, ledger, entries, wait=config.limits.cleanup_wait)
    for result in results:
        click.echo(f"campaign {result.id}: {result.outcome}")
    if any(r.outcome == "left" for r in results):
        sys.exit(EXIT_FAILED)


@main.command(name="rules")
@click.option("--level", type=click.Choice(["core", "all"]), default="all", show_default=True)
@click.option(
    "--coverage", is_flag=True, help="List every clause with its checks and broken variants."
)
def list_rules(level: str, coverage: bool) -> None:
    """List the rule parts the suite judges, with their level.

    \b
    Example:
      campaign-contract rules --level core
      campaign-contract rules --coverage
    """
    if coverage:
        from campaign_contract.coverage import all_clauses
        from campaign_contract.coverage.table import render_text

        core = {p.id for p in rules.all_parts() if p.level in rules.CORE_LEVELS}
        chosen = tuple(c for c in all_clauses() if level == "all" or c.part in core)
        for line in render_text(chosen):
            click.echo(line)
        return
    for part in rules.all_parts():
        if level == "all" or part.level in rules.CORE_LEVELS:
            click.echo(f"{part.id:<6} {part.level.value:<8} {part.summary}")
