"""A treatment type that needs a room feature no room has is saved with a warning: it would be
offered and never bookable (bug 5)."""

from __future__ import annotations

from tests.dashboard.conftest import text

CUPPING = {
    "name": "Cupping",
    "duration_minutes": "45",
    "buffer_before_minutes": "0",
    "buffer_after_minutes": "0",
    "price": "55.00",
    "currency": "EUR",
    "colour": "#b5736a",
    "active": "y",
}


def test_a_feature_no_room_has_is_named_in_a_warning(admin, clinic):
    response = admin.post("/treatment-types/new/", {**CUPPING, "required_features": "cupping set"})
    assert response.status_code == 302
    page = text(admin.get(response.headers["Location"]))
    assert "Cupping is offered but cannot be booked: no active room has cupping set" in page


def test_features_no_single_room_has_together_are_named_too(admin, clinic, db):
    from shared import catalog

    with db.transaction() as s:
        catalog.save_room(s, name="Room 3", features=["cupping set"])
    response = admin.post(
        "/treatment-types/new/", {**CUPPING, "required_features": "cupping set, facial couch"}
    )
    page = text(admin.get(response.headers["Location"]))
    assert "no single active room has all of cupping set, facial couch" in page


def test_a_treatment_a_room_can_take_is_saved_without_a_warning(admin, clinic):
    response = admin.post("/treatment-types/new/", {**CUPPING, "required_features": "facial couch"})
    page = text(admin.get(response.headers["Location"]))
    assert "cannot be booked" not in page
