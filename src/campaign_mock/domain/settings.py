"""The simulation's knobs in one frozen dataclass, read from and shown as JSON-like mappings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, TypeVar

from campaign_mock.domain.errors import InvalidError
from campaign_mock.domain.reading import Fields, RecordError

D = TypeVar("D")

#: C-3: a callback is made at most this long after each event it reports.
MAX_REPORT_DELAY = 300.0
#: C-2: at most this many addresses per callback.
MAX_BATCH = 1000
#: C-4: failed callbacks are retried for at least this long.
MIN_RETRY_WINDOW = 3600.0
#: How a retry's backoff is drawn: the exponential delay itself, or uniformly below it.
RETRY_JITTERS = ("none", "full")


@dataclass(slots=True, frozen=True)
class ChannelRates:
    """Probabilities for one channel: bounce of all messages, open of delivered, click of opened."""

    bounce: float = 0.0
    open: float = 0.0
    click: float = 0.0


@dataclass(slots=True, frozen=True)
class DelayModel:
    """Mean delays in seconds, each drawn from an exponential distribution.

    `submitted` after the send, `final` (delivered or bounced) after `submitted` (after the
    send for SMS), `opened` after delivered, `clicked` after opened.
    """

    submitted: float = 2.0
    final: float = 20.0
    opened: float = 1800.0
    clicked: float = 120.0


@dataclass(slots=True, frozen=True)
class CallbackFaults:
    """Opt-in misbehaviour of the callback side, to prove a receiver copes (all off by default).

    `duplicate_rate`: share of acknowledged batches sent once more. `reorder`: batches that are
    due together go out in a shuffled order, and a lane no longer waits for its head.
    `extra_delay`: seconds added before a batch is first sent, capped so that it still goes out
    within 300 s of its earliest event unless `break_contract` is set.
    """

    duplicate_rate: float = 0.0
    reorder: bool = False
    extra_delay: float = 0.0
    break_contract: bool = False


@dataclass(slots=True, frozen=True)
class SimulationSettings:
    """Everything that shapes sending, outcomes and callback delivery.

    `start_delay` and `done_delay` (mock seconds) are readings CONTRACT.md leaves open: how
    long after `when` a READY campaign starts sending, and after its last final outcome a
    send ends in DONE. `retry_jitter` "full" draws each backoff uniformly below the
    exponential delay (AWS's "full jitter"), as many real senders do.
    """

    seed: int = 0
    send_rate: float = 1000.0
    start_delay: float = 0.0
    done_delay: float = 0.0
    email: ChannelRates = ChannelRates(bounce=0.05, open=0.4, click=0.25)
    sms: ChannelRates = ChannelRates(bounce=0.03)
    delays: DelayModel = DelayModel()
    magic_addresses: bool = True
    window: float = 60.0
    batch_size: int = MAX_BATCH
    retry_initial: float = 30.0
    retry_factor: float = 2.0
    retry_max_interval: float = 900.0
    retry_jitter: str = "none"
    retry_window: float = MIN_RETRY_WINDOW
    timeout: float = 10.0
    workers: int = 4
    faults: CallbackFaults = field(default_factory=CallbackFaults)

    def to_wire(self) -> dict[str, object]:
        return _to_wire(self)

    def updated(self, document: object) -> SimulationSettings:
        """A copy with the fields `document` names changed; nested objects may be partial.

        Raises `InvalidError` naming each bad field; nothing changes then.
        """
        errors: dict[str, list[str]] = {}
        result = _merge(self, document, "", errors)
        _check_limits(result, errors)
        if errors:
            raise InvalidError.from_fields(errors)
        assert isinstance(result, SimulationSettings)
        return result

    def backoff(self, attempt: int, draw: float = 1.0) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based), on the mock's clock;
        with full jitter, `draw` (in [0, 1)) scales it."""
        delay = self.retry_initial * self.retry_factor ** (attempt - 1)
        delay = min(delay, self.retry_max_interval)
        return float(delay * draw if self.retry_jitter == "full" else delay)


def settings_to_record(settings: SimulationSettings) -> dict[str, object]:
    """Plain data for a store: the wire form, every field named."""
    return settings.to_wire()


def settings_from_record(value: object, where: str = "settings") -> SimulationSettings:
    """Every field, of its type, within the limits `updated` keeps (RecordError if not)."""
    settings = _flat(SimulationSettings, Fields(value, where))
    errors: dict[str, list[str]] = {}
    _check_limits(settings, errors)
    if errors:
        text = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in errors.items())
        raise RecordError(f"{where}: {text}")
    return settings


def _flat(kind: type[D], record: Fields) -> D:
    """Builds dataclass `kind` from a record naming each of its fields with a value of the
    type its default has (so an int where a float is due is taken, a str for a bool is not)."""
    values: dict[str, object] = {}
    defaults = kind()
    for spec in fields(kind):  # type: ignore[arg-type]  # a dataclass, by construction
        name = spec.name
        default = getattr(defaults, name)
        if name in _NESTED_RECORDS:
            values[name] = _flat(_NESTED_RECORDS[name], record.obj(name))
        elif isinstance(default, bool):
            values[name] = record.flag(name)
        elif isinstance(default, int):
            values[name] = record.integer(name)
        elif isinstance(default, float):
            values[name] = record.number(name)
        else:
            values[name] = record.text(name)
    return kind(**values)


#: The nested settings objects, by the field that holds each.
_NESTED_RECORDS: dict[str, type[Any]] = {
    "email": ChannelRates,
    "sms": ChannelRates,
    "delays": DelayModel,
    "faults": CallbackFaults,
}


def _to_wire(value: object) -> dict[str, object]:
    wire: dict[str, object] = {}
    for spec in fields(value):  # type: ignore[arg-type]
        item = getattr(value, spec.name)
        wire[spec.name] = _to_wire(item) if hasattr(item, "__dataclass_fields__") else item
    return wire


def _merge(current: Any, document: object, prefix: str, errors: dict[str, list[str]]) -> Any:
    if not isinstance(document, Mapping):
        errors[prefix or "settings"] = ["must be a JSON object"]
        return current
    known = {spec.name: spec for spec in fields(current)}
    changes: dict[str, Any] = {}
    for key, raw in document.items():
        name = f"{prefix}{key}"
        if key not in known:
            errors[name] = ["is not a setting"]
            continue
        old = getattr(current, key)
        if hasattr(old, "__dataclass_fields__"):
            changes[key] = _merge(old, raw, f"{name}.", errors)
        elif isinstance(old, bool):
            if isinstance(raw, bool):
                changes[key] = raw
            else:
                errors[name] = ["must be true or false"]
        elif isinstance(old, str):
            if isinstance(raw, str):
                changes[key] = raw
            else:
                errors[name] = ["must be a string"]
        elif isinstance(old, int):
            if isinstance(raw, int) and not isinstance(raw, bool):
                changes[key] = raw
            else:
                errors[name] = ["must be an integer"]
        elif isinstance(raw, int | float) and not isinstance(raw, bool):
            changes[key] = float(raw)
        else:
            errors[name] = ["must be a number"]
    return replace(current, **changes)


def _check_limits(settings: SimulationSettings, errors: dict[str, list[str]]) -> None:
    def need(ok: bool, name: str, message: str) -> None:
        if not ok:
            errors.setdefault(name, []).append(message)

    for channel in ("email", "sms"):
        rates: ChannelRates = getattr(settings, channel)
        for rate in ("bounce", "open", "click"):
            value = getattr(rates, rate)
            need(0.0 <= value <= 1.0, f"{channel}.{rate}", "must be between 0 and 1")
    for name in ("submitted", "final", "opened", "clicked"):
        need(getattr(settings.delays, name) >= 0, f"delays.{name}", "must not be negative")
    need(settings.seed >= 0, "seed", "must not be negative")
    need(settings.send_rate > 0, "send_rate", "must be positive")
    need(0 < settings.window <= MAX_REPORT_DELAY, "window", "must be in (0, 300] seconds (C-3)")
    need(1 <= settings.batch_size <= MAX_BATCH, "batch_size", "must be 1 to 1000 (C-2)")
    need(settings.retry_initial > 0, "retry_initial", "must be positive")
    need(settings.retry_factor >= 1, "retry_factor", "must be at least 1")
    need(settings.retry_jitter in RETRY_JITTERS, "retry_jitter", "must be none or full")
    need(settings.start_delay >= 0, "start_delay", "must not be negative")
    need(settings.done_delay >= 0, "done_delay", "must not be negative")
    need(settings.retry_max_interval > 0, "retry_max_interval", "must be positive")
    need(
        settings.retry_window >= MIN_RETRY_WINDOW or settings.faults.break_contract,
        "retry_window",
        "must be at least 3600 seconds (C-4) unless faults.break_contract is set",
    )
    need(0 < settings.timeout <= 10, "timeout", "must be in (0, 10] seconds (C-4)")
    need(1 <= settings.workers <= 64, "workers", "must be 1 to 64")
    faults = settings.faults
    need(0.0 <= faults.duplicate_rate <= 1.0, "faults.duplicate_rate", "must be between 0 and 1")
    need(faults.extra_delay >= 0, "faults.extra_delay", "must not be negative")
