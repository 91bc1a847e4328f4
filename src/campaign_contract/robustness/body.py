"""Request bodies (V-4 step 3): 413 over 1 MiB, 415 another type, 400 unparseable, on every
endpoint and method that has a body, each refused request sent twice; and step 2 before 3."""

from __future__ import annotations

import json
from typing import Final

from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import check
from campaign_contract.robustness.refused import (
    REQUESTS,
    Targets,
    body_targets,
    expect_same_refusal,
    routing_faults,
)
from campaign_contract.robustness.targets import MISSING, ONE_MIB, require_auth
from campaign_contract.robustness.wrong import wrong_password
from campaign_contract.transport.exchange import Exchange
from campaign_contract.transport.http import FORM, JSON, BasicAuth, Credentials

BROKEN_JSON: Final = {
    "truncated": b'{"name": ',
    "unquoted key": b"{name: 1}",
    "trailing comma": b'{"name": "x",}',
    "not UTF-8": b"\xff\xfe{}",
}
NOT_OBJECTS: Final = {
    "array": b"[]",
    "text": b'"text"',
    "number": b"42",
    "null": b"null",
    "boolean": b"true",
    "array of objects": b'[{"name": "x"}]',
}
OTHER_TYPES: Final = ("text/plain", "application/xml", "application/octet-stream")
BOUNDARY: Final = "cc-boundary"
MULTIPART: Final = f"multipart/form-data; boundary={BOUNDARY}"
BROKEN_MULTIPART: Final = {
    "no closing boundary": (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="name"\r\n\r\nx'.encode()
    ),
    "part without headers": f"--{BOUNDARY}\r\nno headers, no end".encode(),
}
#: V-4 step 3's faults, by the name the order clauses give them.
FAULTS: Final = ("too large", "other type", "broken JSON", "not an object", "broken multipart")


def _oversized(prefix: bytes = b"name=") -> bytes:
    return prefix + b"a" * (ONE_MIB + 1 - len(prefix))


def _oversized_multipart() -> bytes:
    head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="name"\r\n\r\n'.encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    return head + b"a" * (ONE_MIB + 1 - len(head) - len(tail)) + tail


OVERSIZED: Final = {
    "form": (FORM, _oversized()),
    "multipart": (MULTIPART, _oversized_multipart()),
    "JSON": (JSON, b'{"name": "' + b"a" * ONE_MIB + b'"}'),
    "other": ("text/plain", _oversized()),  # 413 before 415
}


def _one_of_each_fault() -> dict[str, tuple[str, bytes]]:
    return {
        "too large": OVERSIZED["form"],
        "other type": ("text/plain", b"name=cc"),
        "broken JSON": (JSON, BROKEN_JSON["truncated"]),
        "not an object": (JSON, NOT_OBJECTS["array"]),
        "broken multipart": (MULTIPART, BROKEN_MULTIPART["no closing boundary"]),
    }


def _sends(
    t: Probe,
    bodies: dict[str, tuple[str, bytes]],
    status: int,
    clause: str,
    code_clause: str,
    fault: str,
) -> None:
    """Each body to every target, twice: the same V-4 refusal both times, each cell noted."""
    targets = body_targets(t)
    for kind, (content_type, body) in bodies.items():
        for target, path in targets.items():
            t.begin()
            answers: list[Exchange] = []
            for request in REQUESTS:
                method = target.split()[0]
                headers = {"Content-Type": content_type}
                answer = t.request(method, path, body=body, headers=headers)
                t.ctx.note_created(answer)
                t.expect_rejected(answer, status)
                answers.append(answer)
                t.exercised(clause, target=target, kind=kind, request=request)
                t.exercised(code_clause, target=target, fault=fault, request=request)
                if target in ("PUT missing id", "PUT deleted id"):
                    t.exercised("V-4.body-before-missing-id", fault=fault, id=target.split()[1])
            expect_same_refusal(t, answers)
        t.exercised("V-3.code-is-present", code=_CODES[status])


_CODES: Final = {400: "malformed", 413: "too_large", 415: "unsupported_media_type"}


@check("V-4", "V-3p")
def broken_json_is_400(t: Probe) -> None:
    """A JSON body that does not parse is a 400, on POST and PUT (existing, missing or deleted
    id), sent twice."""
    bodies = {kind: (JSON, body) for kind, body in BROKEN_JSON.items()}
    _sends(t, bodies, 400, "V-4.broken-json-is-400", "V-3.code-malformed", "broken JSON")


@check("V-4", "V-3p")
def json_that_is_not_an_object_is_400(t: Probe) -> None:
    """A JSON body that is not an object is a 400, on every target, sent twice."""
    bodies = {kind: (JSON, body) for kind, body in NOT_OBJECTS.items()}
    clause = "V-4.json-not-an-object-is-400"
    _sends(t, bodies, 400, clause, "V-3.code-malformed", "not an object")


@check("V-4", "V-3p")
def broken_multipart_is_400(t: Probe) -> None:
    """A multipart body that does not parse is a 400, on every target, sent twice."""
    bodies = {kind: (MULTIPART, body) for kind, body in BROKEN_MULTIPART.items()}
    clause = "V-4.broken-multipart-is-400"
    _sends(t, bodies, 400, clause, "V-3.code-malformed", "broken multipart")


@check("V-4", "V-3p")
def other_content_types_are_415(t: Probe) -> None:
    """A body of another content type than form, multipart or JSON is a 415, on every target."""
    bodies = {kind: (kind, b"name=cc") for kind in OTHER_TYPES}
    clause = "V-4.other-content-type-is-415"
    _sends(t, bodies, 415, clause, "V-3.code-unsupported-media-type", "other type")


@check("V-4", "V-3p")
def bodies_over_one_mib_are_413(t: Probe) -> None:
    """A body over 1 MiB is a 413, whatever its type or whether it would parse."""
    clause = "V-4.over-one-mib-is-413"
    _sends(t, dict(OVERSIZED), 413, clause, "V-3.code-too-large", "too large")
    for method, path in (("POST", "/campaign"), ("PUT", MISSING)):
        t.begin()  # 413 before 400: an oversized body that would not parse either
        body = _oversized(b'{"name": ')
        t.expect_rejected(t.request(method, path, body=body, headers={"Content-Type": JSON}), 413)


CREDENTIALS_CLAUSE: Final = "V-4.credentials-before-body"


def _wrong(t: Probe) -> dict[str, Credentials]:
    return {
        "none": None,
        "wrong password": BasicAuth(t.ctx.config.auth.username, wrong_password(t.ctx)),
    }


@check("V-4")
def credentials_come_before_the_body(t: Probe) -> None:
    """Without valid credentials, every bad body is a 401 (not 400, 413 or 415), on POST and
    PUT (existing or missing id), sent twice."""
    require_auth(t)
    targets: Targets = {k: v for k, v in body_targets(t).items() if k != "PUT deleted id"}
    for fault, (content_type, body) in _one_of_each_fault().items():
        for credentials, auth in _wrong(t).items():
            for target, path in targets.items():
                t.begin()
                answers = []
                for request in REQUESTS:
                    answer = t.request(
                        target.split()[0],
                        path,
                        body=body,
                        headers={"Content-Type": content_type},
                        auth=auth,
                    )
                    t.expect_status("V-4", answer, 401)
                    answers.append(answer)
                    t.exercised(
                        CREDENTIALS_CLAUSE,
                        target=target,
                        fault=fault,
                        credentials=credentials,
                        request=request,
                    )
                expect_same_refusal(t, answers)


@check("V-4")
def routing_comes_first(t: Probe) -> None:
    """A bad path, id or method is a 404 or 405 even with no or wrong credentials and a
    broken body, on every method, sent twice."""
    headers = {"Content-Type": JSON}
    credentials = _wrong(t) if t.ctx.config.auth.method != "none" else {"none": None}
    for fault, method, path, status in routing_faults(t):
        for name, auth in credentials.items():
            t.begin()
            answers = []
            for request in REQUESTS:
                body = BROKEN_JSON["truncated"] if method in ("POST", "PUT") else None
                answer = t.request(method, path, body=body, headers=headers, auth=auth)
                t.expect_rejected(answer, status)
                answers.append(answer)
                t.exercised(
                    "V-4.routing-before-credentials",
                    fault=fault,
                    method=method,
                    credentials=name,
                    request=request,
                )
            expect_same_refusal(t, answers)
    if t.ctx.config.auth.method == "none":
        t.cannot(
            "V-4.routing-before-credentials",
            "the config sets auth.method: none",
            credentials="wrong password",
        )


def _garbage(t: Probe) -> tuple[str | None, bytes]:
    rng = t.rng
    content_type = rng.choice([JSON, FORM, MULTIPART, "text/plain", None])
    kind = rng.randrange(4)
    if kind == 0:
        body = rng.randbytes(rng.randrange(1, 256))
    elif kind == 1:
        valid = json.dumps({"name": "cc", "segments": [1, 2], "when": 1}).encode()
        cut = rng.randrange(1, len(valid))
        body = valid[:cut] + rng.randbytes(rng.randrange(0, 8))
    elif kind == 2:
        body = b"&".join(rng.randbytes(rng.randrange(1, 12)) for _ in range(rng.randrange(1, 6)))
    else:
        body = ("{" * rng.randrange(1, 5000)).encode()
    return content_type, body


@check("V-4", "V-3p")
def garbage_bodies_are_answered(t: Probe) -> None:
    """Random garbage bodies get a 4xx with the envelope, never a 5xx (--max-examples, --seed)."""
    for _ in range(t.ctx.max_examples):
        content_type, body = _garbage(t)
        headers = {"Content-Type": content_type} if content_type else {}
        t.begin()
        answer = t.put(MISSING, body=body, headers=headers)
        if t.expect_status("V-4", answer, 400, 404, 415):
            t.expect_rejected(answer, answer.status or 0)
