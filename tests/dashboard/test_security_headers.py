"""Every dashboard page runs only its own scripts: a Content-Security-Policy with a fresh
nonce per response, no inline handlers, a Referrer-Policy, and HSTS in production."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from services.dashboard import create_app
from tests.dashboard.conftest import RECEPTION_PAGES_FOR_HEADERS, log_in, text

SCRIPT = re.compile(r"<script\b[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


def nonce_of(response) -> str:
    policy = response.headers["Content-Security-Policy"]
    script_src = next(p for p in policy.split("; ") if p.startswith("script-src "))
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "object-src 'none'" in policy and "frame-ancestors 'none'" in policy
    found = re.search(r"'nonce-([A-Za-z0-9_-]{16,})'", script_src)
    assert found, policy
    return found.group(1)


@pytest.mark.parametrize("path", [*RECEPTION_PAGES_FOR_HEADERS, "/booking/1", "/bookings/"])
def test_every_page_runs_only_scripts_carrying_its_fresh_nonce(reception, facial_at_ten, path):
    first, second = reception.get(path), reception.get(path)
    assert first.status_code == 200
    nonce = nonce_of(first)
    assert nonce != nonce_of(second)
    body = text(first)
    scripts = SCRIPT.findall(body)
    assert scripts, "every page loads at least dashboard.js"
    for tag in scripts:
        assert f'nonce="{nonce}"' in tag, tag
    assert not INLINE_HANDLER.search(body), INLINE_HANDLER.search(body).group(0)
    assert first.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in first.headers  # development: plain HTTP works


def test_the_login_page_and_error_pages_carry_the_policy_too(app, clinic):
    anonymous = app.test_client()
    for response in (anonymous.get("/login"), anonymous.get("/nothing-here")):
        nonce_of(response)
        assert response.headers["Referrer-Policy"] == "same-origin"


def test_in_production_the_dashboard_asks_browsers_for_https_only(settings, db, clock, clinic):
    production = replace(settings, env="production")
    app = create_app({"SETTINGS": production, "DATABASE": db, "CLOCK": clock, "TESTING": True})
    client = app.test_client()
    page = client.get("/login")
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    assert int(page.headers["Strict-Transport-Security"].split("=")[1]) >= 31536000
    assert log_in(client, "nobody@clinic.example", "x" * 12).headers["Strict-Transport-Security"]
