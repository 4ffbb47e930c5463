"""A booking's history names who changed it: staff by name and role, an API key by its name,
the client as the client; never "dashboard:..." (bug 10)."""

from __future__ import annotations

from shared import accounts, actors


def _names(db, *raw):
    with db.read() as s:
        return actors.actor_names(s, raw)


def test_staff_by_name_and_role_api_keys_by_name_and_the_client_as_such(db):
    with db.transaction() as s:
        accounts.create_user(
            s,
            email="ana@clinic.example",
            password="long enough pw",
            role="receptionist",
            name="Ana Novak",
        )
        accounts.create_user(
            s, email="boss@clinic.example", password="long enough pw", role="admin", name="Mojca"
        )
    ana, boss, key = (
        actors.staff_actor("ana@clinic.example"),
        actors.staff_actor("boss@clinic.example"),
        actors.api_actor("website"),
    )
    assert _names(db, ana, boss, key, "client", "clinic (waiting list)") == {
        ana: "Ana Novak (reception)",
        boss: "Mojca (admin)",
        key: "website (API key)",
        "client": "the client",
        "clinic (waiting list)": "clinic (waiting list)",
    }


def test_an_account_given_no_name_is_named_after_its_email(db):
    with db.transaction() as s:
        made = accounts.create_user(
            s, email="reception@clinic.example", password="long enough pw", role="receptionist"
        )
    assert made.name == "Reception"
    assert _names(db, "dashboard:reception@clinic.example") == {
        "dashboard:reception@clinic.example": "Reception (reception)"
    }


def test_a_renamed_account_shows_its_new_name_on_its_old_history_rows(db):
    with db.transaction() as s:
        made = accounts.create_user(
            s, email="desk@clinic.example", password="long enough pw", role="admin"
        )
    with db.transaction() as s:
        accounts.update_user(s, made.id, role="admin", active=True, name="  Ana  ")
    assert _names(db, "dashboard:desk@clinic.example")["dashboard:desk@clinic.example"] == (
        "Ana (admin)"
    )
    with db.transaction() as s:  # no name given: left alone; empty: the e-mail's again
        assert accounts.update_user(s, made.id, role="admin", active=True).name == "Ana"
        assert accounts.update_user(s, made.id, role="admin", active=True, name="").name == "Desk"


def test_an_account_no_longer_on_record_keeps_its_email(db):
    assert _names(db, "dashboard:gone@clinic.example") == {
        "dashboard:gone@clinic.example": "gone@clinic.example"
    }
