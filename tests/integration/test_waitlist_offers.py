"""Offers: freed time goes to the waiting list in the order clients joined. Three clients wait
for the same facial; one cancellation, the first gets the offer; she declines, the second gets
it and takes it, a booking; the third still waits. The lapsed path too, on an injected clock.

The clinic (tests/factories.py): Facial rejuvenation 60 min (10 before, 15 after), Room 1 only;
Anna gives it Mon-Fri 09-17. The entries want Monday mornings; Monday is booked full.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from shared import offers, waitlist
from shared.booking import book
from shared.errors import (
    BookingConflict,
    ChangedMeanwhile,
    InvalidInput,
    InvalidTransition,
    NotFound,
)
from shared.models import (
    Booking,
    BookingStatus,
    EntryStatus,
    MessageKind,
    OfferStatus,
    OutboxMessage,
    WaitlistEntry,
    WaitlistOffer,
)
from tests.factories import MONDAY, NOW, local
from tests.waiting import fill_monday, free_one, join_three


@pytest.fixture
def full_morning(db, clinic):
    return fill_monday(db, clinic)


@pytest.fixture
def three_waiting(db, clinic, full_morning):
    return join_three(db, clinic)


def run(db, now=NOW):
    with db.transaction() as session:
        return offers.match(session, now=now)


def entry(db, entry_id):
    with db.read() as session:
        return session.get(WaitlistEntry, entry_id)


def offers_of(db, entry_id):
    with db.read() as session:
        return session.exec(
            select(WaitlistOffer)
            .where(WaitlistOffer.entry_id == entry_id)
            .order_by(WaitlistOffer.id)
        ).all()


def offer_mails(db):
    with db.read() as session:
        return session.exec(
            select(OutboxMessage).where(OutboxMessage.kind == MessageKind.OFFER.value)
        ).all()


def test_while_nothing_is_free_nobody_is_offered_anything(db, three_waiting):
    assert run(db).offered == []
    assert [entry(db, e).status for e in three_waiting] == ["waiting"] * 3


def test_a_cancellation_is_offered_to_the_first_in_line_with_an_email_and_a_hold(
    db, clinic, three_waiting, full_morning
):
    mia, _, _ = three_waiting
    start = free_one(db, full_morning)
    round_ = run(db)
    assert [o.entry_id for o in round_.offered] == [mia]
    (offer,) = offers_of(db, mia)
    assert offer.start_at == start
    assert offer.expires_at == NOW + timedelta(hours=2)  # the clinic's offer period
    with db.read() as session:
        hold = session.get(Booking, offer.booking_id)
    assert hold.status == BookingStatus.HELD.value and hold.source == "waitlist"
    assert [m.recipient for m in offer_mails(db)] == ["mia@example.com"]
    assert [entry(db, e).status for e in three_waiting] == ["offered", "waiting", "waiting"]

    assert run(db).offered == []  # a second round (another worker) offers nothing twice
    assert len(offer_mails(db)) == 1


def test_she_declines_the_second_takes_it_and_the_third_still_waits(
    db, clinic, three_waiting, full_morning
):
    mia, nina, olga = three_waiting
    start = free_one(db, full_morning)
    run(db)
    (mias,) = offers_of(db, mia)
    with db.transaction() as session:
        offers.decline(session, mias.token, now=NOW + timedelta(minutes=5))
    assert entry(db, mia).status == "waiting"  # still on the list for other times

    round_ = run(db, NOW + timedelta(minutes=6))
    assert [o.entry_id for o in round_.offered] == [nina]
    (ninas,) = offers_of(db, nina)
    assert ninas.start_at == start
    with db.transaction() as session:
        booked = offers.take(session, ninas.token, now=NOW + timedelta(minutes=7))
    assert booked.status == BookingStatus.BOOKED.value
    assert booked.start_at == start
    nina_entry = entry(db, nina)
    assert (nina_entry.status, nina_entry.booking_id) == ("booked", booked.id)
    with db.read() as session:
        invites = session.exec(
            select(OutboxMessage).where(
                OutboxMessage.booking_id == booked.id,
                OutboxMessage.kind == MessageKind.INVITE.value,
            )
        ).all()
    assert [m.recipient for m in invites] == ["nina@example.com"]

    with db.transaction() as session:  # the link used twice books once
        again = offers.take(session, ninas.token, now=NOW + timedelta(minutes=8))
    assert again.id == booked.id
    assert [entry(db, e).status for e in three_waiting] == ["waiting", "booked", "waiting"]
    assert run(db, NOW + timedelta(minutes=9)).offered == []
    assert offers_of(db, olga) == []
    with db.read() as session:
        assert session.exec(select(Booking).where(Booking.start_at == start)).all()[-1].id == (
            booked.id
        )


def test_an_offer_not_taken_in_time_lapses_and_passes_to_the_next_in_line(
    db, clinic, three_waiting, full_morning
):
    mia, nina, _ = three_waiting
    start = free_one(db, full_morning)
    run(db)
    (mias,) = offers_of(db, mia)
    later = mias.expires_at  # the clock, injected: exactly when it lapses
    round_ = run(db, later)
    assert round_.lapsed == 1
    assert [o.entry_id for o in round_.offered] == [nina]
    assert offers_of(db, mia)[0].status == OfferStatus.EXPIRED.value
    with db.read() as session:
        assert session.get(Booking, mias.booking_id).status == BookingStatus.CANCELLED.value
    assert offers_of(db, nina)[0].start_at == start
    with db.transaction() as session, pytest.raises(offers.OfferGone, match="lapsed"):
        offers.take(session, mias.token, now=later)


def test_the_receptionist_booking_an_offered_time_hears_to_whom_and_until_when(
    db, clinic, three_waiting, full_morning
):
    start = free_one(db, full_morning)
    run(db)
    with db.transaction() as session, pytest.raises(BookingConflict) as refused:
        book(
            session,
            treatment_type_id=clinic.facial.id,
            start=start,
            client_id=clinic.client.id,
            actor="reception",
            now=NOW,
        )
    # 2 h from Saturday 10:00, for a time on Monday: the day is named
    assert "offered to Mia K. until Sat 20.02. 12:00" in refused.value.message


def test_removing_an_entry_withdraws_its_offer_and_frees_the_time_for_the_next(
    db, clinic, three_waiting, full_morning
):
    mia, nina, _ = three_waiting
    free_one(db, full_morning)
    run(db)
    with db.transaction() as session:
        waitlist.remove(session, mia, actor="reception", now=NOW)
    (mias,) = offers_of(db, mia)
    assert mias.status == OfferStatus.WITHDRAWN.value
    assert entry(db, mia).status == EntryStatus.REMOVED.value
    assert [o.entry_id for o in run(db).offered] == [nina]


def test_entries_leave_the_list_after_their_last_day(db, clinic, three_waiting):
    tuesday = local(MONDAY + timedelta(days=1), "08:00")
    assert run(db, tuesday).expired_entries == 3
    assert {entry(db, e).status for e in three_waiting} == {"expired"}


# -- the receptionist withdraws an offer the client declined by phone ---------------------------


def test_an_offer_withdrawn_by_the_receptionist_goes_to_the_next_in_line(
    db, clinic, three_waiting, full_morning
):
    mia, nina, _ = three_waiting
    start = free_one(db, full_morning)
    run(db)
    (mias,) = offers_of(db, mia)
    with db.transaction() as session:
        offers.withdraw(session, mias.id, actor="reception", now=NOW + timedelta(minutes=5))
    (mias,) = offers_of(db, mia)
    assert mias.status == OfferStatus.DECLINED.value
    assert entry(db, mia).status == EntryStatus.WAITING.value  # waits for other times
    with db.read() as session:
        hold = session.get(Booking, mias.booking_id)
        assert hold.status == BookingStatus.CANCELLED.value
        assert [e.actor for e in hold.events if e.action == "released"] == ["reception"]
    round_ = run(db, NOW + timedelta(minutes=6))
    assert [(o.entry_id, o.start_at) for o in round_.offered] == [(nina, start)]


def test_a_hold_let_go_from_its_booking_page_withdraws_its_offer_for_the_next_in_line(
    db, clinic, three_waiting, full_morning
):
    mia, nina, _ = three_waiting
    start = free_one(db, full_morning)
    run(db)
    (mias,) = offers_of(db, mia)
    with db.read() as session:
        version = session.get(Booking, mias.booking_id).sequence
    with db.transaction() as session:
        offers.release_hold(
            session, mias.booking_id, expected_sequence=version, actor="reception", now=NOW
        )
    assert offers_of(db, mia)[0].status == OfferStatus.DECLINED.value
    assert [(o.entry_id, o.start_at) for o in run(db).offered] == [(nina, start)]


def test_an_offer_taken_declined_or_withdrawn_already_is_refused_and_writes_nothing(
    db, clinic, three_waiting, full_morning, writes_nothing
):
    mia, _, _ = three_waiting
    free_one(db, full_morning)
    run(db)
    (mias,) = offers_of(db, mia)
    with db.transaction() as session:
        offers.take(session, mias.token, now=NOW)
    err = writes_nothing(
        offers.OfferGone, lambda s: offers.withdraw(s, mias.id, actor="reception", now=NOW)
    )
    assert "took this offer meanwhile" in err.message and err.field == "offer_id"
    with db.read() as session:
        version = session.get(Booking, mias.booking_id).sequence
    refused = writes_nothing(
        InvalidTransition,
        lambda s: offers.release_hold(
            s, mias.booking_id, expected_sequence=version, actor="reception", now=NOW
        ),
    )
    assert "booking now" in refused.message


def test_a_lapsed_offer_cannot_be_withdrawn(
    db, clinic, three_waiting, full_morning, writes_nothing
):
    mia, _, _ = three_waiting
    free_one(db, full_morning)
    run(db)
    (mias,) = offers_of(db, mia)
    err = writes_nothing(
        offers.OfferGone,
        lambda s: offers.withdraw(s, mias.id, actor="reception", now=mias.expires_at),
    )
    assert "lapsed already" in err.message


def test_an_offer_whose_hold_changed_since_the_page_showed_it_is_not_withdrawn(
    db, clinic, three_waiting, full_morning, writes_nothing
):
    mia, _, _ = three_waiting
    free_one(db, full_morning)
    run(db)
    (mias,) = offers_of(db, mia)
    with db.read() as session:
        version = session.get(Booking, mias.booking_id).sequence
    writes_nothing(
        ChangedMeanwhile,
        lambda s: offers.release_hold(
            s, mias.booking_id, expected_sequence=version + 1, actor="reception", now=NOW
        ),
    )
    assert offers_of(db, mia)[0].status == OfferStatus.OPEN.value


@pytest.mark.parametrize(
    ("offer_id", "actor", "error", "field"),
    [
        (0, "reception", InvalidInput, "offer_id"),
        ("1", "reception", InvalidInput, "offer_id"),
        (999, "reception", NotFound, "offer_id"),
        (None, "", InvalidInput, "actor"),
    ],
)
def test_withdrawing_with_bad_input_names_the_field_and_writes_nothing(
    db, clinic, three_waiting, full_morning, writes_nothing, offer_id, actor, error, field
):
    mia, _, _ = three_waiting
    free_one(db, full_morning)
    run(db)
    (mias,) = offers_of(db, mia)
    err = writes_nothing(
        error,
        lambda s: offers.withdraw(
            s, mias.id if offer_id is None else offer_id, actor=actor, now=NOW
        ),
    )
    assert err.field == field
