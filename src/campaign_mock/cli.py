"""`campaign-mock`: serve the mock, or check and show fixtures."""

from __future__ import annotations

import signal
import sys
from types import FrameType

import click
import yaml

from . import __version__
from .domain.errors import FixturesError
from .domain.models import Fixtures
from .fixtureset import default_fixtures, fixtures_to_document, load_fixtures
from .http import create_app
from .server import DEFAULT_THREADS, MockServer

_SERVE_EXAMPLES = """
\b
Examples:
  campaign-mock serve                          # built-in fixtures on :8080
  campaign-mock serve --port 9000 --no-auth
  campaign-mock serve --fixtures my-fixtures.yaml --threads 16
\b
Then:
  curl -u demo:demo-password http://127.0.0.1:8080/campaign/1
"""


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
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
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
def serve(
    host: str,
    port: int,
    fixtures_path: str | None,
    no_auth: bool,
    threads: int,
    journal_size: int,
) -> None:
    """Serve the mock until Ctrl-C or SIGTERM."""
    fixtures = _fixtures_or_exit(fixtures_path)
    app = create_app(fixtures, auth=not no_auth, journal_size=journal_size)
    try:
        server = MockServer(app, host, port, threads=threads)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    _stop_on_signals(server)
    _print_banner(server, fixtures, auth=not no_auth)
    server.serve_forever()
    click.echo("campaign-mock stopped", err=True)


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
    """Validate a fixtures file; exit 1 with the problem if it is bad."""
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
        raise click.ClickException(str(exc)) from None


def _stop_on_signals(server: MockServer) -> None:
    def handle(signum: int, frame: FrameType | None) -> None:
        server.request_stop()

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)


def _print_banner(server: MockServer, fixtures: Fixtures, *, auth: bool) -> None:
    lines = [f"campaign-mock {__version__} serving on {server.url}"]
    if auth:
        for account in fixtures.accounts:
            keys = ", ".join(account.api_keys) or "(none)"
            lines.append(
                f"  account {account.username!r}: password {account.password!r}, API keys: {keys}"
            )
        if fixtures.accounts:
            first = fixtures.accounts[0]
            lines.append(
                f"  try: curl -u {first.username}:{first.password} {server.url}/campaign/1"
            )
    else:
        lines.append("  authentication is off (--no-auth)")
    lines.append("  control API: /_mock/state, /_mock/reset, /_mock/requests; Ctrl-C stops")
    click.echo("\n".join(lines), err=True)
    sys.stderr.flush()
