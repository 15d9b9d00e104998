"""Running it like production (issue 10): request ids and log lines, ``/healthz``, ``/readyz``,
``/metrics``, and the real client address behind a load balancer.

- Every request gets a request id (the caller's ``X-Request-Id`` when it is a plain token of at
  most 64 characters, else a new one), echoed in the ``X-Request-Id`` answer header, on every log
  line of the request and of the jobs it queues (``app.observability.context``).
- One log line per answer: ``hsyjs.request`` ``"GET /api/v1/cases/<case_id> 200 12.3 ms"`` — the
  route template, never the raw path or query, which can carry ids or numbers.
- ``GET /healthz``: the process answers (liveness; touches nothing). ``GET /readyz``: 200
  ``{"status": "ready", "checks": {...}}`` or 503 in the one error shape with the failed checks
  (``app.observability.service.readiness``). Neither is in the OpenAPI document.
- ``PROXY_FIX_X_FOR`` = N trusts the last N ``X-Forwarded-For`` / ``X-Forwarded-Proto`` hops, so
  rate limits and logs see the client's address, not the load balancer's.
"""
from __future__ import annotations

import logging

from flask import Flask, g, jsonify, request

from app.observability import context, metrics
from app.observability.logs import configure_logging

log = logging.getLogger("hsyjs.request")


def init_app(app: Flask) -> None:
    """Call first in ``create_app``: its ``before_request`` must run before any other, so even a
    request refused by a guard has its id."""
    from app.observability.jobstats import make_job_stats

    configure_logging(log_format=app.config["LOG_FORMAT"], level=app.config["LOG_LEVEL"])
    if app.config["PROXY_FIX_X_FOR"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_FIX_X_FOR"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    app.extensions["hsyjs_job_stats"] = make_job_stats(app.config)
    metrics.init_app(app)
    app.before_request(_begin)
    app.after_request(_finish)
    app.teardown_request(_end)
    app.add_url_rule("/healthz", "healthz", healthz, methods=["GET"])
    app.add_url_rule("/readyz", "readyz", readyz, methods=["GET"])


def _begin() -> None:
    metrics.start_timer()
    g.request_id = context.new_request_id(request.headers.get("X-Request-Id"))
    g.hsyjs_request_token = context.bind_request(g.request_id)


def _finish(response):
    request_id = g.get("request_id")
    if request_id:
        response.headers["X-Request-Id"] = request_id
    seconds = metrics.observe(response)
    route = request.url_rule.rule if request.url_rule is not None else "unmatched"
    if request.endpoint not in {"healthz", "readyz", "metrics"}:  # probes every few seconds: no noise
        log.info("%s %s %s %.1f ms", request.method, route, response.status_code, seconds * 1000,
                 extra={"method": request.method, "route": route, "status": response.status_code,
                        "duration_ms": round(seconds * 1000, 1), "client": request.remote_addr})
    return response


def _end(_exc) -> None:
    token = g.pop("hsyjs_request_token", None)
    if token is not None:
        try:
            context.unbind_request(token)
        except ValueError:  # reset from another context (should not happen): at least clear it
            context.bind_request(None)


def healthz():
    """Liveness: the process answers. Touches no database, so a database outage does not get
    every API process restarted."""
    return jsonify({"status": "ok"})


def readyz():
    """Readiness: may this process take traffic? 200 or 503 (see ``app.observability.service``)."""
    from app.errors import error_body
    from app.observability.service import not_ready_errors, readiness

    ready, checks = readiness()
    if ready:
        return jsonify({"status": "ready", "checks": checks})
    errors = not_ready_errors(checks)
    log.warning("not ready: %s", ", ".join(sorted(errors)))
    return jsonify(error_body("not_ready", "服务尚未就绪：" + "；".join(m[0] for m in errors.values()), errors)), 503
