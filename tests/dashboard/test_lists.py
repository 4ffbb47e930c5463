"""Lists with search, filters and CSV export; the outbox and its retry button."""

from __future__ import annotations

import csv
import io
import json
import re
import warnings

import pytest
from flask_admin.contrib.sqla import ModelView
from sqlmodel import select

from services.dashboard import create_app
from shared import booking, catalog, clients
from shared.models import OutboxMessage
from tests.dashboard.conftest import text
from tests.factories import MONDAY, NOW, local

LISTS = [
    "/bookings/",
    "/clients/",
    "/treatment-types/",
    "/therapists/",
    "/rooms/",
    "/hours/",
    "/time-off/",
    "/closures/",
    "/outbox/",
]


@pytest.fixture
def week(db, clinic) -> dict[str, int]:
    """Three sessions: Eva Mon 10:00 facial (Anna, Room 1), Žiga Mon 09:00 consult with
    Boris, Eva Wed 10:00 consult (cancelled)."""
    with db.transaction() as s:
        a = booking.book(
            s,
            treatment_type_id=clinic.facial.id,
            start=local(MONDAY, "10:00"),
            client_id=clinic.client.id,
            actor="t",
            now=NOW,
        ).id
        b = booking.book(
            s,
            treatment_type_id=clinic.consult.id,
            start=local(MONDAY, "09:00"),
            client_id=clinic.other_client.id,
            therapist_id=clinic.boris.id,
            room_id=clinic.room2.id,
            actor="t",
            now=NOW,
        ).id
        c = booking.book(
            s,
            treatment_type_id=clinic.consult.id,
            start=local(MONDAY.replace(day=3), "10:00"),
            client_id=clinic.client.id,
            actor="t",
            now=NOW,
        ).id
        booking.cancel(s, c, actor="t", reason="moved away", now=NOW)
        thursday, friday = MONDAY.replace(day=4), MONDAY.replace(day=5)
        catalog.add_time_off(
            s,
            therapist_id=clinic.boris.id,
            start=local(thursday, "09:00"),
            end=local(thursday, "13:00"),
            reason="Course",
        )
        catalog.add_closure(
            s, start=local(friday, "00:00"), end=local(friday, "23:59"), reason="Holiday"
        )
    return {"eva_mon": a, "ziga_mon": b, "eva_wed": c}


def _ids(body: str, week: dict[str, int]) -> set[str]:
    return {name for name, i in week.items() if f'href="/booking/{i}"' in body}


@pytest.mark.parametrize("path", LISTS)
def test_every_list_has_search_or_filters_and_an_export(admin, week, path):
    page = admin.get(path)
    assert page.status_code == 200
    body = text(page)
    assert "export/csv" in body
    assert "Add Filter" in body or 'name="search"' in body


@pytest.mark.parametrize("path", LISTS)
def test_every_list_exports_csv(admin, week, path):
    response = admin.get(path + "export/csv/")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(text(response))))
    assert len(rows) >= 2


def test_bookings_are_found_by_client_name_email_or_phone(reception, week):
    assert _ids(text(reception.get("/bookings/?search=horvat")), week) == {"eva_mon", "eva_wed"}
    assert _ids(text(reception.get("/bookings/?search=ziga@example")), week) == {"ziga_mon"}
    assert _ids(text(reception.get("/bookings/?search=386")), week) == {"eva_mon", "eva_wed"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("flt0_date_between=2027-03-01+to+2027-03-01", {"eva_mon", "ziga_mon"}),
        ("flt0_date_between=01.03.2027+to+02.03.2027", {"eva_mon", "ziga_mon"}),  # as typed
        ("flt0_date_between=01.03.2027+to+2027-03-03", {"eva_mon", "ziga_mon", "eva_wed"}),
        ("flt0_date_on=2027-03-03", {"eva_wed"}),
        ("flt0_date_on=03.03.2027", {"eva_wed"}),
        ("flt0_date_on_or_after=2.3.2027", {"eva_wed"}),
        ("flt0_date_on_or_after=2027-03-02", {"eva_wed"}),
        ("flt0_date_on_or_before=2027-03-01", {"eva_mon", "ziga_mon"}),
        ("flt0_therapist_is=2", {"ziga_mon"}),
        ("flt0_room_is=2", {"ziga_mon"}),
        ("flt0_status_is=cancelled", {"eva_wed"}),
        ("flt0_status_is=booked&flt1_client_contains=eva", {"eva_mon"}),
        ("flt0_client_id=1", {"eva_mon", "eva_wed"}),
        ("flt0_treatment_is=2", {"ziga_mon", "eva_wed"}),
    ],
)
def test_bookings_filter_by_local_date_therapist_room_status_and_client(
    reception, week, query, expected
):
    body = text(reception.get(f"/bookings/?{query}"))
    assert _ids(body, week) == expected


def test_date_filters_are_text_boxes_that_show_the_clinics_pattern(reception, week):
    body = text(reception.get("/bookings/?flt0_date_on=03.03.2027"))
    assert 'data-clinic-day-hint="dd.mm.yyyy"' in body  # dashboard.js: the placeholder
    groups = json.loads(re.search(r'id="filter-groups-data"[^>]*>([^<]*)<', body)[1])
    kinds = {f["arg"]: f["type"] for group in groups.values() for f in group}
    assert kinds["date_on"] == "clinic-day" and kinds["date_between"] == "clinic-day-range"
    assert "daterangepicker" not in kinds.values() and "datepicker" not in kinds.values()


def test_filter_dropdowns_list_the_current_therapists_and_rooms(reception, admin, week):
    admin.post("/rooms/new/", {"name": "Room 3", "features": "", "active": "y"})
    body = text(reception.get("/bookings/"))
    assert "Room 3" in body and "Boris Li" in body


def test_bookings_export_in_local_time_with_client_details(reception, week):
    response = reception.get("/bookings/export/csv/?flt0_date_on=2027-03-01")
    rows = list(csv.DictReader(io.StringIO(text(response))))
    by_client = {r["Client"]: r for r in rows}
    assert set(by_client) == {"Eva Horvat", "Žiga Kranjc"}
    eva = by_client["Eva Horvat"]
    assert eva["When"] == "2027-03-01 10:00"  # local, not UTC (09:00)
    assert eva["Ends"] == "2027-03-01 11:00"
    assert (eva["E-mail"], eva["Treatment"], eva["Therapist"], eva["Room"]) == (
        "eva@example.com",
        "Facial rejuvenation",
        "Anna Novak",
        "Room 1",
    )
    assert eva["Phone"] == "'+386 40 1"  # a leading + would run as a formula


def test_csv_export_defuses_formulas_in_client_names(reception, db, clinic):
    with db.transaction() as s:
        clients.create_client(s, name='=HYPERLINK("http://evil")', email="x@example.com")
    rows = list(csv.reader(io.StringIO(text(reception.get("/clients/export/csv/")))))
    names = [r[0] for r in rows[1:]]
    assert '\'=HYPERLINK("http://evil")' in names


def test_the_bookings_list_offers_no_edit_and_its_new_button_opens_the_booking_form(
    reception, week
):
    body = text(reception.get("/bookings/"))
    assert "/bookings/edit/" not in body
    new = reception.get("/bookings/new/")
    assert new.status_code == 302 and new.headers["Location"] == "/book/"


def test_clients_link_to_their_sessions(reception, week, clinic):
    body = text(reception.get("/clients/?search=eva"))
    assert f"flt0_client_id={clinic.client.id}" in body


# -- outbox ------------------------------------------------------------------------------------


def _fail(db, booking_id: int) -> int:
    with db.transaction() as s:
        msg = s.exec(
            select(OutboxMessage).where(
                OutboxMessage.booking_id == booking_id, OutboxMessage.kind == "invite"
            )
        ).one()
        msg.status, msg.attempts, msg.last_error = "failed", 5, "550 mailbox unavailable"
        return msg.id  # type: ignore[return-value]


def test_failed_messages_show_with_their_error_and_a_retry_button(reception, db, week):
    failed = _fail(db, week["eva_mon"])
    body = text(reception.get("/outbox/?flt0_status_is=failed"))
    assert "550 mailbox unavailable" in body
    assert f'action="/outbox/retry/{failed}"' in body
    assert body.count("/outbox/retry/") == 1


def test_retry_puts_a_failed_message_back_in_the_queue(reception, db, week):
    failed = _fail(db, week["eva_mon"])
    response = reception.post(f"/outbox/retry/{failed}")
    assert response.status_code == 302
    with db.read() as s:
        msg = s.get(OutboxMessage, failed)
    assert (msg.status, msg.attempts) == ("pending", 0)
    assert "1 message queued to be sent again" in text(reception.get("/outbox/"))


def test_retrying_a_message_that_did_not_fail_is_refused_with_a_message(reception, db, week):
    with db.read() as s:
        pending = s.exec(select(OutboxMessage).where(OutboxMessage.status == "pending")).first()
    reception.post(f"/outbox/retry/{pending.id}")
    body = text(reception.get("/outbox/"))
    assert "Only failed messages can be retried; this one is pending" in body


def test_failed_messages_can_be_retried_in_bulk(reception, db, week):
    first = _fail(db, week["eva_mon"])
    second = _fail(db, week["ziga_mon"])
    response = reception.post(
        "/outbox/action/", {"action": "retry", "rowid": [str(first), str(second)]}
    )
    assert response.status_code == 302
    with db.read() as s:
        assert {s.get(OutboxMessage, i).status for i in (first, second)} == {"pending"}


def test_a_bookings_page_offers_retry_for_its_failed_message(reception, db, week):
    failed = _fail(db, week["eva_mon"])
    body = text(reception.get(f"/booking/{week['eva_mon']}"))
    assert f'action="/outbox/retry/{failed}"' in body


def test_the_outbox_tabs_count_the_messages_in_each_status(reception, db, week):
    _fail(db, week["eva_mon"])
    body = text(reception.get("/outbox/"))
    assert 'tab-failed">Failed <span class="count">1</span>' in body
    assert 'tab-sent">Sent <span class="count">0</span>' in body  # nothing sent yet


# -- how Flask-Admin reads ------------------------------------------------------------------------


def test_the_dashboard_is_built_without_deprecation_warnings(settings, db):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        create_app({"SETTINGS": settings, "DATABASE": db, "TESTING": True})


def test_lists_read_through_the_projects_own_engine_and_give_the_connection_back(
    app, reception, db, week
):
    [admin] = app.extensions["admin"]
    views = [v for v in admin._views if isinstance(v, ModelView)]
    assert views and "sqlalchemy" not in app.extensions  # no engine of Flask-SQLAlchemy's own
    with app.app_context():
        for view in views:
            assert view.session.session.get_bind() is db.engine
    before = db.engine.pool.checkedout()
    assert "Eva Horvat" in text(reception.get("/bookings/"))
    assert db.engine.pool.checkedout() == before  # the list's session ended with the request
