"""The RQ worker class: ``rq worker -w jobs.worker.AppWorker --with-scheduler QUEUE``."""
from rq import Worker


class AppWorker(Worker):
    """An RQ worker that builds the Flask app once, so forked work-horses start at once."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from app.observability.logs import adopt
        from jobs.runtime import warm_app

        warm_app()
        adopt("rq.worker")  # RQ's own lines in our format, with job and request ids, scrubbed
