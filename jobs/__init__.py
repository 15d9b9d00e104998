"""Background job functions. Each receives ids only and runs inside an app context.

RQ workers import these functions; :func:`jobs.runtime.job` gives each run the worker's app
(built once per process; a forked child drops the inherited connections first) and pushes its
context.
"""
