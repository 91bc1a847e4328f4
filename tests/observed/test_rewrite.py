"""The proxy's `event_callback` rewriting (docs/design/proxy-and-judge.md, 3.4): each body type
gets only its callback value replaced, every other byte kept; answers give the client its own
URL back however the server escaped it; what cannot be rewritten goes through with a reason."""

from __future__ import annotations

import json
import re
from urllib.parse import quote_plus, unquote_plus

import pytest

from campaign_contract.observed.rewrite import CallbackRewriter, Rewritten, allowing

BASE = "http://127.0.0.1:8082"
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
QUERY = "?a=1&b=%20x+y"
CLIENT = f"http://127.0.0.1:9000/hooks/cb{QUERY}"


def _rewritten(result: Rewritten | None) -> Rewritten:
    assert result is not None
    return result


def _only_token(result: Rewritten, original: str = CLIENT) -> str:
    assert result.skipped == ()
    [(token, url)] = result.handed
    assert url == original
    assert re.fullmatch(r"[0-9a-f]{10}", token)
    return token


def test_form_value_is_replaced_and_every_other_byte_kept() -> None:
    rewriter = CallbackRewriter(BASE)
    value = quote_plus(CLIENT).encode()
    body = b"name=Spring+sale&event_callback=" + value + b"&segments%5B%5D=1&when=&x=%ZZ"
    result = _rewritten(rewriter.request("POST", "/campaign/", FORM, body))
    token = _only_token(result)
    new = f"{BASE}/cb/{token}/hooks/cb{QUERY}"
    assert result.body.replace(quote_plus(new).encode(), value) == body
    assert result.changed
    assert rewriter.original(token) == CLIENT
    # The server reads back the query exactly as the client meant it.
    assert unquote_plus(result.body.split(b"&")[1].split(b"=", 1)[1].decode()) == new


def test_form_key_spelt_percent_encoded_is_rewritten_too() -> None:
    rewriter = CallbackRewriter(BASE)
    body = b"event%5Fcallback=http%3A%2F%2Flocalhost%2F&name=n"
    result = _rewritten(rewriter.request("PUT", "/campaign/7", FORM, body))
    token = _only_token(result, "http://localhost/")
    assert result.body == f"event%5Fcallback={quote_plus(f'{BASE}/cb/{token}/')}&name=n".encode()


def test_multipart_payload_is_replaced_and_every_other_byte_kept() -> None:
    rewriter = CallbackRewriter(BASE)
    body = (
        b"preamble\r\n--XyZ\r\n"
        b'Content-Disposition: form-data; name="name"\r\n\r\nSale\r\n'
        b"--XyZ\r\n"
        b'content-disposition: form-data; name="event_callback"\r\n'
        b"Content-Type: text/plain; charset=utf-8\r\n\r\n" + CLIENT.encode() + b"\r\n"
        b"--XyZ  \r\n"
        b'Content-Disposition: form-data; name="list"\r\n\r\n1\r\n'
        b"--XyZ--\r\nepilogue"
    )
    content_type = 'multipart/form-data; boundary="XyZ"'
    result = _rewritten(rewriter.request("PUT", "/campaign/12/?x=1", content_type, body))
    token = _only_token(result)
    new = f"{BASE}/cb/{token}/hooks/cb{QUERY}"
    assert new.encode() in result.body
    assert result.body.replace(new.encode(), CLIENT.encode()) == body


def test_multipart_part_with_a_filename_is_left_with_a_reason() -> None:
    rewriter = CallbackRewriter(BASE)
    body = (
        b'--b\r\nContent-Disposition: form-data; name="event_callback"; filename="u.txt"\r\n'
        b"\r\n" + CLIENT.encode() + b"\r\n--b--\r\n"
    )
    result = _rewritten(
        rewriter.request("POST", "/campaign", "multipart/form-data; boundary=b", body)
    )
    assert result.body == body and result.handed == () and not result.changed
    assert "filename" in result.skipped[0]


def test_json_top_level_string_is_replaced_every_occurrence_other_bytes_kept() -> None:
    rewriter = CallbackRewriter(BASE)
    other = "http://[::1]:7000"
    escaped = CLIENT.replace("/", "\\/")
    body = (
        '{ "event_callback" :\t"' + escaped + '",\n'
        '  "nested": {"event_callback": "http://127.0.0.1/inner"},\n'
        '  "name": "caf\\u00e9 \u00e9", "event_callback": "' + other + '",\n'
        '  "event_callback": "' + CLIENT + '" }'
    ).encode()
    result = _rewritten(rewriter.request("POST", "/campaign", JSON, body))
    assert result.skipped == ()
    tokens = {url: token for token, url in result.handed}
    assert set(tokens) == {CLIENT, other}  # one token per URL: its two spellings share it
    first = json.dumps(f"{BASE}/cb/{tokens[CLIENT]}/hooks/cb{QUERY}").encode()
    second = json.dumps(f"{BASE}/cb/{tokens[other]}").encode()
    assert result.body.count(first) == 2 and result.body.count(second) == 1
    back = result.body.replace(second, f'"{other}"'.encode())
    back = back.replace(first, f'"{escaped}"'.encode(), 1).replace(first, f'"{CLIENT}"'.encode())
    assert back == body
    assert rewriter.original(tokens[other]) == other


@pytest.mark.parametrize(
    "body",
    [
        b'{"event_callback": ""}',
        b'{"event_callback": null}',
        b'{"name": "no callback"}',
        b'["event_callback", "http://127.0.0.1/"]',
        b'"http://127.0.0.1/"',
        b'{"event_callback": "http://127.0.0.1/"',  # not JSON: the server judges it
        b'{"event_callback": 5}',
        b"\xff{}",
        b"[" * 100_000,
    ],
)
def test_json_without_a_rewritable_value_is_untouched(body: bytes) -> None:
    assert CallbackRewriter(BASE).request("POST", "/campaign", JSON, body) is None


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://127.0.0.1/x", "absolute http(s)"),
        ("/relative/cb", "absolute http(s)"),
        ("127.0.0.1/cb", "absolute http(s)"),
        ("http://127.0.0.1:99999/", "absolute http(s)"),
        ("http://127.0.0.1/a b", "spaces"),
        ("http:\\\\127.0.0.1/", "backslashes"),
        ("https://hooks.example/cb?k=v", "hooks.example is neither loopback"),
        ("http://10.0.0.1/", "10.0.0.1 is neither loopback"),
        ("http://user:pw@127.0.0.1/", "user information"),
        ("http://127.0.0.1/" + "x" * 2032, "2049 characters"),
        ("http://127.0.0.1/" + "x" * 2031, "rewritten it would be 2067 characters"),
        (f"{BASE}/cb/0123456789/x", "already the proxy's"),
    ],
)
def test_value_that_cannot_be_rewritten_goes_as_sent_with_a_reason(url: str, why: str) -> None:
    rewriter = CallbackRewriter(BASE)
    for content_type, body in [
        (JSON, json.dumps({"name": "n", "event_callback": url}).encode()),
        (FORM, f"name=n&event_callback={quote_plus(url)}".encode()),
    ]:
        result = _rewritten(rewriter.request("POST", "/campaign", content_type, body))
        assert result.body == body and result.handed == ()
        [reason] = result.skipped
        assert why in reason and "not judged" in reason
        assert "k=v" not in reason  # a reason names the host, never the URL's secrets


def test_callback_to_hosts_are_rewritten_on_their_port_only() -> None:
    rewriter = CallbackRewriter(BASE, allowing(["hooks.example:8443", "other.example"]))
    for url, rewritten in [
        ("https://hooks.example:8443/cb", True),
        ("http://HOOKS.example:8443/cb", True),
        ("https://hooks.example/cb", False),
        ("https://other.example:1234/", True),
        ("http://localhost:5/", True),
    ]:
        body = json.dumps({"event_callback": url}).encode()
        result = _rewritten(rewriter.request("PUT", "/campaign/1", JSON, body))
        assert result.changed is rewritten, url
    with pytest.raises(ValueError, match="HOST"):
        allowing(["hooks.example/path"])


def test_other_requests_and_bodies_are_not_rewritten() -> None:
    rewriter = CallbackRewriter(BASE)
    body = json.dumps({"event_callback": CLIENT}).encode()
    assert rewriter.request("PUT", "/campaign", JSON, body) is None  # 405: no campaign
    assert rewriter.request("POST", "/campaign/1", JSON, body) is None
    assert rewriter.request("GET", "/campaign/1", JSON, body) is None
    assert rewriter.request("POST", "/login/", JSON, body) is None
    assert rewriter.request("POST", "/campaign", "text/plain", body) is None
    assert rewriter.request("POST", "/campaign", None, body) is None
    padded = body[:-1] + b', "pad": "' + b"x" * (1024 * 1024) + b'"}'
    assert rewriter.request("POST", "/campaign", JSON, padded) is None  # over 1 MiB
    assert rewriter.request("POST", "http://api.example/campaign?x", JSON, body) is not None


def test_routes_buffered_for_requests_and_answers() -> None:
    rewriter = CallbackRewriter(BASE)
    assert [
        rewriter.wants_request(method, target)
        for method, target in [
            ("POST", "/campaign"),
            ("POST", "/campaign/?a=b"),
            ("PUT", "/campaign/3"),
            ("PUT", "/campaign/3/"),
            ("PUT", "/campaign/x"),
            ("GET", "/campaign/3"),
            ("DELETE", "/campaign/3"),
            ("POST", "/login/"),
        ]
    ] == [True, True, True, True, False, False, False, False]
    assert [
        rewriter.wants_answer(method, target)
        for method, target in [
            ("POST", "/campaign/"),
            ("GET", "/campaign/3/"),
            ("PUT", "/campaign/3?x"),
            ("DELETE", "/campaign/3"),
            ("GET", "/campaign"),  # 405: no campaign in it
            ("POST", "/login/"),
            ("GET", "/other"),
        ]
    ] == [True, True, True, True, False, False, False]


@pytest.mark.parametrize("slashes", ["/", "\\/"])
def test_answer_round_trip_gives_the_client_its_own_url(slashes: str) -> None:
    rewriter = CallbackRewriter(BASE)
    body = f"name=n&event_callback={quote_plus(CLIENT)}".encode()
    token = _only_token(_rewritten(rewriter.request("POST", "/campaign", FORM, body)))
    server_url = f"{BASE}/cb/{token}/hooks/cb{QUERY}"

    def answer_of(url: str) -> bytes:
        data = {"id": 4, "event_callback": url, "name": "n/a", "note": f"{BASE}/cb/ffffffffff"}
        text = json.dumps({"success": True, "data": data})
        return text.replace("/", slashes).encode()

    assert rewriter.answer(answer_of(server_url)) == answer_of(CLIENT)


def test_answer_keeps_the_servers_own_path_and_query() -> None:
    rewriter = CallbackRewriter(BASE)
    body = json.dumps({"event_callback": "http://localhost:9000"}).encode()
    token = _only_token(
        _rewritten(rewriter.request("POST", "/campaign", JSON, body)), "http://localhost:9000"
    )
    echoed = json.dumps({"data": {"event_callback": f"{BASE}/cb/{token}/?q=re%2Fquoted"}}).encode()
    assert (
        rewriter.answer(echoed)
        == b'{"data": {"event_callback": "http://localhost:9000/?q=re%2Fquoted"}}'
    )


def test_answers_without_a_handed_out_prefix_are_left_alone() -> None:
    rewriter = CallbackRewriter(BASE)
    token = _only_token(
        _rewritten(
            rewriter.request(
                "POST", "/campaign", JSON, json.dumps({"event_callback": CLIENT}).encode()
            )
        )
    )
    url = f"{BASE}/cb/{token}"
    assert rewriter.answer(json.dumps({"event_callback": f"{BASE}/cb/0000000000"}).encode()) is None
    assert rewriter.answer(json.dumps({"event_callback": url + "0"}).encode()) is None
    assert rewriter.answer(f"<html><a href='{url}'>{url}</a></html>".encode()) is None
    assert rewriter.answer(b"[" * 100_000 + url.encode()) is None
    assert rewriter.answer(json.dumps({"url": url, "pad": "x" * 1024 * 1024}).encode()) is None


def test_forward_target_takes_the_clients_authority_and_the_servers_query() -> None:
    rewriter = CallbackRewriter(BASE)
    clients = ["http://LocalHost:9000/hooks/cb?k=v", "https://[::1]/", "http://127.0.0.1:9001?k=v"]
    body = b"&".join(b"event_callback=" + quote_plus(url).encode() for url in clients)
    tokens = {
        url: token
        for token, url in _rewritten(rewriter.request("POST", "/campaign", FORM, body)).handed
    }
    first = tokens[clients[0]]

    forward = rewriter.forward_target(first, f"/cb/{first}/hooks/cb".encode())
    assert forward is not None  # the server dropped the query: none is forwarded
    assert (forward.scheme, forward.host, forward.port) == ("http", "localhost", 9000)
    assert (forward.authority, forward.target) == ("LocalHost:9000", b"/hooks/cb")

    forward = rewriter.forward_target(first, f"/cb/{first}/hooks/cb?k=v%2B&x=%zz".encode())
    assert forward is not None and forward.target == b"/hooks/cb?k=v%2B&x=%zz"

    forward = rewriter.forward_target(first, f"/cb/{first}?".encode())
    assert forward is not None and forward.target == b"/?"

    forward = rewriter.forward_target(tokens[clients[1]], f"/cb/{tokens[clients[1]]}/".encode())
    assert forward is not None
    assert (forward.scheme, forward.host, forward.port, forward.authority) == (
        "https",
        "::1",
        443,
        "[::1]",
    )

    third = tokens[clients[2]]
    forward = rewriter.forward_target(third, f"/cb/{third}?k=v".encode())
    assert forward is not None and (forward.authority, forward.target) == (
        "127.0.0.1:9001",
        b"/?k=v",
    )

    assert rewriter.forward_target("0000000000", b"/cb/0000000000/") is None
    assert rewriter.forward_target(first, f"/cb/{first}x/".encode()) is None
    assert rewriter.forward_target(first, b"/elsewhere") is None
    assert rewriter.original("0000000000") is None


def test_each_request_gets_its_own_tokens() -> None:
    rewriter = CallbackRewriter(BASE + "/")
    body = json.dumps({"event_callback": CLIENT}).encode()
    first = _only_token(_rewritten(rewriter.request("POST", "/campaign", JSON, body)))
    second = _only_token(_rewritten(rewriter.request("PUT", "/campaign/1", JSON, body)))
    assert first != second
    assert rewriter.original(first) == rewriter.original(second) == CLIENT
    with pytest.raises(ValueError, match="receiver"):
        CallbackRewriter("ftp://127.0.0.1/")
