"""`campaign-mock serve --workers N`: granian runs N processes, each this module's app.

granian imports `app_from_environment` in every worker process (`factory=True`), so each
builds its own mock from the options the CLI left in `OPTIONS_VARIABLE`, joins the shared
store, and starts its own ticker and callback workers; the store's lease makes one of them
send (store/shared.py).
"""

from __future__ import annotations

import os
import signal
import socket

from flask import Flask

from campaign_mock.assembly import ServeOptions, build_app
from campaign_mock.delivery import policy
from campaign_mock.http.context import mock_of
from campaign_mock.http.hosts import answer_only_to
from campaign_mock.serving import logs
from campaign_mock.serving.background import Background

#: Where the CLI leaves the options for the workers (JSON of `ServeOptions`).
OPTIONS_VARIABLE = "CAMPAIGN_MOCK_WORKER_OPTIONS"
#: Where it leaves the address they all listen on (`host:port`), for delivery/policy.py.
ADDRESS_VARIABLE = "CAMPAIGN_MOCK_WORKER_ADDRESS"


#: Real seconds granian's main process waits for a worker told to stop before it kills it.
WORKER_STOP_SECONDS = 10


def app_from_environment() -> Flask:
    """granian's factory: one worker's mock.

    granian runs it before the worker sets its own stop signals, with the handlers the
    forked main process left, which only flag the main process's loop: a SIGTERM or SIGINT
    while the mock is built would be lost, and the worker would wait for ever. Until granian
    sets its own, either signal ends the worker at once (it has answered nothing yet).
    """
    for stop in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop, signal.SIG_DFL)
    logs.configure_from_environment()  # the log on stderr, as `serve` was told
    options = ServeOptions.from_json(os.environ[OPTIONS_VARIABLE])
    host, _, port = os.environ[ADDRESS_VARIABLE].rpartition(":")
    app = build_app(options)
    answer_only_to(app, host, options.allowed_hosts)
    policy.serving(host, int(port))  # no callback of this mock may come back to it,
    mock_of(app).listening(host, int(port))  # nor of another instance on its store
    Background(app).start()
    return app


def serve_workers(options: ServeOptions, host: str, port: int, workers: int, threads: int) -> None:
    """Serves until granian is stopped (SIGINT, SIGTERM); blocks."""
    from granian import Granian
    from granian.constants import Interfaces

    os.environ[OPTIONS_VARIABLE] = options.to_json()
    os.environ[ADDRESS_VARIABLE] = f"{host}:{port}"
    Granian(
        f"{__name__}:app_from_environment",
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=workers,
        blocking_threads=threads,
        factory=True,
        log_enabled=False,
        respawn_failed_workers=True,
        workers_kill_timeout=WORKER_STOP_SECONDS,  # a stop never waits for ever
    ).serve()


def free_port(host: str) -> int:
    """A port granian can be given for `--port 0` (it must be told one number for all)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def check_listen(host: str, port: int) -> str | None:
    """Why granian could not listen there, or None: said before the workers start."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            return exc.strerror or str(exc)
    return None
