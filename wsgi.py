"""WSGI entry point: gunicorn serves ``wsgi:app``; ``flask --app wsgi …`` runs commands with it.

``app`` is made when first asked for (gunicorn's worker, the ``flask`` command), not on import.
Served, the app leaves out the migration tooling (``create_app(migrations=False)``); loaded by
the ``flask`` command (a click context is active), it has it, for ``flask db upgrade``.

The API is served with ``PYTHONOPTIMIZE=2`` (``make serve-prod``, ``deploy/``): the libraries'
docstrings then stay on disk, about 6.5 MiB less in every API process (docs/BENCHMARKS.md).
Our own modules (``app``, ``schemas``, ``jobs``) are still compiled with theirs
(:class:`_OwnCodeKeepsDocstrings`): flask-smorest builds the OpenAPI summaries and descriptions
from the views' docstrings. We use no ``assert`` for checks, so ``-O`` removes none of ours.
"""
import importlib.abc
import importlib.machinery
import sys
import threading

OWN_PACKAGES = frozenset({"app", "schemas", "jobs"})


class _SourceWithDocstrings(importlib.machinery.SourceFileLoader):
    """Compiles the source every time with ``optimize=0``: a ``.opt-2.pyc`` could have been
    written without docstrings by another ``-OO`` process, so none is read or written."""

    def get_code(self, fullname):
        path = self.get_filename(fullname)
        return compile(self.get_data(path), path, "exec", dont_inherit=True, optimize=0)


class _OwnCodeKeepsDocstrings(importlib.abc.MetaPathFinder):
    """Under ``-OO``, finds our own modules as usual but loads them with their docstrings."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname.partition(".")[0] not in OWN_PACKAGES:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is not None and type(spec.loader) is importlib.machinery.SourceFileLoader:
            spec.loader = _SourceWithDocstrings(spec.loader.name, spec.loader.path)
        return spec


if sys.flags.optimize >= 2 and not any(isinstance(f, _OwnCodeKeepsDocstrings) for f in sys.meta_path):
    sys.meta_path.insert(0, _OwnCodeKeepsDocstrings())


def __getattr__(name: str):
    """``wsgi.app``, made on first use: gunicorn's master imports this module (its config does,
    for the finder above) but only each worker makes the app (``preload_app`` is off)."""
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    global app
    import click

    from app import create_app

    with _making:
        if "app" not in globals():
            try:
                app = create_app(migrations=click.get_current_context(silent=True) is not None)
            except AttributeError as exc:  # not "no attribute app": gunicorn would say only that
                raise RuntimeError(f"create_app failed: {exc!r}") from exc
    return globals()["app"]


_making = threading.Lock()
