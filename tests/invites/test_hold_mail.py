"""The booking page's 'please confirm' e-mail, as a real SMTP server receives it, and the
worker letting lapsed holds go."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from services.worker import Housekeeping
from shared import catalog, heartbeat, holds
from shared.models import Booking, BookingStatus, TreatmentType
from tests.factories import MONDAY, NOW, local
from tests.invites.conftest import SmtpServer, drain, text_body


def _ask(db, clinic):
    with db.transaction() as session:
        catalog.configure_clinic(session, online_booking=True)
        session.get(TreatmentType, clinic.facial.id).online_booking = True
    with db.transaction() as session:
        return holds.request_online(
            session,
            treatment_type_id=clinic.facial.id,
            start=local(MONDAY, "10:00"),
            name="Nina Kos",
            email="nina@example.com",
            phone="",
            note="",
            consent=True,
            now=NOW,
        )


def test_the_client_gets_a_link_to_a_confirmation_page_and_no_calendar_yet(
    db, clinic, smtp: SmtpServer, mailer
):
    held = _ask(db, clinic)
    drain(mailer, NOW)
    [got] = smtp.inbox.messages()
    msg = got.message
    assert got.rcpt_tos == ["nina@example.com"]
    assert msg["Subject"] == "Please confirm: Facial rejuvenation, Mon 1 Mar 2027 10:00"
    body = text_body(msg)
    assert f"https://clinic.example/book/confirm/{held.hold_token}" in body
    assert "press the button by Sat 20 Feb 2027 10:15" in body  # NOW + 15 minutes, local
    assert not any(p.get_content_type() == "text/calendar" for p in msg.walk())


def test_a_hold_that_lapsed_before_the_worker_ran_sends_nothing(
    db, clinic, smtp: SmtpServer, mailer
):
    _ask(db, clinic)
    drain(mailer, NOW + timedelta(minutes=15))
    assert smtp.inbox.messages() == []


def test_the_worker_lets_lapsed_holds_go_on_its_clock(db, clinic, settings, tmp_path):
    held = _ask(db, clinic)
    beat = heartbeat.Heartbeat(db, file=tmp_path / "beat")
    rounds = Housekeeping(db, dataclasses.replace(settings), beat, every=0)
    rounds(NOW + timedelta(minutes=14))
    with db.read() as session:
        assert session.get(Booking, held.id).status == BookingStatus.HELD.value
    rounds(NOW + timedelta(minutes=15))
    with db.read() as session:
        assert session.get(Booking, held.id).status == BookingStatus.CANCELLED.value
