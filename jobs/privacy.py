"""Daily privacy housekeeping: retention of finished cases and of the audit log."""
from jobs.runtime import job


@job
def purge() -> dict:
    from app.privacy.audit import purge_expired
    from app.privacy.service import purge_finished_cases

    return {"cases": purge_finished_cases(), "audit_rows": purge_expired()}
