"""End of day: the day's unmarked sessions in one list, all completed but the ticked no-shows,
undo the same day; every mark through the booking rules and the version the list showed."""

from __future__ import annotations

import re

import pytest

from shared import booking
from shared.models import Booking
from tests.dashboard.conftest import RECEPTION, Staff, log_in, text
from tests.factories import MONDAY, NOW, local

SESSION = re.compile(r'name="session" value="(\d+):(\d+)"')


@pytest.fixture
def monday(db, clinic, clock) -> dict[str, int]:
    """Monday: Eva 09:00 facial (Anna), Žiga 09:00 consult (Boris), Eva 12:00 consult (Boris),
    and Žiga 16:00 facial (Anna); the clock is then 13:00, so the first three are over."""
    with db.transaction() as s:

        def book(at, tt, therapist, client):
            return booking.book(
                s,
                treatment_type_id=tt.id,
                start=local(MONDAY, at),
                client_id=client.id,
                therapist_id=therapist.id,
                actor="t",
                now=NOW,
            ).id

        made = {
            "eva_9": book("09:00", clinic.facial, clinic.anna, clinic.client),
            "ziga_9": book("09:00", clinic.consult, clinic.boris, clinic.other_client),
            "eva_12": book("12:00", clinic.consult, clinic.boris, clinic.client),
            "ziga_16": book("16:00", clinic.facial, clinic.anna, clinic.other_client),
        }
    clock.now = local(MONDAY, "13:00")
    return made


def _statuses(db, ids) -> dict[int, str]:
    with db.read() as s:
        return {i: s.get(Booking, i).status for i in ids}


def _page(staff, day=MONDAY):
    return text(staff.get("/end-of-day/", query_string={"date": day.isoformat()}))


def test_the_list_holds_only_the_sessions_that_are_over_and_unmarked(monday, reception):
    body = _page(reception)
    listed = {int(i) for i, _ in SESSION.findall(body)}
    assert listed == {monday["eva_9"], monday["ziga_9"], monday["eva_12"]}
    assert "To mark (3)" in body


def test_all_completed_with_a_ticked_no_show_marks_the_whole_day_in_one_post(monday, reception, db):
    body = _page(reception)
    response = reception.post(
        "/end-of-day/close",
        {
            "date": MONDAY.isoformat(),
            "session": [f"{i}:{v}" for i, v in SESSION.findall(body)],
            "no_show": str(monday["ziga_9"]),
        },
    )
    assert response.status_code == 302
    assert _statuses(db, monday.values()) == {
        monday["eva_9"]: "completed",
        monday["ziga_9"]: "no_show",
        monday["eva_12"]: "completed",
        monday["ziga_16"]: "booked",
    }
    after = text(reception.get(response.headers["Location"]))
    assert "Marked 2 completed and 1 no-show" in after
    assert "Nothing to mark: 1 session still to come" in after


def test_undo_puts_the_whole_batch_back_to_mark(monday, reception, db):
    body = _page(reception)
    listed = [f"{i}:{v}" for i, v in SESSION.findall(body)]
    done = reception.post("/end-of-day/close", {"date": MONDAY.isoformat(), "session": listed})
    page = text(reception.get(done.headers["Location"]))
    undo_form = page.split('action="/end-of-day/undo"')[1].split("</form>")[0]
    batch = SESSION.findall(undo_form)
    assert {int(i) for i, _ in batch} == {monday["eva_9"], monday["ziga_9"], monday["eva_12"]}
    undone = reception.post(
        "/end-of-day/undo",
        {"date": MONDAY.isoformat(), "session": [f"{i}:{v}" for i, v in batch]},
    )
    assert undone.status_code == 302
    assert set(_statuses(db, monday.values()).values()) == {"booked"}
    with db.read() as s:
        actions = [e.action for e in s.get(Booking, monday["eva_9"]).events]
    assert actions[-2:] == ["completed", "unmarked"]


def test_a_session_changed_meanwhile_refuses_the_whole_batch_and_marks_nothing(
    monday, reception, db
):
    body = _page(reception)
    listed = [f"{i}:{v}" for i, v in SESSION.findall(body)]
    with db.transaction() as s:  # someone marks one on its own page meanwhile
        booking.mark_no_show(s, monday["eva_12"], actor="t", now=local(MONDAY, "13:00"))
    response = reception.post("/end-of-day/close", {"date": MONDAY.isoformat(), "session": listed})
    assert response.status_code == 412
    assert "changed by someone else" in text(response)
    statuses = _statuses(db, [monday["eva_9"], monday["ziga_9"]])
    assert set(statuses.values()) == {"booked"}


def test_a_mark_cannot_be_undone_after_the_sessions_day(monday, app, db, clock):
    with db.transaction() as s:
        booking.mark_completed(s, monday["eva_9"], actor="t", now=local(MONDAY, "13:00"))
    clock.now = local(MONDAY, "23:50")
    reception = Staff(app.test_client(), RECEPTION[0])
    assert log_in(reception.client, *RECEPTION).status_code == 302
    clock.now = local(MONDAY.replace(day=MONDAY.day + 1), "00:10")
    with db.read() as s:
        version = s.get(Booking, monday["eva_9"]).sequence
    response = reception.post(
        "/end-of-day/undo",
        {"date": MONDAY.isoformat(), "session": f"{monday['eva_9']}:{version}"},
    )
    assert response.status_code == 422
    assert "only on the session" in text(response)
    assert _statuses(db, [monday["eva_9"]]) == {monday["eva_9"]: "completed"}


@pytest.mark.parametrize(
    "form",
    [
        {"session": "x:1"},
        {"session": "1"},
        {"session": "1:99999999999999"},
        {"no_show": "abc"},
        {},
    ],
)
def test_a_mangled_form_is_refused_and_marks_nothing(monday, reception, db, form):
    response = reception.post("/end-of-day/close", {"date": MONDAY.isoformat(), **form})
    assert response.status_code in (400, 422)
    assert set(_statuses(db, monday.values()).values()) == {"booked"}


def test_the_day_view_links_to_the_end_of_day_list(monday, reception):
    body = text(reception.get("/", query_string={"date": MONDAY.isoformat()}))
    assert f'href="/end-of-day/?date={MONDAY.isoformat()}"' in body
