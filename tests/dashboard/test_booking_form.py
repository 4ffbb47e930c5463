"""Booking a session from the dashboard: free times, clients found or created, refusals."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from shared import booking
from shared.models import Booking, BookingEvent, Client, Clinic, OutboxMessage
from tests.dashboard.conftest import CSRF, RECEPTION, log_in, text
from tests.factories import MONDAY, NOW, local

SLOT = re.compile(r'name="slot" value="([^"]+)"')


def _slots(reception, clinic, day="2027-03-01", **extra):
    args = {"treatment_type_id": clinic.facial.id, "date": day, **extra}
    page = reception.get("/book/", query_string=args)
    assert page.status_code == 200
    return text(page), SLOT.findall(text(page))


def _slot(clinic, hhmm, therapist=None):
    return f"{local(MONDAY, hhmm).isoformat()}|{(therapist or clinic.anna).id}"


def _form(clinic, **values):
    return {"treatment_type_id": clinic.facial.id, "date": "2027-03-01", **values}


def test_free_times_of_the_day_are_offered_per_therapist(reception, clinic):
    page, slots = _slots(reception, clinic)
    assert "Anna Novak" in page
    assert "Boris Li" not in page.split("Free times")[1]  # he does not give facials
    assert _slot(clinic, "09:00") in slots
    assert _slot(clinic, "16:00") in slots
    assert _slot(clinic, "16:15") not in slots  # would end after 17:00


def test_a_taken_time_is_not_offered(reception, db, clinic):
    with db.transaction() as s:
        booking.book(
            s,
            treatment_type_id=clinic.facial.id,
            start=local(MONDAY, "10:00"),
            client_id=clinic.other_client.id,
            actor="test",
            now=NOW,
        )
    _, slots = _slots(reception, clinic)
    assert _slot(clinic, "10:00") not in slots
    assert _slot(clinic, "09:00") not in slots  # its buffers reach back into 09:50
    assert _slot(clinic, "11:30") in slots


def test_booking_a_free_time_for_a_found_client_books_through_the_rules(reception, db, clinic):
    response = reception.post(
        "/book/", _form(clinic, client_id=clinic.client.id, slot=_slot(clinic, "10:00"))
    )
    assert response.status_code == 302, text(response)
    with db.read() as s:
        made = s.exec(select(Booking)).one()
        events = s.exec(select(BookingEvent)).all()
        invites = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "invite")).all()
    assert response.headers["Location"] == f"/booking/{made.id}"
    assert (made.client_id, made.therapist_id, made.room_id) == (
        clinic.client.id,
        clinic.anna.id,
        clinic.room1.id,
    )
    assert made.start_at == local(MONDAY, "10:00")
    assert made.source == "dashboard"
    assert [e.actor for e in events] == [f"dashboard:{RECEPTION[0]}"]
    assert [m.recipient for m in invites] == ["eva@example.com"]
    page = text(reception.get(response.headers["Location"]))
    assert "Booked: Eva Horvat, Facial rejuvenation" in page
    assert "An invitation goes to eva@example.com" in page


def test_a_new_client_is_created_inline_with_the_booking(reception, db, clinic):
    response = reception.post(
        "/book/",
        _form(
            clinic,
            slot=_slot(clinic, "11:00"),
            new_name="Maja Zupan",
            new_email="maja@example.com",
            new_phone="+386 41 222 333",
            notes="First visit",
        ),
    )
    assert response.status_code == 302, text(response)
    with db.read() as s:
        maja = s.exec(select(Client).where(Client.name == "Maja Zupan")).one()
        made = s.exec(select(Booking)).one()
    assert (maja.email, maja.phone) == ("maja@example.com", "+386 41 222 333")
    assert made.client_id == maja.id and made.notes == "First visit"


def test_a_time_taken_meanwhile_is_refused_with_the_rules_message_and_nothing_is_written(
    reception, db, clinic
):
    _page, slots = _slots(reception, clinic)
    stale = _slot(clinic, "10:00")
    assert stale in slots
    with db.transaction() as s:  # someone else books it while the form is open
        booking.book(
            s,
            treatment_type_id=clinic.facial.id,
            start=local(MONDAY, "10:00"),
            client_id=clinic.other_client.id,
            therapist_id=clinic.anna.id,
            actor="api",
            now=NOW,
        )
    response = reception.post(
        "/book/", _form(clinic, slot=stale, new_name="Late Comer", new_email="late@example.com")
    )
    assert response.status_code == 422
    body = text(response)
    assert "Anna Novak is booked Mon 01.03.2027 10:00-11:00 for Facial rejuvenation" in body
    assert 'class="alert alert-danger refusal"' in body
    with db.read() as s:
        assert len(s.exec(select(Booking)).all()) == 1
        assert s.exec(select(Client).where(Client.name == "Late Comer")).first() is None


def test_an_american_clinic_is_told_the_time_in_the_way_in_12_hour_american_writing(
    reception, db, clinic
):
    with db.transaction() as s:
        s.get(Clinic, 1).locale = "en-US"
        booking.book(
            s,
            treatment_type_id=clinic.facial.id,
            start=local(MONDAY, "14:00"),
            client_id=clinic.other_client.id,
            therapist_id=clinic.anna.id,
            actor="api",
            now=NOW,
        )
    response = reception.post(
        "/book/",
        _form(
            clinic,
            date="03/01/2027",
            client_id=clinic.client.id,
            time="2:00 PM",
            therapist_id=clinic.anna.id,
        ),
    )
    assert response.status_code == 422
    assert "Anna Novak is booked Mon 03/01/2027 2:00 PM-3:00 PM for Facial rejuvenation" in text(
        response
    )
    with db.read() as s:
        assert len(s.exec(select(Booking)).all()) == 1


def test_a_time_outside_working_hours_typed_by_hand_is_refused_under_the_time(
    reception, db, clinic
):
    response = reception.post(
        "/book/",
        _form(clinic, client_id=clinic.client.id, time="17:30", therapist_id=clinic.anna.id),
    )
    assert response.status_code == 422
    body = text(response)
    assert (
        "Anna Novak does not work Mon 01.03.2027 17:30-18:30 (works 09:00-17:00 that day)" in body
    )
    with db.read() as s:
        assert s.exec(select(Booking)).first() is None


def test_a_hand_typed_time_with_a_named_room_books_that_room(reception, db, clinic):
    response = reception.post(
        "/book/",
        {
            "treatment_type_id": clinic.consult.id,
            "date": "2027-03-01",
            "client_id": clinic.client.id,
            "time": "09:30",
            "therapist_id": clinic.boris.id,
            "room_id": clinic.room2.id,
        },
    )
    assert response.status_code == 302, text(response)
    with db.read() as s:
        made = s.exec(select(Booking)).one()
    assert (made.therapist_id, made.room_id) == (clinic.boris.id, clinic.room2.id)


def test_an_unsuitable_room_is_refused_with_what_the_treatment_needs(reception, db, clinic):
    response = reception.post(
        "/book/",
        _form(
            clinic,
            client_id=clinic.client.id,
            time="10:00",
            therapist_id=clinic.anna.id,
            room_id=clinic.room2.id,
        ),
    )
    assert response.status_code == 422
    assert "Room 2 lacks what Facial rejuvenation needs (facial couch)" in text(response)


def test_booking_without_a_client_asks_for_one(reception, db, clinic):
    response = reception.post("/book/", _form(clinic, slot=_slot(clinic, "10:00")))
    assert response.status_code == 422
    assert "find the client above, or enter a new client&#39;s name" in text(response)


def test_booking_without_a_time_asks_for_one(reception, clinic):
    response = reception.post("/book/", _form(clinic, client_id=clinic.client.id))
    assert response.status_code == 422
    assert "pick one of the free times, or enter a time" in text(response)


def test_a_tampered_time_off_the_grid_is_refused(reception, db, clinic):
    odd = f"{local(MONDAY, '10:07').isoformat()}|{clinic.anna.id}"
    response = reception.post("/book/", _form(clinic, client_id=clinic.client.id, slot=odd))
    assert response.status_code == 422
    assert "Sessions start every 15 minutes; 10:07 is not one of those times" in text(response)
    garbage = reception.post("/book/", _form(clinic, client_id=clinic.client.id, slot="soon|x"))
    assert garbage.status_code == 422
    assert "pick one of the free times" in text(garbage)


def test_a_new_client_whose_email_is_taken_is_refused_under_the_email(reception, db, clinic):
    response = reception.post(
        "/book/",
        _form(
            clinic, slot=_slot(clinic, "10:00"), new_name="Eva Again", new_email="eva@example.com"
        ),
    )
    assert response.status_code == 422
    assert "A client with e-mail eva@example.com already exists" in text(response)
    with db.read() as s:
        assert s.exec(select(Booking)).first() is None


def test_the_same_client_twice_at_once_is_refused(reception, db, clinic):
    with db.transaction() as s:
        booking.book(
            s,
            treatment_type_id=clinic.consult.id,
            start=local(MONDAY, "10:00"),
            client_id=clinic.client.id,
            therapist_id=clinic.boris.id,
            actor="t",
            now=NOW,
        )
    response = reception.post(
        "/book/", _form(clinic, client_id=clinic.client.id, slot=_slot(clinic, "10:15"))
    )
    assert response.status_code == 422
    assert "The client already has a session Mon 01.03.2027 10:00-10:45" in text(response)


def test_short_notice_is_refused_unless_the_receptionist_overrides_it(reception, db, clinic, clock):
    clock.now = local(MONDAY, "09:00")
    log_in(reception.client, *RECEPTION)
    _, slots = _slots(reception, clinic)
    assert _slot(clinic, "10:00") not in slots
    assert _slot(clinic, "11:00") in slots
    _, urgent = _slots(reception, clinic, override_notice="y")
    assert _slot(clinic, "09:15") in urgent

    refused = reception.post(
        "/book/", _form(clinic, client_id=clinic.client.id, slot=_slot(clinic, "10:00"))
    )
    assert refused.status_code == 422
    assert "Sessions must be booked at least 120 minutes ahead" in text(refused)
    done = reception.post(
        "/book/",
        _form(clinic, client_id=clinic.client.id, slot=_slot(clinic, "10:00"), override_notice="y"),
    )
    assert done.status_code == 302, text(done)


def test_clients_are_found_by_name_email_or_phone_digits(reception, clinic):
    by_name = text(reception.get("/book/", query_string={"q": "horv"}))
    assert f"client_id={clinic.client.id}" in by_name and "Eva Horvat" in by_name
    by_email = reception.get("/book/clients", query_string={"q": "ziga@"}).get_json()
    assert [c["name"] for c in by_email] == ["Žiga Kranjc"]
    by_phone = reception.get("/book/clients", query_string={"q": "386 401"}).get_json()
    assert [c["name"] for c in by_phone] == ["Eva Horvat"]
    assert reception.get("/book/clients", query_string={"q": "x"}).get_json() == []
    none = text(reception.get("/book/", query_string={"q": "nobody-like-this"}))
    assert "No client matches" in none


def test_a_chosen_client_is_shown_with_contact_details(reception, clinic):
    page = text(reception.get("/book/", query_string={"client_id": clinic.client.id}))
    assert "Eva Horvat" in page and "eva@example.com" in page
    assert "Choose another client" in page


def test_no_free_time_says_so_and_offers_the_next_day(reception, clinic):
    page, slots = _slots(reception, clinic, day="2027-03-06")  # Saturday
    assert slots == []
    assert "No free time on this day" in page
    assert "date=2027-03-07" in page


def test_the_form_offers_only_active_treatments_and_therapists(reception, db, clinic):
    from shared import catalog

    with db.transaction() as s:
        catalog.save_treatment_type(
            s,
            treatment_type_id=clinic.consult.id,
            name="TCM consultation",
            duration_minutes=45,
            active=False,
        )
    page = text(reception.get("/book/"))
    assert "Facial rejuvenation" in page
    assert "TCM consultation" not in page


def test_the_booking_form_posts_its_own_csrf_token(reception, clinic):
    page = text(reception.get("/book/", query_string={"treatment_type_id": clinic.facial.id}))
    post_form = page.split('<form id="book" method="post"')[1].split("</form>")[0]
    token = CSRF.search(post_form)
    assert token is not None
    response = reception.client.post(
        "/book/",
        data={
            "csrf_token": token.group(1),
            **_form(clinic, client_id=clinic.client.id, slot=_slot(clinic, "10:00")),
        },
    )
    assert response.status_code == 302, text(response)


def test_a_past_day_or_one_beyond_the_horizon_says_why_no_time_is_offered(reception, clinic):
    past, slots = _slots(reception, clinic, day="2027-02-01")
    assert slots == [] and "is in the past" in past
    far, slots = _slots(reception, clinic, day="2029-01-01")
    assert slots == [] and "Sessions can be booked at most 365 days ahead" in far
    absurd = reception.get("/book/", query_string={"treatment_type_id": 1, "date": "9999-12-31"})
    assert absurd.status_code == 200


@pytest.mark.parametrize(
    "values",
    [
        {"date": "9999-12-31", "time": "10:00"},
        {"date": "0001-01-01", "time": "10:00"},
        {"date": "not-a-date", "time": "10:00"},
        {"time": "25:99"},
        {"treatment_type_id": "999", "slot": "x"},
        {"treatment_type_id": "abc"},
        {"slot": "2027-03-01T10:00:00|1"},
        {"slot": "2027-03-01T10:00:00+00:00|999"},
        {"therapist_id": "-1", "time": "10:00"},
        {"room_id": "abc", "time": "10:00"},
        {"client_id": "99999", "slot": "2027-03-01T09:00:00+00:00|1"},
        {"new_name": "x" * 300, "slot": "2027-03-01T09:00:00+00:00|1"},
        {"new_email": "not-an-email", "new_name": "X", "slot": "2027-03-01T09:00:00+00:00|1"},
    ],
)
def test_hostile_or_mistyped_input_is_refused_with_a_message_never_a_500(
    reception, db, clinic, values
):
    body = {**_form(clinic, client_id=clinic.client.id), **values}
    response = reception.post("/book/", body)
    assert response.status_code == 422, text(response)
    assert "alert" in text(response) or "invalid-feedback" in text(response)
    with db.read() as s:
        assert s.exec(select(Booking)).first() is None


def test_a_day_from_a_link_shows_as_the_clinic_writes_it_and_a_typo_names_the_pattern(
    reception, clinic
):
    page, _ = _slots(reception, clinic, day="2027-03-01")  # ISO, as the day view links
    assert 'value="01.03.2027"' in page and 'placeholder="dd.mm.yyyy"' in page
    page, slots = _slots(reception, clinic, day="01.03.2027")  # as the receptionist types it
    assert _slot(clinic, "09:00") in slots
    page, slots = _slots(reception, clinic, day="03/01/2027")
    assert "Write the date as dd.mm.yyyy" in page
    assert slots == []
