"""Launch targets: `servers:app` (the mock) for gunicorn and granian, and a waitress runner."""

from __future__ import annotations

import argparse

import bare_app
from flask import Flask

from campaign_mock import create_app
from campaign_mock.serving.server import DEFAULT_THREADS, MockServer
from campaign_mock.serving.signals import hold_stop_signals


def start_background(served: Flask) -> None:
    """Starts what MockServer runs beside waitress (the simulation's ticker, callback workers).

    It goes through MockServer itself, whose waitress socket is bound to a spare port and never
    served, so gunicorn and granian carry exactly the background load `campaign-mock serve`
    does, whatever that becomes.
    """
    MockServer(served, "127.0.0.1", 0).start_background()


# Import-string servers (gunicorn, granian) load `servers:app` or `bare_app:app`: one process,
# one app, one CampaignBackend shared by all of the worker's threads, as `campaign-mock serve`.
# Both import it in their worker process, so the background threads start there.
app = create_app()
if __name__ != "__main__":
    start_background(app)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description="Serve the mock or the bare app on waitress exactly as `campaign-mock serve` "
        "does (campaign_mock.serving.server.MockServer).",
        epilog="examples:\n"
        "  .venv/bin/python bench/servers.py bare --port 9001\n"
        "  .venv/bin/python bench/servers.py mock --port 9002 --threads 16",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("which", choices=["mock", "bare"], help="which app to serve")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS)
    args = parser.parse_args(argv)
    served: Flask = app if args.which == "mock" else bare_app.app
    hold_stop_signals()
    server = MockServer(served, args.host, args.port, threads=args.threads)
    server.serve_until_signalled()


if __name__ == "__main__":
    main()
