"""Finding and removing clients through shared.clients."""

from __future__ import annotations

import pytest
from sqlmodel import select

from shared import clients
from shared.errors import Conflict
from shared.models import Client


@pytest.fixture
def more_clients(db, clinic):
    """Eva Horvat (+386 40 1) and Žiga Kranjc from the factories, and three more."""
    with db.transaction() as s:
        for name, email, phone in (
            ("Ana Zupan", "ana@example.com", "041-123/456"),
            ("Evelin Kos", None, ""),
            ("Marko Novak", "marko@evamail.example", "01 234 56 78"),
        ):
            clients.create_client(s, name=name, email=email, phone=phone)


def _names(db, q, **kwargs):
    with db.read() as s:
        return [c.name for c in clients.search_clients(s, q, **kwargs)]


def test_clients_are_found_by_part_of_their_name_or_email_in_any_case(db, more_clients):
    assert _names(db, "EVA") == ["Eva Horvat", "Marko Novak"]  # eva@..., evamail
    assert _names(db, "eve") == ["Evelin Kos"]
    assert _names(db, "ziga@") == ["Žiga Kranjc"]


def test_clients_are_found_by_phone_digits_whatever_the_spaces_dashes_and_slashes(db, more_clients):
    assert _names(db, "041 123") == ["Ana Zupan"]
    assert _names(db, "56 78") == ["Marko Novak"]
    assert _names(db, "12") == []  # two digits match no phone, nor any name


def test_a_search_of_fewer_than_two_characters_finds_nobody(db, more_clients):
    assert _names(db, " e ") == []


def test_a_search_returns_at_most_the_limit_in_name_order(db, more_clients):
    assert _names(db, "an") == ["Ana Zupan", "Žiga Kranjc"]
    assert _names(db, "an", limit=1) == ["Ana Zupan"]


def test_a_client_without_sessions_is_deleted(db, clinic):
    with db.transaction() as s:
        clients.delete_client(s, clinic.other_client.id)
    with db.read() as s:
        assert s.get(Client, clinic.other_client.id) is None
        assert s.get(Client, clinic.client.id) is not None


def test_a_client_with_a_session_on_record_is_kept_and_the_refusal_says_why(
    clinic, booker, writes_nothing
):
    booker("10:00")  # Eva's facial
    err = writes_nothing(Conflict, lambda s: clients.delete_client(s, clinic.client.id))
    assert err.message == (
        "Eva Horvat has 1 session on record, so the client is kept; correct the details instead"
    )


def test_a_returning_client_keeps_their_name_and_gains_only_a_missing_phone(db, clinic):
    with db.transaction() as s:
        first = clients.find_or_create_client(s, name="Ana Zupan", email="Ana@Example.com")
    with db.transaction() as s:
        again = clients.find_or_create_client(
            s, name="A. Zupan", email="ana@example.com", phone="041 123 456"
        )
        assert (again.id, again.name, again.phone) == (first.id, "Ana Zupan", "041 123 456")
    with db.transaction() as s:
        third = clients.find_or_create_client(
            s, name="Ana", email="ana@example.com", phone="099 999 999"
        )
        assert third.phone == "041 123 456"  # a known number is never overwritten by a booking
    with db.read() as s:
        assert len(s.exec(select(Client).where(Client.email == "ana@example.com")).all()) == 1


def test_a_client_is_found_or_registered_with_one_statement(db, clinic):
    from tests.integration.test_query_count import statements

    for address in ("new@example.com", "new@example.com"):  # registered, then returning
        with statements(db) as seen, db.transaction() as s:
            clients.find_or_create_client(s, name="New", email=address)
        assert [q.split()[0] for q in seen if q.split()[0] in ("SELECT", "INSERT", "UPDATE")] == [
            "INSERT"
        ]
