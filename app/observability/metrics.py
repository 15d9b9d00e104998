"""Prometheus metrics at ``GET /metrics`` (text format 0.0.4).

- ``hsyjs_http_requests_total{route,method,status}`` and
  ``hsyjs_http_request_duration_seconds{route,method}``: every answer, by route template (never
  the raw path, which carries ids). Per process; under gunicorn with several workers set
  ``PROMETHEUS_MULTIPROC_DIR`` (``gunicorn.conf.py`` does) and every worker's figures are summed.
- ``hsyjs_jobs_total{queue,job,outcome}`` and ``hsyjs_job_duration_seconds{queue,job}``: shared
  through Redis by every worker (``app.observability.jobstats``).
- Read from the database at scrape time, so every API process answers alike:
  ``hsyjs_matters{department,state}`` (SPEC §5 states), ``hsyjs_matter_dispatch{department,state}``
  (``failed`` = dispatch failures waiting for a person), ``hsyjs_matters_overdue{department}``
  (unfinished matters past their legal due time), ``hsyjs_notification_deliveries{channel,state}``.
- ``hsyjs_queue_jobs{queue,state}`` and ``hsyjs_queue_oldest_job_age_seconds{queue}`` from RQ, one
  ``queue`` each for dispatch, notifications and maintenance (the RQ queue name, e.g.
  ``hsyjs-dispatch``, as in ``hsyjs_jobs_total``; the embedded runner says ``embedded``).
- ``hsyjs_metrics_source_up{source}``: 0 when the database or Redis could not be read.

Who may scrape: with ``METRICS_TOKEN`` a caller sending ``Authorization: Bearer <token>``;
without it only a caller on the loopback address whose request no proxy forwarded.
"""
from __future__ import annotations

import hmac
import logging
import time

from flask import Flask, Response, current_app, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

from app.errors import Forbidden
from app.observability import queues
from app.observability.jobstats import BUCKETS

log = logging.getLogger(__name__)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
disable_created_metrics()  # no ``*_created`` series: half the lines, nothing an alert uses
#: Request latency buckets, seconds (the long-poll waits up to 30 s).
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RequestMetrics:
    """One app's request counter and latency histogram (a registry per app, so two apps in one
    process — tests — keep their own figures)."""

    def __init__(self):
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter("hsyjs_http_requests", "HTTP answers by route template, method and status",
                                ["route", "method", "status"], registry=self.registry)
        self.latency = Histogram("hsyjs_http_request_duration_seconds", "Time to answer, by route template",
                                 ["route", "method"], buckets=REQUEST_BUCKETS, registry=self.registry)

    def observe(self, *, route: str, method: str, status: int, seconds: float) -> None:
        # A caller chooses the method word: anything unusual is one label, not one series each.
        method = method if method in METHODS else "OTHER"
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route, method).observe(seconds)


class _Forward:
    """Collect another registry's metrics into the scrape registry."""

    def __init__(self, registry: CollectorRegistry):
        self.registry = registry

    def collect(self):
        return self.registry.collect()


class _AppCollector:
    """Jobs (Redis or memory), the database counts and the queue, read at scrape time. A source
    that cannot be read shows as ``hsyjs_metrics_source_up{source} 0``; the scrape still answers."""

    def collect(self):
        up = GaugeMetricFamily("hsyjs_metrics_source_up", "1 if the source could be read for this scrape",
                               labels=["source"])
        families = []
        for source, read in (("job_stats", _job_families), ("database", _domain_families),
                             ("queue", _queue_families)):
            try:
                got = read()
            except Exception as exc:  # noqa: BLE001 - a dependency is down: say so, answer the rest
                log.warning("%s metrics unavailable (%s)", source, type(exc).__name__)
                up.add_metric([source], 0)
                continue
            if got is not None:
                up.add_metric([source], 1)
                families.extend(got)
        yield up
        yield from families


def _job_families() -> list:
    snap = current_app.extensions["hsyjs_job_stats"].snapshot()
    total = CounterMetricFamily("hsyjs_jobs", "Jobs run, by queue, job and outcome",
                                labels=["queue", "job", "outcome"])
    for (queue, job, outcome), value in sorted(snap.counts.items()):
        total.add_metric([queue, job, outcome], value)
    duration = HistogramMetricFamily("hsyjs_job_duration_seconds", "Job run time, by queue and job",
                                     labels=["queue", "job"])
    for (queue, job), buckets in sorted(snap.buckets.items()):
        cumulative, running = [], 0.0
        for le in [repr(b) for b in BUCKETS] + ["+Inf"]:
            running += buckets.get(le, 0.0)
            cumulative.append((le, running))
        duration.add_metric([queue, job], cumulative, snap.sums.get((queue, job), 0.0))
    return [total, duration]


def _domain_families() -> list:
    from app.observability.service import domain_counts

    families = {
        "matters": GaugeMetricFamily("hsyjs_matters", "Matters by department and state (SPEC §5)",
                                     labels=["department", "state"]),
        "dispatch": GaugeMetricFamily("hsyjs_matter_dispatch",
                                      "Matters by department and dispatch state (failed = dispatch failure)",
                                      labels=["department", "state"]),
        "overdue": GaugeMetricFamily("hsyjs_matters_overdue",
                                     "Unfinished matters past their legal due time, by department",
                                     labels=["department"]),
        "deliveries": GaugeMetricFamily("hsyjs_notification_deliveries",
                                        "Notification deliveries by channel and state", labels=["channel", "state"]),
    }
    for name, rows in domain_counts().items():
        for labels, value in rows:
            families[name].add_metric([str(label) for label in labels], value)
    return list(families.values())


def _queue_families() -> list | None:
    stats = queues.queue_stats(current_app)
    if stats is None:  # the embedded runner: no queue to read
        return None
    jobs = GaugeMetricFamily("hsyjs_queue_jobs", "Jobs in the queue by state", labels=["queue", "state"])
    age = GaugeMetricFamily("hsyjs_queue_oldest_job_age_seconds", "How long the oldest waiting job has waited",
                            labels=["queue"])
    for one in stats["queues"].values():  # labelled with the RQ queue name, as hsyjs_jobs_total is
        for state, value in one["jobs"].items():
            jobs.add_metric([one["queue"], state], value)
        age.add_metric([one["queue"]], one["oldest_waiting_seconds"] or 0.0)
    return [jobs, age]


def render(app: Flask) -> bytes:
    """The scrape: this process's (or, multiprocess, every worker's) request metrics, the shared job
    metrics, the database counts and the queue."""
    registry = CollectorRegistry(auto_describe=False)
    if app.config["PROMETHEUS_MULTIPROC_DIR"]:
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry, path=app.config["PROMETHEUS_MULTIPROC_DIR"])
    else:
        registry.register(_Forward(app.extensions["hsyjs_request_metrics"].registry))
    registry.register(_AppCollector())
    return generate_latest(registry)


def _allowed() -> bool:
    token = current_app.config["METRICS_TOKEN"]
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())
    forwarded = "X-Forwarded-For" in request.headers or "Forwarded" in request.headers
    return request.remote_addr in {"127.0.0.1", "::1"} and not forwarded


def metrics_view():
    if not _allowed():
        raise Forbidden("指标只对本机或持有 METRICS_TOKEN 的采集端开放", code="metrics_forbidden")
    return Response(render(current_app._get_current_object()), mimetype=None, content_type=CONTENT_TYPE)


def start_timer() -> None:
    g.hsyjs_started = time.perf_counter()


def observe(response) -> float:
    """Count the answer; out: seconds since the request started."""
    seconds = time.perf_counter() - g.get("hsyjs_started", time.perf_counter())
    route = request.url_rule.rule if request.url_rule is not None else "unmatched"
    current_app.extensions["hsyjs_request_metrics"].observe(
        route=route, method=request.method, status=response.status_code, seconds=seconds)
    return seconds


def init_app(app: Flask) -> None:
    app.extensions["hsyjs_request_metrics"] = RequestMetrics()
    app.add_url_rule("/metrics", "metrics", metrics_view, methods=["GET"])
