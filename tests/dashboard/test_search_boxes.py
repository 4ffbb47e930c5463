"""Every search box finds clients without accents and by phone in any format."""

from __future__ import annotations

import pytest

from shared import booking, clients
from tests.dashboard.conftest import text
from tests.factories import MONDAY, NOW, local


@pytest.fixture
def maja(db, clinic) -> int:
    """Maja Božič (+386 40 474 696) with a session on Monday at 11:00."""
    with db.transaction() as s:
        client = clients.create_client(s, name="Maja Božič", phone="+386 40 474 696")
        made = booking.book(
            s,
            treatment_type_id=clinic.consult.id,
            start=local(MONDAY, "11:00"),
            client_id=client.id,
            actor="t",
            now=NOW,
        )
        return made.id


@pytest.mark.parametrize(
    "typed", ["bozic", "BOZIC", "040 474 696", "(040) 474-696", "+38640474696"]
)
def test_the_client_list_finds_a_client_typed_without_accents_or_in_another_phone_format(
    reception, maja, typed
):
    body = text(reception.get("/clients/", query_string={"search": typed}))
    assert "Maja Božič" in body
    assert "Eva Horvat" not in body


@pytest.mark.parametrize("typed", ["bozic", "040-474-696"])
def test_the_booking_list_finds_a_clients_sessions_the_same_way(reception, maja, typed):
    body = text(reception.get("/bookings/", query_string={"search": typed}))
    assert f'href="/booking/{maja}"' in body
    assert "Eva Horvat" not in body


@pytest.mark.parametrize("typed", ["bozic", "040 474 696", "00386 40 474 696"])
def test_the_booking_forms_client_picker_finds_the_client_the_same_way(reception, maja, typed):
    found = reception.get("/book/clients", query_string={"q": typed}).get_json()
    assert [c["name"] for c in found] == ["Maja Božič"]
