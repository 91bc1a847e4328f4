"""`judge FILE`'s input: the proxy's recording or a HAR file, told apart by content."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from campaign_contract.observed.har import HarError, parse_har
from campaign_contract.observed.record import FORMAT, RecordError, read_record
from campaign_contract.transport.received import Received
from campaign_contract.transport.traffic import Seen


class TrafficFileError(ValueError):
    """A file that is neither a recording nor a HAR file; one line naming what is wrong."""


@dataclass(frozen=True, slots=True)
class Traffic:
    """Exchanges in completion order, the server they went to, and what was left out; a
    recording's callbacks (the server's, to the proxy's receiver at `receiver`) and the moment
    it ended."""

    kind: str
    origin: str
    seen: list[Seen]
    warnings: list[str] = field(default_factory=list)
    callbacks: list[Received] = field(default_factory=list)
    receiver: str = ""
    ended_at: float | None = None


def load_traffic(path: Path, origin: str | None = None) -> Traffic:
    """The recording (`{"format": "campaign-contract-record", ...}` on its first line) or the
    HAR file (a JSON object with `log.entries`) in `path`."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise TrafficFileError(f"{path}: cannot read it: {error.strerror}") from error
    first = data.lstrip()[:200].split(b"\n", 1)[0]
    if b'"format"' in first and FORMAT.encode() in first:
        try:
            recording = read_record(path)
        except RecordError as error:
            raise TrafficFileError(str(error)) from error
        warnings = []
        if recording.end is None:
            warnings.append(
                f"{path} has no end line: the proxy did not stop cleanly, exchanges in flight "
                "then are missing"
            )
        end = recording.end
        return Traffic(
            "recording",
            str(recording.header.get("to", "")),
            recording.seen,
            warnings,
            recording.callbacks,
            str(recording.header.get("receiver") or ""),
            float(end["at"]) if end is not None and isinstance(end.get("at"), float) else None,
        )
    try:
        har = parse_har(data, origin)
    except HarError as error:
        raise TrafficFileError(f"{path}: {error}") from error
    warning = har.left_out.warning()
    return Traffic("har", har.origin, har.seen, [warning] if warning else [])
