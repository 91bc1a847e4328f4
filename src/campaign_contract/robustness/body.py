"""Request bodies (V-4 step 3): 413 over 1 MiB, 415 another type, 400 unparseable; and order."""

from __future__ import annotations

import json

from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import check
from campaign_contract.robustness.targets import MISSING, ONE_MIB, require_auth
from campaign_contract.transport.http import FORM, JSON

BROKEN_JSON = (b'{"name": ', b"{name: 1}", b'{"name": "x",}', b"\xff\xfe{}")
NOT_OBJECTS = (b"[]", b'"text"', b"42", b"null", b"true", b'[{"name": "x"}]')
OTHER_TYPES = ("text/plain", "application/xml", "application/octet-stream")
BOUNDARY = "cc-boundary"
BROKEN_MULTIPART = (
    f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="name"\r\n\r\nx'.encode(),
    f"--{BOUNDARY}\r\nno headers, no end".encode(),
)
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
#: POST creates and PUT on a missing id shows the body is judged before the id (step 3 < 4).
TARGETS = (("POST", "/campaign"), ("PUT", MISSING))


def _oversized(prefix: bytes = b"name=") -> bytes:
    return prefix + b"a" * (ONE_MIB + 1 - len(prefix))


def _sends(t: Probe, bodies: tuple[bytes, ...], content_type: str, status: int) -> None:
    for method, path in TARGETS:
        for body in bodies:
            t.begin()
            answer = t.request(method, path, body=body, headers={"Content-Type": content_type})
            t.expect_rejected(answer, status)


@check("V-4", "V-3p")
def broken_json_is_400(t: Probe) -> None:
    """A JSON body that does not parse is a 400."""
    _sends(t, BROKEN_JSON, JSON, 400)


@check("V-4", "V-3p")
def json_that_is_not_an_object_is_400(t: Probe) -> None:
    """A JSON body that is not an object is a 400."""
    _sends(t, NOT_OBJECTS, JSON, 400)


@check("V-4", "V-3p")
def broken_multipart_is_400(t: Probe) -> None:
    """A multipart body that does not parse is a 400."""
    _sends(t, BROKEN_MULTIPART, MULTIPART, 400)


@check("V-4", "V-3p")
def other_content_types_are_415(t: Probe) -> None:
    """A body of another content type than form, multipart or JSON is a 415."""
    for content_type in OTHER_TYPES:
        _sends(t, (b"name=cc",), content_type, 415)


@check("V-4", "V-3p")
def bodies_over_one_mib_are_413(t: Probe) -> None:
    """A body over 1 MiB is a 413, whatever its type or whether it would parse."""
    big_json = b'{"name": "' + b"a" * ONE_MIB + b'"}'
    for content_type, body in (
        (FORM, _oversized()),
        (JSON, big_json),
        ("text/plain", _oversized()),  # 413 before 415
        (JSON, _oversized(b'{"name": ')),  # 413 before 400
    ):
        for method, path in TARGETS:
            t.begin()
            answer = t.request(method, path, body=body, headers={"Content-Type": content_type})
            t.expect_rejected(answer, 413)


@check("V-4")
def credentials_come_before_the_body(t: Probe) -> None:
    """Without credentials, a bad body is a 401, not a 400, 413 or 415."""
    require_auth(t)
    for content_type, body in (
        (JSON, BROKEN_JSON[0]),
        ("text/plain", b"name=cc"),
        (FORM, _oversized()),
    ):
        for method, path in TARGETS:
            t.begin()
            answer = t.request(
                method, path, body=body, headers={"Content-Type": content_type}, auth=None
            )
            t.expect_status("V-4", answer, 401)


@check("V-4")
def routing_comes_first(t: Probe) -> None:
    """A bad path or method is a 404 or 405 even with no credentials and a broken body."""
    headers = {"Content-Type": JSON}
    answer = t.put("/campaign/abc", body=BROKEN_JSON[0], headers=headers, auth=None)
    t.expect_status("V-4", answer, 404)
    t.begin()
    answer = t.request("PATCH", "/campaign/1", body=BROKEN_JSON[0], headers=headers, auth=None)
    t.expect_status("V-4", answer, 405)


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
