"""Jobs of the sandbox departments (sandbox mode only)."""
from jobs.runtime import job


@job
def work_matter(submission_id: int) -> None:
    from app.sandbox.service import work_matter as work

    work(submission_id=submission_id)
