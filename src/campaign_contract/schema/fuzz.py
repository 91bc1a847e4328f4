"""schemathesis cases from openapi.yaml, positive and negative, sent by the suite's own client."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlsplit

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.errors import HypothesisException
from schemathesis import GenerationMode

from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import check
from campaign_contract.judges.answers import JUDGED, Part, judge_exchange
from campaign_contract.judges.requests import Sent, judge_body
from campaign_contract.schema.target import FUTURE, create, segment_ids, tagged
from campaign_contract.spec import openapi_path

#: Room for a generated name before the run tag (see `Fuzzer.adapt`).
NAME_ROOM: Final = 127
PLAIN_URL: Final = re.compile(r"^https?://[a-z0-9]([a-z0-9.-]{0,60}[a-z0-9])?(:[1-9][0-9]{0,3})?"
                              r"(/[A-Za-z0-9._~-]*){0,8}(\?[A-Za-z0-9._~=&-]*)?$")  # fmt: skip
CALLBACK: Final = "https://hooks.example/cb?k=v"
OPERATIONS: Final = (
    ("/campaign", "POST"),
    ("/campaign/{id}", "GET"),
    ("/campaign/{id}", "PUT"),
    ("/campaign/{id}", "DELETE"),
    ("/login/", "POST"),
    ("/logout/", "POST"),
)


@functools.cache
def _schema() -> Any:
    return schemathesis.openapi.from_path(openapi_path())


def generate(path: str, method: str, mode: GenerationMode, count: int, seed: str) -> list[Any]:
    """Up to `count` cases of one operation, the same for the same seed."""
    strategy = _schema()[path][method].as_strategy(generation_mode=mode)
    cases: list[Any] = []

    @settings(
        max_examples=count,
        database=None,
        derandomize=False,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(strategy)
    def collect(case: Any) -> None:
        cases.append(case)

    hypothesis_seed(seed)(collect)()
    return cases


def _mode(case: Any, location: str) -> GenerationMode:
    for key, info in case.meta.components.items():
        if key.value == location:
            mode: GenerationMode = info.mode
            return mode
    return GenerationMode.POSITIVE


def prepare(kwargs: Mapping[str, Any], base_url: str) -> Sent:
    """Serialize requests-style kwargs (from `case.as_transport_kwargs`) as `requests` would."""
    request = requests.Request(
        method=kwargs["method"],
        url=kwargs["url"],
        params=kwargs.get("params") or None,
        data=kwargs.get("data"),
        json=kwargs.get("json"),
        files=kwargs.get("files"),
        headers={k: v for k, v in (kwargs.get("headers") or {}).items() if k == "Content-Type"},
    ).prepare()
    url = request.url or kwargs["url"]
    split = urlsplit(url)
    path = split.path + (f"?{split.query}" if split.query else "")
    body = request.body.encode("utf-8") if isinstance(request.body, str) else request.body
    return Sent(
        method=str(kwargs["method"]).upper(),
        path=path,
        body=body if body else None,
        content_type=request.headers.get("Content-Type"),
    )


class Fuzzer:
    """Sends cases against one target campaign at a time, recreated once a case changed it."""

    def __init__(self, t: Probe) -> None:
        self.t = t
        self.target: dict[str, Any] | None = None

    def ensure_target(self) -> dict[str, Any] | None:
        if self.target is None:
            answer, ident = create(self.t, "schema target", when=str(FUTURE))
            self.target = answer.data() if ident is not None else None
        return self.target

    def retire_target(self) -> None:
        if self.target is not None:
            self.t.delete(f"/campaign/{self.target['id']}")
            self.target = None

    def adapt(self, body: dict[str, Any], json_body: bool) -> None:
        """Make a valid body succeed: the config's domain, list and segments, the run tag."""
        config = self.t.ctx.config

        def same_kind(_old: Any, new: int) -> Any:
            # JSON takes integers (the strictest reading), a form text.
            return new if json_body else str(new)

        if isinstance(body.get("name"), str):
            # At most 127 code points before the tag: 255 "characters" however a server counts
            # them (code points or UTF-16 units), the strictest reading of Q-4.
            body["name"] = tagged(self.t, body["name"][:NAME_ROOM])
        callback = body.get("event_callback")
        if isinstance(callback, str) and callback and not PLAIN_URL.match(callback):
            # What counts as an "absolute URL" past the plain ones differs between URL parsers;
            # Q-4's targeted check judges the limits, the cases send a URL every parser takes.
            body["event_callback"] = CALLBACK
        if "domain" in body:
            body["domain"] = same_kind(body["domain"], config.domains.bouncing)
        if "list" in body:
            body["list"] = same_kind(body["list"], config.lists[0].id)
        key = "segments" if json_body else "segments[]"
        own = segment_ids(self.t)
        if isinstance(body.get(key), list) and body[key] != [""]:
            distinct = list(dict.fromkeys(map(str, body[key])))
            body[key] = (
                [same_kind(item, own[distinct.index(str(item)) % len(own)]) for item in body[key]]
                if own
                else []
            )
        if body.get("state") == "READY":
            body["when"] = same_kind(body.get("when"), FUTURE)

    def run(self, path: str, method: str, case: Any) -> None:
        t = self.t
        t.begin()
        body_ok = _mode(case, "body") is GenerationMode.POSITIVE
        path_positive = _mode(case, "path") is GenerationMode.POSITIVE
        if body_ok and isinstance(case.body, dict):
            self.adapt(case.body, case.media_type == "application/json")
        ident: int | None = None
        if "{id}" in path and path_positive:
            target = self.ensure_target()
            if target is None:
                t.unexercised(Part.ANSWER, "no campaign could be created to aim the cases at")
                return
            ident = target["id"]
            case.path_parameters["id"] = ident
        try:
            sent = prepare(case.as_transport_kwargs(base_url=t.client.base_url), t.client.base_url)
        except (ValueError, TypeError, UnicodeError):
            return  # a case `requests` cannot even encode never reaches any server
        judge_body(sent, path, method)
        headers = {"Content-Type": sent.content_type} if sent.content_type else None
        login = path == "/login/"
        answer = t.request(
            method, sent.path, body=sent.body, headers=headers, **({"auth": None} if login else {})
        )
        if judge_exchange(t, sent, answer, self.target, ident):
            self.after(method, answer, ident)

    def after(self, method: str, answer: Any, ident: int | None) -> None:
        """Keep the target a fresh DRAFT: drop it once a case deleted or changed it."""
        if answer.success() is not True:
            return
        if method == "POST" and isinstance(answer.data().get("id"), int):
            self.t.delete(f"/campaign/{answer.data()['id']}")
        elif method == "DELETE" and ident is not None:
            self.target = None
        elif method == "PUT" and ident is not None:
            self.retire_target()


@check(*JUDGED)
def generated_requests(t: Probe) -> None:
    """schemathesis cases for every operation, positive and negative (--max-examples, --seed)."""
    fuzzer = Fuzzer(t)
    crashes: list[Exception] = []
    session = t.ctx.config.auth.method == "session"
    for path, method in OPERATIONS:
        if path == "/logout/" and session:
            continue  # it would end the run's own session
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            seed = f"{t.ctx.seed}:{method}:{path}:{mode.value}"
            try:
                cases = generate(path, method, mode, t.ctx.max_examples, seed)
            except HypothesisException as error:
                t.unexercised(Part.FORM, f"no {mode.value} cases for {method} {path}: {error}")
                continue
            for case in cases:
                try:
                    fuzzer.run(path, method, case)
                except Exception as error:  # a suite bug in one case must not skip the others
                    crashes.append(error)
                    fuzzer.target = None
    fuzzer.retire_target()
    if crashes:
        raise RuntimeError(f"{len(crashes)} generated case(s) crashed the judge") from crashes[0]
