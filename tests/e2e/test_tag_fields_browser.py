"""Tag fields in headless Chromium under the dashboard's CSP (bug 5, first half): Enter while
typing a room feature of a treatment type adds the tag and leaves the form open with nothing
saved; Save saves the tags. Keyboard alone."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from shared import demo
from shared.models import TreatmentType
from tests.e2e.test_dashboard_browser import browser, served  # noqa: F401 (fixtures)

pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser")]


def _admin_page(base: str, browser: Any) -> tuple[Any, list[str]]:  # noqa: F811
    """A logged-in admin's tab, and what Chromium refused or threw on it."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: problems.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.goto(base + "/")
    page.fill("#email", demo.DEMO_ADMIN[0])
    page.fill("#password", demo.DEMO_ADMIN[1])
    page.keyboard.press("Enter")
    page.wait_for_url(base + "/")
    return page, problems


def _saved(database: Any, name: str) -> list[list[str]]:
    """The room features of each treatment type called `name`."""
    with database.read() as s:
        rows = s.exec(select(TreatmentType).where(TreatmentType.name == name))
        return [sorted(str(f) for f in t.required_features) for t in rows]


def test_enter_in_the_room_features_field_adds_the_tag_and_save_saves_the_treatment(
    served,  # noqa: F811
    browser,  # noqa: F811
):
    base, database = served
    page, problems = _admin_page(base, browser)
    page.goto(base + "/treatment-types/new/")
    page.focus("#name")
    page.keyboard.type("Gua sha")
    for field, value in (
        ("#duration_minutes", "45"),
        ("#buffer_before_minutes", "0"),
        ("#buffer_after_minutes", "0"),
    ):
        page.focus(field)
        page.keyboard.press("Control+A")
        page.keyboard.type(value)
    page.focus("#colour")
    page.keyboard.press("Tab")  # into the room features' tag field
    page.evaluate("() => { window.stillThisPage = true; }")

    page.keyboard.type("cupping set")
    page.keyboard.press("Enter")
    page.keyboard.type("facial couch")
    page.keyboard.press("Enter")

    assert page.evaluate("() => window.stillThisPage") is True  # no submit, no reload
    assert page.url == base + "/treatment-types/new/"
    tags = page.locator("#s2id_required_features .select2-search-choice")
    assert tags.all_inner_texts() == ["cupping set", "facial couch"]
    assert page.evaluate("() => document.activeElement.classList.contains('select2-input')")
    assert _saved(database, "Gua sha") == []

    page.focus("input[type=submit][value=Save]")
    page.keyboard.press("Enter")
    page.wait_for_url(base + "/treatment-types/")
    assert _saved(database, "Gua sha") == [["cupping set", "facial couch"]]
    assert problems == [], problems
