"""The iCal feeds through HTTP, on SQLite and PostgreSQL, each read by icalendar and ical.js."""

from __future__ import annotations

import logging
import re
import secrets
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from flask import Flask

from shared import booking as rules
from shared import catalog
from shared.clients import create_client
from shared.db import Database
from shared.feeds import feed_urls
from shared.models import Booking, Client, Therapist
from shared.models import Clinic as ClinicRow
from shared.models.types import utcnow
from tests.factories import Clinic
from tests.feeds.conftest import Fetch, at, book, soon

BASE = "https://clinic.example"


def url(kind: str, token: str) -> str:
    return feed_urls(BASE, kind, token)["https"]


def http_date(when: datetime) -> str:
    return format_datetime(when.astimezone(UTC), usegmt=True)


# -- what a feed is ------------------------------------------------------------------------------


def test_a_therapists_feed_is_a_calendar_of_exactly_their_sessions_at_the_right_instants(
    fetch: Fetch, clinic: Clinic, some_bookings: dict[str, Booking]
) -> None:
    response = fetch(url("therapist", clinic.anna.feed_token))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["ETag"].startswith('"')
    assert response.headers["Last-Modified"].endswith(" GMT")
    assert "private" in response.headers["Cache-Control"]
    feed = response.feed
    mine = [some_bookings["anna_facial"], some_bookings["anna_consult"]]
    assert set(feed.events) == {b.uid for b in mine}
    for b in mine:
        event = feed.events[b.uid]
        assert (event.start, event.end) == (b.start_at, b.end_at)
        assert event.tzid == "Europe/Ljubljana"
        assert event.sequence == b.sequence
        assert event.status == "CONFIRMED"
        assert b.updated_at == event.raw.DTSTAMP
        assert b.updated_at == event.raw.LAST_MODIFIED
    facial = feed.events[some_bookings["anna_facial"].uid]
    assert facial.summary == "Facial rejuvenation · Eva · Room 1"
    assert facial.local_start.endswith("T10:00:00")
    assert facial.location == "Room 1, Test Clinic, Trubarjeva 1, Ljubljana"
    assert "Therapist: Anna Novak" in facial.description
    consult = feed.events[some_bookings["anna_consult"].uid]
    assert consult.summary.startswith("TCM consultation · Žiga · Room ")


def test_a_feed_carries_its_name_zone_refresh_hints_and_a_vtimezone(
    fetch: Fetch, clinic: Clinic, some_bookings: dict[str, Booking]
) -> None:
    response = fetch(url("therapist", clinic.anna.feed_token))
    js = response.feed.js
    assert js["prodid"] == "-//clinic-scheduler//Clinic Scheduler//EN"
    assert js["version"] == "2.0"
    assert js["method"] is None
    assert js["name"] == js["calname"] == "Anna Novak · Test Clinic"
    assert js["timezone"] == "Europe/Ljubljana"
    assert js["timezones"] == ["Europe/Ljubljana"]
    assert js["refresh_interval"] == js["published_ttl"] == "PT15M"
    raw = response.data.decode()
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT15M\r\n" in raw


def test_a_rooms_feed_holds_the_sessions_in_that_room_and_the_clinics_feed_all(
    fetch: Fetch, db: Database, clinic: Clinic, some_bookings: dict[str, Booking]
) -> None:
    with db.read() as session:
        clinic_token = session.get(ClinicRow, 1).feed_token  # type: ignore[union-attr]
    everything = fetch(url("clinic", clinic_token)).feed
    assert set(everything.events) == {b.uid for b in some_bookings.values()}
    facial = everything.events[some_bookings["anna_facial"].uid]
    assert facial.summary == "Facial rejuvenation · Eva · Anna Novak · Room 1"
    assert everything.js["calname"] == "Test Clinic · all sessions"

    room1 = fetch(url("room", clinic.room1.feed_token)).feed
    in_room1 = {b.uid for b in some_bookings.values() if b.room_id == clinic.room1.id}
    assert set(room1.events) == in_room1
    assert room1.events[some_bookings["anna_facial"].uid].summary == (
        "Facial rejuvenation · Eva · Anna Novak"
    )
    room2 = fetch(url("room", clinic.room2.feed_token)).feed
    assert set(room2.events) == {b.uid for b in some_bookings.values()} - in_room1


def test_one_booking_downloads_as_an_ics_for_the_clients_calendar(
    fetch: Fetch, clinic: Clinic, some_bookings: dict[str, Booking]
) -> None:
    b = some_bookings["anna_facial"]
    response = fetch(url("booking", b.access_token))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    feed = response.feed
    assert feed.js["method"] == "PUBLISH"
    assert list(feed.events) == [b.uid]
    event = feed.events[b.uid]
    assert event.summary == "Facial rejuvenation with Anna Novak"
    assert (event.start, event.end) == (b.start_at, b.end_at)
    assert "Eva" not in event.description and "CLASS" not in response.data.decode()


def test_a_cancelled_booking_downloads_as_cancelled(
    fetch: Fetch, db: Database, some_bookings: dict[str, Booking]
) -> None:
    b = some_bookings["anna_facial"]
    with db.transaction() as session:
        rules.cancel(session, b.id, actor="test", now=b.start_at - timedelta(days=1))
    event = fetch(url("booking", b.access_token)).feed.events[b.uid]
    assert event.status == "CANCELLED" and event.sequence == 1


# -- tokens ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/feeds/therapist/{random}.ics",
        "/feeds/therapist/.ics",
        "/feeds/therapist/{anna_upper}.ics",
        "/feeds/therapist/{anna}x.ics",
        "/feeds/therapist/{anna}",
        "/feeds/room/{anna}.ics",
        "/feeds/clinic/{anna}.ics",
        "/feeds/booking/{anna}.ics",
        "/feeds/nurse/{anna}.ics",
        "/feeds/therapist/short.ics",
        "/feeds/therapist/%00{anna}.ics",
    ],
)
def test_a_wrong_or_missing_token_is_a_404_in_json_and_never_logged(
    app: Flask, clinic: Clinic, caplog: pytest.LogCaptureFixture, path: str
) -> None:
    anna = clinic.anna.feed_token
    filled = path.format(random=secrets.token_urlsafe(24), anna=anna, anna_upper=anna.swapcase())
    caplog.set_level(logging.DEBUG)
    response = app.test_client().get(filled)
    assert response.status_code == 404
    assert response.is_json and response.json["error"]["code"] == "not_found"
    secret = filled.rsplit("/", 1)[1].removesuffix(".ics")
    assert not secret or secret not in response.get_data(as_text=True)
    logged = caplog.text + " ".join(str(r.args) for r in caplog.records)
    if len(secret) >= 4:
        assert secret not in logged


def test_every_feed_token_is_long_random_and_url_safe(clinic: Clinic) -> None:
    tokens = [clinic.anna.feed_token, clinic.boris.feed_token, clinic.room1.feed_token]
    assert len(set(tokens)) == 3
    for token in tokens:
        assert re.fullmatch(r"[A-Za-z0-9_\-]+", token)
        assert len(token) * 6 >= 128


def test_a_rotated_token_makes_the_old_url_404_at_once_and_the_new_one_work(
    fetch: Fetch, db: Database, clinic: Clinic, some_bookings: dict[str, Booking]
) -> None:
    old = url("therapist", clinic.anna.feed_token)
    assert fetch(old).status_code == 200  # cached now
    with db.transaction() as session:
        anna = session.get(Therapist, clinic.anna.id)
        assert anna is not None
        new = url("therapist", catalog.rotate_feed_token(session, anna))
    assert fetch(old).status_code == 404
    response = fetch(new)
    assert response.status_code == 200
    assert len(response.feed.events) == 2


def test_the_apis_feed_urls_for_a_therapist_and_a_room_open_their_feeds(
    fetch: Fetch, client: object, db: Database, clinic: Clinic, some_bookings: dict[str, Booking]
) -> None:
    from shared.accounts import create_api_key

    with db.transaction() as session:
        _, key = create_api_key(session, "feeds-test")
    auth = {"Authorization": f"Bearer {key}"}
    in_room1 = {b.uid for b in some_bookings.values() if b.room_id == clinic.room1.id}
    anna = {some_bookings["anna_facial"].uid, some_bookings["anna_consult"].uid}
    for kind, ident, expected in (
        ("therapists", clinic.anna.id, anna),
        ("rooms", clinic.room1.id, in_room1),
    ):
        body = fetch.client.get(f"/api/v1/{kind}/{ident}", headers=auth).json
        links = body["feed"]
        assert links["https"].startswith("https://clinic.example/feeds/")
        assert links["webcal"] == "webcal://" + links["https"].removeprefix("https://")
        response = fetch(links["https"])
        assert response.status_code == 200
        assert set(response.feed.events) == expected


# -- window and cancellations ------------------------------------------------------------------


def test_the_window_is_the_last_60_days_and_the_next_365(
    fetch: Fetch, db: Database, clinic: Clinic
) -> None:
    today = utcnow().date()
    inside_past = book(db, clinic, at(soon(weeks=-8), "10:00"))  # 50-56 days ago
    outside_past = book(db, clinic, at(soon(weeks=-10), "10:00"))  # 64-70 days ago
    inside_ahead = book(db, clinic, at(soon(weeks=51), "10:00"))
    outside_ahead = book(
        db, clinic, at(soon(weeks=53), "10:00"), booked_at=utcnow() + timedelta(days=30)
    )
    assert (today - outside_past.start_at.date()).days > 61
    assert (outside_ahead.start_at.date() - today).days > 366
    feed = fetch(url("therapist", clinic.anna.feed_token)).feed
    assert set(feed.events) == {inside_past.uid, inside_ahead.uid}


def test_cancelled_sessions_stay_as_cancelled_for_30_days_then_leave(
    fetch: Fetch, db: Database, clinic: Clinic
) -> None:
    now = utcnow()
    recent = book(db, clinic, at(soon(weeks=3), "10:00"), booked_at=now - timedelta(days=12))
    long_ago = book(db, clinic, at(soon(weeks=-3), "10:00"), booked_at=now - timedelta(days=40))
    with db.transaction() as session:
        rules.cancel(session, recent.id, actor="t", now=now - timedelta(days=10))
        rules.cancel(session, long_ago.id, actor="t", now=now - timedelta(days=31))
    feed = fetch(url("therapist", clinic.anna.feed_token)).feed
    assert set(feed.events) == {recent.uid}
    event = feed.events[recent.uid]
    assert event.status == "CANCELLED"
    assert event.sequence == 1
    assert event.summary.startswith("Cancelled: ")
    assert event.raw["TRANSP"] == "TRANSPARENT"


# -- time zones, text -------------------------------------------------------------------------


def _next_change(after: datetime, month: int) -> datetime:
    """The next last-Sunday-of-`month` at the clinic (its DST change)."""
    year = after.year
    while True:
        day = datetime(year, month, 31 if month in (3, 10) else 30).date()
        while day.weekday() != 6:
            day -= timedelta(days=1)
        if day > after.date() + timedelta(days=7):
            return datetime.combine(day, datetime.min.time(), tzinfo=UTC)
        year += 1


@pytest.mark.parametrize("month", [3, 10])
def test_sessions_either_side_of_a_dst_change_keep_their_wall_clock_time(
    fetch: Fetch, db: Database, clinic: Clinic, month: int
) -> None:
    sunday = _next_change(utcnow(), month).date()
    friday, monday = sunday - timedelta(days=2), sunday + timedelta(days=1)
    before = book(db, clinic, at(friday, "10:00"))
    after = book(db, clinic, at(monday, "10:00"))
    assert after.start_at - before.start_at != timedelta(days=3)  # the offset changed
    feed = fetch(url("therapist", clinic.anna.feed_token)).feed
    for b, day in ((before, friday), (after, monday)):
        event = feed.events[b.uid]
        assert event.start == b.start_at
        assert event.local_start == f"{day.isoformat()}T10:00:00"
    raw = feed.calendar.to_ical().decode()
    assert "BEGIN:DAYLIGHT" in raw and "BEGIN:STANDARD" in raw


def test_non_ascii_names_and_escaped_punctuation_read_back_intact(
    fetch: Fetch, db: Database, clinic: Clinic
) -> None:
    with db.transaction() as session:
        aegir = catalog.save_therapist(
            session,
            name="Ægir Þórsson",
            email="aegir@clinic.example",
            treatment_type_ids=[clinic.consult.id],  # type: ignore[list-item]
        )
        for weekday in range(5):
            catalog.add_working_hours(
                session,
                therapist_id=aegir.id,  # type: ignore[arg-type]
                weekday=weekday,
                start_time=datetime.min.time().replace(hour=9),
                end_time=datetime.min.time().replace(hour=17),
            )
        catalog.save_treatment_type(
            session,
            treatment_type_id=clinic.consult.id,
            name=r"Consult, tongue; pulse \ herbs",
            duration_minutes=45,
        )
        catalog.configure_clinic(session, address=r"Trubarjeva 1; 2nd floor, \ Ljubljana")
        li = create_client(session, name="李 小龙", phone="+86 10 1234")
        session.flush()
        clinic.__dict__["aegir"] = aegir
    b = book(db, clinic, at(soon(), "11:00"), therapist="aegir", treatment="consult", client=li)
    room = "Room 1" if b.room_id == clinic.room1.id else "Room 2"
    event = fetch(url("therapist", aegir.feed_token)).feed.events[b.uid]
    assert event.summary == rf"Consult, tongue; pulse \ herbs · 李 · {room}"
    assert event.location == rf"{room}, Test Clinic, Trubarjeva 1; 2nd floor, \ Ljubljana"
    assert "Therapist: Ægir Þórsson" in event.description
    raw = event.raw.to_ical().decode()
    assert r"Consult\, tongue\; pulse \\ herbs" in raw


def test_long_lines_fold_at_75_octets_never_inside_a_character_with_crlf_ends(
    fetch: Fetch, db: Database, clinic: Clinic
) -> None:
    with db.transaction() as session:
        catalog.configure_clinic(session, feed_shows_client_details=True)
    notes = "Žiga prefers 李 tea, Ægir's oil; " * 30
    b = book(db, clinic, at(soon(), "10:00"), client=clinic.other_client, notes=notes)
    response = fetch(url("therapist", clinic.anna.feed_token))
    body = response.data
    assert body.endswith(b"\r\n") and b"\n" not in body.replace(b"\r\n", b"")
    lines = body.split(b"\r\n")[:-1]
    assert sum(1 for line in lines if line.startswith(b" ")) > 10
    for line in lines:
        assert len(line) <= 75, line
        line.decode("utf-8")  # raises if a fold split a character
    assert notes.strip() in response.feed.events[b.uid].description


def test_privacy_staff_see_a_first_name_unless_the_clinic_shows_details(
    fetch: Fetch, db: Database, clinic: Clinic, some_bookings: dict[str, Booking]
) -> None:
    feed_url = url("therapist", clinic.anna.feed_token)
    private = fetch(feed_url)
    text = private.data.decode().replace("\r\n ", "")
    assert "Horvat" not in text and "+386 40 1" not in text and "Kranjc" not in text
    with db.transaction() as session:
        catalog.configure_clinic(session, feed_shows_client_details=True)
    shown = fetch(feed_url, **{"If-None-Match": private.headers["ETag"]})
    assert shown.status_code == 200  # the setting changed every event
    event = shown.feed.events[some_bookings["anna_facial"].uid]
    assert event.summary == "Facial rejuvenation · Eva Horvat · Room 1"
    assert "Client: Eva Horvat, +386 40 1" in event.description


# -- validators -------------------------------------------------------------------------------


def test_if_none_match_with_the_current_etag_is_a_304_without_a_body(
    fetch: Fetch, clinic: Clinic, some_bookings: dict[str, Booking]
) -> None:
    feed_url = url("therapist", clinic.anna.feed_token)
    first = fetch(feed_url)
    etag = first.headers["ETag"]
    for header in (etag, f"W/{etag}", f'"nope", {etag}', "*"):
        again = fetch(feed_url, **{"If-None-Match": header})
        assert again.status_code == 304, header
        assert again.data == b""
        assert again.headers["ETag"] == etag
    assert fetch(feed_url, **{"If-None-Match": '"other"'}).status_code == 200


def test_if_modified_since_is_a_304_only_when_nothing_changed_since(
    fetch: Fetch, clinic: Clinic, some_bookings: dict[str, Booking]
) -> None:
    feed_url = url("therapist", clinic.anna.feed_token)
    first = fetch(feed_url)
    modified = first.headers["Last-Modified"]
    assert fetch(feed_url, **{"If-Modified-Since": modified}).status_code == 304
    lm = datetime.strptime(modified, "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=UTC)
    just_now = http_date(max(lm, utcnow()))
    assert fetch(feed_url, **{"If-Modified-Since": just_now}).status_code == 304
    for stale in (
        http_date(lm - timedelta(seconds=1)),
        http_date(utcnow() + timedelta(days=1)),  # the future: the client's clock is wrong
        "yesterday",
        "Mon, 99 Foo 2026 25:00:00 GMT",
        "",
    ):
        response = fetch(feed_url, **{"If-Modified-Since": stale})
        assert response.status_code == 200, stale
        assert len(response.feed.events) == 2
    both = fetch(feed_url, **{"If-None-Match": '"other"', "If-Modified-Since": modified})
    assert both.status_code == 200  # If-None-Match decides when both are sent


def _changed(fetch: Fetch, feed_url: str, before: object) -> object:
    headers = before.headers  # type: ignore[attr-defined]
    by_tag = fetch(feed_url, **{"If-None-Match": headers["ETag"]})
    assert by_tag.status_code == 200
    by_date = fetch(feed_url, **{"If-Modified-Since": headers["Last-Modified"]})
    assert by_date.status_code == 200
    assert by_date.headers["ETag"] != headers["ETag"]
    new_lm = datetime.strptime(by_date.headers["Last-Modified"], "%a, %d %b %Y %H:%M:%S GMT")
    old_lm = datetime.strptime(headers["Last-Modified"], "%a, %d %b %Y %H:%M:%S GMT")
    assert new_lm > old_lm
    return by_date


def test_a_cancellation_a_move_away_and_a_new_booking_each_change_both_validators(
    fetch: Fetch, db: Database, clinic: Clinic, some_bookings: dict[str, Booking]
) -> None:
    feed_url = url("therapist", clinic.anna.feed_token)
    before = fetch(feed_url)
    consult = some_bookings["anna_consult"]
    with db.transaction() as session:  # moved to Boris: it leaves Anna's feed
        rules.reschedule(
            session,
            consult.id,
            actor="t",
            start=consult.start_at - timedelta(hours=4),
            therapist_id=clinic.boris.id,
            now=consult.start_at - timedelta(days=2),
        )
    after_move = _changed(fetch, feed_url, before)
    assert consult.uid not in after_move.feed.events  # type: ignore[attr-defined]

    facial = some_bookings["anna_facial"]
    with db.transaction() as session:
        rules.cancel(session, facial.id, actor="t", now=facial.start_at - timedelta(days=1))
    after_cancel = _changed(fetch, feed_url, after_move)
    assert after_cancel.feed.events[facial.uid].status == "CANCELLED"  # type: ignore[attr-defined]

    added = book(db, clinic, at(soon(weeks=4), "10:00"))
    after_add = _changed(fetch, feed_url, after_cancel)
    assert added.uid in after_add.feed.events  # type: ignore[attr-defined]


def test_renaming_a_client_shows_once_the_cached_feed_is_rechecked(
    app: Flask, fetch: Fetch, db: Database, clinic: Clinic, some_bookings: dict[str, Booking]
) -> None:
    feed_url = url("therapist", clinic.anna.feed_token)
    before = fetch(feed_url)
    with db.transaction() as session:
        eva = session.get(Client, clinic.client.id)
        assert eva is not None
        eva.name = "Evangelina Horvat"
    cache = app.extensions["clinic.feed_cache"]
    assert fetch(feed_url, **{"If-None-Match": before.headers["ETag"]}).status_code == 304
    cache.recheck_after = 0  # as when RECHECK_AFTER has passed
    after = _changed(fetch, feed_url, before)
    event = after.feed.events[some_bookings["anna_facial"].uid]  # type: ignore[attr-defined]
    assert "Evangelina" in event.summary


def test_a_revalidation_renders_nothing_and_asks_the_database_little(
    app: Flask, fetch: Fetch, db: Database, clinic: Clinic, some_bookings: dict[str, Booking]
) -> None:
    from sqlalchemy import event

    feed_url = url("therapist", clinic.anna.feed_token)
    etag = fetch(feed_url).headers["ETag"]
    cache = app.extensions["clinic.feed_cache"]
    renders = cache.renders
    statements: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert fetch(feed_url, **{"If-None-Match": etag}).status_code == 304
        assert fetch(feed_url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert cache.renders == renders
    queries = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(queries) == 2, queries  # one per request: tokens, clinic, newest event


def test_head_gives_the_headers_without_the_body(
    app: Flask, clinic: Clinic, some_bookings: dict[str, Booking]
) -> None:
    response = app.test_client().head(url("therapist", clinic.anna.feed_token)[len(BASE) :])
    assert response.status_code == 200
    assert response.headers["ETag"] and response.data == b""


def test_the_feed_query_uses_the_therapist_index(db: Database, clinic: Clinic) -> None:
    from sqlmodel import select

    from shared import feed_window, feeds

    feed = feeds.Feed("therapist", clinic.anna.id, "Anna")  # type: ignore[arg-type]
    query = select(Booking.id).where(feed_window._booking_filter(feed, utcnow()))
    with db.engine.connect() as conn:
        compiled = query.compile(conn)
        if db.is_sqlite:
            params: object = tuple(compiled.params[k] for k in compiled.positiontup or ())
            sql = "EXPLAIN QUERY PLAN " + str(compiled)
        else:
            conn.exec_driver_sql("SET enable_seqscan = off")
            params, sql = compiled.params, "EXPLAIN " + str(compiled)
        plan = conn.exec_driver_sql(sql, params).all()  # type: ignore[arg-type]
    assert "ix_booking_therapist_start" in " ".join(str(row) for row in plan)


# -- the CLI ------------------------------------------------------------------------------------


def test_clinic_feed_url_prints_https_and_webcal_and_rotates(
    fetch: Fetch,
    clinic: Clinic,
    some_bookings: dict[str, Booking],
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from services import cli

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SECRET_KEY", "test-secret-key-0123456789abcdef0123456789")
    monkeypatch.setenv("PUBLIC_BASE_URL", BASE)
    monkeypatch.setenv("MAIL_FROM", "reception@clinic.example")

    assert cli.main(["feed-url", "therapist", str(clinic.anna.id)]) == 0
    out = capsys.readouterr().out
    https = re.search(r"https://\S+", out).group(0)  # type: ignore[union-attr]
    assert https == url("therapist", clinic.anna.feed_token)
    assert f"webcal://clinic.example/feeds/therapist/{clinic.anna.feed_token}.ics" in out

    assert cli.main(["feed-url", "therapist", str(clinic.anna.id), "--rotate"]) == 0
    rotated = re.search(r"https://\S+", capsys.readouterr().out).group(0)  # type: ignore[union-attr]
    assert rotated != https
    assert fetch(https).status_code == 404
    assert fetch(rotated).status_code == 200

    assert cli.main(["feed-url", "clinic"]) == 0
    clinic_url = re.search(r"https://\S+", capsys.readouterr().out).group(0)  # type: ignore[union-attr]
    assert len(fetch(clinic_url).feed.events) == 3

    assert cli.main(["feed-url", "room", str(clinic.room1.id)]) == 0
    assert "/feeds/room/" in capsys.readouterr().out

    assert cli.main(["feed-url", "room", "999"]) == 1
    assert "No room with id 999" in capsys.readouterr().err
    assert cli.main(["feed-url", "therapist"]) == 1
    assert "give the therapist's ID" in capsys.readouterr().err
    assert cli.main(["feed-url", "clinic", "1"]) == 1


def test_clinic_feed_url_gives_an_owner_without_a_token_one(
    db: Database,
    clinic: Clinic,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from services import cli

    with db.transaction() as session:
        anna = session.get(Therapist, clinic.anna.id)
        assert anna is not None
        anna.feed_token = ""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SECRET_KEY", "test-secret-key-0123456789abcdef0123456789")
    monkeypatch.setenv("PUBLIC_BASE_URL", BASE)
    monkeypatch.setenv("MAIL_FROM", "reception@clinic.example")
    assert cli.main(["feed-url", "therapist", str(clinic.anna.id)]) == 0
    with db.read() as session:
        token = session.get(Therapist, clinic.anna.id).feed_token  # type: ignore[union-attr]
    assert len(token) >= 22 and token in capsys.readouterr().out


# -- URLs -------------------------------------------------------------------------------------


def test_feed_urls_give_https_and_webcal_under_the_public_base_url() -> None:
    assert feed_urls("https://clinic.example/", "room", "abc") == {
        "https": "https://clinic.example/feeds/room/abc.ics",
        "webcal": "webcal://clinic.example/feeds/room/abc.ics",
    }
    assert feed_urls("http://127.0.0.1:8000/sched", "clinic", "t")["webcal"] == (
        "webcal://127.0.0.1:8000/sched/feeds/clinic/t.ics"
    )
    with pytest.raises(ValueError):
        feed_urls(BASE, "nurse", "abc")
    with pytest.raises(ValueError):
        feed_urls(BASE, "room", "")


def test_a_booking_token_one_character_off_is_a_404(
    fetch: Fetch, some_bookings: dict[str, Booking]
) -> None:
    token = some_bookings["anna_facial"].access_token
    off = token[:-1] + ("B" if token[-1] == "A" else "A")
    assert fetch(url("booking", off)).status_code == 404
    assert fetch(url("booking", secrets.token_urlsafe(24))).status_code == 404
    assert fetch(url("booking", token)).status_code == 200


def test_icaljs_reads_times_through_the_feeds_own_vtimezone(
    fetch: Fetch, icaljs: object, clinic: Clinic, some_bookings: dict[str, Booking]
) -> None:
    """A check of the checker: with the offsets in the VTIMEZONE changed, ical.js moves."""
    body = fetch(url("therapist", clinic.anna.feed_token)).data
    tampered = re.sub(rb"TZOFFSETTO:\+0[12]00", b"TZOFFSETTO:+0500", body)
    js = icaljs(tampered)  # type: ignore[operator]
    b = some_bookings["anna_facial"]
    moved = next(e for e in js["events"] if e["uid"] == b.uid)
    start = datetime.fromisoformat(moved["start"].replace("Z", "+00:00"))
    assert start != b.start_at
    assert b.start_at - start in (timedelta(hours=3), timedelta(hours=4))
