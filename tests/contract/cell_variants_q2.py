"""One-cell broken variants of Q-2's spelling clauses: each reads one spelling wrongly on ONE
method and body type (POST or PUT; form, multipart or JSON) and as the mock everywhere else."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from campaign_mock.domain.backend import CampaignBackend

from .clause_variants_vrq import _answer_failure, _on_request
from .middleware import Call
from .variants import variant

#: The year-9999 boundary (9999-12-31T23:59:59Z) and a second in the future.
LATEST = 253_402_300_799
FUTURE = 4_102_444_800
INVALID = object()
_PART = re.compile(rb'(name="when"\r\n\r\n)([^\r]*)(\r\n)')


def _body(call: Call) -> str:
    kind = call.content_type.split(";")[0].strip().lower()
    return {"multipart/form-data": "multipart", "application/json": "JSON"}.get(kind, "form")


def _when(call: Call) -> Any:
    if _body(call) == "multipart":
        found = _PART.search(call.body)
        return found.group(2).decode() if found else None
    return call.params().get("when")


def _set_when(call: Call, value: Any) -> None:
    if _body(call) == "multipart":
        text = str(value).encode()
        call.body = _PART.sub(lambda m: m.group(1) + text + m.group(3), call.body, count=1)
    else:
        call.set_param("when", value)


def _cell(
    name: str,
    part: str,
    method: str,
    body: str,
    test: Callable[[Any], bool],
    then: Callable[[Any], Any],
    why: str,
) -> None:
    """Register a variant that gives `then(when)` (or refuses: INVALID) for a `when` passing
    `test`, on this method and body type only."""

    def on_request(call: Call, _b: CampaignBackend) -> None:
        if call.method != method or _body(call) != body:
            return
        when = _when(call)
        if when is None or not test(when):
            return
        new = then(when)
        if new is INVALID:
            _answer_failure(call, "invalid", "when")
        else:
            _set_when(call, new)

    variant(name, (part,), ("Q-2",), why)(_on_request(on_request))


def _text(test: Callable[[str], bool]) -> Callable[[Any], bool]:
    return lambda when: isinstance(when, str) and test(when)


def _refuse(_when: Any) -> Any:
    return INVALID


_cell("q2_put_integer_refused", "Q-2", "PUT", "JSON", lambda w: type(w) is int and 0 < w < LATEST,
      _refuse, "a JSON integer `when` is invalid in a PUT (in a POST: accepted)")  # fmt: skip
_cell("q2_multipart_put_digits_refused", "Q-2", "PUT", "multipart",
      _text(lambda w: w.isdigit() and len(w) == 10), _refuse,
      "a `when` of digits is invalid in a multipart PUT")  # fmt: skip
_cell("q2_multipart_post_zulu_refused", "Q-2", "POST", "multipart",
      _text(lambda w: "T" in w and w.endswith("Z") and "." not in w and w < "9999"), _refuse,
      "an RFC 3339 `when` ending in Z is invalid in a multipart POST")  # fmt: skip
_cell("q2_json_put_offset_ignored", "Q-2", "PUT", "JSON",
      _text(lambda w: "T" in w and w[-6] in "+-" and "." not in w and w[-6:-3] != "+23"),
      lambda w: w[:-6] + "Z",
      "an ISO offset is read as UTC in a JSON PUT")  # fmt: skip
_cell("q2_multipart_post_eight_digits_date", "Q-2p", "POST", "multipart",
      _text(lambda w: w.isdigit() and len(w) == 8), lambda w: f"{w[:4]}-{w[4:6]}-{w[6:]}",
      "`when=20261201` is read as a date in a multipart POST")  # fmt: skip
_cell("q2_form_put_fractions_refused", "Q-2p", "PUT", "form",
      _text(lambda w: "T" in w and "." in w), _refuse,
      "`when` with fractions of a second is invalid in a form PUT")  # fmt: skip
_cell("q2_json_post_fractions_rounded", "Q-2p", "POST", "JSON",
      _text(lambda w: "T" in w and ".9" in w),
      lambda w: w.split(".")[0][:-2] + f"{int(w.split('.')[0][-2:]) + 1:02d}Z",
      "fractions of a second round up in a JSON POST")  # fmt: skip
_cell("q2_multipart_put_naive_is_local", "Q-2p", "PUT", "multipart",
      _text(lambda w: "T" in w and not w.endswith("Z") and w[-6] not in "+-"),
      lambda w: w + "+01:00", "`when` without an offset is UTC+1 in a multipart PUT")  # fmt: skip
_cell("q2_json_put_date_refused", "Q-2p", "PUT", "JSON",
      _text(lambda w: len(w) == 10 and w[4] == "-"), _refuse,
      "a date `when` is invalid in a JSON PUT")  # fmt: skip
_cell("q2_multipart_post_date_is_noon", "Q-2p", "POST", "multipart",
      _text(lambda w: len(w) == 10 and w[4] == "-"), lambda w: w + "T12:00:00Z",
      "a date `when` is noon UTC in a multipart POST")  # fmt: skip
_cell("q2_json_put_negative_accepted", "Q-2p", "PUT", "JSON",
      lambda w: type(w) is int and w < 0, lambda w: FUTURE,
      "a negative JSON `when` is accepted in a PUT")  # fmt: skip
_cell("q2_form_put_zero_refused", "Q-2p", "PUT", "form", _text(lambda w: w == "0"), _refuse,
      "`when=0` is invalid in a form PUT")  # fmt: skip
_cell("q2_multipart_post_year_10000_accepted", "Q-2p", "POST", "multipart",
      _text(lambda w: w.startswith("10000-")), lambda w: str(LATEST),
      "a `when` in year 10000 is accepted in a multipart POST")  # fmt: skip
_cell("q2_multipart_put_year_9999_refused", "Q-2p", "PUT", "multipart",
      _text(lambda w: w == str(LATEST)), _refuse,
      "the last second of 9999 is invalid in a multipart PUT")  # fmt: skip
_cell("q2_json_put_no_seconds_accepted", "Q-2p", "PUT", "JSON",
      _text(lambda w: w == "2026-12-01T10:00Z"), lambda w: "2026-12-01T10:00:00Z",
      "an ISO `when` without seconds is accepted in a JSON PUT")  # fmt: skip
_cell("q2_form_post_words_accepted", "Q-2p", "POST", "form", _text(lambda w: w == "tomorrow"),
      lambda w: str(FUTURE), "`when=tomorrow` is accepted in a form POST")  # fmt: skip
