"""Jobs for matters: dispatch one matter to its department."""
from jobs.runtime import job


@job
def dispatch_matter(matter_id: str) -> str:
    from app.departments.service import dispatch_matter as dispatch

    return dispatch(matter_id=matter_id)
