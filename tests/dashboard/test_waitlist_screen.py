"""The waiting-list screen: the receptionist adds the client on the phone, sees who waits in
line with their wishes and offers, and removes an entry; a refusal shows under its field and
writes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from shared import offers
from shared.models import WaitlistEntry, WaitlistOffer
from tests.dashboard.conftest import text
from tests.factories import MONDAY, NOW, local
from tests.integration.conftest import snapshot
from tests.waiting import fill_monday, free_one, join_three


def form(clinic, **changes):
    data = {
        "client_id": str(clinic.client.id),
        "treatment_type_id": str(clinic.facial.id),
        "therapist_id": "",
        "first_day": MONDAY.isoformat(),
        "last_day": (MONDAY + timedelta(days=6)).isoformat(),
        "mornings": "y",
        "evenings": "y",
        "weekdays": ["0", "3"],
        "notes": "Prefers Anna's couch",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_the_receptionist_adds_a_client_and_sees_her_in_line_with_her_wishes(reception, clinic):
    picked = reception.get(f"/waitlist/?client_id={clinic.client.id}")
    assert picked.status_code == 200
    assert "Eva Horvat" in text(picked)
    added = reception.post(f"/waitlist/?client_id={clinic.client.id}", data=form(clinic))
    assert added.status_code == 302, text(added)
    page = text(reception.get("/waitlist/"))
    assert "Eva Horvat is on the waiting list" in page
    assert "Facial rejuvenation" in page
    assert "Mon, Thu · mornings, evenings" in page
    assert 'data-state="waiting"' in page


def test_removing_an_entry_marks_it_removed(reception, clinic, db):
    reception.post("/waitlist/", data=form(clinic))
    page = reception.get("/waitlist/").get_data(as_text=True)
    entry_id = int(page.split('data-entry="', 1)[1].split('"', 1)[0])
    gone = reception.post(f"/waitlist/{entry_id}/remove")
    assert gone.status_code == 302
    page = reception.get("/waitlist/").get_data(as_text=True)
    assert f"Entry #{entry_id} is off the waiting list" in page
    assert 'data-state="removed"' in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"last_day": "2027-02-01"}, "the last day is before the first day"),
        ({"mornings": None, "evenings": None}, "choose at least one of mornings"),
        ({"weekdays": []}, "choose at least one weekday"),
        ({"weekdays": ["9"]}, "Not a valid choice"),
        ({"therapist_id": "999999"}, "Not a valid choice"),
        ({"treatment_type_id": ""}, "This field is required"),
        ({"first_day": "0001-01-01"}, "pick a date within"),
        ({"notes": "x" * 2001}, "2000 characters"),
        ({"notes": "bad\x00"}, "NUL"),
        ({"client_id": ""}, "choose the client first"),
        ({"client_id": "999999999999"}, "choose the client first"),
    ],
)
def test_bad_input_on_the_form_is_refused_under_its_field_and_writes_nothing(
    reception, clinic, db, changes, message
):
    with db.read() as session:
        before = snapshot(session)
    answer = reception.post("/waitlist/", data=form(clinic, **changes))
    # a NUL is refused by the dashboard's request guard (400) before any screen reads it
    assert answer.status_code == (400 if message == "NUL" else 422)
    assert message.lower() in text(answer).lower()
    with db.read() as session:
        assert snapshot(session) == before


def test_a_therapist_who_does_not_give_the_treatment_is_refused_by_name(reception, clinic):
    answer = reception.post("/waitlist/", data=form(clinic, therapist_id=str(clinic.boris.id)))
    assert answer.status_code == 422
    assert "Boris Li does not give Facial rejuvenation" in text(answer)


def test_an_offer_lapsing_on_the_day_shown_says_the_time_alone_in_the_day_view(
    reception, db, clinic
):
    monday = fill_monday(db, clinic)
    join_three(db, clinic)
    free_one(db, monday)
    early = local(MONDAY, "06:00")  # offered at 06:00, open 2 h: lapses on the day shown
    with db.transaction() as session:
        offers.match(session, now=early)
    day = text(reception.get(f"/?date={MONDAY.isoformat()}"))
    assert "offered to Mia K. until 08:00" in day
    assert "offered to Mia K. until Mon" not in day


def test_an_offered_time_shows_in_the_day_view_and_the_list_with_to_whom_and_until_when(
    reception, db, clinic
):
    monday = fill_monday(db, clinic)
    join_three(db, clinic)
    free_one(db, monday)
    with db.transaction() as session:
        offers.match(session, now=NOW)
    day = text(reception.get(f"/?date={MONDAY.isoformat()}"))
    assert "offered to Mia K. until Sat 20.02. 12:00" in day  # lapses before Monday
    listed = text(reception.get("/waitlist/"))
    assert 'data-offer="open"' in listed
    assert "Mon 01.03.2027 10:30 · open until Sat 20.02. 12:00" in listed


def test_the_receptionist_withdraws_an_offer_the_client_declined_by_phone(reception, db, clinic):
    monday = fill_monday(db, clinic)
    mia, nina, _ = join_three(db, clinic)
    free_one(db, monday)
    with db.transaction() as session:
        (made,) = offers.match(session, now=NOW).offered
    listed = text(reception.get("/waitlist/"))
    assert f'action="/waitlist/offer/{made.id}/withdraw"' in listed
    answer = reception.post(f"/waitlist/offer/{made.id}/withdraw")
    assert answer.status_code == 302
    listed = text(reception.get("/waitlist/"))
    assert "Offer withdrawn: its time goes to the next in line." in listed
    with db.read() as session:
        assert session.get(WaitlistOffer, made.id).status == "declined"
        assert session.get(WaitlistEntry, mia).status == "waiting"
    with db.transaction() as session:
        assert [o.entry_id for o in offers.match(session, now=NOW).offered] == [nina]


def test_withdrawing_an_offer_taken_meanwhile_says_so_and_keeps_the_booking(reception, db, clinic):
    monday = fill_monday(db, clinic)
    join_three(db, clinic)
    free_one(db, monday)
    with db.transaction() as session:
        (made,) = offers.match(session, now=NOW).offered
    with db.transaction() as session:
        offers.take(session, made.token, now=NOW)
    reception.post(f"/waitlist/offer/{made.id}/withdraw")
    assert "The client took this offer meanwhile" in text(reception.get("/waitlist/"))
    with db.read() as session:
        assert session.get(WaitlistOffer, made.id).status == "taken"


def test_an_offers_booking_page_withdraws_it_for_the_next_in_line(reception, db, clinic):
    monday = fill_monday(db, clinic)
    join_three(db, clinic)
    free_one(db, monday)
    with db.transaction() as session:
        (made,) = offers.match(session, now=NOW).offered
    page = text(reception.get(f"/booking/{made.booking_id}"))
    assert "Withdraw the offer (client said no)" in page
    answer = reception.post(f"/booking/{made.booking_id}/let-go", {"version": "0"})
    assert answer.status_code == 302
    with db.read() as session:
        assert session.get(WaitlistOffer, made.id).status == "declined"
