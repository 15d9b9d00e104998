"""Jobs for cases: accept a family's submitted case."""
from jobs.runtime import job


@job
def accept_case(case_id: str) -> str:
    from app.cases.service import accept_case as accept

    return accept(case_id=case_id).status
