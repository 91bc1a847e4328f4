"""V-4 clauses no other robustness check reaches: the 1 MiB boundary from below, and step 4
(an id that does not exist) answering before the application (step 5)."""

from __future__ import annotations

import json
from typing import Any, Final

from campaign_contract.engine.probe import Probe
from campaign_contract.engine.registry import check
from campaign_contract.robustness.body import BOUNDARY, MULTIPART
from campaign_contract.robustness.refused import REQUESTS, deleted_id, expect_same_refusal
from campaign_contract.robustness.targets import MISSING, ONE_MIB
from campaign_contract.schema.bodies import BODIES, send
from campaign_contract.transport.http import FORM, JSON


def _exactly_one_mib(kind: str) -> tuple[str, bytes]:
    """A body of exactly 1 MiB of each body type, as its content type and bytes."""
    if kind == "JSON":
        body = json.dumps({"name": "cc"}).encode()
        return JSON, body[:-1] + b" " * (ONE_MIB - len(body)) + b"}"
    if kind == "multipart":
        head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="name"\r\n\r\n'.encode()
        tail = f"\r\n--{BOUNDARY}--\r\n".encode()
        return MULTIPART, head + b"a" * (ONE_MIB - len(head) - len(tail)) + tail
    return FORM, b"name=" + b"a" * (ONE_MIB - len(b"name="))


@check("V-4")
def one_mib_is_not_too_large(t: Probe) -> None:
    """A body of exactly 1 MiB, of every body type, is not a 413: the PUT to a missing id goes
    on to its 404."""
    for kind in ("form", "multipart", "JSON"):
        t.begin()
        content_type, body = _exactly_one_mib(kind)
        answer = t.put(MISSING, body=body, headers={"Content-Type": content_type})
        if answer.status == 413:
            t.fail("V-4", f"a {kind} body of exactly {len(body)} bytes (1 MiB) is a 413", answer)
        else:
            t.expect_status("V-4", answer, 404)
        t.exercised("V-4.one-mib-is-not-413", body=kind)


#: Application failures a PUT could meet (V-3), each with fields that would cause it.
APPLICATION_FAULTS: Final[dict[str, dict[str, Any]]] = {
    "invalid": {"name": ""},
    "reference": {"domain": 999_999_999},
    "conflict": {"state": "SENDING"},
    "list in PUT": {"list": 1},
}
ORDER_CLAUSE: Final = "V-4.missing-id-before-application"


@check("V-4")
def missing_id_comes_before_the_application(t: Probe) -> None:
    """A PUT to a missing or deleted id is a 404 even when the application would refuse its
    fields, in every body type, sent twice."""
    ids = {"missing": MISSING}
    deleted = deleted_id(t)
    if deleted is None:
        t.cannot(ORDER_CLAUSE, "no campaign could be created and deleted", id="deleted")
    else:
        ids["deleted"] = f"/campaign/{deleted}"
    for failure, fields in APPLICATION_FAULTS.items():
        for kind, path in ids.items():
            for body in BODIES:
                t.begin()
                answers = []
                for request in REQUESTS:
                    answer = send(t, "PUT", path, fields, body)
                    t.expect_rejected(answer, 404)
                    answers.append(answer)
                    t.exercised(ORDER_CLAUSE, failure=failure, id=kind, body=body, request=request)
                expect_same_refusal(t, answers)
