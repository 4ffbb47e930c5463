"""Mails strip line separators and control characters from names stored before names
refused them (or imported past the rules): no header, no line of the text, no calendar."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from shared.mailer import Mailer
from shared.models import Client, Room, Therapist
from tests.factories import MONDAY, local
from tests.invites.conftest import SmtpServer, book, drain, text_body


@pytest.mark.parametrize("invisible", ["\u2028", "\x85", "\x0b"], ids=ascii)
def test_an_invitation_carries_no_line_separator_or_control_character_from_a_name(
    db, clinic, smtp: SmtpServer, mailer: Mailer, invisible
):
    with db.transaction() as session:  # past the validation, as an old or imported row might be
        session.execute(
            update(Client).where(Client.id == clinic.client.id).values(name=f"Eva{invisible}Horvat")
        )
        session.execute(
            update(Therapist)
            .where(Therapist.id == clinic.anna.id)
            .values(name=f"Anna{invisible}Novak")
        )
        session.execute(
            update(Room).where(Room.id == clinic.room1.id).values(name=f"Room{invisible}1")
        )
    book(db, clinic, local(MONDAY, "10:00"))
    drain(mailer)

    msg = smtp.inbox.messages()[-1]
    raw = msg.data.decode("utf-8", "replace")
    assert invisible not in raw
    assert invisible not in text_body(msg.message)
    assert all(invisible not in str(value) for value in msg.message.values())
