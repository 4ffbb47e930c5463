"""Feeds below HTTP: validators shared by every process, the window's queries, 304 rules."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from shared import booking as rules
from shared import feed_cache, feeds, http_validators
from shared.db import Database
from shared.models import Booking, Client
from shared.models.types import utcnow
from tests.factories import Clinic
from tests.feeds.conftest import at, book, read_both, soon


def _feed(db: Database, token: str) -> feeds.Feed:
    with db.read() as session:
        return feeds.find_feed(session, "therapist", token)


DocOf = Callable[[feed_cache.FeedCache, feeds.Feed, datetime], feed_cache.Document]


@pytest.fixture
def doc_of(db: Database, icaljs: Callable[[bytes], dict[str, Any]]) -> DocOf:
    """A feed's document from a cache, its bytes read by both parsers like every feed here."""

    def make(cache: feed_cache.FeedCache, feed: feeds.Feed, now: datetime) -> feed_cache.Document:
        with db.read() as session:
            doc = cache.document(session, feed, now)
        read_both(doc.body, icaljs)
        return doc

    return make


def test_every_process_and_a_restarted_one_send_the_same_validators(
    db: Database, doc_of: DocOf, clinic: Clinic, some_bookings: dict[str, Booking]
) -> None:
    feed = _feed(db, clinic.anna.feed_token)
    now = utcnow()
    first = doc_of(feed_cache.FeedCache(db), feed, now)
    later = now + timedelta(minutes=7)
    other_worker = doc_of(feed_cache.FeedCache(db), feed, later)
    restarted = doc_of(feed_cache.FeedCache(db), feed, later + timedelta(hours=3))
    assert first.etag == other_worker.etag == restarted.etag
    assert first.last_modified == other_worker.last_modified == restarted.last_modified
    assert first.last_modified == now.replace(microsecond=0)


def test_new_bytes_get_a_later_last_modified_even_within_the_same_second(
    db: Database, doc_of: DocOf, clinic: Clinic, some_bookings: dict[str, Booking]
) -> None:
    feed = _feed(db, clinic.anna.feed_token)
    now = utcnow().replace(microsecond=100)
    cache = feed_cache.FeedCache(db)
    before = doc_of(cache, feed, now)
    facial = some_bookings["anna_facial"]
    with db.transaction() as session:
        rules.cancel(session, facial.id, actor="t", now=facial.start_at - timedelta(days=1))
    after = doc_of(feed_cache.FeedCache(db), feed, now + timedelta(microseconds=500))
    assert after.etag != before.etag
    assert after.last_modified == before.last_modified + timedelta(seconds=1)
    assert not http_validators.not_modified(
        after,
        if_none_match=None,
        if_modified_since=http_validators.http_date(before.last_modified),
        now=now + timedelta(seconds=5),
    )


def test_a_cached_feed_is_reused_until_its_state_changes(
    db: Database, doc_of: DocOf, clinic: Clinic, some_bookings: dict[str, Booking]
) -> None:
    feed = _feed(db, clinic.anna.feed_token)
    cache = feed_cache.FeedCache(db)
    now = utcnow()
    first = doc_of(cache, feed, now)
    assert doc_of(cache, feed, now + timedelta(seconds=1)) is first
    assert cache.renders == 1
    book(db, clinic, at(soon(weeks=5), "10:00"))
    assert doc_of(cache, feed, now + timedelta(seconds=2)).etag != first.etag
    assert cache.renders == 2


def test_a_change_outside_the_state_shows_after_the_recheck_interval(
    db: Database, doc_of: DocOf, clinic: Clinic, some_bookings: dict[str, Booking]
) -> None:
    ticks = [0.0]
    cache = feed_cache.FeedCache(db, recheck_after=60, clock=lambda: ticks[0])
    feed = _feed(db, clinic.anna.feed_token)
    now = utcnow()
    first = doc_of(cache, feed, now)
    with db.transaction() as session:
        session.get(Client, clinic.client.id).name = "Eve Horvat"  # type: ignore[union-attr]
    ticks[0] = 59
    assert doc_of(cache, feed, now).etag == first.etag
    ticks[0] = 61
    assert b"Eve" in doc_of(cache, feed, now).body


def test_a_feed_with_no_sessions_is_still_a_valid_calendar(
    db: Database, doc_of: DocOf, clinic: Clinic, icaljs: object
) -> None:
    doc = doc_of(feed_cache.FeedCache(db), _feed(db, clinic.boris.feed_token), utcnow())
    js = icaljs(doc.body)  # type: ignore[operator]
    assert js["events"] == [] and js["calname"] == "Boris Li · Test Clinic"


# -- the 304 rules, as a pure function ------------------------------------------------------------

DOC = feed_cache.Document(
    body=b"",
    etag='"abc"',
    last_modified=datetime(2027, 1, 10, 12, 0, 0, tzinfo=UTC),
    state=(),
    checked=0.0,
)
NOW = datetime(2027, 1, 11, tzinfo=UTC)


@pytest.mark.parametrize(
    ("inm", "ims", "expected"),
    [
        ('"abc"', None, True),
        ('W/"abc"', None, True),
        ('"x", "abc"', None, True),
        ("*", None, True),
        ('"x"', None, False),
        ('"x"', "Sun, 10 Jan 2027 12:00:00 GMT", False),  # If-None-Match decides
        (None, "Sun, 10 Jan 2027 12:00:00 GMT", True),
        (None, "Sun, 10 Jan 2027 18:00:00 GMT", True),
        (None, "Sun, 10 Jan 2027 11:59:59 GMT", False),
        (None, "Tue, 12 Jan 2027 00:00:00 GMT", False),  # in the future
        (None, "Sunday, 10-Jan-27 12:00:00 GMT", True),  # RFC 850 form
        (None, "Sun Jan 10 12:00:00 2027", True),  # asctime form
        (None, "not a date", False),
        (None, "", False),
        (None, None, False),
    ],
)
def test_not_modified_follows_rfc_9110(inm: str | None, ims: str | None, expected: bool) -> None:
    assert (
        http_validators.not_modified(DOC, if_none_match=inm, if_modified_since=ims, now=NOW)
        is expected
    )


def test_two_apps_on_one_database_agree_on_validators(
    settings: object,
    db: Database,
    icaljs: Callable[[bytes], dict[str, Any]],
    clinic: Clinic,
    some_bookings: dict[str, Booking],
) -> None:
    from services.scheduler import create_app

    apps: list[Flask] = [
        create_app({"SETTINGS": settings, "DATABASE": db, "TESTING": True}) for _ in range(2)
    ]
    path = f"/feeds/therapist/{clinic.anna.feed_token}.ics"
    first = apps[0].test_client().get(path)
    second = apps[1].test_client().get(path)
    assert first.data == second.data
    read_both(first.data, icaljs)
    assert first.headers["ETag"] == second.headers["ETag"]
    assert first.headers["Last-Modified"] == second.headers["Last-Modified"]
    again = (
        apps[1]
        .test_client()
        .get(path, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    )
    assert again.status_code == 304


def test_another_therapists_booking_costs_an_aggregate_but_no_render(
    db: Database, doc_of: DocOf, clinic: Clinic, some_bookings: dict[str, Booking]
) -> None:
    cache = feed_cache.FeedCache(db)
    feed = _feed(db, clinic.anna.feed_token)
    now = utcnow()
    first = doc_of(cache, feed, now)
    book(db, clinic, at(soon(weeks=6), "09:00"), therapist="boris", treatment="consult")
    again = doc_of(cache, feed, now)
    assert cache.renders == 1
    assert again.etag == first.etag and again.marker != first.marker


def test_a_change_written_around_the_booking_rules_shows_within_the_state_recheck(
    db: Database, doc_of: DocOf, clinic: Clinic, some_bookings: dict[str, Booking]
) -> None:
    from sqlalchemy import update

    ticks = [0.0]
    cache = feed_cache.FeedCache(db, state_recheck=60, clock=lambda: ticks[0])
    feed = _feed(db, clinic.anna.feed_token)
    now = utcnow()
    first = doc_of(cache, feed, now)
    facial = some_bookings["anna_facial"]
    with db.transaction() as session:  # e.g. an import script: no booking event is written
        session.execute(
            update(Booking)
            .where(Booking.id == facial.id)  # type: ignore[arg-type]
            .values(status="cancelled", sequence=1, updated_at=now, cancelled_at=now)
        )
    ticks[0] = 30
    assert doc_of(cache, feed, now).etag == first.etag
    ticks[0] = 61
    assert b"STATUS:CANCELLED" in doc_of(cache, feed, now).body
