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
import logging
import os
import socket
import sys
import threading

from rq import SimpleWorker

log = logging.getLogger("jobs.worker")


class AppWorker(SimpleWorker):
    """An RQ worker that builds the Flask app once and runs every job in this process.

    No work-horse is forked per job: a forked horse opened its own database and Redis
    connections and compiled every SQL statement again, about 0.2 s a job, five times the work
    itself (docs/BENCHMARKS.md). What the fork gave for free is done here instead:

    - **A job that overruns is stopped.** RQ raises ``JobTimeoutException`` in the job at its
      timeout (``app.tasks.job_timeout``); code that swallows it cannot keep the worker:
      :data:`BACKSTOP_SECONDS` later the job is recorded failed and this process exits (its
      supervisor starts it again; the reconciler sends the work again from the database).
    - **A job that fails leaves no connection behind** (``jobs.runtime.job`` closes the session's
      connections, so a transaction cut by the timeout cannot keep its row locks).
    - **A SIGKILL loses only the running job.** It stays "started" in Redis until its registry
      entry expires — :meth:`get_heartbeat_ttl`: the timeout plus :data:`ABANDON_MARGIN_SECONDS`
      — then the reconciler's housekeeping (``app.tasks.housekeeping``) counts it abandoned and
      sends its work again. The worker started again under its own name (systemd's
      ``--name %H-%i``) takes over the dead one's registration (:meth:`register_birth`).
    """

    #: A job still registered this long after its timeout has no worker left to finish it.
    ABANDON_MARGIN_SECONDS = 15
    #: A job still running this long after its timeout ends this process (less than the margin
    #: above, so RQ never counts a living worker's job abandoned).
    BACKSTOP_SECONDS = 5

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

    def execute_job(self, job, queue):
        """Run ``job`` here, with the backstop armed for its timeout."""
        backstop = None
        if job.timeout is not None and job.timeout > 0:
            backstop = threading.Timer(job.timeout + self.BACKSTOP_SECONDS, self._overran, args=(job, queue))
            backstop.daemon = True
            backstop.start()
        try:
            return super().execute_job(job, queue)
        finally:
            if backstop is not None:
                backstop.cancel()

    def _overran(self, job, queue) -> None:
        # Runs on the backstop's thread while the job still holds the main one.
        log.critical("job %s (%s) still runs %s s past its %s s timeout: recorded failed, worker exits",
                     job.id, job.func_name, self.BACKSTOP_SECONDS, job.timeout)
        try:
            execution = next((e for e in list(self.executions.values()) if e.job_id == job.id), None)
            self.handle_job_failure(job, queue, execution=execution,
                                    exc_string=f"still running {self.BACKSTOP_SECONDS} s past its timeout; worker stopped")
            self.register_death()
            self.stop_scheduler()
        except Exception:  # noqa: BLE001 - exit regardless: the job's entry expires on its own
            log.exception("could not record the overrun job")
        finally:
            os._exit(75)  # EX_TEMPFAIL: the supervisor starts the worker again

    def register_birth(self):
        """Register this worker; a dead namesake's registration (same name, this host, its
        process gone: SIGKILLed and started again) is taken over instead of refusing to start."""
        from rq import worker_registration

        hostname, pid, death = self.connection.hmget(self.key, "hostname", "pid", "death")
        if hostname is not None and death is None and hostname.decode() == socket.gethostname() \
                and pid is not None and not _running(int(pid)):
            log.warning("worker %s: the previous worker of this name (pid %s) is gone; taking its place",
                        self.name, pid.decode())
            with self.connection.pipeline() as pipeline:
                worker_registration.unregister(self, pipeline)
                pipeline.delete(self.key)
                pipeline.execute()
        super().register_birth()


def _running(pid: int) -> bool:
    """Whether process ``pid`` runs on this host (and is not this one, which reuses the number)."""
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


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
    parser = argparse.ArgumentParser(prog="python -m jobs.worker", description=(__doc__ or "RQ worker").splitlines()[0])  # -OO: no __doc__
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
