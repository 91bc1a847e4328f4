"""One log line per request the mock answered: time, method, path, status, the envelope's
`code` when it failed, milliseconds and account (serving/logs.py formats it for the
terminal or as JSON; the pytest plugin routes it into pytest's captured log).

Three loggers, so each can be quieted on its own: `campaign_mock.requests` for the API,
`campaign_mock.control` for `/_mock/`, `campaign_mock.dashboard` for the pages and their
assets, at DEBUG: they poll every second and are not API traffic. The path is logged
without its query string, which may hold a password (`/login/?password=`)."""

from __future__ import annotations

import logging

requests_log = logging.getLogger("campaign_mock.requests")
control_log = logging.getLogger("campaign_mock.control")
dashboard_log = logging.getLogger("campaign_mock.dashboard")


def log_request(
    logger: logging.Logger,
    level: int,
    *,
    method: str,
    path: str,
    status: int,
    code: str | None,
    ms: float,
    account: str | None,
) -> None:
    """The request's line for `logger`, which shows `level` (the caller asked, before
    gathering the fields): `fields` for a formatter, and a message that reads alone
    (pytest's captured log shows the message)."""
    message = (
        f"{method} {path} {status}{f' {code}' if code else ''} "
        f"({ms:.1f} ms, {account or 'no account'})"
    )
    fields = {
        "method": method,
        "path": path,
        "status": status,
        "code": code,
        "ms": ms,
        "account": account,
    }
    # The record made directly: `logger.log` would walk the stack for the caller's file and
    # line, which no line shows, at a third of the line's cost.
    record = logger.makeRecord(
        logger.name, level, __file__, 0, message, (), None, extra={"exchange": fields}
    )
    logger.handle(record)
