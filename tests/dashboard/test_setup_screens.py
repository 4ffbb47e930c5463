"""The clinic's set-up screens: every form has its fields, every save goes through the
domain's rules, and every refusal shows as the rule's message."""

from __future__ import annotations

import html
import re
from datetime import time

import pytest
from sqlmodel import select

from shared import booking, catalog
from shared.models import (
    Client,
    Clinic,
    Closure,
    Room,
    Therapist,
    TimeOff,
    TreatmentType,
    User,
    WorkingHours,
)
from tests.dashboard.conftest import ADMIN, RECEPTION, log_in, text
from tests.factories import MONDAY, NOW, local

A_YEAR_LATER = local(MONDAY.replace(year=2028), "09:00")

FORMS = {
    "/treatment-types/new/": [
        "name",
        "description",
        "duration_minutes",
        "buffer_before_minutes",
        "buffer_after_minutes",
        "price",
        "currency",
        "colour",
        "required_features",
        "active",
    ],
    "/treatment-types/edit/?id=1": ["name", "duration_minutes", "required_features", "active"],
    "/rooms/new/": ["name", "features", "active"],
    "/rooms/edit/?id=1": ["name", "features", "active"],
    "/therapists/new/": ["name", "email", "colour", "treatment_type_ids", "active"],
    "/therapists/edit/?id=1": ["name", "email", "colour", "treatment_type_ids", "active"],
    "/hours/new/": ["therapist_id", "weekday", "start_time", "end_time", "valid_from", "valid_to"],
    "/hours/edit/?id=1": ["therapist_id", "weekday", "start_time", "end_time"],
    "/time-off/new/": ["therapist_id", "starts", "ends", "reason"],
    "/closures/new/": ["room_id", "starts", "ends", "reason"],
    "/clients/new/": ["name", "email", "phone", "notes"],
    "/clients/edit/?id=1": ["name", "email", "phone", "notes"],
    "/staff/new/": ["email", "name", "role", "password"],
    "/staff/edit/?id=1": ["name", "role", "active", "password", "unlock"],
    "/settings/": [
        "name",
        "address",
        "phone",
        "timezone",
        "slot_step_minutes",
        "booking_horizon_days",
        "course_horizon_weeks",
        "min_notice_minutes",
        "cancellation_notice_hours",
        "reminder_hours_before",
        "invite_therapists",
        "feed_shows_client_details",
        "brand_colour",
    ],
}


@pytest.mark.parametrize(("path", "fields"), list(FORMS.items()))
def test_every_form_shows_the_fields_it_should(admin, path, fields):
    page = admin.get(path)
    assert page.status_code == 200
    body = text(page)
    for name in fields:
        assert f'name="{name}"' in body, f"{path} has no {name} field"
    assert 'name="csrf_token"' in body


def test_edit_forms_are_filled_with_the_current_values(admin, clinic):
    tt = text(admin.get(f"/treatment-types/edit/?id={clinic.facial.id}"))
    assert 'value="Facial rejuvenation"' in tt and 'value="facial couch"' in tt
    th = text(admin.get(f"/therapists/edit/?id={clinic.anna.id}"))
    assert 'value="anna@clinic.example"' in th
    assert (
        f'selected value="{clinic.facial.id}"' in th or f'value="{clinic.facial.id}" selected' in th
    )
    hours = text(admin.get("/hours/edit/?id=1"))
    assert 'value="09:00"' in hours and 'value="17:00"' in hours


# -- treatment types, rooms, therapists -----------------------------------------------------


def test_creating_a_treatment_type_goes_through_the_catalog(admin, db, clinic):
    response = admin.post(
        "/treatment-types/new/",
        {
            "name": "Cupping",
            "description": "Back",
            "duration_minutes": "45",
            "buffer_before_minutes": "5",
            "buffer_after_minutes": "10",
            "price": "55.00",
            "currency": "eur",
            "colour": "#B5736A",
            "required_features": "cupping set, table",
            "active": "y",
        },
    )
    assert response.status_code == 302, text(response)
    with db.read() as s:
        tt = s.exec(select(TreatmentType).where(TreatmentType.name == "Cupping")).one()
        assert (tt.duration_minutes, tt.currency, tt.colour) == (45, "EUR", "#b5736a")
        assert sorted(f.name for f in tt.required_features) == ["cupping set", "table"]


def test_a_duplicate_treatment_name_is_refused_under_the_name(admin, db, clinic):
    response = admin.post(
        "/treatment-types/new/",
        {
            "name": "TCM consultation",
            "duration_minutes": "30",
            "buffer_before_minutes": "0",
            "buffer_after_minutes": "0",
            "price": "0",
            "currency": "EUR",
            "colour": "#000000",
        },
    )
    assert response.status_code == 200
    assert "&#39;TCM consultation&#39; already exists" in text(response)
    with db.read() as s:
        assert len(s.exec(select(TreatmentType)).all()) == 2


def test_a_bad_price_or_colour_is_refused_with_the_domains_message(admin, db, clinic):
    response = admin.post(
        f"/treatment-types/edit/?id={clinic.consult.id}",
        {
            "name": "TCM consultation",
            "duration_minutes": "45",
            "buffer_before_minutes": "0",
            "buffer_after_minutes": "0",
            "price": "-5",
            "currency": "EUR",
            "colour": "#000000",
        },
    )
    assert "expected an amount from 0 to 99999999.99" in text(response)


def test_a_room_with_future_sessions_stays_in_use_with_the_domains_wording_under_in_use(
    admin, db, clinic
):
    with db.transaction() as s:
        booking.book(
            s,
            treatment_type_id=clinic.facial.id,
            start=local(MONDAY, "10:00"),
            client_id=clinic.client.id,
            actor="t",
            now=NOW,
        )
    response = admin.post(
        f"/rooms/edit/?id={clinic.room1.id}", {"name": "Room 1", "features": "facial couch"}
    )
    assert response.status_code == 200
    body = text(response)
    # shared.catalog.save_room's wording (the view's own "move them to another room" is gone)
    assert "Room 1 still has 1 future session: move or cancel them first" in body
    assert body.count("still has 1 future session") == 1  # one check, one message
    assert "another room" not in body
    with db.read() as s:
        assert s.get(Room, clinic.room1.id).active


def test_a_therapist_with_future_sessions_cannot_be_retired(admin, db, clinic):
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
    response = admin.post(
        f"/therapists/edit/?id={clinic.boris.id}",
        {
            "name": "Boris Li",
            "email": "boris@clinic.example",
            "colour": "#6a9fb5",
            "treatment_type_ids": str(clinic.consult.id),
        },
    )
    assert response.status_code == 200
    body = text(response)
    assert "Boris Li still has 1 future session: move or cancel them first" in body
    assert body.count("still has 1 future session") == 1  # one check, one message
    with db.read() as s:
        assert s.get(Therapist, clinic.boris.id).active


def test_a_therapist_without_sessions_can_be_retired_and_edited(admin, db, clinic):
    response = admin.post(
        f"/therapists/edit/?id={clinic.boris.id}",
        {
            "name": "Boris Li-Novak",
            "email": "boris@clinic.example",
            "colour": "#123456",
            "treatment_type_ids": [str(clinic.consult.id), str(clinic.facial.id)],
        },
    )
    assert response.status_code == 302, text(response)
    with db.read() as s:
        boris = s.get(Therapist, clinic.boris.id)
        assert (boris.name, boris.active, boris.colour) == ("Boris Li-Novak", False, "#123456")
        assert {t.name for t in boris.treatment_types} == {
            "Facial rejuvenation",
            "TCM consultation",
        }


def test_therapists_and_rooms_are_never_deleted(admin, clinic):
    assert "/therapists/delete/" not in text(admin.get("/therapists/"))
    response = admin.post("/therapists/delete/", {"id": str(clinic.boris.id)})
    assert response.status_code == 302  # Flask-Admin: not allowed, back to the list


# -- hours, time off, closures -------------------------------------------------------------


def test_overlapping_working_blocks_are_refused_under_the_time(admin, db, clinic):
    response = admin.post(
        "/hours/new/",
        {
            "therapist_id": str(clinic.anna.id),
            "weekday": "0",
            "start_time": "16:00",
            "end_time": "19:00",
        },
    )
    assert response.status_code == 200
    assert "overlaps Anna Novak&#39;s block 09:00-17:00 on that day" in text(response)
    with db.read() as s:
        assert len(s.exec(select(WorkingHours)).all()) == 10


def test_a_saturday_block_is_added_and_an_edit_changes_it(admin, db, clinic):
    response = admin.post(
        "/hours/new/",
        {
            "therapist_id": str(clinic.anna.id),
            "weekday": "5",
            "start_time": "09:00",
            "end_time": "12:00",
            "valid_from": "2027-03-01",
        },
    )
    assert response.status_code == 302, text(response)
    with db.read() as s:
        block = s.exec(select(WorkingHours).where(WorkingHours.weekday == 5)).one()
    edit = admin.post(
        f"/hours/edit/?id={block.id}",
        {
            "therapist_id": str(clinic.anna.id),
            "weekday": "5",
            "start_time": "10:00",
            "end_time": "12:00",
            "valid_from": "",
            "valid_to": "",
        },  # as a browser sends them
    )
    assert edit.status_code == 302, text(edit)
    with db.read() as s:
        changed = s.get(WorkingHours, block.id)
    assert (changed.start_time, changed.valid_from) == (time(10), None)
    gone = admin.post("/hours/delete/", {"id": str(block.id)})
    assert gone.status_code == 302
    with db.read() as s:
        assert s.get(WorkingHours, block.id) is None


def test_time_off_is_entered_in_local_time_and_warns_about_sessions_it_covers(admin, db, clinic):
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
    response = admin.post(
        "/time-off/new/",
        {
            "therapist_id": str(clinic.boris.id),
            "starts": "2027-03-01T09:00",
            "ends": "2027-03-01T13:00",
            "reason": "Sick",
        },
    )
    assert response.status_code == 302, text(response)
    with db.read() as s:
        off = s.exec(select(TimeOff)).one()
    assert (off.start_at, off.end_at) == (local(MONDAY, "09:00"), local(MONDAY, "13:00"))
    page = text(admin.get("/time-off/"))
    assert "1 booked session falls in this time off" in page
    assert "Mon 01.03.2027 09:00" in page  # listed in local time, as the clinic writes it
    link = re.search(
        r'href="(/bookings/\?flt0_date_between=01.03.2027\+to\+01.03.2027[^"]*)"', page
    )
    assert link, "the warning links to the sessions in the way, its days as the clinic writes"
    listed = text(admin.get(html.unescape(link[1])))
    assert "01.03.2027 to 01.03.2027" in listed  # what the filter's box shows
    assert "Invalid Filter Value" not in listed
    assert re.search(r"Mon 01\.03\.2027\s*(<[^>]*>\s*)*10:00", listed)  # the session in the way


@pytest.mark.parametrize("editing", [False, True])
def test_time_off_that_ends_before_it_starts_is_refused_and_what_was_there_stays(
    admin, db, clinic, editing
):
    kept = []
    if editing:
        with db.transaction() as s:
            off = catalog.add_time_off(
                s,
                therapist_id=clinic.boris.id,
                start=local(MONDAY, "09:00"),
                end=local(MONDAY, "13:00"),
            )
        kept = [(off.id, local(MONDAY, "09:00"))]
    response = admin.post(
        f"/time-off/edit/?id={kept[0][0]}" if editing else "/time-off/new/",
        {
            "therapist_id": str(clinic.boris.id),
            "starts": "2027-03-01T13:00",
            "ends": "2027-03-01T09:00",
        },
    )
    assert response.status_code == 200
    assert "ends before it starts" in text(response)
    with db.read() as s:
        assert [(r.id, r.start_at) for r in s.exec(select(TimeOff))] == kept


def test_editing_time_off_keeps_one_row_with_the_new_times(admin, db, clinic):
    admin.post(
        "/time-off/new/",
        {
            "therapist_id": str(clinic.boris.id),
            "starts": "2027-03-01T09:00",
            "ends": "2027-03-01T13:00",
        },
    )
    with db.read() as s:
        old = s.exec(select(TimeOff)).one()
    edit_page = text(admin.get(f"/time-off/edit/?id={old.id}"))
    assert 'value="01.03.2027 09:00"' in edit_page
    admin.post(
        f"/time-off/edit/?id={old.id}",
        {
            "therapist_id": str(clinic.boris.id),
            "starts": "2027-03-02T09:00",
            "ends": "2027-03-02T13:00",
        },
    )
    with db.read() as s:
        rows = s.exec(select(TimeOff)).all()
    assert [r.start_at for r in rows] == [local(MONDAY.replace(day=2), "09:00")]


def test_a_whole_clinic_closure_is_added_and_blocks_booking(admin, reception, db, clinic):
    response = admin.post(
        "/closures/new/",
        {
            "room_id": "",
            "starts": "2027-03-01T00:00",
            "ends": "2027-03-02T00:00",
            "reason": "Public holiday",
        },
    )
    assert response.status_code == 302, text(response)
    with db.read() as s:
        closure = s.exec(select(Closure)).one()
    assert closure.room_id is None
    assert "Whole clinic" in text(admin.get("/closures/"))
    refused = reception.post(
        "/book/",
        {
            "treatment_type_id": clinic.consult.id,
            "date": "2027-03-01",
            "client_id": clinic.client.id,
            "time": "10:00",
            "therapist_id": clinic.anna.id,
        },
    )
    assert refused.status_code == 422
    assert "Public holiday" in text(refused) or "closed" in text(refused).lower()


@pytest.mark.parametrize("room, warned", [("room1", True), ("room2", False)])
def test_a_room_closure_warns_with_a_link_only_when_it_covers_a_booked_session(
    admin, db, clinic, room, warned
):
    with db.transaction() as s:
        booking.book(  # a facial: Room 1, the only one with a facial couch
            s,
            treatment_type_id=clinic.facial.id,
            start=local(MONDAY, "10:00"),
            client_id=clinic.client.id,
            actor="t",
            now=NOW,
        )
    room_id = getattr(clinic, room).id
    response = admin.post(
        "/closures/new/",
        {"room_id": str(room_id), "starts": "2027-03-01T08:00", "ends": "2027-03-01T12:00"},
    )
    assert response.status_code == 302, text(response)
    page = text(admin.get("/closures/"))
    assert ("1 booked session falls in this closure" in page) is warned
    assert (f"flt2_room_is={room_id}" in page) is warned


def test_editing_a_closure_keeps_one_row_with_the_new_room_and_times(admin, db, clinic):
    admin.post(
        "/closures/new/",
        {"room_id": "", "starts": "2027-03-01T00:00", "ends": "2027-03-02T00:00"},
    )
    with db.read() as s:
        old = s.exec(select(Closure)).one()
    edit = admin.post(
        f"/closures/edit/?id={old.id}",
        {"room_id": str(clinic.room2.id), "starts": "2027-03-03T08:00", "ends": "2027-03-03T12:00"},
    )
    assert edit.status_code == 302, text(edit)
    with db.read() as s:
        rows = s.exec(select(Closure)).all()
    assert [(r.id, r.room_id, r.start_at) for r in rows] == [
        (old.id, clinic.room2.id, local(MONDAY.replace(day=3), "08:00"))
    ]


@pytest.mark.parametrize("path", ["/time-off/", "/closures/"])
def test_time_off_and_closures_are_deleted_from_their_lists(admin, db, clinic, path):
    with db.transaction() as s:
        if path == "/time-off/":
            row = catalog.add_time_off(
                s, therapist_id=clinic.anna.id, start=local(MONDAY, "09:00"), end=A_YEAR_LATER
            )
        else:
            row = catalog.add_closure(s, start=local(MONDAY, "09:00"), end=A_YEAR_LATER)
        row_id, model = row.id, type(row)
    response = admin.post(f"{path}delete/", {"id": str(row_id)})
    assert response.status_code == 302
    with db.read() as s:
        assert s.get(model, row_id) is None


# -- clients ------------------------------------------------------------------------------------


def test_receptionists_create_and_correct_clients(reception, db, clinic):
    response = reception.post(
        "/clients/new/", {"name": "Nina Golob", "email": "Nina@Example.com", "phone": "041 1"}
    )
    assert response.status_code == 302, text(response)
    with db.read() as s:
        nina = s.exec(select(Client).where(Client.name == "Nina Golob")).one()
    assert nina.email == "nina@example.com"
    edit = reception.post(
        f"/clients/edit/?id={nina.id}",
        {"name": "Nina Golob Kos", "email": "nina@example.com", "phone": "041 1", "notes": "VIP"},
    )
    assert edit.status_code == 302, text(edit)
    with db.read() as s:
        assert (s.get(Client, nina.id).name, s.get(Client, nina.id).notes) == (
            "Nina Golob Kos",
            "VIP",
        )


def test_a_clients_email_already_used_by_another_is_refused_under_the_email(reception, db, clinic):
    response = reception.post(
        f"/clients/edit/?id={clinic.other_client.id}",
        {"name": "Žiga Kranjc", "email": "eva@example.com"},
    )
    assert response.status_code == 200
    assert "Another client already uses eva@example.com" in text(response)


def test_a_client_with_sessions_is_kept_when_deletion_is_asked(reception, db, clinic):
    with db.transaction() as s:
        booking.book(
            s,
            treatment_type_id=clinic.consult.id,
            start=local(MONDAY, "10:00"),
            client_id=clinic.client.id,
            actor="t",
            now=NOW,
        )
    reception.post("/clients/delete/", {"id": str(clinic.client.id)})
    assert "Eva Horvat has 1 session on record, so the client is kept" in text(
        reception.get("/clients/")
    )
    reception.post("/clients/delete/", {"id": str(clinic.other_client.id)})
    with db.read() as s:
        assert s.get(Client, clinic.client.id) is not None
        assert s.get(Client, clinic.other_client.id) is None


# -- staff accounts -------------------------------------------------------------------------


def test_an_admin_creates_an_account_that_can_log_in(admin, app, db, clinic):
    response = admin.post(
        "/staff/new/",
        {"email": "new@clinic.example", "role": "receptionist", "password": "long-enough-pw"},
    )
    assert response.status_code == 302, text(response)
    assert log_in(app.test_client(), "new@clinic.example", "long-enough-pw").status_code == 302


def test_a_short_password_is_refused(admin, db, clinic):
    response = admin.post(
        "/staff/new/", {"email": "new@clinic.example", "role": "receptionist", "password": "short"}
    )
    assert response.status_code == 200
    assert "Field must be between 10 and 1000 characters long" in text(response)


def test_an_admin_cannot_take_away_their_own_admin_rights(admin, db, clinic):
    with db.read() as s:
        me = s.exec(select(User).where(User.email == ADMIN[0])).one()
    response = admin.post(f"/staff/edit/?id={me.id}", {"role": "receptionist", "active": "y"})
    assert response.status_code == 200
    assert "You cannot take away your own admin access" in text(response)


def test_a_locked_account_is_unlocked_by_an_admin(admin, app, db, clinic):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "203.0.113.9"  # an address it never logged in from
    for _ in range(6):
        log_in(client, RECEPTION[0], "wrong-password!")
    assert log_in(client, *RECEPTION).status_code == 429
    with db.read() as s:
        desk = s.exec(select(User).where(User.email == RECEPTION[0])).one()
    admin.post(f"/staff/edit/?id={desk.id}", {"role": "receptionist", "active": "y", "unlock": "y"})
    assert log_in(client, *RECEPTION).status_code == 302


# -- settings and feeds -----------------------------------------------------------------------


def test_settings_are_saved_through_the_catalog(admin, db, clinic):
    response = admin.post(
        "/settings/",
        {
            "name": "Lotus",
            "address": "Trubarjeva 12",
            "phone": "+386 1",
            "timezone": "Europe/Ljubljana",
            "slot_step_minutes": "30",
            "booking_horizon_days": "60",
            "course_horizon_weeks": "26",
            "min_notice_minutes": "60",
            "cancellation_notice_hours": "12",
            "reminder_hours_before": "24",
            "invite_therapists": "y",
        },
    )
    assert response.status_code == 302, text(response)
    with db.read() as s:
        row = s.get(Clinic, 1)
    assert (
        row.name,
        row.slot_step_minutes,
        row.invite_therapists,
        row.feed_shows_client_details,
    ) == (
        "Lotus",
        30,
        True,
        False,
    )


SETTINGS = {
    "name": "Test Clinic",
    "timezone": "Europe/Ljubljana",
    "slot_step_minutes": "15",
    "booking_horizon_days": "60",
    "course_horizon_weeks": "26",
    "min_notice_minutes": "60",
    "cancellation_notice_hours": "12",
    "reminder_hours_before": "24",
}


def test_the_clients_pages_colour_is_saved_and_shown_in_the_form_again(admin, db, clinic):
    response = admin.post("/settings/", {**SETTINGS, "brand_colour": "#ffd166"})
    assert response.status_code == 302, text(response)
    with db.read() as s:
        assert s.get(Clinic, 1).brand_colour == "#ffd166"
    assert 'value="#ffd166"' in text(admin.get("/settings/"))


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("red", "expected a colour like #3d6b5a"),
        ("#1b4332;}body{background:url(//evil.example)", "expected a colour like #3d6b5a"),
        ("#0073f0", "reaches the 4.5:1 WCAG AA asks for"),
    ],
)
def test_a_bad_colour_is_refused_under_the_field_and_nothing_is_saved(
    admin, db, clinic, value, says
):
    response = admin.post("/settings/", {**SETTINGS, "name": "Lotus", "brand_colour": value})
    assert response.status_code == 422
    assert says in text(response)
    with db.read() as s:
        row = s.get(Clinic, 1)
        assert (row.name, row.brand_colour) == ("Test Clinic", "#3d6b5a")


def test_an_unknown_timezone_is_refused_under_the_field(admin, db, clinic):
    response = admin.post(
        "/settings/",
        {
            "name": "Lotus",
            "timezone": "Europe/Atlantis",
            "slot_step_minutes": "15",
            "booking_horizon_days": "60",
            "course_horizon_weeks": "26",
            "min_notice_minutes": "60",
            "cancellation_notice_hours": "12",
            "reminder_hours_before": "24",
        },
    )
    assert response.status_code == 422
    assert "&#39;Europe/Atlantis&#39; is not an IANA timezone" in text(response)
    with db.read() as s:
        assert s.get(Clinic, 1).name == "Test Clinic"


def test_feed_links_are_ready_to_copy_for_the_clinic_each_therapist_and_room(reception, db, clinic):
    with db.read() as s:
        anna = s.get(Therapist, clinic.anna.id)
    body = text(reception.get("/feeds/"))
    assert f"https://clinic.example/feeds/therapist/{anna.feed_token}.ics" in body
    assert f"webcal://clinic.example/feeds/therapist/{anna.feed_token}.ics" in body
    assert "/feeds/room/" in body and "/feeds/clinic/" in body


def test_rotating_a_feed_link_replaces_the_token(admin, db, clinic):
    with db.read() as s:
        old = s.get(Room, clinic.room1.id).feed_token
    response = admin.post(f"/feeds/rotate/room/{clinic.room1.id}")
    assert response.status_code == 302
    with db.read() as s:
        new = s.get(Room, clinic.room1.id).feed_token
    assert new and new != old
    body = text(admin.get("/feeds/"))
    assert new in body and old not in body
    assert "the old one stops working now" in body


def test_rotating_an_unknown_feed_is_a_404(admin, clinic):
    assert admin.post("/feeds/rotate/room/999").status_code == 404
    assert admin.post("/feeds/rotate/planet/1").status_code == 404


def test_a_clinic_in_new_york_reads_and_shows_american_dates_and_12_hour_times(admin, db, clinic):
    with db.transaction() as s:
        s.get(Clinic, 1).locale = "en-US"
    response = admin.post(
        "/time-off/new/",
        {
            "therapist_id": str(clinic.boris.id),
            "starts": "03/01/2027 9:00 AM",
            "ends": "03/01/2027 1:30 PM",
            "reason": "Dentist",
        },
    )
    assert response.status_code == 302, text(response)
    with db.read() as s:
        off = s.exec(select(TimeOff)).one()
    assert (off.start_at, off.end_at) == (local(MONDAY, "09:00"), local(MONDAY, "13:30"))
    listed = text(admin.get("/time-off/"))
    assert "Mon 03/01/2027 9:00 AM" in listed and "Mon 03/01/2027 1:30 PM" in listed
    form = text(admin.get("/time-off/new/"))
    assert 'placeholder="mm/dd/yyyy h:mm AM/PM"' in form
