"""The dashboard's Content-Security-Policy in a real browser: every screen a receptionist uses
loads and works (lists' filters, "delete" confirmations) without Chromium refusing a single
script, inline handler or javascript: link."""

from __future__ import annotations

from typing import Any

import pytest

from shared import demo
from tests.e2e.dashboard_server import sign_in
from tests.e2e.test_dashboard_browser import browser, served  # noqa: F401 (fixtures)

pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]

PAGES = [
    "/",
    "/book/",
    "/bookings/",
    "/clients/",
    "/waitlist/",
    "/outbox/",
    "/settings/",
    "/feeds/",
]


def test_every_screen_runs_under_the_policy_without_a_single_refusal(served, browser):  # noqa: F811
    base, _ = served
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    refusals: list[str] = []
    page.on(
        "console",
        lambda msg: refusals.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    dialogs: list[str] = []

    def dismiss(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)

    sign_in(page, base, demo.DEMO_LOGIN)
    for path in PAGES:
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
        assert page.locator("script[nonce]").count() >= 1

    page.goto(base + "/bookings/")
    page.click("text=Add Filter")
    page.click("a.dropdown-item.filter >> nth=0")
    assert page.locator(".filter-val").count() >= 1  # Flask-Admin's own script added it
    assert page.url.startswith(base + "/bookings/")  # the link went nowhere
    assert refusals == [], refusals

    page.goto(base + "/clients/")
    clients = page.locator("table tbody tr").count()
    page.locator("form[data-confirm] button").first.click()
    assert dialogs and "delete" in dialogs[-1].lower()
    page.goto(base + "/clients/")
    assert page.locator("table tbody tr").count() == clients  # dismissed: nothing deleted

    assert refusals == [], refusals
    assert errors == [], errors
