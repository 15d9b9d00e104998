"""WSGI entry point: gunicorn serves ``wsgi:app``; ``flask --app wsgi …`` runs commands with it.

Served, the app leaves out the migration tooling (``create_app(migrations=False)``); loaded by
the ``flask`` command (a click context is active), it has it, for ``flask db upgrade``."""
import click

from app import create_app

app = create_app(migrations=click.get_current_context(silent=True) is not None)
