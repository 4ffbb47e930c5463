"""The OpenAPI document tells the truth: schemathesis finds no 500 and no off-schema answer."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from shared.accounts import create_api_key
from tests.factories import make_clinic


@pytest.fixture
def api_schema(app, db):
    with db.transaction() as session:
        make_clinic(session)
        _, key = create_api_key(session, "schemathesis")
    app.config["SCHEMATHESIS_KEY"] = key
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def test_every_endpoint_answers_within_its_schema_and_never_500(api_schema, app):
    headers = {"Authorization": f"Bearer {app.config['SCHEMATHESIS_KEY']}"}
    checked = []
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        def check(case):
            # Cross-field rules (end after start, 31 days at most, a start on the slot grid)
            # cannot be said in JSON Schema, so schema-valid input may still be a 422.
            case.call_and_validate(
                headers=headers, excluded_checks=[schemathesis.checks.positive_data_acceptance]
            )

        check()
        checked.append(operation.label)
    assert len(checked) >= 11


def test_the_document_describes_every_api_route_and_the_bearer_auth(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    post = doc["paths"]["/api/v1/bookings"]["post"]
    assert post["security"] == [{"bearerAuth": []}]
    assert {"201", "400", "401", "404", "409", "422"} <= set(post["responses"])
    assert "security" not in doc["paths"]["/api/v1/availability"]["get"]
    availability_params = {
        p["name"] for p in doc["paths"]["/api/v1/availability"]["get"]["parameters"]
    }
    assert availability_params == {"treatment_type_id", "start", "end", "therapist_id"}
