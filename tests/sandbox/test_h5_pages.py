"""``app/sandbox/h5.py``: the phone pages are served under ``/mp/`` in sandbox mode only, as static
files with a strict content policy; the case QR link ``/mp/scan?scene=…`` opens the scan page.
(What the pages do is tested in a real browser: ``tests/browser``.)"""
import json
import re
from pathlib import Path

import pytest

from app import create_app
from app.config import load_config
from app.sandbox.h5 import H5_DIR, PAGES
from app.standards import codes
from tests.conftest import TEST_SECRETS, _callback_secrets

ALL_PAGES = ["/mp/", "/mp/clerk/", *(f"/mp/{name}" for name in sorted(PAGES))]


def _app(tmp_path, sandbox: str):
    return create_app(load_config({
        "SANDBOX": sandbox, "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
        **{name: value for name, value in TEST_SECRETS.items() if value},  # the secrets production insists on
        "DEPARTMENT_CALLBACK_SECRETS": _callback_secrets(), "UPLOAD_DIR": str(tmp_path / "uploads"),
    }))


@pytest.fixture
def client(tmp_path):
    return _app(tmp_path, "1").test_client()


def test_the_case_qr_link_opens_the_scan_page_with_its_script(client):
    response = client.get("/mp/scan?scene=myDV7E2wo8UjMmJDWCjM47f39fF")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert '<script type="module" src="/mp/js/scan.js"></script>' in page
    assert client.get("/mp/js/scan.js").status_code == 200


def test_qr_links_point_at_the_scan_page_by_default():
    assert load_config({"PUBLIC_BASE_URL": "http://127.0.0.1:5000"})["QR_LINK_BASE"] == "http://127.0.0.1:5000/mp/scan"


@pytest.mark.parametrize("path", ALL_PAGES)
def test_every_page_is_chinese_zoomable_and_runs_no_inline_script(client, path):
    response = client.get(path)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<html lang="zh-CN">' in page
    viewport = re.search(r'<meta name="viewport" content="([^"]+)"', page).group(1)
    assert "user-scalable=no" not in viewport and "maximum-scale" not in viewport  # elderly users zoom
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == []
    assert re.search(r"\son[a-z]+\s*=", page) is None  # no onclick= and the like
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "'unsafe-inline'" not in policy and "frame-ancestors 'none'" in policy
    assert response.headers["Referrer-Policy"] == "no-referrer"  # the scene token stays on this page
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["/mp/nope", "/mp/index", "/mp/js/../../app/config.py", "/mp/node_modules/x.js",
                                  "/mp/js/missing.js", "/mp/clerk.html"])
def test_anything_but_the_pages_and_their_assets_is_not_found(client, path):
    assert client.get(path).status_code == 404


def test_clerk_without_slash_goes_to_the_clerk_page(client):
    response = client.get("/mp/clerk")
    assert response.status_code in (301, 308)
    assert response.headers["Location"].endswith("/mp/clerk/")


def test_with_sandbox_off_there_are_no_phone_pages(tmp_path):
    app = _app(tmp_path, "0")
    assert not [r.rule for r in app.url_map.iter_rules() if r.rule.startswith("/mp")]
    assert app.test_client().get("/mp/scan?scene=x").status_code == 404


def test_the_pages_code_tables_are_the_standards_tables():
    text = (H5_DIR / "js" / "codes.js").read_text(encoding="utf-8")
    tables = json.loads(re.search(r"/\* BEGIN CODES \*/(.*)/\* END CODES \*/", text, re.S).group(1))
    assert set(tables) == {"FORM_GENDERS", "ETHNICITIES", "APPLICANT_RELATIONSHIPS", "WELFARE", "EMPLOYMENT_STATUSES",
                           "MEDICAL_INSURANCE", "PENSION_INSURANCE", "OTHER_INSURANCE", "DEATH_CAUSE_CATEGORIES",
                           "PLACE_OF_DEATH_KINDS"}
    for name, pairs in tables.items():
        assert dict(pairs) == getattr(codes, name), name
        assert [code for code, _ in pairs] == list(getattr(codes, name)), f"{name}: the standard's order"


def test_tokens_are_kept_in_session_storage_and_local_storage_holds_only_the_text_size():
    scripts = {p.name: p.read_text(encoding="utf-8") for p in (H5_DIR / "js").glob("*.js")}
    assert "sessionStorage.setItem(KEYS[role]" in scripts["api.js"]
    users = {name for name, text in scripts.items() if "localStorage" in text}
    assert users == {"ui.js"}
    assert re.findall(r"localStorage\.setItem\(([^,]+),", scripts["ui.js"]) == ["LARGE_KEY"]


def test_pages_build_the_dom_from_text_never_from_html_strings():
    for path in Path(H5_DIR / "js").glob("*.js"):
        text = path.read_text(encoding="utf-8")
        assert "innerHTML" not in text and "insertAdjacentHTML" not in text and "document.write" not in text, path.name
