"""A first check that the fixtures give each backend a migrated, empty database."""

from shared.booking import book
from tests.factories import MONDAY, NOW, local, make_clinic


def test_a_session_can_be_booked_on_a_fresh_database(db):
    with db.transaction() as session:
        c = make_clinic(session)
        made = book(
            session,
            treatment_type_id=c.facial.id,
            start=local(MONDAY, "10:00"),
            client_id=c.client.id,
            actor="test",
            now=NOW,
        )
    assert made.therapist_id == c.anna.id
    assert made.room_id == c.room1.id
    assert made.end_at == local(MONDAY, "11:00")
