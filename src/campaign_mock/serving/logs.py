"""What `campaign-mock serve` writes on stderr as it serves: one line per request and per
callback attempt (the `campaign_mock.*` loggers: http/logged.py, delivery/dispatcher.py).

Text for people, coloured only when stderr is a terminal and `NO_COLOR` is unset; or JSON,
one object per line with the same fields. `quiet` keeps warnings and errors only. Set up
once per process: the CLI's, and each granian worker's (serving/workers.py).
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import queue
import signal
import sys
import time
from datetime import UTC, datetime
from logging.handlers import QueueHandler, QueueListener
from typing import Any, TextIO

from campaign_mock.serving.signals import STOP_SIGNALS

#: The loggers every line of the mock comes from.
ROOT = "campaign_mock"
FORMATS = ("text", "json")
#: Where a granian worker finds the CLI's choice (`text` or `json`, then `:quiet`).
LOG_VARIABLE = "CAMPAIGN_MOCK_LOG"

_RESET = "\033[0m"
_DIM = "\033[2m"
_BOLD = "\033[1m"
_GREEN = "\033[32m"
_YELLOW = "\033[33m"
_RED = "\033[31m"
_CYAN = "\033[36m"


#: Lines a request's thread may be ahead of the writer: past it, the thread waits for the
#: writer (memory stays bounded however fast requests come; about 1 KiB a line queued).
QUEUED_LINES = 4096
#: Lines written with one write to the stream, at most.
BATCH_LINES = 512
#: Seconds the writer lets lines gather once the first arrives after a lull: it wakes about
#: a hundred times a second under load, not once per request (each wake takes the
#: interpreter from a request).
GATHER = 0.01


class _Handoff(QueueHandler):
    """Queues each record as it was made: the writer's thread formats it (the queue is in this
    process, so nothing needs pickling, and a JSON line keeps its `exception` field). A full
    queue makes the request's thread wait: the writer's pace is the server's."""

    def __init__(self, lines: queue.Queue[Any]) -> None:
        super().__init__(lines)
        self._lines = lines

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        return record

    def enqueue(self, record: logging.LogRecord) -> None:
        self._lines.put(record)


class _Batches(logging.Handler):
    """Formats each line into a batch, written to the stream with one write: a write per
    line handed the GIL away per line, and the writer, waiting for it behind busy request
    threads each time, fell behind (`serve --workers 1`: 33,000 lines written of 95,000
    requests answered in 20 s; the worker grew about 1 KiB per line queued)."""

    def __init__(self, stream: TextIO, formatter: logging.Formatter) -> None:
        super().__init__()
        self.stream = stream
        self.setFormatter(formatter)
        self._lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._lines.append(self.format(record))
        except Exception:
            self.handleError(record)
        if len(self._lines) >= BATCH_LINES:
            self.flush()

    def flush(self) -> None:
        if not self._lines:
            return
        text, self._lines = "\n".join(self._lines) + "\n", []
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # stderr closed or gone: the lines are dropped
            pass


class _Writer(QueueListener):
    """The writer's thread: it writes its batch whenever the queue runs dry (so a line waits
    only while more are coming) and before it stops."""

    #: What `stop()` queues to end the thread (QueueListener's own, which its loop looks for).
    END: Any = QueueListener._sentinel  # type: ignore[attr-defined]

    def __init__(self, lines: queue.Queue[Any], batches: _Batches) -> None:
        super().__init__(lines, batches)
        self._lines = lines
        self._batches = batches

    def dequeue(self, block: bool) -> Any:
        try:
            record = self._lines.get_nowait()
        except queue.Empty:
            self._batches.flush()
            record = self._lines.get(block)
            if record is not self.END:
                time.sleep(GATHER)
        if record is self.END:
            self._batches.flush()
        return record

    def enqueue_sentinel(self) -> None:
        self._lines.put(self.END)  # a full queue: waits, as every other line does


#: The thread that formats and writes the lines of `configure(..., writer=True)`.
_writer: _Writer | None = None


def configure(
    log_format: str = "text",
    *,
    quiet: bool = False,
    stream: TextIO | None = None,
    writer: bool = False,
) -> None:
    """Every `campaign_mock.*` line goes to `stream` (stderr), in `log_format`.

    `writer`: a thread of its own formats and writes the lines, in batches; a request's
    thread only queues its line, and waits once QUEUED_LINES are queued. Eight waitress
    threads writing their own lines queued on the handler's lock and the GIL around each
    write: `serve` answered 510-690 GETs a second against 2,700-2,800 with `--quiet`, and
    2,350 with the writer (wrk, 32 connections).
    """
    global _writer
    out = stream or sys.stderr
    formatter: logging.Formatter = (
        JsonFormatter() if log_format == "json" else TextFormatter(colour=wants_colour(out))
    )
    logger = logging.getLogger(ROOT)
    for old in list(logger.handlers):
        logger.removeHandler(old)
    stop_writer()
    if writer:
        lines: queue.Queue[Any] = queue.Queue(QUEUED_LINES)
        _writer = _Writer(lines, _Batches(out, formatter))
        _start(_writer)
        atexit.unregister(stop_writer)  # once, however often this is called
        atexit.register(stop_writer)  # lines queued as the process ends are written too
        logger.addHandler(_Handoff(lines))
    else:
        handler = logging.StreamHandler(out)
        handler.setFormatter(formatter)
        logger.addHandler(handler)
    logger.setLevel(logging.WARNING if quiet else logging.INFO)
    logger.propagate = False  # one line each, whatever the root logger has


def flush_writer() -> None:
    """Every line queued so far is written before this returns (`serve` calls it before its
    own last line, so that line stays last)."""
    if _writer is not None:
        _writer.stop()  # writes what is queued, then ends its thread
        _start(_writer)


def _start(writer: _Writer) -> None:
    """Starts the writer's thread with SIGINT and SIGTERM blocked in it: a stop signal is the
    main thread's to take (serving/signals.py `hold_stop_signals`), and one delivered to a
    thread that has them unblocked ends the process with no clean stop."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        writer.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def stop_writer() -> None:
    """Writes what is queued and ends the writer's thread."""
    global _writer
    if _writer is not None:
        _writer.stop()
        _writer = None


def configure_from_environment() -> None:
    """A granian worker's logging, as the CLI chose it (`LOG_VARIABLE`), with a writer thread
    as `serve`'s own: with its blocking threads writing their own lines, `serve --workers 1`
    answered 3,176-3,506 GETs a second against 4,864-4,946 with the writer (wrk, 32
    connections); that writer wrote a line at a time and fell behind (its queue grew), the
    batched one kept every line written as it went at 4,924-5,402.

    A worker is a `multiprocessing` process, which ends with `os._exit` and runs no `atexit`
    handler: its finalizers write what is queued instead."""
    chosen = os.environ.get(LOG_VARIABLE)
    if chosen is None:
        return
    log_format, _, quiet = chosen.partition(":")
    configure(log_format, quiet=quiet == "quiet", writer=True)
    from multiprocessing import util  # granian has loaded it in its worker already

    util.Finalize(None, stop_writer, exitpriority=0)


def to_environment(log_format: str, quiet: bool) -> None:
    os.environ[LOG_VARIABLE] = f"{log_format}{':quiet' if quiet else ''}"


def wants_colour(stream: TextIO) -> bool:
    """Colour on a terminal only, and never with `NO_COLOR` set (no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _time(record: logging.LogRecord) -> datetime:
    return datetime.fromtimestamp(record.created, UTC)


#: The last whole second a text line named, and how: `strftime` once a second, not per line
#: (it was a quarter of a line's cost, and the server writes a line per request).
_second: tuple[int, str] = (-1, "")


def _clock(created: float) -> str:
    """`created` (Unix seconds) as `HH:MM:SS.mmm`, UTC."""
    global _second
    whole = int(created)
    seen, text = _second
    if whole != seen:
        text = time.strftime("%H:%M:%S", time.gmtime(whole))
        _second = (whole, text)
    return f"{text}.{int((created - whole) * 1000):03d}"


class TextFormatter(logging.Formatter):
    """`10:42:07.123 GET /campaign/1 200 (1.2 ms, demo)`, the status coloured by class."""

    def __init__(self, *, colour: bool) -> None:
        super().__init__()
        self.colour = colour

    def format(self, record: logging.LogRecord) -> str:
        stamp = _clock(record.created)
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + self.formatException(record.exc_info)
        if not self.colour:
            return f"{stamp} {message}"
        fields: dict[str, Any] | None = getattr(record, "exchange", None)
        tint = _tint(record, fields)
        return f"{_DIM}{stamp}{_RESET} {tint}{message}{_RESET}"


def _tint(record: logging.LogRecord, fields: dict[str, Any] | None) -> str:
    if record.levelno >= logging.ERROR:
        return _RED + _BOLD
    if record.levelno >= logging.WARNING:
        return _YELLOW
    if fields is None:
        return ""
    status = fields.get("status")
    if record.levelno <= logging.DEBUG:
        return _DIM
    if status is None or status >= 500:
        return _RED
    if status >= 400 or fields.get("code") or fields.get("outcome") not in (None, "acknowledged"):
        return _YELLOW
    return _GREEN if "url" in fields else _CYAN


class JsonFormatter(logging.Formatter):
    """One JSON object per line: `time` (UTC, ISO 8601), `level`, `logger`, `pid`, `message`, and
    the line's own fields (a request's `method`, `path`, `status`, `code`, `ms`, `account`;
    a callback attempt's `campaign`, `event`, `channel`, `url`, `status`, `error`,
    `latency_ms`, `retry_at`...)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": _time(record).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "pid": record.process,  # which process of `--workers N` wrote it
            "message": record.getMessage(),
        }
        fields: dict[str, Any] | None = getattr(record, "exchange", None)
        if fields:
            line.update(fields)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def json_line(message: str, **fields: object) -> str:
    """A line `serve` prints itself (its banner, its stop) as the JSON log has them."""
    record = logging.makeLogRecord(
        {
            "name": f"{ROOT}.serve",
            "levelno": logging.INFO,
            "levelname": "INFO",
            "msg": message,
            "exchange": fields,
        }
    )
    return JsonFormatter().format(record)
