"""Background job functions. Each receives ids only and runs inside an app context.

RQ workers import these functions; :func:`jobs.runtime.job` uses the app the worker built (a
forked process drops the inherited connection pool first) and pushes its context.
"""
