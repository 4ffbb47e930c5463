"""The OpenAPI document tells the truth: schemathesis finds no 500 and no off-schema answer,
with values the schema allows and values it does not, leaning on the bounds where bugs live.

Bounds-hunting: dates and instants at years 1, 1899, 1900, 2199, 2200 and 9999 with extreme
offsets, ids at 0, 2**31 - 1, 2**31 and 2**63, pagination cursors with such dates and ids,
strings with NUL, line separators and control characters, and negative mode (every schema
constraint broken). Derandomized and bounded, so every run tries the same examples.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi.formats import unregister_string_format

from shared import booking
from shared.accounts import create_api_key
from tests.factories import MONDAY, NOW, local, make_clinic

YEARS = [1, 1899, 1900, 2027, 2199, 2200, 9999]
OFFSETS = ["Z", "+14:00", "-14:00", "+01:00", "-23:59"]
IDS = [0, 1, 2, 2**31 - 1, 2**31, 2**63, 10**20]
NASTY = ["\x00", "\u2028", "\u2029", "\x85", "\x0b", "\x1b", "\ud800", "\ufeff", "x" * 1001]


def _dates() -> st.SearchStrategy[str]:
    edge = st.sampled_from([f"{y:04d}-12-31" for y in YEARS] + [f"{y:04d}-01-01" for y in YEARS])
    return st.one_of(edge, st.dates().map(lambda d: d.isoformat()))


def _instants() -> st.SearchStrategy[str]:
    edge = st.builds(
        lambda y, o, end: f"{y:04d}-{'12-31T23:59:59' if end else '01-01T00:00:00'}{o}",
        st.sampled_from(YEARS),
        st.sampled_from(OFFSETS),
        st.booleans(),
    )
    return st.one_of(edge, st.sampled_from(["2027-03-01T10:00:00+01:00", "2027-03-28T02:30:00"]))


def _cursors() -> st.SearchStrategy[str]:
    raw = st.builds(
        lambda instant, ident: f"{instant}|{ident}",
        _instants(),
        st.sampled_from([*IDS, -1, "x"]),
    )
    return raw.map(lambda s: base64.urlsafe_b64encode(s.encode()).decode())


# Free times of the factories' clinic (Anna gives facials Monday to Friday 09:00-17:00): a
# request that is right in every other way reaches the database with its one bad value.
GOOD_STARTS = [
    f"2027-03-0{day}T{hour:02d}:00:00+01:00" for day in range(1, 6) for hour in range(9, 16)
]
TEXT_FIELDS = {
    "POST /api/v1/bookings": "notes",
    "POST /api/v1/bookings/{booking_id}/cancel": "reason",
}


def _label(context: Any) -> str:
    return context.operation.label if context.operation is not None else ""


def _valid_ids(values: dict[str, Any], valid: Any = 1) -> dict[str, Any]:
    """Every id the first of its kind (which exists), and one client, given by id."""
    out = {k: (valid if k.endswith("_id") else v) for k, v in values.items() if k != "client"}
    if "client" in values:
        out["client_id"] = valid
    return out


def _one_extreme_id(values: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    keys = sorted(k for k in values if k.endswith("_id"))
    if not keys:
        return st.just(values)
    return st.builds(lambda k, v: {**values, k: v}, st.sampled_from(keys), st.sampled_from(IDS))


def _one_nasty_text(values: dict[str, Any], field: str | None) -> st.SearchStrategy[Any]:
    keys = sorted(k for k, v in values.items() if isinstance(v, str) and k not in ("start", "end"))
    keys += [field] if field and field not in keys else []
    if not keys:
        return st.just(values)
    return st.builds(
        lambda k, bad: {**values, k: f"Eva{bad}{values.get(k) or 'Horvat'}"},
        st.sampled_from(keys),
        st.sampled_from(NASTY),
    )


@pytest.fixture
def bounds_hunting_formats() -> Iterator[None]:
    schemathesis.openapi.format("date", _dates())
    schemathesis.openapi.format("date-time", _instants())
    yield
    unregister_string_format("date")
    unregister_string_format("date-time")


@pytest.fixture
def seeded_app(app, db):
    """The factories' clinic with three bookings and an API key the checks send."""
    with db.transaction() as session:
        clinic = make_clinic(session)
        _, key = create_api_key(session, "schemathesis")
        for hour in ("09:00", "10:00", "11:00"):  # bookings 1-3, on a Tuesday
            booking.book(
                session,
                treatment_type_id=clinic.consult.id,
                start=local(MONDAY + timedelta(days=1), hour),
                client_id=clinic.client.id,
                therapist_id=clinic.boris.id,
                actor="schemathesis",
                now=NOW,
            )
    app.config["SCHEMATHESIS_KEY"] = key
    return app


@pytest.fixture
def plain_schema(seeded_app):
    """The document as it is: negative mode breaks its constraints, and no hook may mend them
    (a hook that puts a valid id back would make a broken request a valid one)."""
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", seeded_app)


@pytest.fixture
def api_schema(seeded_app, bounds_hunting_formats):
    """The document with hooks that aim schema-valid requests at the bounds where bugs live."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", seeded_app)

    @schema.hook
    def flatmap_query(context: Any, query: dict[str, Any] | None) -> st.SearchStrategy[Any]:
        if not query:
            return st.just(query)
        valid = _valid_ids(query, "1")
        days = [k for k in ("start", "end") if k in query]
        choices = [st.just(query), _one_extreme_id(valid)]
        if days:  # the same extreme day for start and end, so no range check comes first
            choices.append(_dates().map(lambda d: {**valid, **dict.fromkeys(days, d)}))
            choices.append(_instants().map(lambda i: {**valid, **dict.fromkeys(days, i)}))
        if "limit" in query or _label(context) == "GET /api/v1/bookings":
            choices.append(_cursors().map(lambda c: {**valid, "cursor": c}))
        return st.one_of(choices)

    @schema.hook
    def flatmap_body(context: Any, body: Any) -> st.SearchStrategy[Any]:
        if not isinstance(body, dict):
            return st.just(body)
        valid = _valid_ids(body)
        at_a_free_time = st.sampled_from(GOOD_STARTS).map(
            lambda start: {**valid, "start": start} if "start" in valid else valid
        )
        choices = [
            st.just(body),
            _one_extreme_id(valid),
            at_a_free_time.flatmap(lambda b: _one_nasty_text(b, TEXT_FIELDS.get(_label(context)))),
        ]
        if "start" in valid:
            choices.append(_instants().map(lambda start: {**valid, "start": start}))
        return st.one_of(choices)

    @schema.hook
    def flatmap_path_parameters(context: Any, params: dict[str, Any] | None) -> Any:
        if not params:
            return st.just(params)
        ids = st.sampled_from([1, 2, 3, *IDS])
        return st.fixed_dictionaries({k: st.one_of(st.just(v), ids) for k, v in params.items()})

    return schema


# Cross-field rules (end after start, 31 days at most, a start on the slot grid) cannot be said
# in JSON Schema, so schema-valid input may still be a 422; authentication has its own tests
# (a run full of wrong keys would only see its address throttled).
EXCLUDED = [schemathesis.checks.positive_data_acceptance, schemathesis.checks.ignored_auth]


def _check_every_operation(api_schema: Any, app: Any, mode: GenerationMode, examples: int) -> int:
    headers = {"Authorization": f"Bearer {app.config['SCHEMATHESIS_KEY']}"}
    checked = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        raw = operation.definition.raw
        if mode is GenerationMode.NEGATIVE and not (raw.get("parameters") or "requestBody" in raw):
            continue  # nothing it could be sent that breaks its schema

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=examples,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def check(case: Any) -> None:
            case.call_and_validate(headers=headers, excluded_checks=EXCLUDED)

        check()
        checked += 1
    return checked


def test_every_endpoint_answers_within_its_schema_and_never_500(api_schema, app):
    assert _check_every_operation(api_schema, app, GenerationMode.POSITIVE, 30) >= 11


def test_every_endpoint_refuses_what_its_schema_forbids_with_a_4xx_never_a_500(
    plain_schema, seeded_app
):
    assert _check_every_operation(plain_schema, seeded_app, GenerationMode.NEGATIVE, 20) >= 11


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
