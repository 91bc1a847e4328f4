"""In-process mode (moto's `mock_aws`, built on `responses`): `requests` calls reach the mock's
Flask app as WSGI calls, with no socket and no thread; callbacks are delivered in the same way.

    with campaign_mock.intercept("https://api.example") as mock:
        ...  # your code calls https://api.example/campaign with requests
"""

from __future__ import annotations

import io
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from contextlib import ContextDecorator
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_to_bytes, urlsplit

from werkzeug.test import run_wsgi_app

from campaign_mock.delivery import Answer as Received
from campaign_mock.delivery import AnsweringTransport, HttpTransport, Transport
from campaign_mock.http.hosts import IN_PROCESS

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication as WsgiApp
    from requests import PreparedRequest
    from responses import RequestsMock

    from campaign_mock.testing.mock_handle import CampaignMock
    from campaign_mock.testing.sink import CallbackSink
else:
    WsgiApp = Callable[..., Iterable[bytes]]

DEFAULT_BASE_URL = "https://api.campaign.test"
METHODS = ("GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH")
Answer = tuple[int, list[tuple[str, str]], bytes]


class Interception(ContextDecorator):
    """Routes `requests` calls for `base_url` (and for each of `apps`) into WSGI apps.

    A context manager (`with ... as mock`) and a decorator. Other hosts pass through to the
    network. While active, the mock's callbacks go to `sink` if their URL is the sink's, to
    one of `apps` (your webhook receiver, in-process) if under its prefix, else over HTTP;
    they are sent after each intercepted API call and whenever the clock moves through the
    handle (`mock.clock.advance`), in the calling thread.
    """

    def __init__(
        self,
        make_mock: Callable[[], CampaignMock],
        base_url: str,
        *,
        apps: Mapping[str, WsgiApp] | None = None,
        sink: CallbackSink | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        self.base_url = _normal(base_url)
        self.apps = {_normal(prefix): app for prefix, app in (apps or {}).items()}
        self.sink = sink
        self._make_mock = make_mock
        self._mock: CampaignMock | None = None
        self._options = options
        self._router: RequestsMock | None = None
        self._previous: Transport | None = None

    @property
    def mock(self) -> CampaignMock:
        """The mock behind `base_url` (made on first use)."""
        if self._mock is None:
            self._mock = self._make_mock()
        return self._mock

    def __enter__(self) -> CampaignMock:
        import responses

        mock = self.mock
        if self._options is not None:  # a mock of its own: fresh at each activation
            mock.prepare(**self._options)
        router = responses.RequestsMock(assert_all_requests_are_fired=False)
        _route(router, self.base_url, self._api_call)
        for prefix, app in self.apps.items():
            _route(router, prefix, _app_call(app, prefix))
        router.add_passthru(re.compile(".*"))  # other hosts: the network, untouched
        router.start()
        self._router = router
        self._previous = mock.dispatcher.transport
        mock.dispatcher.transport = _Routed(self, self._previous)
        mock.intercepting += 1
        if self.sink is not None:
            self.sink.pump = mock.deliver_due
        return mock

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        mock = self.mock
        if self._router is not None:
            self._router.stop()
            self._router.reset()
            self._router = None
        mock.intercepting -= 1
        routed = mock.dispatcher.transport
        if isinstance(routed, _Routed):
            routed.close()
        if self._previous is not None:
            mock.dispatcher.transport = self._previous
        if self.sink is not None:
            self.sink.pump = None

    def _api_call(self, request: PreparedRequest) -> Answer:
        answer = call_wsgi(self.mock.app, self.base_url, request)
        self.mock.deliver_due()  # what the call made due goes out now, as a live mock would
        return answer


class _Routed:
    """The dispatcher's transport while intercepting: a sink, an in-process app, or HTTP."""

    def __init__(self, interception: Interception, fallback: Transport | None) -> None:
        self._interception = interception
        self._fallback = fallback or HttpTransport()

    def post(self, url: str, body: bytes, timeout: float) -> int:
        return self.exchange(url, body, timeout).status

    def exchange(self, url: str, body: bytes, timeout: float) -> Received:
        """The answer, with its headers and body where the receiver gives them (an app, a
        real receiver; the sink tells its status only)."""
        sink = self._interception.sink
        if sink is not None and _under(url, sink.url):
            return Received(sink.receive(url, body))
        for prefix, app in self._interception.apps.items():
            if _under(url, prefix):
                headers = [("Content-Type", "application/x-www-form-urlencoded")]
                status, said, content = call_wsgi(app, prefix, _Request("POST", url, headers, body))
                return Received(status, tuple(said), content)
        if isinstance(self._fallback, AnsweringTransport):
            return self._fallback.exchange(url, body, timeout)
        return Received(self._fallback.post(url, body, timeout))

    def close(self) -> None:
        """Closes the connections this thread kept alive to real receivers."""
        close = getattr(self._fallback, "close_thread", None)
        if callable(close):
            close()


class _Request:
    """What `call_wsgi` reads of a `requests.PreparedRequest`."""

    def __init__(self, method: str, url: str, headers: list[tuple[str, str]], body: bytes) -> None:
        self.method = method
        self.url = url
        self.headers = dict(headers)
        self.body = body


def call_wsgi(app: WsgiApp, base_url: str, request: PreparedRequest | _Request) -> Answer:
    """One request as a WSGI call: method, path below `base_url`, raw query, headers, body."""
    parts = urlsplit(request.url or "")
    root = urlsplit(base_url).path.rstrip("/")
    path = parts.path[len(root) :] if parts.path.startswith(root) else parts.path
    body = _body(request.body)
    default_port = "443" if parts.scheme == "https" else "80"
    environ: dict[str, Any] = {
        "REQUEST_METHOD": request.method or "GET",
        "SCRIPT_NAME": unquote_to_bytes(root).decode("latin-1"),
        "PATH_INFO": unquote_to_bytes(path or "/").decode("latin-1"),
        "QUERY_STRING": parts.query,
        "REQUEST_URI": parts.path + (f"?{parts.query}" if parts.query else ""),
        "SERVER_NAME": parts.hostname or "localhost",
        "SERVER_PORT": str(parts.port or default_port),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": parts.netloc,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": parts.scheme or "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        IN_PROCESS: True,  # under the test's own base URL: no Host of a served mock's
    }
    for name, value in (request.headers or {}).items():
        text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
        key = name.upper().replace("-", "_")
        environ[key if key in {"CONTENT_TYPE", "CONTENT_LENGTH"} else f"HTTP_{key}"] = text
    if body and "CONTENT_LENGTH" not in environ:
        environ["CONTENT_LENGTH"] = str(len(body))
    app_iter, status, headers = run_wsgi_app(app, environ, buffered=True)
    try:
        content = b"".join(app_iter)
    finally:
        close = getattr(app_iter, "close", None)
        if callable(close):
            close()
    return int(status.split(" ", 1)[0]), list(headers.items()), content


def _route(router: RequestsMock, prefix: str, answer: Callable[[PreparedRequest], Answer]) -> None:
    pattern = re.compile(re.escape(prefix) + r"(?:[/?#].*)?\Z", re.S)
    callback: Any = answer  # responses takes a list of header pairs, though typed as a mapping
    for method in METHODS:
        router.add_callback(method, pattern, callback=callback)


def _app_call(app: WsgiApp, prefix: str) -> Callable[[PreparedRequest], Answer]:
    return lambda request: call_wsgi(app, prefix, request)


def _normal(url: str) -> str:
    parts = urlsplit(url.rstrip("/"))
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError(f"not an http(s) base URL: {url!r}")
    return f"{parts.scheme}://{parts.netloc.lower()}{parts.path}"


def _under(url: str, prefix: str) -> bool:
    parts = urlsplit(url)
    here = f"{parts.scheme}://{parts.netloc.lower()}{parts.path}"
    return here == prefix or here.startswith(prefix.rstrip("/") + "/")


def _body(body: object) -> bytes:
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    read = getattr(body, "read", None)
    if callable(read):
        data = read()
        return data if isinstance(data, bytes) else str(data).encode("utf-8")
    return b"".join(chunk if isinstance(chunk, bytes) else chunk.encode() for chunk in body)  # type: ignore[attr-defined]
