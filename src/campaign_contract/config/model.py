"""The suite's YAML configuration: target, credentials, test fixtures, limits."""

from __future__ import annotations

import csv
import difflib
import ipaddress
import math
import os
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from campaign_contract.config.envvars import UnsetVariableError, substitute

AuthMethod = Literal["basic", "session", "none"]
PAYLOADS = ("email", "sms")
#: A relative `ledger` is under the run's work directory (`campaign-contract run --work-dir`).
DEFAULT_LEDGER = "ledger.json"
DEFAULT_CALLBACK_PORT = 8765
#: Contacts one `{pattern, count}` or CSV file may describe (the config holds each in memory).
MAX_GENERATED = 100_000


class ConfigError(ValueError):
    """A configuration problem, told in one line that names the key."""

    def __init__(self, key: str, message: str, source: str = "config") -> None:
        self.key = key
        self.source = source
        self.detail = " ".join(message.split())
        super().__init__(f"{source}: {key}: {self.detail}")


@dataclass(frozen=True, slots=True)
class AuthConfig:
    method: AuthMethod = "none"
    username: str = ""
    password: str = ""
    api_key: str | None = None

    @property
    def secrets(self) -> frozenset[str]:
        """The configured password and API key: what no report, line or recording shows."""
        return frozenset(s for s in (self.password, self.api_key) if s)


#: Events a test contact may be known to cause (config `engages`): Email only (E-1).
ENGAGEMENTS = ("opened", "clicked")


@dataclass(frozen=True, slots=True)
class Contact:
    email: str | None = None
    telephone: str | None = None
    #: Events known to happen for this contact's Email message (`engages`), e.g. a sandbox
    #: mailbox that always opens and clicks: their absence is then evidence (C-1, M-4).
    engages: tuple[str, ...] = ()

    @property
    def address(self) -> str:
        """The contact's key in segment member lists: its email, else its telephone."""
        return self.email or self.telephone or ""


@dataclass(frozen=True, slots=True)
class Segment:
    id: int
    name: str = ""
    members: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ContactList:
    id: int
    name: str = ""
    contacts: tuple[Contact, ...] = ()
    segments: tuple[Segment, ...] = ()


@dataclass(frozen=True, slots=True)
class Domains:
    bouncing: int
    non_bouncing: int | None = None


@dataclass(frozen=True, slots=True)
class CallbackConfig:
    listen_host: str = "127.0.0.1"
    listen_port: int = DEFAULT_CALLBACK_PORT
    #: The URL the target must call; None when the target cannot reach this machine.
    public_url: str | None = None
    #: Where the target's callbacks may come from besides the addresses its host resolves to
    #: (CIDRs or host names); a callback from anywhere else is answered 403 and not judged.
    sources: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Limits:
    callback_wait: float = 330.0
    request_timeout: float = 10.0
    #: Requests per second; 0 means no limit.
    rate_limit: float = 10.0
    cleanup_wait: float = 120.0
    #: Seconds to wait for a server to move READY on to SENDING and end the send (M-4).
    send_wait: float = 120.0
    #: Seconds the server's clock may be off this machine's, and callbacks in transit (C-3).
    clock_skew: float = 30.0
    #: Server seconds per real second: 1 for a real server, N for `campaign-mock serve --speed N`.
    clock_speed: float = 1.0
    #: Real seconds a sped-up server's clock may fall behind `clock_speed` over a run (a
    #: starved machine: a mock's brake, a receiver reading late). C-3's lateness allows
    #: `clock_lag * clock_speed` server seconds more; nothing else reads it.
    clock_lag: float = 0.0
    #: Server seconds one send's receiver stays down (C-4: no event lost, backoff grows; M-4:
    #: DONE is not held). At least four refused retries are waited for too; 0 skips it.
    callback_outage: float = 90.0
    #: Seconds to open a connection; a target that takes longer is unreachable.
    connect_timeout: float = 5.0
    #: Seconds the whole run may take; checks not started by then are not exercised.
    run_deadline: float = 3600.0
    #: The run ends early once this many requests in a row got no answer within
    #: request_timeout (a server that went silent); 0 never ends it so.
    silent_requests: int = 3

    @property
    def lag_seconds(self) -> float:
        """`clock_lag` in server seconds: what C-3's lateness forgives beyond `clock_skew`."""
        return self.clock_lag * self.clock_speed


def slack_said(skew: float, lag: float) -> str:
    """C-3's slack beyond its 300 s as the config names it (`lag` in server seconds), for
    the judge's failures and the report alike."""
    said = f"limits.clock_skew {skew:g} s"
    return f"{said} + limits.clock_lag at clock_speed {lag:g} s" if lag else said


@dataclass(frozen=True, slots=True)
class Config:
    auth: AuthConfig
    domains: Domains
    lists: tuple[ContactList, ...]
    base_url: str | None = None
    empty_list: int | None = None
    #: A list the target's sends are known to end in ERROR on (M-4, M-5); never a test list.
    error_list: int | None = None
    payloads: tuple[str, ...] = PAYLOADS
    callbacks: CallbackConfig = field(default_factory=CallbackConfig)
    limits: Limits = field(default_factory=Limits)
    ledger: str = DEFAULT_LEDGER
    source: str = "config"


class _Node:
    """A mapping in the YAML document, read with its dotted key for error messages."""

    def __init__(self, data: Any, key: str, source: str, environ: Mapping[str, str]) -> None:
        if not isinstance(data, dict):
            raise ConfigError(
                key or "(top level)", f"expected a mapping, got {_kind(data)}", source
            )
        self.data = data
        self.key = key
        self.source = source
        self.environ = environ

    def path(self, name: str | int) -> str:
        if isinstance(name, int):
            return f"{self.key}[{name}]"
        return f"{self.key}.{name}" if self.key else name

    def error(self, name: str | int, message: str) -> ConfigError:
        return ConfigError(self.path(name), message, self.source)

    def allow(self, *names: str) -> None:
        for name in self.data:
            if name not in names:
                hint = difflib.get_close_matches(str(name), names, n=1)
                tip = f" (did you mean {hint[0]!r}?)" if hint else ""
                raise self.error(str(name), f"unknown key{tip}; known keys: {', '.join(names)}")

    def raw(self, name: str) -> Any:
        value = self.data.get(name)
        if isinstance(value, str):
            try:
                value = substitute(value, self.environ)
            except UnsetVariableError as error:
                raise self.error(name, str(error)) from None
        return value

    def child(self, name: str, required: bool = True) -> _Node | None:
        if self.data.get(name) is None:
            if required:
                raise self.error(name, "is required")
            return None
        return _Node(self.data[name], self.path(name), self.source, self.environ)

    def text(self, name: str, default: str | None = None, required: bool = False) -> str | None:
        value = self.raw(name)
        if value is None or value == "":
            if required:
                raise self.error(name, "is required")
            return default
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise self.error(name, f"expected a text, got {_kind(value)}")
        return str(value)

    def integer(self, name: str, required: bool = False, minimum: int = 1) -> int | None:
        value = self.raw(name)
        if value is None or value == "":
            if required:
                raise self.error(name, "is required")
            return None
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            raise self.error(name, f"expected an integer >= {minimum}, got {value!r}")
        return value

    def number(self, name: str, default: float, minimum: float = 0.0) -> float:
        value = self.raw(name)
        if value is None or value == "":
            return default
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise self.error(name, f"expected a number, got {value!r}") from None
        # NaN passes every comparison (a C-3 allowance of NaN would fail nothing), and an
        # infinite wait never ends: both are refused like any other number out of range.
        if isinstance(value, bool) or not math.isfinite(number) or number < minimum:
            raise self.error(name, f"expected a finite number >= {minimum:g}, got {value!r}")
        return number

    def items(self, name: str, required: bool = False) -> list[tuple[str, Any]]:
        value = self.data.get(name)
        if value is None:
            if required:
                raise self.error(name, "is required")
            return []
        if not isinstance(value, list):
            raise self.error(name, f"expected a list, got {_kind(value)}")
        return [(f"{self.path(name)}[{i}]", item) for i, item in enumerate(value)]

    def node(self, key: str, value: Any) -> _Node:
        return _Node(value, key, self.source, self.environ)


def _kind(value: Any) -> str:
    return "nothing" if value is None else f"{type(value).__name__} {value!r}"[:60]


def _or(value: int | None, default: int) -> int:
    return default if value is None else value


def _sources(node: _Node) -> tuple[str, ...]:
    """`callbacks.sources`: CIDRs (`10.0.0.0/8`), addresses or host names, checked here."""
    found = []
    for key, value in node.items("sources"):
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(key, f"expected a CIDR, an address or a host, got {value!r}",
                              node.source)  # fmt: skip
        text = value.strip()
        if "/" in text:
            try:
                ipaddress.ip_network(text, strict=False)
            except ValueError:
                raise ConfigError(key, f"not a CIDR: {text!r}", node.source) from None
        found.append(text)
    return tuple(found)


def _port(listen: _Node | None) -> int:
    if listen is None:
        return DEFAULT_CALLBACK_PORT
    port = listen.integer("port", minimum=0)
    if port is not None and port > 65535:
        raise listen.error("port", f"expected a port number up to 65535, got {port}")
    return DEFAULT_CALLBACK_PORT if port is None else port


def _auth(top: _Node) -> AuthConfig:
    # Required: a forgotten block must not silently mean "no credentials" and blame the server.
    node = top.child("auth")
    assert node is not None
    node.allow("method", "username", "password", "api_key")
    method = node.text("method", default="basic")
    if method == "none":
        return AuthConfig()
    methods: dict[str | None, AuthMethod] = {"basic": "basic", "session": "session"}
    if method not in methods:
        raise node.error("method", f"expected basic, session or none, got {method!r}")
    return AuthConfig(
        method=methods[method],
        username=node.text("username", required=True) or "",
        password=node.text("password", required=True) or "",
        api_key=node.text("api_key"),
    )


def _contact(node: _Node) -> Contact:
    node.allow("email", "telephone", "engages")
    contact = Contact(
        email=node.text("email"), telephone=node.text("telephone"), engages=_engages(node)
    )
    if not contact.address:
        raise ConfigError(node.key, "a contact needs an email or a telephone", node.source)
    if contact.engages and not contact.email:
        raise node.error("engages", "opened and clicked are Email events (E-1): add an email")
    return contact


def _engages(node: _Node) -> tuple[str, ...]:
    """`engages: [opened, clicked]`: the events known to happen for the contact's email."""
    out: list[str] = []
    for key, value in node.items("engages"):
        if value not in ENGAGEMENTS:
            raise ConfigError(key, f"expected opened or clicked, got {value!r}", node.source)
        if value not in out:
            out.append(str(value))
    return tuple(out)


def _pattern(node: _Node, name: str, count: int) -> str | None:
    """A `{n}` pattern (`user{n}@example.com`, `+3519{n:08d}`), checked by formatting it."""
    pattern = node.text(name)
    if pattern is None:
        return None
    try:
        fields = list(string.Formatter().parse(pattern))
        names = {field for _text, field, _spec, _conv in fields}
        # Before formatting thousands of times: `{n:>100000000}` would cost 100 MB a contact.
        if any(
            int(w) > 32 for _t, _f, spec, _c in fields for w in re.findall("[0-9]+", spec or "")
        ):
            raise node.error(name, f"{pattern!r}: a field wider than 32")
        sample = pattern.format(n=1)
    except (ValueError, KeyError, IndexError) as error:
        raise node.error(name, f"{pattern!r} is not a pattern of {{n}} ({error})") from None
    if names - {None, "n"} or (count > 1 and sample == pattern):
        raise node.error(name, f"{pattern!r} must use {{n}} (and only {{n}}): 1 to count")
    return pattern


def _generated(node: _Node) -> list[Contact]:
    """`{pattern: "user{n}@example.com", telephone: "+3519{n:08d}", count: 1500, start: 1}`:
    contacts n = start .. start + count - 1, as a mock's fixtures `generate` them."""
    node.allow("pattern", "telephone", "count", "start")
    count = node.integer("count", required=True, minimum=0) or 0
    if count > MAX_GENERATED:
        raise node.error("count", f"at most {MAX_GENERATED}, got {count}")
    start = node.integer("start", minimum=0)
    start = 1 if start is None else start
    email, telephone = _pattern(node, "pattern", count), _pattern(node, "telephone", count)
    if email is None and telephone is None:
        raise ConfigError(node.key, "needs `pattern` (emails) or `telephone`", node.source)
    return [
        Contact(
            email=email.format(n=n) if email else None,
            telephone=telephone.format(n=n) if telephone else None,
        )
        for n in range(start, start + count)
    ]


def _from_csv(node: _Node, base: Path) -> list[Contact]:
    """`{csv: contacts.csv}`: a file (relative to the config's folder) with a header row
    naming `email` and/or `telephone` columns, one contact a row."""
    node.allow("csv")
    name = node.text("csv", required=True) or ""
    path = base / name
    try:
        with path.open(newline="", encoding="utf-8-sig") as file:
            rows = list(csv.DictReader(file))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise node.error("csv", f"cannot read {str(path)!r}: {error}") from None
    if len(rows) > MAX_GENERATED:
        raise node.error("csv", f"at most {MAX_GENERATED} contacts, got {len(rows)}")
    contacts = []
    for line, row in enumerate(rows, 2):
        fields = {str(k).strip().lower(): (v or "").strip() for k, v in row.items() if k}
        if not {"email", "telephone"} & set(fields):
            raise node.error("csv", f"{name}: the header names no `email` or `telephone` column")
        contact = Contact(email=fields.get("email") or None,
                          telephone=fields.get("telephone") or None)  # fmt: skip
        if not contact.address:
            raise node.error("csv", f"{name} line {line}: a contact needs an email or telephone")
        contacts.append(contact)
    return contacts


def _contacts(node: _Node, base: Path) -> tuple[Contact, ...]:
    """`contacts`: a list of contacts, each of which may instead be a `{pattern, count}` or
    `{csv}` entry standing for many; or one such entry alone."""
    value = node.data.get("contacts")
    if isinstance(value, dict):
        entries = [(node.path("contacts"), value)]
    else:
        entries = node.items("contacts")
    contacts: list[Contact] = []
    for key, item in entries:
        entry = node.node(key, item)
        if not isinstance(item, dict):
            contacts.append(_contact(entry))  # refused there, with its key
        elif "csv" in item:
            contacts += _from_csv(entry, base)
        elif "count" in item or "pattern" in item:
            contacts += _generated(entry)
        else:
            contacts.append(_contact(entry))
    return tuple(contacts)


def _contact_list(node: _Node, base: Path) -> ContactList:
    node.allow("id", "name", "contacts", "segments")
    contacts = _contacts(node, base)
    known = {a for c in contacts for a in (c.email, c.telephone) if a}
    segments = []
    for key, value in node.items("segments"):
        seg = node.node(key, value)
        seg.allow("id", "name", "members")
        members = []
        for member_key, member in seg.items("members"):
            if str(member) not in known:
                raise ConfigError(member_key, f"{member!r} is no contact of this list", node.source)
            members.append(str(member))
        segments.append(
            Segment(
                id=seg.integer("id", required=True) or 0,
                name=seg.text("name", default="") or "",
                members=tuple(members),
            )
        )
    return ContactList(
        id=node.integer("id", required=True) or 0,
        name=node.text("name", default="") or "",
        contacts=contacts,
        segments=tuple(segments),
    )


def parse_config(
    data: Any,
    source: str = "config",
    environ: Mapping[str, str] | None = None,
    base_dir: Path | None = None,
) -> Config:
    """Validate a parsed YAML document; raises ConfigError naming the first bad key.

    `base_dir`: where relative file names (a CSV of contacts) are found; the working folder
    if None (`load_config` passes the config file's folder).
    """
    base = base_dir if base_dir is not None else Path.cwd()
    top = _Node(data, "", source, os.environ if environ is None else environ)
    top.allow(
        "base_url", "auth", "domains", "lists", "empty_list", "error_list", "payloads",
        "callbacks", "limits", "ledger",
    )  # fmt: skip
    domains = top.child("domains")
    assert domains is not None
    domains.allow("bouncing", "non_bouncing")
    lists = tuple(_contact_list(top.node(k, v), base) for k, v in top.items("lists", required=True))
    if not lists:
        raise top.error("lists", "name at least one test contact list")
    payloads = []
    for key, value in top.items("payloads"):
        if value not in PAYLOADS:
            raise ConfigError(key, f"expected email or sms, got {value!r}", source)
        payloads.append(str(value))
    callbacks = CallbackConfig()
    cb = top.child("callbacks", required=False)
    if cb is not None:
        cb.allow("listen", "public_url", "sources")
        listen = cb.child("listen", required=False)
        if listen is not None:
            listen.allow("host", "port")
        callbacks = CallbackConfig(
            listen_host=(listen.text("host") if listen else None) or "127.0.0.1",
            listen_port=_port(listen),
            public_url=cb.text("public_url"),
            sources=_sources(cb),
        )
    limits = Limits()
    lim = top.child("limits", required=False)
    if lim is not None:
        lim.allow("callback_wait", "request_timeout", "rate_limit", "cleanup_wait", "send_wait",
                  "clock_skew", "clock_speed", "clock_lag", "connect_timeout", "run_deadline",
                  "callback_outage", "silent_requests")  # fmt: skip
        limits = Limits(
            callback_wait=lim.number("callback_wait", limits.callback_wait),
            request_timeout=lim.number("request_timeout", limits.request_timeout, minimum=0.1),
            rate_limit=lim.number("rate_limit", limits.rate_limit),
            cleanup_wait=lim.number("cleanup_wait", limits.cleanup_wait),
            send_wait=lim.number("send_wait", limits.send_wait),
            clock_skew=lim.number("clock_skew", limits.clock_skew),
            clock_speed=lim.number("clock_speed", limits.clock_speed, minimum=0.001),
            clock_lag=lim.number("clock_lag", limits.clock_lag),
            callback_outage=lim.number("callback_outage", limits.callback_outage),
            connect_timeout=lim.number("connect_timeout", limits.connect_timeout, minimum=0.1),
            run_deadline=lim.number("run_deadline", limits.run_deadline, minimum=1),
            silent_requests=_or(lim.integer("silent_requests", minimum=0), limits.silent_requests),
        )
        if limits.callback_outage >= 3600:
            outage = limits.callback_outage
            raise lim.error("callback_outage", "must be well inside C-4's one-hour retry "
                            f"window (under 3600 s; 0 skips it), got {outage:g}")  # fmt: skip
    error_list = top.integer("error_list")
    if error_list is not None and error_list in {c.id for c in lists}:
        raise top.error(
            "error_list",
            f"list {error_list} is also under `lists`: sends to it end in ERROR, "
            "so it cannot be a test list",
        )
    base_url = top.text("base_url")
    if base_url is not None and not base_url.startswith(("http://", "https://")):
        raise top.error("base_url", f"expected an http(s) URL, got {base_url!r}")
    return Config(
        base_url=base_url,
        auth=_auth(top),
        domains=Domains(
            bouncing=domains.integer("bouncing", required=True) or 0,
            non_bouncing=domains.integer("non_bouncing"),
        ),
        lists=lists,
        empty_list=top.integer("empty_list"),
        error_list=error_list,
        payloads=tuple(payloads) or PAYLOADS,
        callbacks=callbacks,
        limits=limits,
        ledger=top.text("ledger", default=DEFAULT_LEDGER) or DEFAULT_LEDGER,
        source=source,
    )


def load_config(path: str | Path, environ: Mapping[str, str] | None = None) -> Config:
    """Read and validate a config file; every problem is a one-line ConfigError."""
    source = str(path)
    try:
        text = Path(path).read_text("utf-8")
    except OSError as error:
        raise ConfigError("(file)", f"cannot read: {error.strerror or error}", source) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or "syntax error"
        raise ConfigError("(file)", f"not valid YAML{where}: {problem}", source) from None
    return parse_config(data, source, environ, base_dir=Path(path).resolve().parent)
