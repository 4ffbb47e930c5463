"""The course screens: a plan with its clashes marked and alternatives to pick, booked as one;
the course page with its counts and "cancel the rest"; the day view marks "3/10"."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import func, select

from shared import catalog
from shared.models import Booking, Course
from tests.dashboard.conftest import RECEPTION, log_in, text
from tests.factories import MONDAY, local


def plan_url(clinic, **changes) -> str:
    args = {
        "treatment_type_id": clinic.facial.id,
        "client_id": clinic.client.id,
        "date": MONDAY.isoformat(),
        "time": "10:00",
        "rhythm": "1w",
        "count": "10",
    }
    args.update(changes)
    return "/course/new?" + "&".join(f"{k}={v}" for k, v in args.items())


def away_in_week_three(db, clinic) -> None:
    with db.transaction() as session:
        catalog.add_time_off(
            session,
            therapist_id=clinic.anna.id,
            start=local(MONDAY + timedelta(weeks=2), "00:00"),
            end=local(MONDAY + timedelta(weeks=2), "23:59"),
            reason="Seminar in Vienna",
        )


def choices(page: str) -> dict[str, list[str]]:
    """The plan's radio and hidden inputs per session field, s0..s9."""
    found: dict[str, list[str]] = {}
    for name, value in re.findall(r'name="(s\d+)" value="([^"]+)"', page):
        found.setdefault(name, []).append(value)
    return found


def test_the_plan_marks_the_clash_with_its_reason_and_offers_alternatives(reception, clinic, db):
    away_in_week_three(db, clinic)
    page = text(reception.get(plan_url(clinic)))
    assert "1 cannot be had as planned" in page
    assert "Seminar in Vienna" in page
    picked = choices(page)
    assert len(picked) == 10
    assert picked["s2"][-1] == "drop" and len(picked["s2"]) == 4  # three alternatives, or drop
    assert picked["s2"][0].startswith("2027-03-16T09:00:00+00:00|")  # Tuesday, same time


def test_booking_the_plan_with_an_alternative_books_every_session_and_shows_the_course(
    reception, clinic, db
):
    away_in_week_three(db, clinic)
    picked = choices(text(reception.get(plan_url(clinic))))
    form = {name: values[0] for name, values in picked.items()}
    form.update(treatment_type_id=clinic.facial.id, client_id=clinic.client.id, total=10)
    done = reception.post(plan_url(clinic), data=form)
    assert done.status_code == 302, text(done)
    course_page = text(reception.get(done.headers["Location"], follow_redirects=True))
    assert "Booked a course of 10 sessions" in course_page
    assert "<b>0</b> done · <b>10</b> left · <b>0</b> cancelled" in course_page
    day = text(reception.get(f"/?date={(MONDAY + timedelta(weeks=2, days=1)).isoformat()}"))
    assert '<span class="b-course" title="Session 3 of 10 of a course">3/10</span>' in day


def test_an_unresolved_clash_books_nothing_and_says_which_session(reception, clinic, db):
    away_in_week_three(db, clinic)
    picked = choices(text(reception.get(plan_url(clinic))))
    form = {name: values[0] for name, values in picked.items() if name != "s2"}
    form.update(treatment_type_id=clinic.facial.id, client_id=clinic.client.id, total=10)
    refused = reception.post(plan_url(clinic), data=form)
    assert refused.status_code == 409
    assert "Session 3 cannot be had as planned: pick an alternative or drop it" in text(refused)
    with db.read() as session:
        assert session.exec(select(func.count()).select_from(Booking)).one() == 0


def test_cancelling_the_rest_of_a_course_leaves_the_sessions_already_had(
    reception, clinic, db, clock
):
    picked = choices(text(reception.get(plan_url(clinic, count="4"))))
    form = {name: values[0] for name, values in picked.items()}
    form.update(treatment_type_id=clinic.facial.id, client_id=clinic.client.id, total=4)
    course_url = reception.post(plan_url(clinic, count="4"), data=form).headers["Location"]
    clock.now = local(MONDAY + timedelta(weeks=1), "12:00")
    log_in(reception.client, *RECEPTION)  # a week later: logged out long since
    with db.read() as session:
        course_id = session.exec(select(Course.id)).one()
    cancelled = reception.post(
        f"/course/{course_id}/cancel", data={"reason": "Moved to Maribor"}, follow_redirects=True
    )
    page = text(cancelled)
    assert "Cancelled the remaining 2 sessions" in page
    assert "<b>0</b> done · <b>2</b> left · <b>2</b> cancelled" in page
    assert course_url.endswith(f"/course/{course_id}")


def test_a_first_session_at_a_time_the_clocks_skip_is_refused_naming_the_jump(reception, clinic):
    page = text(reception.get(plan_url(clinic, date="2027-03-28", time="02:30")))
    assert (
        "First session: 02:30 does not exist on Sun 28.03.2027: clocks go forward at 02:00; "
        "03:00 is the first time that day" in page
    )
    assert not choices(page)  # no plan is offered for a time that does not exist


def test_a_first_day_typed_so_it_cannot_be_read_names_the_pattern(reception, clinic):
    page = reception.get(
        "/course/new", query_string={"treatment_type_id": clinic.facial.id, "date": "1/3/2027"}
    )
    assert page.status_code == 200
    assert "Write the date as dd.mm.yyyy" in text(page)
