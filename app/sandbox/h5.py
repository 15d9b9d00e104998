"""The sandbox's phone pages (H5) under ``/mp/``: the family's and the clerk's screens.

Plain static files from ``mp_client_stub/h5/`` (no build step). They talk to the API over HTTP
like the real mini-program would; nothing here reads the database. Registered only when
``SANDBOX`` is on (``app/__init__.py``): in production the app is the mini-program's.

``/mp/scan?scene=TOKEN`` is the link the case QR code encodes (``QR_LINK_BASE``, SPEC §6): it
opens the family's scan page with that token.
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, redirect, send_from_directory

H5_DIR = Path(__file__).resolve().parents[2] / "mp_client_stub" / "h5"
#: ``/mp/<page>`` → ``<page>.html``; anything else is a 404 (no directory listing, no guessing).
PAGES = {"scan", "case", "correct", "materials", "inbox"}
ASSET_DIRS = {"css", "js", "img"}

# The pages load only their own scripts and styles; images may be blob: (the QR code fetched
# with the bearer token). The scene token is in the URL: never send it on as a referrer.
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; img-src 'self' blob: data:; object-src 'none'; "
                                "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}

blp = Blueprint("h5", __name__, url_prefix="/mp")


@blp.after_request
def _headers(response):
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _page(name: str):
    return send_from_directory(H5_DIR, f"{name}.html", mimetype="text/html", max_age=0)


@blp.get("/")
def home():
    """我的申请 (the family's start page)."""
    return _page("index")


@blp.get("/<page>")
def page(page: str):
    if page == "clerk":
        return redirect("/mp/clerk/", code=301)
    if page not in PAGES:
        abort(404)
    return _page(page)


@blp.get("/clerk/")
def clerk():
    """窗口受理 (the clerk's counter)."""
    return _page("clerk")


@blp.get("/<folder>/<path:filename>")
def asset(folder: str, filename: str):
    if folder not in ASSET_DIRS:
        abort(404)
    return send_from_directory(H5_DIR / folder, filename, max_age=0)
