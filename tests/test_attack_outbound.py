"""Attacks on the move of outbound HTTP from requests to urllib3 (2eedc7b, ``app/outbound.py``).

Every outbound caller must turn every failure into its own domain error — ``DepartmentError``
(dispatch job), ``ChannelError`` (notification job), ``ServiceUnavailable``/``Unauthorized``
(platform login) — and must never take an answer that is not an acceptance for one. Each test
here is one way that breaks; a failing test shows the fault. Fake departments, gateways and
platforms are local ``http.server``/raw-socket servers on 127.0.0.1.

Tests whose fault predates the change (requests behaved the same) say so in their docstring.
"""
from __future__ import annotations

import json
import socket
import struct
import threading
import time
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from app import outbound
from app.departments.adapters.base import DepartmentAdapter, DepartmentError, Submission
from app.notify.channels import AppPushAdapter, ChannelError, Outgoing, Receipt
from tests.people import side_app


# --- a fake remote system, answering per path -------------------------------------------------

class _Remote(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like a real department's server

    def log_message(self, *args):  # quiet
        pass

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.seen.append((self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        route = self.server.routes.get(self.path)
        if route is None:
            self.answer(404, b'{"message":"not here"}')
            return
        route(self)

    do_GET = do_POST = _handle

    def answer(self, status: int, body: bytes = b"", *, content_type: str | None = "application/json",
               headers: dict | None = None) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def remote():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Remote)
    server.daemon_threads = True
    server.seen, server.routes = [], {}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _paths(server) -> list[tuple[str, str]]:
    return [(method, path) for method, path, *_ in server.seen]


class _Health(DepartmentAdapter):
    department = "health"

    def data_for(self, form):
        return dict(form)


def _submission(key: str = "m-1.1") -> Submission:
    return Submission(matter_id="m-1", matter_code="death_certificate", matter_name="死亡医学证明",
                      case_reference="XS-2026-000001", attempt=1, idempotency_key=key, form={"deceased": {"name": "李四"}},
                      effective_date=None, callback_url="http://127.0.0.1:9/callbacks")


def _push(key: str = "d-1") -> Outgoing:
    return Outgoing(delivery_id=1, channel="app_push", idempotency_key=key,
                    recipient={"user_id": 7, "device_token": "device-1"}, title="办理进度", text="死亡医学证明已出具")


# --- 1. an answer that is not an acceptance is taken as one ----------------------------------

def _moved(server, path: str, status: int, answer: bytes, code: int = 200) -> None:
    """``path`` answers ``status`` with ``Location: /v2<path>``, where ``answer`` waits (``code``)."""
    server.routes[path] = lambda h: h.answer(status, content_type=None, headers={"Location": f"/v2{path}"})
    server.routes[f"/v2{path}"] = lambda h: h.answer(code, answer)


def test_a_department_that_redirects_the_submit_is_not_taken_as_having_accepted_it(remote):
    """requests followed the redirect (a 307 re-sends the signed body to the new address);
    urllib3 with ``redirect=False`` hands the 307 back, and ``submit`` returns normally for any
    status below 400 — ``dispatch_matter`` then marks the matter ``sent`` although the
    department never took it (its body went nowhere). A 3xx must be followed or be a
    ``DepartmentError``, never a receipt."""
    server, url = remote
    _moved(server, "/health/matters", 307, b'{"receipt_id": "WJ-0001"}', 201)
    adapter = _Health(base_url=url, secret="test-secret", timeout=5)
    try:
        receipt = adapter.submit(_submission())
    except DepartmentError:
        return  # a failure the dispatch job retries or shows staff: acceptable
    assert _paths(server) == [("POST", "/health/matters"), ("POST", "/v2/health/matters")], (
        f"submit returned {receipt!r} for a 307 the department's new address never saw: "
        "dispatch_matter would mark the matter sent")


def test_a_gateway_that_redirects_a_push_is_not_recorded_as_delivered(remote):
    """Same for the message centre: a 307/308 comes back as a ``Receipt(status="accepted")``
    and ``deliver`` records the delivery ``sent`` — no SMS fallback, no retry, nobody told."""
    server, url = remote
    _moved(server, "/app-push", 308, b'{"message_id": "push-1", "status": "queued"}')
    adapter = AppPushAdapter(base_url=url, token="gateway-token", timeout=5)
    try:
        receipt = adapter.send(_push())
    except ChannelError:
        return
    assert ("POST", "/v2/app-push") in _paths(server), (
        f"a 308 was recorded as {receipt!r}: the push never reached the message centre")


def test_a_redirected_status_query_is_a_department_error(remote):
    """``status`` (asked before every re-send) gets a 302 back: ``response.json()`` of its empty
    body raises ``JSONDecodeError``, which is no ``DepartmentError`` — the dispatch job crashes
    and the matter waits for the reconciler. requests followed it to the receipt."""
    server, url = remote
    _moved(server, "/health/matters/m-1.1", 302, b'{"receipt_id": "WJ-0001"}')
    adapter = _Health(base_url=url, secret="test-secret", timeout=5)
    try:
        held = adapter.status("m-1.1")
    except DepartmentError:
        return
    assert held == {"receipt_id": "WJ-0001"}


# --- 2. failures that escape as something other than the caller's error ----------------------

def test_a_gateway_token_with_a_trailing_newline_is_a_channel_error_not_a_crash(remote):
    """A secret set from a file or a Kubernetes secret often ends in a newline. requests refused
    the header as ``InvalidHeader`` (a ``RequestException``: a retryable ``ChannelError``, then
    ``failed`` and visible to staff). http.client's ``ValueError('Invalid header value')``
    passes straight through urllib3 and ``outbound.request``: ``deliver`` crashes after claiming
    the row, the sweep claims it again after every lease, forever, and it never fails over to SMS."""
    _, url = remote
    adapter = AppPushAdapter(base_url=url, token="gateway-token\n", timeout=5)
    try:
        adapter.send(_push())
    except ChannelError:
        pass


def test_an_invalid_header_value_is_a_request_error(remote):
    """The module promises that every failure to get an answer is a ``RequestError``."""
    _, url = remote
    with pytest.raises(outbound.RequestError):
        outbound.request("GET", f"{url}/echo", headers={"X-Token": "a\r\nX-Injected: 1"}, timeout=5)


def test_a_login_code_with_a_lone_surrogate_is_refused_not_a_500(embedded_stack):
    """``{"code": "\\ud800"}`` is valid JSON and passes the schema (a 1–200 character string).
    requests encoded ``json=`` with ``ensure_ascii`` (``"\\ud800"`` on the wire); urllib3 encodes
    with ``ensure_ascii=False`` and ``.encode("utf-8")`` raises ``UnicodeEncodeError`` inside
    ``outbound.request``: any anonymous caller gets a 500 (and an error-level log). Sent as
    ASCII, the sandbox platform then failed the same way hashing it. Fixed for every endpoint:
    a lone surrogate in a JSON body is refused before any view (``app/http_guards.py``)."""
    response = requests.post(f"{embedded_stack.base_url}/api/v1/auth/platform-login", data=b'{"code": "\\ud800"}',
                             headers={"Content-Type": "application/json"}, timeout=30)
    assert response.status_code == 400, response.text[:300]
    assert response.json() == {"code": "bad_request", "message": "请求内容中含有无效字符", "errors": {}}
    paired = requests.post(f"{embedded_stack.base_url}/api/v1/auth/platform-login", timeout=30,
                           data=b'{"code": "\\ud83d\\ude00"}', headers={"Content-Type": "application/json"})
    assert paired.status_code == 401  # a surrogate pair is one character (an emoji): an unknown code


def test_json_that_cannot_be_utf8_encoded_is_not_an_unhandled_error(remote):
    """The same at the module's level: ``json=`` with a string Python can hold but UTF-8 cannot."""
    _, url = remote
    try:
        answer = outbound.request("POST", f"{url}/echo", json={"code": "\ud800"}, timeout=5)
    except outbound.RequestError:
        return
    assert answer.status == 404  # it was sent (escaped), as requests sent it


def test_a_url_without_a_scheme_is_refused_not_sent_in_clear_text(remote):
    """``DEPARTMENT_BASE_URL=dept.example.gov.cn/api`` (scheme forgotten): requests raised
    ``MissingSchema`` (a retryable ``DepartmentError``, visible). urllib3 only warns
    (``FutureWarning``) and sends over plain HTTP — here the platform's client secret in Basic
    auth and the body, in clear text, to port 80 of that host."""
    server, url = remote
    server.routes["/oauth/token"] = lambda h: h.answer(200, b"{}")
    schemeless = url.removeprefix("http://") + "/oauth/token"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            outbound.request("POST", schemeless, json={"code": "x"}, basic_auth=("hsyjs", "s3cret"), timeout=5)
        except outbound.RequestError:
            pass
    leaked = [headers.get("authorization") for _, _, headers, _ in server.seen]
    assert leaked == [], f"sent over plain HTTP without a scheme being given: {leaked}"


def test_credentials_in_a_configured_url_still_reach_the_other_side(remote):
    """``DEPARTMENT_BASE_URL=https://hsyjs:s3cret@gateway.example/departments`` (a department
    behind a proxy wanting Basic auth): requests took the URL's user-info as Basic auth; urllib3
    sends only the path, so every send is refused 401 — a non-retryable ``DepartmentError``,
    every matter ``failed``."""
    server, url = remote
    server.routes["/health/matters"] = lambda h: h.answer(201, b'{"receipt_id": "WJ-0001"}')
    adapter = _Health(base_url=url.replace("http://", "http://hsyjs:s3cret@"), secret="test-secret", timeout=5)
    adapter.submit(_submission())
    (_, _, headers, _), = server.seen
    assert headers.get("authorization") == "Basic aHN5anM6czNjcmV0", headers


@pytest.mark.parametrize("body", [b"[]", b'"ok"', b"null", b"42"], ids=["list", "string", "null", "number"])
def test_a_gateway_receipt_that_is_not_an_object_is_not_a_crash(remote, body):
    """Predates the change (requests' ``.json()`` gave the same values). A 200 whose JSON is not an
    object: ``body.get`` raises ``AttributeError`` in ``GatewayAdapter._send`` — not a
    ``ChannelError``, so ``deliver`` crashes with the row claimed (re-claimed after every lease)."""
    server, url = remote
    server.routes["/app-push"] = lambda h: h.answer(200, body)
    adapter = AppPushAdapter(base_url=url, token="gateway-token", timeout=5)
    try:
        assert isinstance(adapter.send(_push()), Receipt)
    except ChannelError:
        pass


@pytest.mark.parametrize("message", [123, ["身份证号码有误"], {"text": "x"}], ids=["number", "list", "object"])
def test_a_department_refusal_whose_message_is_not_text_is_a_department_error(remote, message):
    """Predates the change. ``_reason`` does ``(message or …)[:300]``: a number raises
    ``TypeError`` out of ``submit`` (the dispatch job crashes); a list or an object becomes the
    ``reason`` that ``mark_dispatch_failed`` writes as the matter's dispatch error."""
    server, url = remote
    server.routes["/health/matters"] = lambda h: h.answer(400, json.dumps({"message": message}).encode())
    adapter = _Health(base_url=url, secret="test-secret", timeout=5)
    with pytest.raises(DepartmentError) as raised:
        adapter.submit(_submission())
    assert isinstance(raised.value.reason, str) and not raised.value.retryable


@pytest.mark.parametrize("body, content_type", [
    (b"OK", "text/plain"),
    ('{"receipt_id": "卫健-0001"}'.encode("gbk"), "application/json; charset=GBK"),
    (b"[]", "application/json"),
], ids=["not-json", "gbk-json", "json-list"])
def test_a_status_answer_that_is_not_a_json_object_is_a_department_error(remote, body, content_type):
    """``status`` returns ``response.json()`` unguarded. Not JSON: ``JSONDecodeError`` escapes
    (predates the change). GBK JSON that says so in ``Content-Type`` — common for Chinese
    government systems — requests decoded with the declared charset; urllib3's ``.json()``
    insists on UTF-8, so ``UnicodeDecodeError`` escapes now (a regression). A JSON list counts
    as "held": the re-send is skipped and the matter marked sent."""
    server, url = remote
    server.routes["/health/matters/m-1.1"] = lambda h: h.answer(200, body, content_type=content_type)
    adapter = _Health(base_url=url, secret="test-secret", timeout=5)
    try:
        held = adapter.status("m-1.1")
    except DepartmentError:
        return
    assert held is None or isinstance(held, dict), held
    if content_type.endswith("GBK"):
        assert held == {"receipt_id": "卫健-0001"}


def test_a_department_refusal_in_gbk_keeps_its_reason(remote):
    """A department refusing in GBK with ``charset=GBK``: requests read its message
    ("身份证号码有误", what staff and family are shown as the dispatch error); now ``.json()``
    fails on the bytes and the reason becomes the bare "部门系统拒收（400）"."""
    server, url = remote
    refusal = json.dumps({"message": "身份证号码有误"}, ensure_ascii=False).encode("gbk")
    server.routes["/health/matters"] = lambda h: h.answer(400, refusal, content_type="application/json; charset=GBK")
    adapter = _Health(base_url=url, secret="test-secret", timeout=5)
    with pytest.raises(DepartmentError) as raised:
        adapter.submit(_submission())
    assert raised.value.reason == "身份证号码有误"


def test_a_non_latin1_platform_secret_is_an_outage_not_a_500(embedded_stack):
    """Predates the change (requests also encoded Basic auth as Latin-1). ``make_headers`` runs
    before ``outbound.request``'s ``try``: ``UnicodeEncodeError`` escapes ``exchange_code`` and
    every platform login answers 500 instead of the documented 503 ``platform_unavailable``."""
    client = side_app(embedded_stack, PLATFORM_CLIENT_SECRET="平台密钥-0123456789").test_client()
    response = client.post("/api/v1/auth/platform-login", json={"code": "whatever"})
    assert response.status_code == 503, response.get_json()


# --- 3. time and pooled connections ---------------------------------------------------------

def test_a_platform_that_trickles_its_answer_does_not_hold_the_login_for_ever(embedded_stack, remote):
    """Predates the change (the timeout is per read in both). A platform that sends its answer a
    byte at a time, each within ``PLATFORM_TIMEOUT_SECONDS``, holds a gunicorn thread for as
    long as it likes: 8 such logins take a worker. Here 1 s timeout, 24 bytes at 0.25 s: the
    login should give up well before the 6 s the trickle lasts."""
    server, url = remote

    answer = b'{"name": "x", "id": "", "phone": ""}'[:24]

    def trickle(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(answer)))
        handler.end_headers()
        try:
            for byte in answer:
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
                time.sleep(0.25)
        except OSError:
            pass

    server.routes["/oauth/token"] = trickle
    client = side_app(embedded_stack, PLATFORM_BASE_URL=url, PLATFORM_CLIENT_SECRET="s3cret",
                      PLATFORM_TIMEOUT_SECONDS="1").test_client()
    started = time.monotonic()
    response = client.post("/api/v1/auth/platform-login", json={"code": "whatever"})
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert elapsed < 3.5, f"the login took {elapsed:.1f} s with a 1 s platform timeout"


class _RawServer:
    """A TCP server; each connection is handled by ``handler(server, conn, index)`` in a thread."""

    def __init__(self, handler):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.handler, self.connections, self.requests = handler, 0, []
        self.done = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            index, self.connections = self.connections, self.connections + 1
            threading.Thread(target=self._run, args=(conn, index), daemon=True).start()

    def _run(self, conn, index):
        try:
            self.handler(self, conn, index)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self):
        self.done.set()
        self.sock.close()


def _read_request(conn) -> bytes | None:
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        rest += chunk
    return head.split(b"\r\n")[0]


_OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


def test_a_pooled_connection_the_server_closes_as_the_next_call_arrives_does_not_fail_that_call():
    """New with pooling: requests opened a fresh connection for every call, so an idle keep-alive
    connection closed by the other side (its keep-alive timeout firing just as our next call
    arrives) could not fail a call. Now the pooled connection is taken, the request written,
    and the reset is a ``RequestError``: a user's platform login answers 503, a department send
    waits a backoff. The server here never read the second request, so it is safe to send it
    again on a fresh connection."""

    def handler(server, conn, index):
        while True:
            line = _read_request(conn)
            if line is None:
                return
            server.requests.append((index, line))
            conn.sendall(_OK)
            if index == 0:
                # keep-alive timeout fires as the next request arrives: reset without reading it
                socket_ready = conn.recv(1, socket.MSG_PEEK)
                if socket_ready:
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return

    server = _RawServer(handler)
    try:
        url = f"http://127.0.0.1:{server.port}/oauth/token"
        assert outbound.request("POST", url, json={"code": "a"}, timeout=5).status == 200
        time.sleep(0.2)
        answer = outbound.request("POST", url, json={"code": "b"}, timeout=5)
        assert answer.status == 200
    finally:
        server.close()


def test_an_informational_answer_is_not_taken_as_the_departments_acceptance():
    """Predates the change (http.client under both). A department (or a CDN in front of it)
    sending ``103 Early Hints`` before its ``201``: http.client skips only ``100 Continue`` and
    hands back the 103 as the answer; ``submit`` takes every status below 400 as an acceptance, so
    the matter is marked sent on an interim answer. Only a 2xx is an acceptance."""

    def handler(server, conn, index):
        line = _read_request(conn)
        server.requests.append((index, line))
        refusal = b'{"message": "mandatory field"}'
        conn.sendall(b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
                     b"HTTP/1.1 422 Unprocessable Entity\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n%s" % (len(refusal), refusal))
        server.done.wait(5)

    server = _RawServer(handler)
    try:
        adapter = _Health(base_url=f"http://127.0.0.1:{server.port}", secret="test-secret", timeout=5)
        try:
            receipt = adapter.submit(_submission())
        except DepartmentError:
            return
        pytest.fail(f"submit took the interim 103 as the department's acceptance: {receipt!r} (the answer was 422)")
    finally:
        server.close()


@pytest.mark.parametrize("head", [
    b"Content-Length: 9223372036854775807",
    b"Content-Length: 99999999999999999999999",
    b"Transfer-Encoding: chunked\r\n\r\nffffffffffffffffffffff",
], ids=["content-length-2**63", "content-length-overflow", "chunk-size-overflow"])
def test_a_monstrous_declared_length_is_a_department_error_not_a_crash(head):
    """Regression. ``PoolManager.request`` preloads the body through http.client's ``read()``,
    which asks the buffered socket for the whole declared length (or chunk) at once: Python
    allocates it up front, so ``MemoryError`` / ``OverflowError`` — neither an ``HTTPError`` —
    escape urllib3 and ``outbound.request``: the dispatch job crashes, a platform login is a 500.
    requests streamed the body 10 KiB at a time and got ``IncompleteRead`` (a
    ``ConnectionError``: a retryable ``DepartmentError``)."""

    def handler(server, conn, index):
        server.requests.append((index, _read_request(conn)))
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + head
                     + (b"" if b"chunked" in head else b"\r\n\r\n") + b"\r\n{}")

    server = _RawServer(handler)
    try:
        adapter = _Health(base_url=f"http://127.0.0.1:{server.port}", secret="test-secret", timeout=5)
        with pytest.raises(DepartmentError) as raised:
            adapter.submit(_submission())
        assert raised.value.retryable
    finally:
        server.close()


# --- 4. attacks on the fixes of 4d18b44 ----------------------------------------------------

def test_a_server_that_trickles_its_headers_does_not_hold_the_call_for_ever():
    """``outbound`` now promises that "the whole answer must arrive within 2 × timeout of the call
    (a trickling server cannot hold a thread)", but the bound is checked only while the *body* is
    read: ``pool.request`` waits for the status line and headers under the per-read timeout
    alone. A server that sends its headers a byte at a time (each within ``timeout``) holds the
    call — and a gunicorn thread, for a platform login — for as long as it likes (http.client
    takes up to 100 header lines of 64 KiB each)."""

    def handler(server, conn, index):
        server.requests.append((index, _read_request(conn)))
        conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        for _ in range(24):  # 6 s of trickle
            if server.done.wait(0.25):
                return
            conn.sendall(b"a")
        conn.sendall(b"\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")

    server = _RawServer(handler)
    try:
        started = time.monotonic()
        try:
            outbound.request("POST", f"http://127.0.0.1:{server.port}/oauth/token", json={"code": "x"}, timeout=1)
        except outbound.RequestError:
            pass
        elapsed = time.monotonic() - started
        assert elapsed < 3.5, f"the call took {elapsed:.1f} s with a 1 s timeout (2 s whole-answer bound)"
    finally:
        server.close()


def test_a_json_body_under_a_plus_json_media_type_gets_the_same_guards(embedded_stack):
    """``app/http_guards.py`` checks JSON bodies only when the media type is exactly
    ``application/json``; webargs (and so every ``@blp.arguments`` view) also parses
    ``application/<anything>+json``. Under such a type the new lone-surrogate refusal, the NUL
    refusal and the nesting bound are all skipped: a deeply nested body is a ``RecursionError``
    (500) on an anonymous endpoint."""
    url = f"{embedded_stack.base_url}/api/v1/auth/platform-login"
    deep = b'{"code": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    plain = requests.post(url, data=deep, headers={"Content-Type": "application/json"}, timeout=30)
    assert plain.status_code == 400  # the guard
    sneaky = requests.post(url, data=deep, headers={"Content-Type": "application/vnd.hsyjs+json"}, timeout=30)
    assert sneaky.status_code == 400, sneaky.text[:300]


def test_a_lone_surrogate_under_a_plus_json_media_type_is_refused_too(embedded_stack):
    """The lone-surrogate refusal (the fix for the platform login's 500) is skipped the same way:
    a family user's push-device registration stores it and the database driver raises
    ``UnicodeEncodeError`` — a 500."""
    from tests.helpers import Api
    from tests.people import new_person

    person = new_person()
    family = Api(embedded_stack.base_url).as_family(name=person["name"], id_number=person["id_number"],
                                                     phone=person["phone"])
    body = b'{"push_token": "device-token-\\ud800"}'
    for media_type in ("application/json", "application/vnd.hsyjs+json"):
        response = family.post("/api/v1/me/devices", data=body, headers={"Content-Type": media_type})
        assert response.status_code == 400, (media_type, response.status_code, response.text[:300])


def test_percent_encoded_credentials_in_a_configured_url_are_decoded(remote):
    """The fix sends a URL's user-info as Basic auth "as requests did", but requests unquoted it
    (``get_auth_from_url``); a password with ``@``, ``:`` or ``/`` must be percent-encoded in a
    URL, and it now goes out still encoded (``s3%40cret``): the department refuses every send
    401, a non-retryable failure of every matter."""
    server, url = remote
    server.routes["/health/matters"] = lambda h: h.answer(201, b'{"receipt_id": "WJ-0001"}')
    adapter = _Health(base_url=url.replace("http://", "http://hsyjs:s3%40cret@"), secret="test-secret", timeout=5)
    adapter.submit(_submission())
    (_, _, headers, _), = server.seen
    assert headers.get("authorization") == "Basic " + __import__("base64").b64encode(b"hsyjs:s3@cret").decode(), headers


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback")
def test_a_department_at_an_ipv6_literal_gets_a_valid_host_header():
    """A URL such as ``http://[2001:db8::10]:8443/departments`` (a department reached by its IPv6
    address). urllib3's pool strips the brackets before building its connection; a bare
    ``HTTPConnection(parsed.host, …)`` gets ``[::1]`` and sends ``Host: [[::1]]:port`` —
    a header any HTTP/1.1 server refuses with 400 (RFC 9112 §3.2), so every send fails."""
    server = socket.socket(socket.AF_INET6)
    server.bind(("::1", 0))
    server.listen(1)
    got: list[bytes] = []

    def answer():
        conn, _ = server.accept()
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
            got.extend(line for line in data.split(b"\r\n") if line.lower().startswith(b"host:"))
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    port = server.getsockname()[1]
    try:
        assert outbound.request("GET", f"http://[::1]:{port}/health/matters/m-1.1", timeout=5).status == 200
        thread.join(5)
        assert got == [f"Host: [::1]:{port}".encode()]
    finally:
        server.close()
