"""Hostile values into every API and control endpoint, over a socket (issue 12, item 3).

Hypothesis leaves lone surrogates out of text unless asked, and JSON's encoder never writes
NaN, Infinity or 1e400; these tests draw them (as raw JSON text), with huge integers, deep
nesting and bytes that are not UTF-8 in form bodies. Each answer must be no 5xx, strict JSON
(no bare `Infinity`) in the envelope, and a refusal must change nothing: the state, the next
id, the settings and the clock are the same before and after it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote_from_bytes

import pytest
import requests
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from campaign_mock import create_app
from campaign_mock.domain.clock import MockClock
from campaign_mock.serving.server import MockServer

from .conftest import NOW

DEMO = ("demo", "demo-password")
JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# -- hostile values, as raw JSON text -----------------------------------------------------

#: Any code point, lone surrogates (category Cs) included.
any_text = st.text(alphabet=st.characters(codec=None, categories=None), max_size=12)
surrogate = st.characters(categories=["Cs"])
with_surrogate = st.builds(lambda a, s, b: a + s + b, any_text, surrogate, any_text)
#: json.dumps escapes a lone surrogate as `\udXXX`, which json.loads reads back as one.
text_json = st.one_of(with_surrogate, any_text).map(json.dumps)
NON_FINITE = ["NaN", "-NaN", "Infinity", "-Infinity", "1e400", "-1e999"]
HUGE = ["9" * 19, "9" * 30, "1" * 4300, "1" * 5000, "1" * 100_000]
number_json = st.sampled_from(
    [*NON_FINITE, *HUGE, "1e308", "-0", "0.5", "-1", "true", "null", "[]", "{}"]
)
depth = st.sampled_from([33, 200, 1001, 100_000])
deep_json = st.one_of(
    depth.map(lambda n: "[" * n + "]" * n),
    depth.map(lambda n: '{"a":' * n + "1" + "}" * n),
)
hostile_json = st.one_of(text_json, number_json, deep_json)

API_FIELDS = ["name", "domain", "list", "segments", "state", "when", "event_callback"]
VALID = {"name": '"ok"', "domain": "1", "list": "1", "segments": "[]", "state": '"DRAFT"'}


def json_object(fields: dict[str, str]) -> bytes:
    """A JSON object from raw JSON texts: what no encoder would write, as a client may send."""
    return ("{" + ",".join(f"{json.dumps(k)}:{v}" for k, v in fields.items()) + "}").encode()


@st.composite
def api_body(draw: st.DrawFn, fields: list[str]) -> tuple[dict[str, str], bytes]:
    """A JSON or form body, valid but for one to three hostile fields."""
    bad = draw(st.lists(st.sampled_from(fields), min_size=1, max_size=3, unique=True))
    if draw(st.booleans()):
        values = {k: VALID[k] for k in fields if k in VALID}
        values.update({k: draw(hostile_json) for k in bad})
        return JSON, json_object(values)
    pairs = [(k.encode(), VALID[k].strip('"').encode()) for k in fields if k in VALID]
    pairs = [(k, v) for k, v in pairs if k.decode() not in bad]
    pairs += [(k.encode(), draw(st.binary(max_size=12))) for k in bad]
    body = "&".join(f"{quote_from_bytes(k)}={quote_from_bytes(v)}" for k, v in pairs)
    if draw(st.booleans()):  # raw bytes too, not only percent-encoded ones
        body += "&name=" + draw(st.binary(min_size=1, max_size=6)).decode("latin-1")
    return FORM, body.encode("latin-1")


# -- the mock ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mock() -> Iterator[str]:
    clock = MockClock(start=NOW, frozen=True)
    server = MockServer(create_app(clock=clock), port=0).start()
    yield server.url
    server.stop()


@pytest.fixture(scope="module")
def campaign(mock: str) -> int:
    made = requests.post(
        f"{mock}/campaign", json={"name": "held", "domain": 1, "list": 1}, auth=DEMO, timeout=10
    )
    ident: int = made.json()["data"]["id"]
    return ident


def snapshot(url: str) -> dict[str, Any]:
    """Everything a refused request must leave alone."""
    state = _get(f"{url}/_mock/state")
    held = {k: v for k, v in state.items() if k not in {"now", "clock"}}
    return {
        "state": held,
        "settings": _get(f"{url}/_mock/settings"),
        "now": _get(f"{url}/_mock/clock")["now"],
    }


def _get(url: str) -> dict[str, Any]:
    response = requests.get(url, timeout=10)
    assert response.status_code == 200, response.text[:500]
    data: dict[str, Any] = response.json()["data"]
    return data


def _refuse_constant(name: str) -> None:
    raise AssertionError(f"{name} is not JSON")


def exchange(
    url: str, method: str, path: str, body: bytes | None, headers: dict[str, str], **kw: Any
) -> None:
    """One request: never 5xx, strict JSON in the envelope, and no change if refused."""
    before = snapshot(url)
    response = requests.request(method, url + path, data=body, headers=headers, timeout=30, **kw)
    assert response.status_code < 500, (response.status_code, response.text[:500])
    envelope = json.loads(response.text, parse_constant=_refuse_constant)
    assert set(envelope) == {"success", "data"} and isinstance(envelope["data"], dict)
    if envelope["success"] is True:
        assert response.status_code == 200
        return
    data = envelope["data"]
    assert isinstance(data["error"], str) and len(data["error"]) < 2000, data
    assert isinstance(data["code"], str) and isinstance(data["errors"], dict), data
    assert snapshot(url) == before, (method, path, data)


# -- the API ----------------------------------------------------------------------------


@SETTINGS
@given(body=api_body(API_FIELDS))
def test_create(mock: str, body: tuple[dict[str, str], bytes]) -> None:
    exchange(mock, "POST", "/campaign", body[1], body[0], auth=DEMO)


@pytest.mark.parametrize("field", ["domain", "list", "segments"])
def test_a_json_id_of_thousands_of_digits_is_abbreviated_in_the_error(
    mock: str, field: str
) -> None:
    """Hypothesis found it: a JSON `domain` of 4,300 digits came back whole in the message."""
    huge = "1" * 4300  # the most digits Python's json reads as a number
    value = f"[{huge}]" if field == "segments" else huge
    fields = {"name": '"a"', "domain": "1", "list": "1", field: value}
    body = ("{" + ",".join(f'"{k}":{v}' for k, v in fields.items()) + "}").encode()
    exchange(mock, "POST", "/campaign", body, JSON, auth=DEMO)
    answer = requests.post(f"{mock}/campaign", data=body, headers=JSON, auth=DEMO, timeout=30)
    data = answer.json()["data"]
    assert answer.json()["success"] is False and field in data["errors"], data
    assert "(4300 digits)" in data["error"] and huge not in answer.text, data["error"][:300]


@SETTINGS
@given(body=api_body([f for f in API_FIELDS if f != "list"]))
def test_update(mock: str, campaign: int, body: tuple[dict[str, str], bytes]) -> None:
    exchange(mock, "PUT", f"/campaign/{campaign}", body[1], body[0], auth=DEMO)


@SETTINGS
@given(body=api_body(["username", "password"]))
def test_login(mock: str, body: tuple[dict[str, str], bytes]) -> None:
    exchange(mock, "POST", "/login/", body[1], body[0])


path_ids = st.one_of(
    st.integers(min_value=19, max_value=100_000).map(lambda n: "1" * n),
    st.binary(min_size=1, max_size=8).map(quote_from_bytes),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=8).map(
        lambda text: quote_from_bytes(text.encode("utf-8"))
    ),
)


@SETTINGS
@given(ident=path_ids, method=st.sampled_from(["GET", "DELETE", "PUT", "OPTIONS", "HEAD"]))
def test_path_ids(mock: str, ident: str, method: str) -> None:
    assume(not (ident.isdigit() and len(ident) < 19))  # a real id: DELETE would take it
    if method == "HEAD":  # no body to judge: the status alone
        response = requests.head(f"{mock}/campaign/{ident}", auth=DEMO, timeout=30)
        assert response.status_code < 500
        return
    exchange(mock, method, f"/campaign/{ident}", b"{}", JSON, auth=DEMO)


# -- the control API --------------------------------------------------------------------

FIXTURE_SLOTS = [
    '{"username":@,"password":"p"}',
    '{"username":"u","password":@}',
    '{"username":"u","password":"p","api_keys":[@]}',
]


@SETTINGS
@given(slot=st.sampled_from(range(8)), value=hostile_json)
def test_put_fixtures(mock: str, slot: int, value: str) -> None:
    """One hostile value in a fixtures document that keeps the demo account."""
    demo = '{"username":"demo","password":"demo-password"}'
    accounts, domain, generate = [demo], '{"id":1,"name":"d"}', '{"count":2,"first_id":100}'
    if slot < 3:
        accounts.append(FIXTURE_SLOTS[slot].replace("@", value))
    elif slot == 3:
        domain = '{"id":@,"name":"d"}'.replace("@", value)
    elif slot == 4:
        domain = '{"id":1,"name":@}'.replace("@", value)
    else:
        key = ["email", "telephone", "count"][slot - 5]
        generate = generate[:-1] + f',"{key}":{value}}}'
    document = (
        f'{{"accounts":[{",".join(accounts)}],"domains":[{domain}],'
        f'"lists":[{{"id":1,"name":"l","generate":{generate}}}]}}'
    )
    exchange(mock, "PUT", "/_mock/fixtures", document.encode(), JSON)


CONTROL = [
    ("PUT", "/_mock/settings", ["seed", "send_rate", "window", "batch_size", "timeout"]),
    ("PUT", "/_mock/faults", ["duplicate_rate", "reorder", "extra_delay", "break_contract"]),
    ("POST", "/_mock/clock/advance", ["seconds", "settle", "settle_timeout"]),
    ("POST", "/_mock/clock/set", ["now", "settle", "settle_timeout"]),
    ("PUT", "/_mock/clock", ["now", "mode", "speed"]),
    ("PUT", "/_mock/campaigns/{id}/payloads", ["payloads"]),
    ("PUT", "/_mock/campaigns/{id}/state", ["state"]),
    ("POST", "/_mock/campaigns/{id}/abort", ["error"]),
]


@pytest.mark.parametrize(("method", "path", "fields"), CONTROL, ids=[c[1] for c in CONTROL])
def test_control(mock: str, campaign: int, method: str, path: str, fields: list[str]) -> None:
    @SETTINGS
    @given(
        bad=st.dictionaries(st.sampled_from(fields), hostile_json, min_size=1),
        nested=st.booleans(),
    )
    def run(bad: dict[str, str], nested: bool) -> None:
        body = json_object(bad)
        if nested and path == "/_mock/settings":  # nested objects merge (email, faults)
            body = json_object({"email": body.decode(), "faults": body.decode()})
        exchange(mock, method, path.replace("{id}", str(campaign)), body, JSON)

    run()


#: Values a long-poll refuses at once: any valid timeout would make the test wait for it.
refused_timeouts = st.one_of(
    text_json, deep_json, st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", "-1"])
)


@SETTINGS
@given(
    timeout=refused_timeouts,
    others=st.dictionaries(st.sampled_from(["campaign", "event", "count"]), hostile_json),
)
def test_deliveries_wait(mock: str, timeout: str, others: dict[str, str]) -> None:
    body = json_object({**others, "timeout": timeout})
    exchange(mock, "POST", "/_mock/deliveries/wait", body, JSON)


@SETTINGS
@given(value=st.one_of(path_ids, st.just("-1"), st.just("NaN")))
def test_query_numbers(mock: str, value: str) -> None:
    for path in ["/_mock/requests?limit=", "/_mock/deliveries?campaign="]:
        exchange(mock, "GET", path + value, None, {})
    exchange(mock, "POST", f"/_mock/deliveries/{value}/redeliver", None, {})


@SETTINGS
@given(body=hostile_json)
def test_every_json_endpoint_takes_a_hostile_document(mock: str, body: str) -> None:
    """The body itself hostile (not an object), on every endpoint that reads JSON."""
    for method, path, _ in CONTROL:
        exchange(mock, method, path.replace("{id}", "1"), body.encode(), JSON)
    exchange(mock, "PUT", "/_mock/fixtures", body.encode(), JSON)
    exchange(mock, "POST", "/_mock/deliveries/wait", body.encode(), JSON)
    exchange(mock, "POST", "/campaign", body.encode(), JSON, auth=DEMO)
