"""The signals that stop `campaign-mock serve`, and the threads that must not take them.

Apart from serving/server.py, so that a granian worker's log writer (serving/logs.py) blocks
them without loading waitress.
"""

from __future__ import annotations

import signal

STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})


def hold_stop_signals() -> None:
    """Blocks SIGINT and SIGTERM here and in every thread started later (waitress starts its
    workers in `create_server`), so that `MockServer.serve_until_signalled` takes them.

    Taken synchronously with `sigtimedwait`, never by a Python handler: a handler that takes a
    lock deadlocks when a second signal interrupts it, and `make serve` gets two SIGTERMs at
    once (the process group's, then the one make forwards). They stay blocked: the process is
    on its way out, and a repeated Ctrl-C must not cut its shutdown short.
    """
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
