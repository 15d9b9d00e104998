"""Background job functions. Each receives ids only and runs inside an app context.

RQ work-horses import these functions; :func:`jobs.runtime.job` builds the app there (after
the fork, so no database connection crosses it) and pushes its context.
"""
