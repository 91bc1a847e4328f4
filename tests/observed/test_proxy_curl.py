"""The README's curl session through `campaign-contract proxy` and straight to a second mock
with the same fixtures: the client reads the same bytes either way (but for the `Date` and the
random login token), the proxy prints a line per exchange, and its `--record` file gives the
same exchanges back (docs/design/proxy-and-judge.md, section 6, test 1)."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

from tests.docs.test_readme import README, readme_session
from tests.serving import served_mock

from campaign_contract.observed.record import read_record

from .proxying import served_proxy

_DATE = re.compile(rb"(?m)^Date: [^\r\n]*")
_PLACEHOLDER = re.compile(rb"REDACTED-[0-9a-f]{8}")
#: Each exchange's line ends with its verdict: the README's session breaks no rule (the
#: mock's control API, `/_mock/reset`, is relayed and not judged: no rule speaks about it).
_LINE = re.compile(
    r"^\d\d:\d\d:\d\d (GET|POST|PUT|DELETE) (/\S*) -> (\d{3}) \(\d+ ms\) "
    r"(ok|not judged: the mock's control API: no rule speaks about it)(; client .*)?$"
)


def _session(base_url: str, folder: Path) -> list[bytes]:
    """Every command of the README's session against `base_url`, as curl wrote its answers
    (`-i`: the status line and headers too), in a folder of its own (its cookie jar)."""
    assert shutil.which("curl"), "the README's session is a curl session: install curl"
    folder.mkdir()
    outputs = []
    for command, _ in readme_session(README.read_text()):
        runnable = command.replace("http://127.0.0.1:8080", base_url).replace(
            "curl -s ", "curl -s -i ", 1
        )
        done = subprocess.run(["bash", "-c", runnable], cwd=folder, capture_output=True)
        assert done.returncode == 0, (runnable, done.stderr)
        outputs.append(done.stdout)
    return outputs


def _token(outputs: list[bytes]) -> bytes:
    (token,) = {m[1] for out in outputs for m in re.finditer(rb'"token":"([^"]+)"', out)}
    return token


def _same(output: bytes, token: bytes) -> bytes:
    """An answer with what differs between two mocks (the Date, the login token) blanked."""
    return _DATE.sub(b"Date: -", output).replace(token, b"TOKEN")


def _request(command: str) -> tuple[str, str, bytes]:
    """(method, path, body) of one of the README's curl commands, as curl sends them."""
    words = shlex.split(command)
    data = [words[i + 1] for i, w in enumerate(words) if w == "-d"]
    method = words[words.index("-X") + 1] if "-X" in words else ("POST" if data else "GET")
    url = next(w for w in words if w.startswith("http://"))
    return method, "/" + url.split("/", 3)[3], "&".join(data).encode()


def test_the_readme_session_reads_the_same_through_the_proxy(tmp_path: Path) -> None:
    record = tmp_path / "session.jsonl"
    with served_mock() as direct_url, served_mock() as relayed_url:
        direct = _session(direct_url, tmp_path / "direct")
        with served_proxy(
            "--to", relayed_url, "--listen", "127.0.0.1:0", "--record", str(record)
        ) as proxy:
            relayed = _session(proxy.url, tmp_path / "relayed")
            assert proxy.stop() == 0, proxy.stderr

    steps = readme_session(README.read_text())
    assert len(relayed) == len(direct) == len(steps) >= 8
    direct_token, relayed_token = _token(direct), _token(relayed)
    assert direct_token != relayed_token  # two mocks, two random tokens: blanked below
    for (command, _), mine, theirs in zip(steps, relayed, direct, strict=True):
        assert _same(mine, relayed_token) == _same(theirs, direct_token), command

    # One line per exchange, in order, with the status the client read.
    lines = [_LINE.match(line) for line in proxy.stdout]
    unmatched = [line for line, match in zip(proxy.stdout, lines, strict=True) if not match]
    assert not unmatched and len(lines) == len(steps), unmatched or proxy.stdout
    for match, (command, _), answer in zip(lines, steps, relayed, strict=True):
        assert match is not None
        method, path, _ = _request(command)
        assert (match[1], match[2]) == (method, path)
        assert (match[4] == "ok") == (not path.startswith("/_mock/")), match[0]
        assert answer.startswith(f"HTTP/1.1 {match[3]} ".encode())
    # The README shows a refused PUT to DONE: the proxy tells the client it sent a request no
    # server may be sent (a client note, not a verdict on the server: that line is `ok`).
    told = [line for line in proxy.stdout if "; client " in line]
    assert len(told) == 1 and " PUT /campaign/1 -> 200 " in told[0], told
    assert "ok; client VIOLATION M-2: " in told[0] and "state: 'DONE'" in told[0]

    # The recording gives every exchange back: the answers byte for byte as the client read
    # them (the token a placeholder), the requests as curl sent them, credentials hidden.
    recording = read_record(record)
    assert recording.end is not None and recording.end["exchanges"] == len(steps)
    assert [s.number for s in recording.seen] == list(range(1, len(steps) + 1))
    login_placeholders: set[bytes] = set()
    for seen, (command, _), answer in zip(recording.seen, steps, relayed, strict=True):
        exchange = seen.exchange
        head = f"HTTP/1.1 {exchange.status} {seen.reason}\r\n" + "".join(
            f"{name}: {value}\r\n" for name, value in seen.response_headers
        )
        recorded = head.encode("latin-1") + b"\r\n" + exchange.response_body
        if b'"token"' in exchange.response_body:
            login_placeholders = set(_PLACEHOLDER.findall(recorded))
        assert _PLACEHOLDER.sub(b"TOKEN", recorded) == answer.replace(relayed_token, b"TOKEN")
        method, path, body = _request(command)
        assert (exchange.method, exchange.url) == (method, proxy_target(path, relayed_url))
        assert re.sub(rb"password=[^&]*", b"password=-", exchange.request_body) == re.sub(
            rb"password=[^&]*", b"password=-", body
        )
        if " -u " in command:
            assert _PLACEHOLDER.fullmatch(exchange.request_headers["Authorization"][6:].encode())
        if " -b " in command:
            cookie = exchange.request_headers["Cookie"].encode()
            assert set(_PLACEHOLDER.findall(cookie)) == login_placeholders
    # The login's token, in its body and in its Set-Cookie, is one value: one placeholder.
    assert len(login_placeholders) == 1


def proxy_target(path: str, server_url: str) -> str:
    """The URL an exchange holds: the server's side (`--to`), not the proxy's."""
    return server_url + path
