"""`campaign-mock`: serve the mock, or check and show fixtures."""

from __future__ import annotations

import socket
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from secrets import token_urlsafe
from typing import NoReturn

import click
import yaml
from flask import Flask

from campaign_mock import __version__
from campaign_mock.assembly import ServeOptions, build_app
from campaign_mock.delivery.policy import DestinationPolicy
from campaign_mock.domain.errors import FixturesError, InvalidError
from campaign_mock.domain.models import Fixtures
from campaign_mock.domain.sessions import DEFAULT_TTL
from campaign_mock.domain.timestamp import TimestampError, parse_when
from campaign_mock.fixtures.document import default_fixtures, fixtures_to_document, load_fixtures
from campaign_mock.http.context import mock_of
from campaign_mock.serving import logs
from campaign_mock.serving.announce import announce, runtime_dir, token_for, withdraw
from campaign_mock.serving.exposure import EXIT_EXPOSED, exposure_refusal, is_loopback_host
from campaign_mock.serving.listeners import first_address, url_host
from campaign_mock.serving.logs import FORMATS
from campaign_mock.serving.server import DEFAULT_THREADS, MockServer
from campaign_mock.serving.signals import hold_stop_signals
from campaign_mock.serving.workers import check_listen, free_port, serve_workers
from campaign_mock.store import MEMORY, STORE_TIMEOUT, StoreUrlError, open_store
from campaign_mock.store.shared import StoredWorld

_SERVE_EXAMPLES = """
\b
Examples:
  campaign-mock serve                          # built-in fixtures on :8080
  campaign-mock serve --port 9000 --no-auth
  campaign-mock serve --fixtures my-fixtures.yaml --threads 16
  campaign-mock serve --speed 60 --seed 7       # five minutes pass in five seconds
  campaign-mock serve --frozen --start-time 2030-01-01T09:00:00Z
  campaign-mock serve --fixtures team.yaml --isolate accounts   # one world per account
  campaign-mock serve --state sqlite:///mock.db                 # survives a restart
  campaign-mock serve --state redis://localhost:6379/0 --workers 2   # one mock, 2 processes
  CAMPAIGN_MOCK_CONTROL_TOKEN=s3cret campaign-mock serve --host 0.0.0.0 \\
      --callback-allow hooks.internal --callback-allow 10.0.0.0/8
\b
Beyond loopback, /_mock/ needs a control token (or --insecure-control); without
either, serve exits with status 4. An address it cannot listen on (an unknown host,
a port in use, no permission) exits with status 5; a refused fixtures file with 3;
a --state store it cannot open, reach, read or write, or one that lost its data
while instances served on it (see --state-reset), with 6.
\b
The mock answers only to the Host names it serves (localhost, loopback addresses, the
--host it is bound to, each --allowed-host; with --host 0.0.0.0 any IP address and this
machine's names): any other Host is a 421, so a DNS-rebinding page cannot reach it.
Changes through /_mock/ must be JSON (or carry the token) and never come from another
site's page (Origin or Referer): a web page cannot reset your mock.
\b
Then, with the built-in fixtures (create a campaign, read it back):
  curl -u demo:demo-password http://127.0.0.1:8080/campaign -d name=Hello -d domain=1 -d list=1
  curl -u demo:demo-password http://127.0.0.1:8080/campaign/1
"""

#: `serve`'s exit status when it cannot listen where it was told (1 stays a crash).
EXIT_CANNOT_LISTEN = 5
#: `serve`'s exit status when its --state store cannot be opened or reached.
EXIT_STORE = 6
#: `campaign-mock token`: no mock left a token for the port.
EXIT_NO_TOKEN = 7


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="campaign-mock")
def main() -> None:
    """A stateful mock of DUO's Campaign API.

    \b
    Examples:
      campaign-mock serve
      campaign-mock fixtures show > my-fixtures.yaml
      campaign-mock fixtures check my-fixtures.yaml
    """


@main.command(epilog=_SERVE_EXAMPLES)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address or name to listen on; a name is served on each of its addresses (localhost: "
    "often ::1 and 127.0.0.1), at one port.",
)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--fixtures",
    "fixtures_path",
    type=click.Path(dir_okay=False),
    help="YAML or JSON fixtures replacing the built-in set.",
)
@click.option("--no-auth", is_flag=True, help="Accept requests without credentials.")
@click.option("--threads", default=DEFAULT_THREADS, show_default=True, type=click.IntRange(1))
@click.option(
    "--journal-size",
    default=1000,
    show_default=True,
    type=click.IntRange(0),
    help="How many requests GET /_mock/requests keeps.",
)
@click.option(
    "--seed",
    default=0,
    show_default=True,
    type=click.IntRange(0),
    help="Seed of the outcomes: the same seed gives the same events and journal.",
)
@click.option(
    "--speed",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0, min_open=True),
    help="Mock seconds per real second (60: five minutes pass in five seconds); above 1, "
    "without --state, time passes more slowly (and is lost) while ticks or due callbacks lag "
    "120 mock seconds behind, so callbacks keep C-3 in the mock's own time.",
)
@click.option("--frozen", is_flag=True, help="Freeze the clock; move it with /_mock/clock.")
@click.option("--start-time", help="Where the clock starts (Unix seconds or ISO 8601).")
@click.option(
    "--window",
    default=60.0,
    show_default=True,
    type=click.FloatRange(0, 300, min_open=True),
    help="Seconds of events reported together in one callback (C-3: at most 300).",
)
@click.option(
    "--send-rate",
    default=1000.0,
    show_default=True,
    type=click.FloatRange(0, min_open=True),
    help="Messages per second a campaign sends.",
)
@click.option(
    "--delivery-workers",
    default=4,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Threads that POST event callbacks.",
)
@click.option(
    "--control-token",
    envvar="CAMPAIGN_MOCK_CONTROL_TOKEN",
    metavar="TOKEN",
    help="Required on every /_mock/ route (Authorization: Bearer TOKEN or X-Mock-Token: "
    "TOKEN); env CAMPAIGN_MOCK_CONTROL_TOKEN, which `ps` does not show.",
)
@click.option(
    "--insecure-control",
    is_flag=True,
    help="Serve /_mock/ without a token on an address other machines can reach.",
)
@click.option(
    "--callback-allow",
    multiple=True,
    envvar="CAMPAIGN_MOCK_CALLBACK_ALLOW",
    metavar="HOST|CIDR|HOST:PORT",
    help="Only these callback destinations are called (repeatable; env: space-separated). "
    "Default: any but link-local and metadata addresses; never the mock itself, another "
    "instance on its --state store, or a /_mock/ path on any host.",
)
@click.option(
    "--allowed-host",
    "allowed_hosts",
    multiple=True,
    metavar="NAME",
    help="Answer to this Host name too (repeatable): a docker service or proxy name. Always: "
    "localhost, loopback addresses and the address bound (with 0.0.0.0: any IP address and "
    "this machine's names); any other Host is a 421.",
)
@click.option(
    "--session-ttl",
    default=DEFAULT_TTL,
    show_default=True,
    type=click.FloatRange(0, min_open=True),
    help="Real seconds a /login/ session lasts; at most 10,000 are open (the oldest ends).",
)
@click.option(
    "--state",
    "state_url",
    default=MEMORY,
    show_default=True,
    metavar="memory|sqlite:///PATH|redis://HOST:PORT/DB",
    envvar="CAMPAIGN_MOCK_STATE",
    help="Where campaigns, ids, sessions, sends and journals live. SQLite survives a restart; "
    "several processes or machines on one store act as one mock.",
)
@click.option(
    "--store-timeout",
    default=STORE_TIMEOUT,
    show_default=True,
    type=click.FloatRange(0, min_open=True),
    envvar="CAMPAIGN_MOCK_STORE_TIMEOUT",
    metavar="SECONDS",
    help="Real seconds any one call to the --state store may take: a store that stalls "
    "longer makes the request answer 503 unavailable, not wait.",
)
@click.option(
    "--state-reset",
    is_flag=True,
    help="Start the --state store afresh: every campaign, id, session and send in it goes "
    "and a new epoch begins. Needed to serve again on a store that lost its data while "
    "instances served on it (those instances refuse until restarted).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help="Serve with granian in this many processes (needs --state sqlite or redis beyond 1). "
    "Without it, one waitress process.",
)
@click.option(
    "--log-format",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="How the log on stderr reads: a line per API request (time, method, path, status, "
    "the envelope's code, ms, account) and per callback attempt (campaign, event, channel, "
    "URL without secrets, status or error, latency, next retry); json: one object a line.",
)
@click.option(
    "--quiet",
    is_flag=True,
    help="No line per request or callback attempt; warnings and errors still show.",
)
@click.option(
    "--isolate",
    type=click.Choice(["accounts"]),
    help="Give each account a world of its own: its campaigns, ids from 1, sends, journals "
    "and reset (POST /_mock/reset with its credentials). Fixtures and the clock stay shared; "
    "/_mock/ and the dashboard act on the caller's world only: every world, or a change of "
    "the clock, settings or fixtures, needs the control token.",
)
def serve(
    host: str,
    port: int,
    fixtures_path: str | None,
    no_auth: bool,
    threads: int,
    journal_size: int,
    seed: int,
    speed: float,
    frozen: bool,
    start_time: str | None,
    window: float,
    send_rate: float,
    delivery_workers: int,
    control_token: str | None,
    insecure_control: bool,
    callback_allow: tuple[str, ...],
    allowed_hosts: tuple[str, ...],
    session_ttl: float,
    state_url: str,
    store_timeout: float,
    state_reset: bool,
    workers: int | None,
    log_format: str,
    quiet: bool,
    isolate: str | None,
) -> None:
    """Serve the mock until Ctrl-C or SIGTERM.

    The log goes to stderr (stdout stays free): a line per API request and per callback
    attempt, coloured on a terminal unless NO_COLOR is set; --log-format json for
    machines, --quiet for warnings and errors only. /_mock/metrics serves Prometheus's
    text format.
    """
    if isolate and no_auth:
        click.echo(
            "campaign-mock: --isolate accounts needs authentication (each request's account "
            "chooses its world); drop --no-auth",
            err=True,
        )
        sys.exit(2)
    _check_host(host, port)
    refusal = exposure_refusal(host, control_token, insecure_control)
    if refusal is not None:
        click.echo(f"campaign-mock: {refusal}", err=True)
        sys.exit(EXIT_EXPOSED)
    try:
        DestinationPolicy(callback_allow)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--callback-allow") from None
    if state_reset and state_url == MEMORY:
        _refuse("--state-reset starts a --state store afresh; --state memory starts afresh anyway")
    if state_url != MEMORY and isolate:
        _refuse("--isolate accounts keeps its worlds in memory; drop --state or --isolate")
    if workers and workers > 1 and state_url == MEMORY:
        _refuse(
            f"--workers {workers} needs a store they share: --state sqlite:///mock.db "
            "or --state redis://localhost:6379/0"
        )
    fixtures = _fixtures_or_exit(fixtures_path)
    try:
        start = None if start_time is None else float(parse_when(start_time))
        options = ServeOptions(
            fixtures_path=fixtures_path,
            auth=not no_auth,
            journal_size=journal_size,
            seed=seed,
            speed=speed,
            frozen=frozen,
            start=start,
            window=window,
            send_rate=send_rate,
            delivery_workers=delivery_workers,
            control_token=control_token,
            # One per start, shared by granian's worker processes (they read the options).
            secrets_token=control_token or token_urlsafe(24),
            callback_allow=callback_allow,
            session_ttl=session_ttl,
            isolate=isolate,
            state=state_url,
            store_timeout=store_timeout,
            state_reset=state_reset,
            allowed_hosts=allowed_hosts,
        )
        options.settings()
    except (TimestampError, InvalidError) as exc:
        raise click.ClickException(str(exc)) from None
    # A writer thread for waitress's lines; each granian worker starts its own (workers.py).
    logs.configure(log_format, quiet=quiet, writer=not workers)
    say = _sayer(log_format)
    if workers:
        logs.to_environment(log_format, quiet)  # each worker sets its own up the same
        _serve_workers(options, fixtures, host, port, workers, threads, say)
        return
    try:
        app = build_app(options, fixtures)
    except StoreUrlError as exc:
        raise StoreUnreachable(str(exc)) from None
    hold_stop_signals()
    try:
        server = MockServer(app, host, port, threads=threads, allowed_hosts=allowed_hosts)
    except (OSError, ValueError) as exc:  # waitress says ValueError for a host it cannot use
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise CannotListen(f"cannot listen on {host}:{port}: {reason}") from None
    shown = mock_of(app).fixtures  # a store's, when it had some
    received = server.serve_until_signalled(
        on_ready=lambda: _print_banner(
            server,
            shown,
            auth=not no_auth,
            guarded=bool(control_token),
            allow=callback_allow,
            isolated=bool(isolate),
            state=_state_line(app),
            fixtures_path=fixtures_path,
            token_file=server.token_file,
            say=say,
        )
    )
    if received is None:
        raise click.ClickException("the server loop ended on its own; see the log above")
    logs.flush_writer()
    say(f"campaign-mock stopped ({received.name})")


def _sayer(log_format: str) -> Callable[..., None]:
    """How `serve` prints its own lines (the banner, its stop) on stderr: as they are, or
    with --log-format json as one JSON object each, so every line of the log parses."""

    def say(text: str, **fields: object) -> None:
        click.echo(logs.json_line(text, **fields) if log_format == "json" else text, err=True)
        sys.stderr.flush()

    return say


@main.command()
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
def token(port: int) -> None:
    """Print the token of the mock serving on this machine at PORT.

    `?secrets=1` (the fixtures' passwords and API keys) needs it always. `serve` leaves it
    in a file only you can read, in $CAMPAIGN_MOCK_RUNTIME_DIR, else
    $XDG_RUNTIME_DIR/campaign-mock, else ~/.cache/campaign-mock/run; with
    --control-token, it is that token. Exit 7 when no mock left one for PORT.

    \b
    Examples:
      campaign-mock token
      curl -H "X-Mock-Token: $(campaign-mock token --port 8080)" \\
          'http://127.0.0.1:8080/_mock/fixtures?secrets=1'
    """
    found = token_for(port)
    if found is None:
        click.echo(
            f"campaign-mock: no mock serving on port {port} left a token in {runtime_dir()}",
            err=True,
        )
        sys.exit(EXIT_NO_TOKEN)
    click.echo(found)


@main.group()
def fixtures() -> None:
    """Show the built-in fixtures or check a fixtures file.

    \b
    Examples:
      campaign-mock fixtures show > my-fixtures.yaml
      campaign-mock fixtures check my-fixtures.yaml
      campaign-mock serve --fixtures my-fixtures.yaml
    """


@fixtures.command("show")
def fixtures_show() -> None:
    """Print the built-in fixtures as YAML, a starting point for your own."""
    click.echo(yaml.safe_dump(fixtures_to_document(default_fixtures()), sort_keys=False))


@fixtures.command("check")
@click.argument("path", type=click.Path(dir_okay=False))
def fixtures_check(path: str) -> None:
    """Validate a fixtures file; exit 3 with the problem, on one line, if it is bad."""
    loaded = _fixtures_or_exit(path)
    click.echo(
        f"{path}: ok ({len(loaded.accounts)} accounts, {len(loaded.domains)} domains, "
        f"{len(loaded.lists)} lists)"
    )


def _fixtures_or_exit(path: str | None) -> Fixtures:
    if path is None:
        return default_fixtures()
    try:
        return load_fixtures(path)
    except FixturesError as exc:
        raise FixturesRefused(str(exc)) from None


class CannotListen(click.ClickException):
    """Exit 5: an unknown host, a port in use or a port not allowed; one line, no traceback."""

    exit_code = EXIT_CANNOT_LISTEN


def _check_host(host: str, port: int) -> None:
    """A misspelt host is named as such, before the exposure check calls it "not loopback"."""
    try:
        socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        reason = f"unknown host ({exc.strerror})"
        raise CannotListen(f"cannot listen on {host}:{port}: {reason}") from None


class FixturesRefused(click.ClickException):
    """Exit 3, not 1: a refused file is told apart from a crash (a MemoryError exits 1)."""

    exit_code = 3


def _print_banner(
    server: MockServer,
    fixtures: Fixtures,
    *,
    auth: bool,
    guarded: bool,
    allow: tuple[str, ...],
    isolated: bool = False,
    state: str | None = None,
    fixtures_path: str | None = None,
    token_file: Path | None = None,
    say: Callable[..., None] | None = None,
) -> None:
    """What `serve` prints once it listens, on stderr: never a password, API key or token."""
    lines = [f"campaign-mock {__version__} serving on {' and '.join(server.urls)}"]
    if state:
        lines.append(state)
    if not is_loopback_host(server.host):
        lines.append(
            f"  warning: {server.host} can be reached from other machines; "
            + (
                "the control API (/_mock/) needs the control token"
                if guarded
                else "--insecure-control: anyone who can reach it can read, reset and "
                "rewrite this mock through /_mock/"
            )
        )
    if auth:
        lines += _account_lines(fixtures, fixtures_path, guarded=guarded, port=server.port)
        if fixtures.accounts:
            first = fixtures.accounts[0]
            # The built-in password is published (README, `fixtures show`); any other is
            # left for curl to ask for, so no secret reaches a terminal or a CI log.
            shown = (
                f"{first.username}:{first.password}"
                if fixtures == default_fixtures()
                else first.username
            )
            lines += _try_lines(f"curl -u {shown} ", server, fixtures)
    else:
        lines.append("  authentication is off (--no-auth)")
        lines += _try_lines("curl ", server, fixtures)
    if isolated:
        lines.append(
            "  isolated worlds: each account sees only its own campaigns (ids from 1); "
            "POST /_mock/reset with its credentials resets its world alone"
        )
    lines.append(
        f"  dashboard: {server.url}/ in a browser"
        + (" (open it once with ?token=<control token>)" if guarded else "")
    )
    lines.append(f"  the spec it serves: {server.url}/openapi.yaml (OpenAPI 3.1, no credentials)")
    lines.append(
        "  control API: /_mock/state, /_mock/reset, /_mock/requests, /_mock/clock, "
        "/_mock/deliveries, /_mock/settings, /_mock/store, /_mock/metrics (Prometheus)"
        + (" (token required: Authorization: Bearer or X-Mock-Token)" if guarded else "")
        + "; Ctrl-C stops"
    )
    if not guarded and token_file is not None:
        lines.append(
            f"  token for ?secrets=1: `campaign-mock token --port {server.port}` prints it "
            f"(from {token_file}, readable by you alone)"
        )
    elif not guarded:
        lines.append(
            f"  ?secrets=1 is refused: no token file could be written in {runtime_dir()}; "
            "start with --control-token to choose the token"
        )
    lines.append(
        "  callbacks: "
        + (f"only to {', '.join(allow)}" if allow else "anywhere but link-local and metadata")
        + ", never to this mock"
    )
    (say or _sayer("text"))("\n".join(lines), url=server.url)


#: Accounts the banner names; past it, a count (a team's mock may hold hundreds).
BANNER_ACCOUNTS = 5


def _account_lines(
    fixtures: Fixtures, fixtures_path: str | None, *, guarded: bool, port: int
) -> list[str]:
    """The accounts by name (a few, then a count) and where their secrets are, never the
    secrets: a banner lands in terminals, CI logs and screen shares."""
    names = [account.username for account in fixtures.accounts]
    if not names:
        return ["  accounts: none (every request is refused)"]
    listed = ", ".join(repr(name) for name in names[:BANNER_ACCOUNTS])
    if len(names) > BANNER_ACCOUNTS:
        listed += f" and {len(names) - BANNER_ACCOUNTS} more"
    if fixtures_path is not None:
        where = [str(fixtures_path)]
    elif fixtures == default_fixtures():
        where = ["`campaign-mock fixtures show` (the built-in fixtures)"]
    else:
        where = []
    where.append(
        "GET /_mock/fixtures?secrets=1 with the control token"
        if guarded
        else f"GET /_mock/fixtures?secrets=1 with the token `campaign-mock token --port {port}` "
        "prints"
    )
    told = " or ".join(where) if where else "the fixtures file this mock was first given"
    return [
        f"  accounts ({len(names)}): {listed}",
        f"    their passwords and API keys are not printed; see {told}",
    ]


def _state_line(app: Flask) -> str | None:
    """Where the state lives, when not in memory, and whether this instance found some."""
    held = mock_of(app).root
    if not isinstance(held, StoredWorld):
        return None
    found = len(held.campaigns())
    return (
        f"  state: {held.store.label} ({found} campaigns there, next id {held.next_id}; "
        "every instance on this store is the same mock)"
    )


def _serve_workers(
    options: ServeOptions,
    fixtures: Fixtures,
    host: str,
    port: int,
    workers: int,
    threads: int,
    say: Callable[..., None],
) -> None:
    """granian in `workers` processes; it takes SIGINT and SIGTERM itself."""
    try:
        # One line now, not one traceback per worker; the reset too, once for every worker.
        store = open_store(options.state, options.store_timeout, fresh=options.state_reset)
    except StoreUrlError as exc:
        raise StoreUnreachable(str(exc)) from None
    options = replace(options, state_reset=False)
    shown = options.state if store is None else store.label  # never a URL's password
    if store is not None:
        store.close()
    named = host
    host = first_address(host, port)  # granian binds one IP address, never a name
    if host != named:  # the name stays one the mock answers to (`Host`)
        options = replace(options, allowed_hosts=(*options.allowed_hosts, named))
    port = port or free_port(host)
    refused = check_listen(host, port)
    if refused is not None:
        raise CannotListen(f"cannot listen on {named}:{port}: {refused}")
    url = f"http://{url_host(host)}:{port}"
    one = "" if host == named else f" ({named}'s first address: granian binds one)"
    say(
        f"campaign-mock {__version__} serving on {url}{one} with granian, "
        f"{workers} worker process{'es' if workers > 1 else ''}, state: {shown}",
        url=url,
    )
    left = announce(url, port, options.secrets_token or "")
    if left is not None:
        say(f"  token for ?secrets=1: `campaign-mock token --port {port}` prints it")
    try:
        serve_workers(options, host, port, workers, threads)
    finally:
        if left is not None:
            withdraw(left)
    say("campaign-mock stopped")


def _refuse(message: str) -> NoReturn:
    click.echo(f"campaign-mock: {message}", err=True)
    sys.exit(2)


class StoreUnreachable(click.ClickException):
    """Exit 6: the --state store cannot be opened or reached; one line, no traceback."""

    exit_code = EXIT_STORE


def _try_lines(curl: str, server: MockServer, fixtures: Fixtures) -> list[str]:
    """A first request that works on this fresh mock: create a campaign (a GET of one would
    answer "does not exist"), with a bouncing domain and a list of the loaded fixtures."""
    domain = next((d.id for d in fixtures.domains if d.is_bouncing), None)
    if domain is None or not fixtures.lists:
        return []
    create = f"-d name=Hello -d domain={domain} -d list={fixtures.lists[0].id}"
    return [
        f"  try: {curl}{server.url}/campaign {create}",
        f"  then: {curl}{server.url}/campaign/1   # ids start at 1",
    ]
