"""Search finds clients as a receptionist types them: without accents, in any phone format."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from shared import catalog, clients, migrate
from shared.db import Database, make_engine

PEOPLE = (
    ("Maja Božič", None, "+386 40 474 696"),
    ("Jürgen Müller", "jm@example.de", "+49 30 9876 5432"),
    ("Đurđa Šašek", None, "(01) 234-56-78"),
    ("李梅", "li.mei@example.cn", "00386 31.555.777"),
    ("Gregor Žagar", "greg@example.com", "041/987 654"),
)


@pytest.fixture
def people(db, clinic):
    with db.transaction() as s:
        for name, email, phone in PEOPLE:
            clients.create_client(s, name=name, email=email, phone=phone)


def _found(db, q):
    with db.read() as s:
        return {c.name for c in clients.search_clients(s, q)} - {"Eva Horvat", "Žiga Kranjc"}


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("bozic", "Maja Božič"),
        ("BOŽIČ", "Maja Božič"),
        ("maja boz", "Maja Božič"),
        ("jurgen", "Jürgen Müller"),
        ("muller", "Jürgen Müller"),
        ("Mueller", "Jürgen Müller"),
        ("durda sas", "Đurđa Šašek"),
        ("李", "李梅"),
        ("李梅", "李梅"),
        ("zagar", "Gregor Žagar"),
    ],
)
def test_names_are_found_without_accents_or_case(db, people, typed, name):
    assert _found(db, typed) == {name}


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("040 474 696", "Maja Božič"),
        ("040-474-696", "Maja Božič"),
        ("040.474.696", "Maja Božič"),
        ("(040) 474 696", "Maja Božič"),
        ("+386 40 474 696", "Maja Božič"),
        ("00386 40 474 696", "Maja Božič"),
        ("474696", "Maja Božič"),
        ("01 234 56 78", "Đurđa Šašek"),
        ("+386 1 234 56 78", "Đurđa Šašek"),
        ("031 555 777", "李梅"),
        ("+386 31 555 777", "李梅"),
        ("041 987 654", "Gregor Žagar"),
        ("+49 30 9876", "Jürgen Müller"),
        ("0049 30 98765432", "Jürgen Müller"),
    ],
)
def test_phone_numbers_are_found_in_any_common_format(db, people, typed, name):
    assert _found(db, typed) == {name}


def test_a_number_of_another_country_does_not_match_the_clinics_own(db, people):
    assert _found(db, "+44 40 474 696") == set()


def test_corrected_details_are_searched_as_corrected(db, people):
    with db.transaction() as s:
        [maja] = clients.search_clients(s, "bozic")
        clients.update_client(s, maja.id, name="Maja Kovačič", phone="051 222 333")
    assert _found(db, "bozic") == set()
    assert _found(db, "kovacic") == {"Maja Kovačič"}
    assert _found(db, "+386 51 222 333") == {"Maja Kovačič"}


def test_a_client_registered_with_a_booking_is_searchable(db, clinic):
    with db.transaction() as s:
        clients.find_or_create_client(s, name="Tjaša Čuk", email="tjasa@example.com", phone="")
    with db.transaction() as s:  # the same address again adds the missing phone
        clients.find_or_create_client(s, name="T", email="tjasa@example.com", phone="070 11 22 33")
    assert _found(db, "tjasa cuk") == {"Tjaša Čuk"}
    assert _found(db, "+386 70 112 233") == {"Tjaša Čuk"}


def test_the_clinics_country_decides_which_calling_code_may_be_left_out(db, people):
    with db.transaction() as s:
        catalog.configure_clinic(s, timezone="Europe/Berlin")
    assert _found(db, "030 9876 5432") == {"Jürgen Müller"}
    assert _found(db, "+386 40 474 696") == {"Maja Božič"}  # all its digits, as typed
    assert _found(db, "040 474 696") == {"Maja Božič"}


def test_clients_on_file_before_the_upgrade_are_searchable_after_it(empty_url):
    migrate.upgrade(empty_url, "20261203_0008")
    engine = make_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO client (name, email, phone, notes, created_at) "
                "VALUES ('Maja Božič', NULL, '+386 40 474 696', '', CURRENT_TIMESTAMP)"
            )
        )
    engine.dispose()
    migrate.upgrade(empty_url)
    database = Database(empty_url)
    try:
        with database.read() as s:
            assert [c.name for c in clients.search_clients(s, "bozic")] == ["Maja Božič"]
            assert [c.name for c in clients.search_clients(s, "040 474 696")] == ["Maja Božič"]
    finally:
        database.engine.dispose()
