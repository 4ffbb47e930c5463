"""One client page: contacts, notes, sessions to come and past, no-shows, courses, book again."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest

from shared import booking, clients
from tests.dashboard.conftest import text
from tests.factories import MONDAY, NOW, local


@pytest.fixture
def history(db, clinic, clock) -> dict[str, int]:
    """Eva: a completed facial and a no-show consult last week, a facial next Monday, a
    cancelled consult; "now" is then moved past the first two."""
    with db.transaction() as s:
        clients.update_client(
            s,
            clinic.client.id,
            name="Eva Horvat",
            email="eva@example.com",
            phone="+386 40 474 696",
            notes="Prefers mornings",
        )

        def book(day, at, tt, therapist):
            return booking.book(
                s,
                treatment_type_id=tt.id,
                start=local(day, at),
                client_id=clinic.client.id,
                therapist_id=therapist.id,
                actor="t",
                now=NOW,
            ).id

        done = book(MONDAY, "10:00", clinic.facial, clinic.anna)
        missed = book(MONDAY, "12:00", clinic.consult, clinic.boris)
        later = book(MONDAY + timedelta(days=7), "10:00", clinic.facial, clinic.anna)
        dropped = book(MONDAY + timedelta(days=2), "09:00", clinic.consult, clinic.boris)
        booking.cancel(s, dropped, actor="t", reason="ill", now=NOW)
        after = local(MONDAY, "18:00")
        booking.mark_completed(s, done, actor="t", now=after)
        booking.mark_no_show(s, missed, actor="t", now=after)
    clock.now = local(MONDAY, "18:00")
    return {"done": done, "missed": missed, "later": later, "dropped": dropped}


def test_the_client_page_shows_contacts_notes_sessions_and_no_shows(history, reception, clinic):
    body = text(reception.get(f"/client/{clinic.client.id}"))
    assert "Eva Horvat" in body and "eva@example.com" in body and "+386 40 474 696" in body
    assert "Prefers mornings" in body
    upcoming = body.split('id="upcoming"')[1].split('id="past"')[0]
    past = body.split('id="past"')[1].split("</section>")[0]
    assert f'href="/booking/{history["later"]}"' in upcoming
    assert f'href="/booking/{history["done"]}"' in past
    assert f'href="/booking/{history["missed"]}"' in past
    assert "1 no-show" in body
    assert f'href="/booking/{history["dropped"]}"' in body.split('id="cancelled"')[1]


def test_dates_on_the_client_page_follow_the_clinics_locale(history, reception, clinic):
    body = text(reception.get(f"/client/{clinic.client.id}"))
    assert MONDAY.strftime("%d.%m.%Y") in body
    assert " 10:00" in body and " AM" not in body and " PM" not in body


def test_book_again_opens_the_booking_form_filled_in_from_the_latest_session(
    history, reception, clinic
):
    body = text(reception.get(f"/client/{clinic.client.id}"))
    [href] = [part.split('"')[0] for part in body.split('href="')[1:] if "data-book-again" in part]
    form = text(reception.get(html.unescape(href)))
    assert f'name="client_id" value="{clinic.client.id}"' in form
    assert f'<option selected value="{clinic.consult.id}">' in form  # the no-show consult
    assert f'<option selected value="{clinic.boris.id}">' in form


def test_the_name_on_a_booking_opens_the_client_page_not_the_edit_form(history, reception, clinic):
    body = text(reception.get(f"/booking/{history['later']}"))
    assert f'href="/client/{clinic.client.id}"' in body
    assert "/clients/edit/" not in body


def test_the_client_list_links_each_name_to_its_page(history, reception, clinic):
    body = text(reception.get("/clients/?search=horvat"))
    assert f'href="/client/{clinic.client.id}"' in body


def test_an_unknown_client_is_a_404(reception, clinic):
    assert reception.get("/client/999999").status_code == 404
