"""Helpers for the operations tests: app settings, a log capture and a TCP proxy that can be cut."""
from __future__ import annotations

import io
import json
import logging
import socket
import threading
from contextlib import contextmanager
from pathlib import Path

from tests.conftest import TEST_RATE_LIMITS, TEST_SECRETS, _callback_secrets


def ops_env(tmp: Path, **extra: str) -> dict:
    """Settings of a sandbox app on its own SQLite file under ``tmp`` (``extra`` overrides)."""
    return {"DATABASE_URL": f"sqlite:///{tmp / 'ops.sqlite3'}", "SANDBOX": "1",
            **TEST_SECRETS, "DEPARTMENT_CALLBACK_SECRETS": _callback_secrets(), "SANDBOX_DEPARTMENT_LATENCY_SECONDS": "0",
            "UPLOAD_DIR": str(tmp / "uploads"), "RECONCILE_INTERVAL_SECONDS": "0", **TEST_RATE_LIMITS, **extra}


def make_app(env: dict, *, migrate: bool = True):
    from app import create_app
    from app.config import load_config

    app = create_app(load_config(env))
    if migrate:
        with app.app_context():
            import flask_migrate

            flask_migrate.upgrade(revision="heads")
    return app


@contextmanager
def captured_json_logs():
    """Every log line written meanwhile, as parsed JSON objects (through the product's handler)."""
    from app.observability.logs import make_handler

    buffer = io.StringIO()
    handler = make_handler("json", stream=buffer)
    handler._hsyjs = False  # not replaced when a test builds another app meanwhile
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)  # pytest's log_level (WARNING) would hide the INFO lines under test
    lines: list[dict] = []
    try:
        yield lines
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        lines.extend(json.loads(line) for line in buffer.getvalue().splitlines() if line.strip())


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a target; :meth:`cut` closes the port and every connection
    through it (the service looks stopped), :meth:`restore` opens the same port again."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.port = 0
        self._listener: socket.socket | None = None
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()

    def restore(self) -> "TcpProxy":
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.1)  # the accept loop notices a cut within 0.1 s
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def cut(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            try:
                listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            listener.close()
        with self._lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
