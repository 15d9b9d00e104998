"""The RQ worker: ``python -m jobs.worker [--name NAME] [--burst] [QUEUE …]``.

Runs ``rq worker -w jobs.worker.AppWorker --with-scheduler --url $REDIS_URL`` on the RQ queues of
the logical queues named (``dispatch``, ``notifications``, ``maintenance``), else of
``RQ_QUEUES``, else of all three, in that order (``app.tasks.queue_names``). The Makefile, the
deploy files, the tests and the benchmark all start workers this way, so the queue names are
built in one place. RQ runs in this process: SIGTERM reaches it directly (warm shutdown, the
running job finishes).
"""
from __future__ import annotations

import argparse
import sys

from rq import SimpleWorker


class AppWorker(SimpleWorker):
    """An RQ worker that builds the Flask app once and runs every job in this process.

    No work-horse is forked per job: a forked horse opened its own database and Redis
    connections and compiled every SQL statement again, about 0.2 s a job, five times the work
    itself (docs/BENCHMARKS.md). The cost of not forking: a SIGKILL ends the running job with the
    worker, leaving it "started" in Redis. RQ counts such a job abandoned once its registry
    entry expires, which :meth:`get_heartbeat_ttl` sets to the job's timeout
    (``app.tasks.job_timeout``) plus :data:`ABANDON_MARGIN_SECONDS`; the reconciler then moves it
    out (``app.tasks.housekeeping``) and sends its work again from the database."""

    #: A job still registered this long after its timeout has no worker left to finish it.
    ABANDON_MARGIN_SECONDS = 15

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from app.observability.logs import adopt
        from jobs.runtime import warm_app

        warm_app()
        adopt("rq.worker")  # RQ's own lines in our format, with job and request ids, scrubbed

    def get_heartbeat_ttl(self, job, working_time: float = 0.0) -> int:
        """How long the job's registry entry lives without a heartbeat (none comes while a job
        runs in this process): its timeout and a margin, instead of RQ's minute."""
        if job.timeout is None or job.timeout < 0:
            return super().get_heartbeat_ttl(job, working_time)
        return int(job.timeout) + self.ABANDON_MARGIN_SECONDS


def rq_args(config: dict, queues=(), *, name: str | None = None, burst: bool = False) -> list[str]:
    """The ``rq`` command line (without ``rq``) of a worker on ``queues`` (logical names; empty =
    config ``RQ_QUEUES``), with the scheduler (delayed jobs and retries need one). Raises
    ``ValueError`` without ``REDIS_URL`` or for an unknown queue."""
    from app.tasks import queue_names

    if not config["REDIS_URL"]:
        raise ValueError("REDIS_URL must be set for rq workers")
    return ["worker", "-w", "jobs.worker.AppWorker", "--with-scheduler", "--url", config["REDIS_URL"],
            *(["--name", name] if name else []), *(["--burst"] if burst else []),
            *queue_names(config, list(queues))]


def parse_args(argv: list[str]) -> argparse.Namespace:
    """``argv`` (without the program) as ``queues``, ``name``, ``burst``."""
    parser = argparse.ArgumentParser(prog="python -m jobs.worker", description=__doc__.splitlines()[0])
    parser.add_argument("queues", nargs="*", metavar="QUEUE", help="dispatch, notifications, maintenance")
    parser.add_argument("--name", "-n", help="the worker's name (RQ makes one up otherwise)")
    parser.add_argument("--burst", "-b", action="store_true", help="stop when the queues are empty")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Start RQ's worker command in this process (it exits with RQ's status)."""
    from app.config import load_config

    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        command = rq_args(load_config(), args.queues, name=args.name, burst=args.burst)
    except (RuntimeError, ValueError) as exc:  # a setting missing or wrong: say which, no traceback
        sys.exit(f"python -m jobs.worker: {exc}")
    from rq.cli import main as rq

    rq(args=command, prog_name="rq")


if __name__ == "__main__":
    main()
