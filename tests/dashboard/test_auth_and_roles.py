"""Log-in, session expiry, CSRF, and who may see and do what."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import pytest
from sqlmodel import select

from shared import booking
from shared.models import Room, User
from tests.dashboard.conftest import CSRF, RECEPTION, log_in, text
from tests.factories import MONDAY, NOW, local

PAGES = [
    "/",
    "/?date=2027-03-01&by=room",
    "/book/",
    "/book/clients?q=eva",
    "/bookings/",
    "/bookings/export/csv/",
    "/bookings/new/",
    "/booking/1",
    "/clients/",
    "/clients/new/",
    "/clients/edit/?id=1",
    "/clients/details/?id=1",
    "/treatment-types/",
    "/treatment-types/new/",
    "/therapists/",
    "/therapists/edit/?id=1",
    "/hours/",
    "/time-off/",
    "/rooms/",
    "/closures/",
    "/feeds/",
    "/settings/",
    "/outbox/",
    "/staff/",
    "/staff/new/",
]
ACTIONS = [
    "/book/",
    "/booking/1/move",
    "/booking/1/cancel",
    "/booking/1/completed",
    "/booking/1/no-show",
    "/clients/new/",
    "/clients/delete/",
    "/treatment-types/new/",
    "/therapists/edit/?id=1",
    "/hours/delete/",
    "/rooms/new/",
    "/feeds/rotate/room/1",
    "/settings/",
    "/outbox/retry/1",
    "/outbox/action/",
    "/staff/new/",
]
ADMIN_PAGES = [
    "/staff/",
    "/staff/new/",
    "/staff/edit/?id=1",
    "/treatment-types/new/",
    "/treatment-types/edit/?id=1",
    "/therapists/new/",
    "/therapists/edit/?id=1",
    "/hours/new/",
    "/hours/edit/?id=1",
    "/time-off/new/",
    "/rooms/new/",
    "/rooms/edit/?id=1",
    "/closures/new/",
]
ADMIN_ACTIONS = [
    "/treatment-types/new/",
    "/therapists/edit/?id=1",
    "/hours/delete/",
    "/time-off/delete/",
    "/closures/delete/",
    "/rooms/new/",
    "/rooms/edit/?id=1",
    "/settings/",
    "/feeds/rotate/room/1",
    "/feeds/rotate/clinic/1",
    "/staff/new/",
]
RECEPTION_PAGES = [
    "/",
    "/book/",
    "/bookings/",
    "/clients/",
    "/clients/new/",
    "/treatment-types/",
    "/therapists/",
    "/hours/",
    "/time-off/",
    "/rooms/",
    "/closures/",
    "/feeds/",
    "/settings/",
    "/outbox/",
]


# -- log-in -------------------------------------------------------------------------------------


def test_login_page_shows_a_form_with_a_csrf_token(app, clinic):
    page = app.test_client().get("/login")
    assert page.status_code == 200
    assert CSRF.search(text(page))
    assert 'name="password"' in text(page)


def test_right_password_logs_in_and_lands_on_the_day_view(app, clinic):
    client = app.test_client()
    response = log_in(client, *RECEPTION)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    day = client.get("/")
    assert day.status_code == 200
    assert RECEPTION[0] in text(day)


def test_the_top_bar_names_the_person_logged_in_with_the_e_mail_on_hover(app, clinic, db):
    client = app.test_client()
    log_in(client, *RECEPTION)
    bar = re.search(
        r'<span class="user-name" title="([^"]*)">([^<]*)</span>', text(client.get("/"))
    )
    assert bar and bar.groups() == (f"Logged in as {RECEPTION[0]}", "Desk")  # the e-mail's name
    with db.transaction() as session:
        user = session.exec(select(User).where(User.email == RECEPTION[0])).one()
        user.name = "Ana Lima"
    bar = re.search(r'<span class="user-name"[^>]*>([^<]*)</span>', text(client.get("/")))
    assert bar and bar.group(1) == "Ana Lima"


def test_wrong_password_is_refused_with_a_message_and_no_session(app, clinic):
    client = app.test_client()
    response = log_in(client, RECEPTION[0], "not-the-password")
    assert response.status_code == 401
    assert "Wrong e-mail or password" in text(response)
    assert client.get("/").status_code == 302


def test_after_five_wrong_passwords_from_a_new_address_the_next_try_waits_whatever_it_is(
    app, clinic
):
    client = from_address(app, "203.0.113.9")
    for _ in range(5):
        assert log_in(client, RECEPTION[0], "wrong-password!").status_code == 401
    waiting = log_in(client, *RECEPTION)
    assert waiting.status_code == 429
    assert int(waiting.headers["Retry-After"]) >= 1
    assert "Too many failed log-ins from here or for this account" in text(waiting)
    assert client.get("/").status_code == 302  # not logged in


def test_an_unknown_account_is_answered_exactly_like_a_real_one(app, clinic):
    def answers(email: str, address: str) -> list[tuple[int, str]]:
        client = from_address(app, address)
        out = []
        for _ in range(7):
            response = log_in(client, email, "wrong-password!")
            message = re.search(r'class="invalid-feedback">([^<]*)<', text(response))
            out.append((response.status_code, message.group(1) if message else ""))
        return out

    real = answers(RECEPTION[0], "203.0.113.1")
    unknown = answers("nobody@clinic.example", "203.0.113.2")
    assert real == unknown
    assert [status for status, _ in real] == [401] * 5 + [429] * 2


def test_the_wait_ends_and_doubles_after_each_further_failure(app, clinic, clock):
    client = from_address(app, "203.0.113.9")
    for _ in range(5):
        log_in(client, RECEPTION[0], "wrong-password!")
    first = int(log_in(client, RECEPTION[0], "wrong-password!").headers["Retry-After"])
    clock.advance(seconds=first)
    assert log_in(client, RECEPTION[0], "wrong-password!").status_code == 401
    second = int(log_in(client, RECEPTION[0], "wrong-password!").headers["Retry-After"])
    assert second == 2 * first
    clock.advance(minutes=61)  # an hour without failures forgets them
    assert log_in(client, *RECEPTION).status_code == 302


def test_guesses_elsewhere_never_keep_a_receptionist_out_of_her_usual_desk(app, clinic):
    desk = from_address(app, "192.0.2.10")
    assert log_in(desk, *RECEPTION).status_code == 302  # her usual address from now on
    desk.post("/logout", data={"csrf_token": CSRF.search(text(desk.get("/"))).group(1)})
    attacker = from_address(app, "203.0.113.9")
    statuses = [log_in(attacker, RECEPTION[0], f"guess-{i}").status_code for i in range(8)]
    assert statuses == [401] * 5 + [429] * 3
    assert log_in(desk, *RECEPTION).status_code == 302
    assert log_in(attacker, *RECEPTION).status_code == 429  # the attacker still waits


def from_address(app: Any, address: str) -> Any:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_next_takes_you_back_to_the_page_you_asked_for_but_never_off_site(app, clinic):
    client = app.test_client()
    first = client.get("/bookings/?search=eva")
    assert first.status_code == 302
    assert "/login?next=" in first.headers["Location"]
    page = client.get(first.headers["Location"])
    token = CSRF.search(text(page)).group(1)
    back = client.post(
        first.headers["Location"],
        data={"csrf_token": token, "email": RECEPTION[0], "password": RECEPTION[1]},
    )
    assert back.headers["Location"] == "/bookings/?search=eva"

    other = app.test_client()
    page = other.get("/login")
    token = CSRF.search(text(page)).group(1)
    evil = other.post(
        "/login?next=//evil.example/phish",
        data={"csrf_token": token, "email": RECEPTION[0], "password": RECEPTION[1]},
    )
    assert evil.headers["Location"] == "/"


def test_login_without_csrf_token_is_refused(app, clinic):
    client = app.test_client()
    client.get("/login")
    response = client.post("/login", data={"email": RECEPTION[0], "password": RECEPTION[1]})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_logout_needs_a_post_with_csrf_and_ends_the_session(reception):
    assert reception.get("/logout").status_code == 405
    assert reception.client.post("/logout").status_code == 400  # no token
    assert reception.get("/").status_code == 200
    out = reception.post("/logout")
    assert out.status_code == 302
    assert reception.get("/").status_code == 302


def test_a_cookie_copied_before_logging_out_opens_nothing_after_it(reception, app):
    copy = app.test_client()
    cookie = reception.client.get_cookie("clinic_dashboard")
    copy.set_cookie("clinic_dashboard", cookie.value)
    assert copy.get("/").status_code == 200  # the copy works while the session lives
    reception.post("/logout")
    assert copy.get("/").status_code == 302
    assert copy.get("/bookings/").headers["Location"].startswith("/login")


def test_switching_an_account_off_ends_a_copied_cookie_too(reception, admin, app, db):
    copy = app.test_client()
    copy.set_cookie("clinic_dashboard", reception.client.get_cookie("clinic_dashboard").value)
    off = admin.post(f"/staff/edit/?id={_user_id(db, RECEPTION[0])}", {"role": "receptionist"})
    assert off.status_code == 302, text(off)
    assert copy.get("/").status_code == 302
    assert reception.get("/").status_code == 302


def test_session_expires_after_an_idle_hour(reception, clock):
    clock.advance(minutes=59)
    assert reception.get("/").status_code == 200
    clock.advance(minutes=61)
    expired = reception.get("/bookings/")
    assert expired.status_code == 302
    assert "/login" in expired.headers["Location"]
    page = reception.get(expired.headers["Location"])
    assert "Your session expired" in text(page)


def test_session_expires_after_twelve_hours_even_when_in_use(reception, clock):
    for _ in range(24):
        clock.advance(minutes=30)
        assert reception.get("/").status_code == 200
    clock.advance(minutes=1)
    assert reception.get("/").status_code == 302


def test_deactivated_account_is_logged_out_at_its_next_request(reception, db):
    with db.transaction() as session:
        user = session.exec(select(User).where(User.email == RECEPTION[0])).one()
        user.active = False
    assert reception.get("/").status_code == 302


def test_changing_the_password_ends_open_sessions(reception, admin, db):
    user_id = _user_id(db, RECEPTION[0])
    response = admin.post(
        f"/staff/edit/?id={user_id}",
        {"role": "receptionist", "active": "y", "password": "a-brand-new-password"},
    )
    assert response.status_code == 302, text(response)
    assert reception.get("/").status_code == 302
    fresh = reception.client.application.test_client()
    assert log_in(fresh, RECEPTION[0], "a-brand-new-password").status_code == 302


# -- every page and action needs a log-in --------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_every_page_redirects_to_login_when_logged_out(app, clinic, path):
    response = app.test_client().get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("path", ACTIONS)
def test_every_action_refuses_when_logged_out_even_with_a_valid_csrf_token(app, clinic, db, path):
    client = app.test_client()
    token = CSRF.search(text(client.get("/login"))).group(1)
    response = client.post(path, data={"csrf_token": token, "id": "1", "name": "X"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    with db.read() as session:
        assert [r.name for r in session.exec(select(Room).order_by(Room.id))] == [
            "Room 1",
            "Room 2",
        ]


@pytest.mark.parametrize("path", ACTIONS)
def test_every_action_needs_a_csrf_token_even_when_logged_in(admin, path):
    response = admin.client.post(path, data={"id": "1", "name": "X"})
    assert response.status_code == 400
    assert "The form was too old" in text(response)


# -- roles -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_only_pages_are_forbidden_to_receptionists(reception, path):
    response = reception.get(path)
    assert response.status_code == 403
    assert "Only admins" in text(response)


@pytest.mark.parametrize("path", ADMIN_ACTIONS)
def test_admin_only_actions_are_forbidden_to_receptionists_and_change_nothing(reception, db, path):
    before = _snapshot(db)
    response = reception.post(path, {"id": "1", "name": "Hacked", "active": "y"})
    assert response.status_code == 403
    assert _snapshot(db) == before


@pytest.mark.parametrize("path", ADMIN_PAGES + RECEPTION_PAGES)
def test_admins_may_open_every_page(admin, path):
    assert admin.get(path).status_code == 200


@pytest.mark.parametrize("path", RECEPTION_PAGES)
def test_receptionists_see_the_clinic_set_up_read_only(reception, path):
    page = reception.get(path)
    assert page.status_code == 200
    body = text(page)
    if path in {"/treatment-types/", "/therapists/", "/hours/", "/rooms/", "/closures/"}:
        assert "/new/" not in body
        assert "/edit/" not in body


def test_receptionists_do_not_see_staff_accounts_in_the_menu(reception, admin):
    assert "Staff accounts" not in text(reception.get("/"))
    assert "Staff accounts" in text(admin.get("/"))


def test_receptionist_sees_settings_without_a_form_and_feeds_without_rotate(reception):
    settings = text(reception.get("/settings/"))
    assert "Only admins can change them" in settings
    assert '<form method="post">' not in settings
    feeds = text(reception.get("/feeds/"))
    assert "/feeds/rotate/" not in feeds


def test_health_check_answers_without_login(app, clinic):
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def _user_id(db: Any, email: str) -> int:
    with db.read() as session:
        return session.exec(select(User).where(User.email == email)).one().id  # type: ignore[return-value]


def _snapshot(db: Any) -> Any:
    from shared.models import Clinic, Closure, Therapist, TimeOff, TreatmentType, WorkingHours

    with db.read() as session:
        return (
            [(r.name, r.active, r.feed_token) for r in session.exec(select(Room))],
            [(t.name, t.active) for t in session.exec(select(Therapist))],
            [t.name for t in session.exec(select(TreatmentType))],
            len(session.exec(select(WorkingHours)).all()),
            len(session.exec(select(TimeOff)).all()),
            len(session.exec(select(Closure)).all()),
            session.get(Clinic, 1).feed_token,  # type: ignore[union-attr]
            session.get(Clinic, 1).name,  # type: ignore[union-attr]
            len(session.exec(select(User)).all()),
        )


FORM_PAGES = [
    "/",
    "/book/?treatment_type_id=1&date=2027-03-01",
    "/booking/1",
    "/settings/",
    "/feeds/",
    "/treatment-types/new/",
    "/therapists/edit/?id=1",
    "/hours/",
    "/time-off/new/",
    "/closures/new/",
    "/clients/",
    "/clients/new/",
    "/staff/",
    "/staff/new/",
]
POST_FORM = re.compile(r"<form[^>]*method=\"post\"[^>]*>(.*?)</form>", re.S | re.I)


@pytest.mark.parametrize("path", FORM_PAGES)
def test_every_post_form_on_every_page_carries_a_csrf_token(admin, db, clinic, path):
    with db.transaction() as session:
        booking.book(
            session,
            treatment_type_id=clinic.facial.id,
            start=local(MONDAY, "10:00"),
            client_id=clinic.client.id,
            actor="t",
            now=NOW,
        )
    body = text(admin.get(path))
    forms = POST_FORM.findall(body)
    assert forms, f"no POST form on {path}"
    for form in forms:
        assert CSRF.search(form), f"a POST form on {path} has no CSRF token"


def test_the_session_cookie_is_http_only_same_site_and_lives_twelve_hours(app, clinic):
    client = app.test_client()
    response = log_in(client, *RECEPTION)
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("clinic_dashboard=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    expires = parsedate_to_datetime(cookie.split("Expires=")[1].split(";")[0])
    assert timedelta(hours=11) < expires - datetime.now(UTC) <= timedelta(hours=12)
    assert app.config["SESSION_COOKIE_SECURE"] is False  # development; True in production


def test_pages_are_never_cached_and_never_framed(reception):
    response = reception.get("/")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
