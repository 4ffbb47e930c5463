"""The exact messages a real SMTP server receives for book, move, cancel and reminder."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from shared import booking, invites
from shared.db import Database
from shared.mailer import Mailer
from shared.models import Booking, Client, Clinic, MessageStatus
from tests.factories import MONDAY, NOW, local
from tests.invites.conftest import (
    SmtpServer,
    attachment_part,
    book,
    calendar_part,
    drain,
    html_body,
    outbox_rows,
    parts,
    text_body,
    vcalendar,
    vevent,
)

IMIP_TREE = [
    "multipart/mixed",
    "  multipart/alternative",
    "    text/plain",
    "    text/html",
    "    text/calendar",
    "  application/ics",
]


def _booking(db: Database, booking_id: int) -> Booking:
    with db.read() as session:
        found = session.get(Booking, booking_id)
        assert found is not None
        return found


def test_a_booking_sends_the_client_an_imip_invitation_with_accept_and_decline(
    db, clinic, smtp: SmtpServer, mailer: Mailer
):
    booking_id = book(db, clinic, local(MONDAY, "10:00"))
    drain(mailer)

    [got] = smtp.inbox.messages()
    made = _booking(db, booking_id)
    [row] = [r for r in outbox_rows(db, booking_id) if r.kind == "invite"]
    assert got.mail_from == "reception@clinic.example"
    assert got.rcpt_tos == ["eva@example.com"]
    msg = got.message
    assert parts(msg) == IMIP_TREE
    assert msg["From"] == "Test Clinic <reception@clinic.example>"
    assert msg["To"] == "Eva Horvat <eva@example.com>"
    assert msg["Subject"] == "Booked: Facial rejuvenation, Mon 1 Mar 2027 10:00"
    assert msg["Message-ID"] == row.message_id
    assert msg["Message-ID"] == invites.message_id(row.id, made, "reception@clinic.example")

    cal_part = calendar_part(msg)
    assert b"\r\nContent-Type: text/calendar; method=REQUEST; charset=UTF-8\r\n" in got.data
    assert cal_part.get_param("method") == "REQUEST"
    assert cal_part.get_param("charset") == "UTF-8"
    attachment = attachment_part(msg)
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_payload(decode=True) == cal_part.get_payload(decode=True)

    cal = vcalendar(msg)
    assert str(cal["METHOD"]) == "REQUEST"
    [tz] = cal.walk("VTIMEZONE")
    assert str(tz["TZID"]) == "Europe/Ljubljana"
    event = vevent(msg)
    assert str(event["UID"]) == made.uid
    assert int(event["SEQUENCE"]) == 0
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event["DTSTART"].dt == local(MONDAY, "10:00")
    assert event["DTSTART"].params["TZID"] == "Europe/Ljubljana"
    assert event["DTSTART"].dt.replace(tzinfo=None).isoformat() == "2027-03-01T10:00:00"
    assert event["DTEND"].dt == local(MONDAY, "11:00")
    assert str(event["ORGANIZER"]) == "mailto:reception@clinic.example"
    assert event["ORGANIZER"].params["CN"] == "Test Clinic"
    attendee = event["ATTENDEE"]
    assert str(attendee) == "mailto:eva@example.com"
    assert attendee.params["RSVP"] == "TRUE"
    assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"
    assert attendee.params["CN"] == "Eva Horvat"
    [alarm] = event.walk("VALARM")
    assert alarm["TRIGGER"].dt == -timedelta(hours=1)
    assert str(event["URL"]) == f"https://clinic.example/b/{made.access_token}"

    text = text_body(msg)
    for expected in (
        "Dear Eva,",
        "Facial rejuvenation with Anna Novak",
        "Monday 1 March 2027, 10:00\u201311:00 (Ljubljana time)",
        "Room 1",
        "Test Clinic, Trubarjeva 1, Ljubljana",
        "Phone: +386 1 000 00 00",
        f"https://clinic.example/b/{made.access_token}",
        "cancel online up to 24 hours before",
    ):
        assert expected in text
    html = html_body(msg)
    assert f'href="https://clinic.example/b/{made.access_token}"' in html
    assert "Facial rejuvenation with Anna Novak" in html

    [row] = [r for r in outbox_rows(db, booking_id) if r.kind == "invite"]
    assert row.status == MessageStatus.SENT.value
    assert row.attempts == 1
    assert row.sent_at is not None
    assert row.claimed_until is None


def test_moving_sends_a_request_with_the_same_uid_a_higher_sequence_and_what_changed(
    db, clinic, smtp: SmtpServer, mailer: Mailer
):
    booking_id = book(db, clinic, local(MONDAY, "10:00"))
    drain(mailer)
    with db.transaction() as session:
        booking.reschedule(
            session, booking_id, actor="reception", start=local(MONDAY, "14:00"), now=NOW
        )
    drain(mailer)

    invite, moved = (r.message for r in smtp.inbox.messages())
    assert parts(moved) == IMIP_TREE
    assert moved["Subject"] == "Changed: Facial rejuvenation, now Mon 1 Mar 2027 14:00"
    assert calendar_part(moved).get_param("method") == "REQUEST"
    assert str(vcalendar(moved)["METHOD"]) == "REQUEST"
    assert str(vevent(moved)["UID"]) == str(vevent(invite)["UID"])
    assert int(vevent(moved)["SEQUENCE"]) == 1 > int(vevent(invite)["SEQUENCE"])
    assert vevent(moved)["DTSTART"].dt == local(MONDAY, "14:00")
    assert moved["Message-ID"] != invite["Message-ID"]
    assert (
        "Time: was Monday 1 March 2027, 10:00\u201311:00 (Ljubljana time); "
        "now Monday 1 March 2027, 14:00\u201315:00 (Ljubljana time)"
    ) in text_body(moved)


def test_cancelling_sends_a_cancel_with_status_cancelled_the_same_uid_and_a_higher_sequence(
    db, clinic, smtp: SmtpServer, mailer: Mailer
):
    booking_id = book(db, clinic, local(MONDAY, "10:00"))
    drain(mailer)
    with db.transaction() as session:
        booking.cancel(session, booking_id, actor="reception", reason="Therapist ill", now=NOW)
    drain(mailer)

    invite, cancelled = (r.message for r in smtp.inbox.messages())
    assert b"\r\nContent-Type: text/calendar; method=CANCEL; charset=UTF-8\r\n" in (
        smtp.inbox.messages()[1].data
    )
    assert parts(cancelled) == IMIP_TREE
    assert cancelled["Subject"] == "Cancelled: Facial rejuvenation, Mon 1 Mar 2027 10:00"
    assert calendar_part(cancelled).get_param("method") == "CANCEL"
    assert str(vcalendar(cancelled)["METHOD"]) == "CANCEL"
    event = vevent(cancelled)
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == str(vevent(invite)["UID"])
    assert int(event["SEQUENCE"]) == 1
    assert str(event["ATTENDEE"]) == "mailto:eva@example.com"
    assert not event.walk("VALARM")
    text = text_body(cancelled)
    assert "your appointment has been cancelled" in text
    assert "Reason: Therapist ill" in text
    assert "/b/" not in text  # nothing left to cancel


def test_a_session_moved_three_times_before_the_worker_runs_is_sent_once_at_its_latest_time(
    db, clinic, smtp: SmtpServer, mailer: Mailer
):
    booking_id = book(db, clinic, local(MONDAY, "10:00"))
    for hhmm in ("11:00", "13:00", "15:00"):
        with db.transaction() as session:
            booking.reschedule(
                session, booking_id, actor="reception", start=local(MONDAY, hhmm), now=NOW
            )
    drain(mailer)

    [only] = smtp.inbox.messages()
    msg = only.message
    assert msg["Subject"] == "Booked: Facial rejuvenation, Mon 1 Mar 2027 15:00"
    assert vevent(msg)["DTSTART"].dt == local(MONDAY, "15:00")
    assert int(vevent(msg)["SEQUENCE"]) == 3
    statuses = [(r.kind, r.status) for r in outbox_rows(db, booking_id) if r.kind != "reminder"]
    assert statuses == [
        ("invite", "skipped"),
        ("update", "skipped"),
        ("update", "skipped"),
        ("update", "sent"),
    ]


def test_three_moves_after_the_invitation_send_one_update_from_the_first_time_to_the_last(
    db, clinic, smtp: SmtpServer, mailer: Mailer
):
    booking_id = book(db, clinic, local(MONDAY, "10:00"))
    drain(mailer)
    for hhmm in ("11:00", "13:00", "15:00"):
        with db.transaction() as session:
            booking.reschedule(
                session, booking_id, actor="reception", start=local(MONDAY, hhmm), now=NOW
            )
    drain(mailer)

    _invite, update_msg = (r.message for r in smtp.inbox.messages())
    assert int(vevent(update_msg)["SEQUENCE"]) == 3
    assert vevent(update_msg)["DTSTART"].dt == local(MONDAY, "15:00")
    assert "was Monday 1 March 2027, 10:00" in text_body(update_msg)
    assert "now Monday 1 March 2027, 15:00" in text_body(update_msg)


def test_no_stale_update_is_sent_after_a_newer_one_while_two_workers_race(
    db, clinic, smtp: SmtpServer, mail_settings
):
    from tests.invites.conftest import FAST

    first, second = Mailer(db, mail_settings, FAST), Mailer(db, mail_settings, FAST)
    booking_id = book(db, clinic, local(MONDAY, "10:00"))
    drain(first)
    with db.transaction() as session:
        booking.reschedule(
            session, booking_id, actor="reception", start=local(MONDAY, "11:00"), now=NOW
        )
    claimed = first.claim()  # the first worker has taken the update, not yet sent it
    assert len(claimed) == 1
    with db.transaction() as session:
        booking.reschedule(
            session, booking_id, actor="reception", start=local(MONDAY, "15:00"), now=NOW
        )
    assert second.claim() == []  # the newer update waits while the older one is in flight
    first.deliver(claimed)  # finds itself superseded: skipped, not sent
    drain(second)

    times = [vevent(r.message)["DTSTART"].dt for r in smtp.inbox.messages()]
    assert times == [local(MONDAY, "10:00"), local(MONDAY, "15:00")]


def test_moving_back_and_forth_before_the_worker_runs_sends_nothing_new(
    db, clinic, smtp: SmtpServer, mailer: Mailer
):
    booking_id = book(db, clinic, local(MONDAY, "10:00"))
    drain(mailer)
    for hhmm in ("14:00", "10:00"):
        with db.transaction() as session:
            booking.reschedule(
                session, booking_id, actor="reception", start=local(MONDAY, hhmm), now=NOW
            )
    drain(mailer)
    assert len(smtp.inbox.messages()) == 1
    last = [r for r in outbox_rows(db, booking_id) if r.kind == "update"][-1]
    assert (last.status, last.last_error) == ("skipped", "nothing changed since the last message")


def test_a_booking_cancelled_before_the_worker_runs_sends_nothing(
    db, clinic, smtp: SmtpServer, mailer: Mailer
):
    booking_id = book(db, clinic, local(MONDAY, "10:00"))
    with db.transaction() as session:
        booking.cancel(session, booking_id, actor="reception", now=NOW)
    drain(mailer)
    assert smtp.inbox.messages() == []
    assert {r.status for r in outbox_rows(db, booking_id)} == {"skipped"}


def test_a_client_without_email_gets_no_invitation_and_the_booking_still_succeeds(
    db, clinic, smtp: SmtpServer, mailer: Mailer
):
    from shared.clients import create_client

    with db.transaction() as session:
        walk_in = create_client(session, name="Walk In", phone="+386 40 2")
    booking_id = book(db, clinic, local(MONDAY, "10:00"), client_id=walk_in.id)
    drain(mailer)
    assert _booking(db, booking_id).status == "booked"
    assert outbox_rows(db, booking_id) == []
    assert smtp.inbox.messages() == []


def test_the_reminder_is_sent_the_clinics_configured_time_before_the_session(
    db, clinic, smtp: SmtpServer, mailer: Mailer
):
    with db.transaction() as session:
        session.get(Clinic, 1).reminder_hours_before = 48  # type: ignore[union-attr]
    booking_id = book(db, clinic, local(MONDAY, "10:00"))
    drain(mailer)  # the invitation
    due = local(MONDAY, "10:00") - timedelta(hours=48)
    drain(mailer, now=due - timedelta(minutes=1))
    assert len(smtp.inbox.messages()) == 1
    drain(mailer, now=due)

    invite, reminder = (r.message for r in smtp.inbox.messages())
    made = _booking(db, booking_id)
    assert reminder["Subject"] == "Reminder: Facial rejuvenation, Mon 1 Mar 2027 10:00"
    assert parts(reminder) == ["multipart/alternative", "  text/plain", "  text/html"]
    text = text_body(reminder)
    assert "a reminder of your appointment" in text
    assert "Monday 1 March 2027, 10:00\u201311:00 (Ljubljana time)" in text
    assert f"https://clinic.example/b/{made.access_token}" in text
    assert reminder["Message-ID"] not in {invite["Message-ID"]}


def test_a_moved_sessions_reminder_follows_it_and_a_cancelled_ones_is_never_sent(
    db, clinic, smtp: SmtpServer, mailer: Mailer
):
    moved = book(db, clinic, local(MONDAY, "10:00"))
    dropped = book(
        db,
        clinic,
        local(MONDAY, "10:00"),
        client_id=clinic.other_client.id,
        treatment_type_id=clinic.consult.id,
    )
    with db.transaction() as session:
        booking.reschedule(
            session,
            moved,
            actor="reception",
            start=local(MONDAY + timedelta(days=1), "10:00"),
            now=NOW,
        )
        booking.cancel(session, dropped, actor="reception", now=NOW)
    [reminder] = [r for r in outbox_rows(db, moved) if r.kind == "reminder"]
    assert reminder.next_attempt_at == local(MONDAY, "10:00")  # 24 h before Tuesday 10:00
    [gone] = [r for r in outbox_rows(db, dropped) if r.kind == "reminder"]
    assert gone.status == "skipped"
    drain(mailer, now=local(MONDAY, "10:00"))
    subjects = [r.message["Subject"] for r in smtp.inbox.messages()]
    assert subjects == [
        "Booked: Facial rejuvenation, Tue 2 Mar 2027 10:00",
        "Reminder: Facial rejuvenation, Tue 2 Mar 2027 10:00",
    ]


def test_therapists_get_the_invitation_when_the_clinic_invites_them_and_a_cancel_when_replaced(
    db, clinic, smtp: SmtpServer, mailer: Mailer
):
    with db.transaction() as session:
        session.get(Clinic, 1).invite_therapists = True  # type: ignore[union-attr]
    booking_id = book(
        db,
        clinic,
        local(MONDAY, "10:00"),
        treatment_type_id=clinic.consult.id,
        therapist_id=clinic.anna.id,
    )
    drain(mailer)
    by_rcpt = {r.rcpt_tos[0]: r.message for r in smtp.inbox.messages()}
    assert set(by_rcpt) == {"eva@example.com", "anna@clinic.example"}
    anna = by_rcpt["anna@clinic.example"]
    assert anna["Subject"] == "New session: TCM consultation, Mon 1 Mar 2027 10:00"
    assert str(vevent(anna)["ATTENDEE"]) == "mailto:anna@clinic.example"
    assert vevent(anna)["ATTENDEE"].params["RSVP"] == "TRUE"
    assert "/b/" not in text_body(anna)  # the client's secret link goes to the client only
    assert "Client: Eva" in text_body(anna)

    with db.transaction() as session:
        booking.reschedule(
            session, booking_id, actor="reception", therapist_id=clinic.boris.id, now=NOW
        )
    drain(mailer)
    later = {r.rcpt_tos[0]: r.message for r in smtp.inbox.messages()[2:]}
    assert set(later) == {"eva@example.com", "anna@clinic.example", "boris@clinic.example"}
    assert str(vcalendar(later["anna@clinic.example"])["METHOD"]) == "CANCEL"
    assert str(vcalendar(later["boris@clinic.example"])["METHOD"]) == "REQUEST"
    assert later["boris@clinic.example"]["Subject"].startswith("New session:")
    assert "Therapist: was Anna Novak; now Boris Li" in text_body(later["eva@example.com"])


def test_header_injection_through_names_and_reasons_is_impossible(
    db, clinic, smtp: SmtpServer, mailer: Mailer
):
    booking_id = book(db, clinic, local(MONDAY, "10:00"))
    drain(mailer)
    with db.transaction() as session:  # past the validation, as an old or imported row might be
        session.execute(
            update(Client)
            .where(Client.id == clinic.client.id)
            .values(name="Eva\r\nBcc: victim@example.com\r\nSubject: You won")
        )
        booking.cancel(
            session,
            booking_id,
            actor="reception",
            reason="Ill\r\nBcc: victim2@example.com\n\nInjected body",
            now=NOW,
        )
    drain(mailer)

    received = smtp.inbox.messages()
    assert all(r.rcpt_tos == ["eva@example.com"] for r in received)
    msg = received[-1].message
    assert msg["Bcc"] is None
    assert msg.get_all("Subject") == ["Cancelled: Facial rejuvenation, Mon 1 Mar 2027 10:00"]
    assert msg["To"].addresses[0].addr_spec == "eva@example.com"
    assert "\n" not in msg["To"].addresses[0].display_name
    assert b"\nBcc:" not in received[-1].data
    assert "Reason: Ill Bcc: victim2@example.com Injected body" in text_body(msg)


def test_non_ascii_names_and_subjects_are_encoded_and_read_back_intact(
    db, clinic, smtp: SmtpServer, mailer: Mailer
):
    with db.transaction() as session:
        session.execute(update(Clinic).values(name="Lotos \u2013 TCM Šiška"))
        from shared.models import TreatmentType

        session.execute(
            update(TreatmentType)
            .where(TreatmentType.id == clinic.consult.id)
            .values(name="Akupunktura obraza \u2013 žarenje")
        )
    book(
        db,
        clinic,
        local(MONDAY, "10:00"),
        client_id=clinic.other_client.id,
        treatment_type_id=clinic.consult.id,
    )
    drain(mailer)

    [got] = smtp.inbox.messages()
    head = got.data.split(b"\r\n\r\n", 1)[0]
    assert all(byte < 128 for byte in head)  # headers travel as RFC 2047 encoded words
    msg = got.message
    assert msg["Subject"] == "Booked: Akupunktura obraza \u2013 žarenje, Mon 1 Mar 2027 10:00"
    assert msg["To"].addresses[0].display_name == "Žiga Kranjc"
    assert msg["From"].addresses[0].display_name == "Lotos \u2013 TCM Šiška"
    assert "Dear Žiga," in text_body(msg)
    event = vevent(msg)
    assert event["ATTENDEE"].params["CN"] == "Žiga Kranjc"
    assert str(event["SUMMARY"]).startswith("Akupunktura obraza \u2013 žarenje")


def test_a_refused_address_is_recorded_on_the_message_and_not_retried(
    db, clinic, smtp: SmtpServer, mailer: Mailer
):
    smtp.inbox.refuse["eva@example.com"] = "550 5.1.1 No such user here"
    booking_id = book(db, clinic, local(MONDAY, "10:00"))
    drain(mailer)
    [row] = [r for r in outbox_rows(db, booking_id) if r.kind == "invite"]
    assert row.status == "failed"
    assert row.attempts == 1
    assert "eva@example.com refused: 550" in row.last_error
    assert "No such user here" in row.last_error
    assert smtp.inbox.messages() == []


def test_a_temporary_refusal_is_retried_with_backoff_until_it_is_accepted(
    db, clinic, smtp: SmtpServer, mail_settings
):
    import dataclasses
    import time

    from tests.invites.conftest import FAST

    config = dataclasses.replace(FAST, backoff_base_seconds=1.0, backoff_cap_seconds=1.0)
    mailer = Mailer(db, mail_settings, config)
    smtp.inbox.refuse["eva@example.com"] = "451 4.3.0 Try again later"
    booking_id = book(db, clinic, local(MONDAY, "10:00"))
    drain(mailer)
    [row] = [r for r in outbox_rows(db, booking_id) if r.kind == "invite"]
    assert (row.status, row.attempts) == ("pending", 1)
    assert "451" in row.last_error
    assert row.sent_at is None
    wait = (row.next_attempt_at - row.created_at).total_seconds()
    assert 0.5 <= wait <= 1.0 + 5  # half fixed, half jitter (plus this machine's slowness)
    del smtp.inbox.refuse["eva@example.com"]
    drain(mailer)
    assert smtp.inbox.messages() == []  # not before its time
    time.sleep(1.1)
    drain(mailer)
    [row] = [r for r in outbox_rows(db, booking_id) if r.kind == "invite"]
    assert (row.status, row.attempts) == ("sent", 2)
    assert len(smtp.inbox.messages()) == 1


def test_after_the_last_attempt_a_message_is_failed_and_a_retry_sends_it(
    db, clinic, smtp: SmtpServer, mail_settings
):
    import dataclasses
    import time

    from shared import outbox
    from tests.invites.conftest import FAST

    mailer = Mailer(db, mail_settings, dataclasses.replace(FAST, max_attempts=2))
    smtp.inbox.refuse["eva@example.com"] = "421 4.7.0 Busy"
    booking_id = book(db, clinic, local(MONDAY, "10:00"))
    for _ in range(2):
        drain(mailer)
        time.sleep(0.25)
    [row] = [r for r in outbox_rows(db, booking_id) if r.kind == "invite"]
    assert (row.status, row.attempts) == ("failed", 2)
    assert "421" in row.last_error

    smtp.inbox.refuse.clear()
    with db.transaction() as session:
        outbox.retry_message(session, row.id)  # what the receptionist's button does
    drain(mailer)
    [row] = [r for r in outbox_rows(db, booking_id) if r.kind == "invite"]
    assert row.status == "sent"
    assert len(smtp.inbox.messages()) == 1


def test_the_outbox_survives_an_smtp_server_that_is_down_and_then_back(db, clinic, settings):
    import dataclasses
    import time

    from tests.invites.conftest import FAST, SmtpServer, free_port

    port = free_port()  # nothing listens here yet: the server is down
    mail_settings = dataclasses.replace(settings, smtp_host="127.0.0.1", smtp_port=port)
    mailer = Mailer(db, mail_settings, dataclasses.replace(FAST, max_attempts=50))
    ids = [book(db, clinic, local(MONDAY + timedelta(days=day), "10:00")) for day in range(4)]
    for _ in range(3):
        drain(mailer)
        time.sleep(0.1)
    rows = [r for r in outbox_rows(db) if r.kind == "invite"]
    assert {r.status for r in rows} == {"pending"}
    assert all(r.attempts >= 1 for r in rows)
    assert all("cannot connect" in r.last_error for r in rows)

    server = SmtpServer(port=port).start()  # back
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            drain(mailer)
            if {r.status for r in outbox_rows(db) if r.kind == "invite"} == {"sent"}:
                break
            time.sleep(0.05)
        received = server.inbox.messages()
    finally:
        server.stop()
    sent_ids = sorted(r.message_id for r in outbox_rows(db) if r.kind == "invite")
    assert sorted(r.message["Message-ID"] for r in received) == sent_ids
    assert len(set(sent_ids)) == len(ids) == len(received)
    assert sorted(r.booking_id for r in outbox_rows(db) if r.kind == "invite") == sorted(ids)


def test_a_booking_that_rolls_back_leaves_no_message_and_one_that_commits_has_its_message(
    db, clinic
):
    import pytest

    with pytest.raises(RuntimeError), db.transaction() as session:
        booking.book(
            session,
            treatment_type_id=clinic.facial.id,
            start=local(MONDAY, "10:00"),
            client_id=clinic.client.id,
            actor="reception",
            now=NOW,
        )
        raise RuntimeError("the request failed after booking")
    assert outbox_rows(db) == []
    booking_id = book(db, clinic, local(MONDAY, "10:00"))
    kinds = [(r.kind, r.recipient, r.status) for r in outbox_rows(db, booking_id)]
    assert kinds == [
        ("invite", "eva@example.com", "pending"),
        ("reminder", "eva@example.com", "pending"),
    ]


def test_a_therapist_who_had_the_invitation_hears_of_the_cancel_after_invites_are_turned_off(
    db, clinic, smtp: SmtpServer, mailer: Mailer
):
    with db.transaction() as session:
        session.get(Clinic, 1).invite_therapists = True  # type: ignore[union-attr]
    booking_id = book(db, clinic, local(MONDAY, "10:00"))
    drain(mailer)
    with db.transaction() as session:
        session.get(Clinic, 1).invite_therapists = False  # type: ignore[union-attr]
        booking.cancel(session, booking_id, actor="reception", now=NOW)
    drain(mailer)
    later = {r.rcpt_tos[0]: r.message for r in smtp.inbox.messages()[2:]}
    assert set(later) == {"eva@example.com", "anna@clinic.example"}
    assert all(str(vcalendar(m)["METHOD"]) == "CANCEL" for m in later.values())


def test_a_reminder_whose_session_moves_while_it_is_being_sent_goes_out_again_for_the_new_time(
    db, clinic, smtp: SmtpServer, mail_settings
):
    from shared.smtp import SmtpTransport
    from tests.invites.conftest import FAST

    booking_id = book(db, clinic, local(MONDAY, "10:00"))
    tuesday = local(MONDAY + timedelta(days=1), "10:00")

    class MovesDuringTheReminder(SmtpTransport):
        moved = False

        def send(self, msg, sender, recipient):  # type: ignore[no-untyped-def]
            super().send(msg, sender, recipient)
            if msg["Subject"].startswith("Reminder") and not MovesDuringTheReminder.moved:
                MovesDuringTheReminder.moved = True
                with db.transaction() as session:
                    booking.reschedule(
                        session, booking_id, actor="reception", start=tuesday, now=NOW
                    )

    mailer = Mailer(
        db, mail_settings, FAST, transport=lambda: MovesDuringTheReminder(mail_settings, 5)
    )
    drain(mailer, now=local(MONDAY, "10:00") - timedelta(hours=24))
    [reminder] = [r for r in outbox_rows(db, booking_id) if r.kind == "reminder"]
    assert (reminder.status, reminder.next_attempt_at) == ("pending", tuesday - timedelta(hours=24))
    drain(mailer, now=tuesday - timedelta(hours=24))
    assert [r.message["Subject"] for r in smtp.inbox.messages()] == [
        "Booked: Facial rejuvenation, Mon 1 Mar 2027 10:00",
        "Reminder: Facial rejuvenation, Mon 1 Mar 2027 10:00",
        "Changed: Facial rejuvenation, now Tue 2 Mar 2027 10:00",
        "Reminder: Facial rejuvenation, Tue 2 Mar 2027 10:00",
    ]


def test_an_american_clinics_invitation_and_reminder_write_12_hour_times(
    db, clinic, smtp: SmtpServer, mailer: Mailer
):
    with db.transaction() as session:
        row = session.get(Clinic, 1)
        row.locale, row.reminder_hours_before = "en-US", 48  # type: ignore[union-attr]
    book(db, clinic, local(MONDAY, "14:00"))
    drain(mailer, now=local(MONDAY, "14:00") - timedelta(hours=48))

    invite, reminder = (r.message for r in smtp.inbox.messages())
    assert "Monday 1 March 2027, 2:00 PM\u20133:00 PM (Ljubljana time)" in text_body(invite)
    assert reminder["Subject"] == "Reminder: Facial rejuvenation, Mon 1 Mar 2027 2:00 PM"
    assert "14:00" not in text_body(invite) + text_body(reminder)
