"""Outbound HTTP (app.outbound): one attempt, bytes sent as given, errors of two kinds, no requests."""
from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from app import outbound
from tests.conftest import TEST_SECRETS

ROOT = Path(__file__).resolve().parent.parent


class _Department(BaseHTTPRequestHandler):
    """Answers by path: ``/echo`` what it got (header names in lower case), ``/slow`` after 1 s, ``/drop`` by closing the
    connection, ``/moved`` a 302 to ``/echo``. Every request is counted in ``server.seen``."""

    def log_message(self, *args):  # quiet
        pass

    def setup(self):
        super().setup()
        self.server.connections += 1

    def _answer(self):
        self.server.seen.append((self.command, self.path))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path.startswith("/echo"):
            self.path = "/echo"
        if self.path == "/slow":
            time.sleep(1)
        if self.path == "/drop":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/echo")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        answer = json.dumps({"body": base64.b64encode(body).decode(), "headers": {k.lower(): v for k, v in self.headers.items()}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    do_GET = do_POST = _answer


@pytest.fixture
def department():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Department)
    server.daemon_threads = True
    server.seen, server.connections = [], 0
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_signed_body_is_sent_byte_for_byte(department):
    _, url = department
    raw = "{\"姓名\": \"张三\",  \"x\":1}".encode()  # spacing a re-encoder would change
    answer = outbound.request("POST", f"{url}/echo", body=raw, headers={"X-Signature": "abc"}, timeout=5)
    got = answer.json()
    assert answer.status == 200
    assert base64.b64decode(got["body"]) == raw
    assert got["headers"]["x-signature"] == "abc"


def test_json_is_sent_as_utf8_json_with_basic_auth(department):
    _, url = department
    answer = outbound.request("POST", f"{url}/echo", json={"code": "登录码"}, basic_auth=("hsyjs", "s3cret"), timeout=5)
    got = answer.json()
    assert json.loads(base64.b64decode(got["body"])) == {"code": "登录码"}
    assert got["headers"]["content-type"] == "application/json"
    assert got["headers"]["authorization"] == "Basic " + base64.b64encode(b"hsyjs:s3cret").decode()


def test_a_slow_answer_is_a_timeout(department):
    _, url = department
    with pytest.raises(outbound.Timeout):
        outbound.request("GET", f"{url}/slow", timeout=0.2)


def test_a_refused_connection_is_a_request_error_not_a_timeout():
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(outbound.RequestError) as raised:
        outbound.request("POST", f"http://127.0.0.1:{port}/", body=b"{}", timeout=2)
    assert not isinstance(raised.value, outbound.Timeout)  # urllib3 2 calls it a ConnectTimeoutError
    assert str(raised.value) == "NewConnectionError"  # what callers log: the kind, never the URL


def test_a_dropped_connection_is_not_retried(department):
    """A POST that may have reached the department is never sent twice by the transport: the
    caller decides (idempotency key, status query, backoff)."""
    server, url = department
    with pytest.raises(outbound.RequestError):
        outbound.request("POST", f"{url}/drop", body=b"{}", timeout=2)
    assert server.seen == [("POST", "/drop")]


def test_a_redirect_is_answered_not_followed(department):
    server, url = department
    answer = outbound.request("POST", f"{url}/moved", body=b"{}", timeout=2)
    assert answer.status == 302
    assert server.seen == [("POST", "/moved")]


def test_a_malformed_url_is_a_request_error():
    with pytest.raises(outbound.RequestError):
        outbound.request("GET", "http://[::1/", timeout=1)


def test_every_call_has_a_connection_of_its_own(department):
    """Nothing is shared between calls, threads or a fork: a kept-alive connection that the other
    side closes just as the next call is written would fail that call."""
    server, url = department
    for _ in range(3):
        answer = outbound.request("GET", f"{url}/echo?x=1", timeout=5)
        assert answer.status == 200
    assert server.seen == [("GET", "/echo?x=1")] * 3  # origin-form request target, query kept
    assert server.connections == 3


def test_a_served_process_does_not_load_requests(tmp_path):
    """The API process imports no HTTP library beyond urllib3 (about 4 MiB a process:
    docs/BENCHMARKS.md). Checked in a fresh interpreter: this test process has requests."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(TEST_SECRETS, PYTHONPATH=str(ROOT), SANDBOX="1", DATABASE_URL=f"sqlite:///{tmp_path / 'served.sqlite3'}",
               UPLOAD_DIR=str(tmp_path / "uploads"))
    code = ("import sys, wsgi\n"
            "client = wsgi.app.test_client()\n"
            "assert client.get('/healthz').status_code == 200\n"
            "print(sorted(m for m in ('requests', 'charset_normalizer', 'idna') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"
