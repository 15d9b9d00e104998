"""Job counts and durations by queue, job and outcome, kept where every API process can read them.

With ``REDIS_URL`` a finished job adds to three Redis hashes under ``hsyjs:metrics:<RQ_QUEUE>:``
(the queue-name prefix, so one installation's queues share them; one round trip), so ``/metrics`` of any API process reports the jobs of every worker — and a worker that is
killed or restarted loses nothing it counted. The embedded runner keeps
the same figures in this process's memory. Buckets are in seconds.
"""
from __future__ import annotations

import logging
import threading
from bisect import bisect_left
from collections import defaultdict

log = logging.getLogger(__name__)

#: Upper bounds (seconds) of the job duration histogram; a department call can take 10 s or more.
BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
OUTCOMES = ("succeeded", "failed")
_SEP = "|"


def _bucket(seconds: float) -> str:
    index = bisect_left(BUCKETS, seconds)
    return repr(BUCKETS[index]) if index < len(BUCKETS) else "+Inf"


class Snapshot:
    """``counts[(queue, job, outcome)] = n``; ``buckets[(queue, job)][le] = n`` (not cumulative);
    ``sums[(queue, job)] = seconds``."""

    def __init__(self):
        self.counts: dict[tuple[str, str, str], float] = defaultdict(float)
        self.buckets: dict[tuple[str, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
        self.sums: dict[tuple[str, str], float] = defaultdict(float)


class MemoryJobStats:
    """This process's figures (the embedded runner)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._snap = Snapshot()

    def record(self, *, queue: str, job: str, outcome: str, seconds: float) -> None:
        with self._lock:
            self._snap.counts[(queue, job, outcome)] += 1
            self._snap.buckets[(queue, job)][_bucket(seconds)] += 1
            self._snap.sums[(queue, job)] += seconds

    def snapshot(self) -> Snapshot:
        with self._lock:
            snap = Snapshot()
            snap.counts.update(self._snap.counts)
            for key, buckets in self._snap.buckets.items():
                snap.buckets[key].update(buckets)
            snap.sums.update(self._snap.sums)
            return snap


class RedisJobStats:
    """Figures shared by every process through Redis (RQ workers and API processes)."""

    def __init__(self, url: str, namespace: str, timeout: float = 2):
        self.url, self.timeout = url, timeout
        self.prefix = f"hsyjs:metrics:{namespace}:"
        self._client = None

    def _redis(self):
        if self._client is None:
            from redis import Redis

            self._client = Redis.from_url(self.url, socket_connect_timeout=self.timeout, socket_timeout=self.timeout)
        return self._client

    def record(self, *, queue: str, job: str, outcome: str, seconds: float) -> None:
        pipe = self._redis().pipeline(transaction=False)
        pipe.hincrby(self.prefix + "jobs", _SEP.join((queue, job, outcome)), 1)
        pipe.hincrby(self.prefix + "job_buckets", _SEP.join((queue, job, _bucket(seconds))), 1)
        pipe.hincrbyfloat(self.prefix + "job_seconds", _SEP.join((queue, job)), seconds)
        pipe.execute()

    def snapshot(self) -> Snapshot:
        pipe = self._redis().pipeline(transaction=False)
        for name in ("jobs", "job_buckets", "job_seconds"):
            pipe.hgetall(self.prefix + name)
        counts, buckets, sums = pipe.execute()
        snap = Snapshot()
        for field, value in counts.items():
            queue, job, outcome = field.decode().split(_SEP)
            snap.counts[(queue, job, outcome)] = float(value)
        for field, value in buckets.items():
            queue, job, le = field.decode().split(_SEP)
            snap.buckets[(queue, job)][le] = float(value)
        for field, value in sums.items():
            queue, job = field.decode().split(_SEP)
            snap.sums[(queue, job)] = float(value)
        return snap


def make_job_stats(config: dict):
    """Redis-backed with ``REDIS_URL`` (namespaced by the queue prefix ``RQ_QUEUE``), else in memory."""
    if config["REDIS_URL"]:
        return RedisJobStats(config["REDIS_URL"], config["RQ_QUEUE"], config["READY_CHECK_TIMEOUT_SECONDS"])
    return MemoryJobStats()
