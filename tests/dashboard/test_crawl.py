"""A logged-in receptionist's hostile crawl of the whole dashboard never sees a 5xx.

Every route of the app (whatever screen adds it), with hypothesis choosing its ids, query
parameters (the lists' own filter names included) and, for every form the pages show, the
fields' values: ids at 0, 2**31 and beyond 64 bits, dates at year 1 and 9999, times the
clocks skip, NUL and other invisible characters, very long text. Derandomized and bounded,
so each run tries the same examples.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared import booking
from tests.dashboard.conftest import text
from tests.factories import MONDAY, NOW, local

EXAMPLES_PER_ROUTE = 12
EXAMPLES_PER_FORM = 15
IDS = ["1", "2", "0", "-1", "2147483647", "2147483648", "99999999999999999999", "abc", "²", ""]
VALUES = [
    *IDS,
    "0001-01-01",
    "9999-12-31",
    "2027-03-01",
    "2027-03-28",
    "2027-10-31",
    "0001-01-01 to 9999-12-31",
    "2027-03-01 to 2027-02-01",
    "02:30",
    "25:61",
    "2027-03-28T02:30",
    "9999-12-31T23:59",
    "2027-03-02T10:00:00+01:00|1",
    "0001-01-01T00:00:00+01:00|99999999999999999999",
    "ev\x00a",
    "Eva\u2028Horvat",
    "Eva\x85Horvat",
    "Eva\x0bHorvat",
    "x" * 5000,
    "%",
    "'; DROP TABLE client; --",
    "<script>alert(1)</script>",
    "y",
    "booked",
    "therapist",
    "csv",
    "Europe/Ljubljana",
    "#zzzzzz",
]
PARAMS = [
    "search",
    "page",
    "page_size",
    "sort",
    "desc",
    "id",
    "url",
    "date",
    "by",
    "cancelled",
    "q",
    "client_id",
    "treatment_type_id",
    "therapist_id",
    "override_notice",
    "move_date",
    "move_time",
    "move_therapist",
]
SKIP_POST = {"/logout"}  # it would end the crawl's own log-in
FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
FIELD = re.compile(r'<(?:input|select|textarea)\b[^>]*\bname="([^"]+)"', re.I)
ACTION = re.compile(r'action="([^"]*)"')


@pytest.fixture
def busy(db, clinic, facial_at_ten) -> None:
    """Something for every screen to show: a session with its message, a cancelled one."""
    with db.transaction() as s:
        gone = booking.book(
            s,
            treatment_type_id=clinic.consult.id,
            start=local(MONDAY, "12:00"),
            client_id=clinic.other_client.id,
            therapist_id=clinic.boris.id,
            actor="t",
            now=NOW,
        )
        booking.cancel(s, gone.id, actor="t", now=NOW)


def value() -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(VALUES), st.text(max_size=12))


def _routes(app: Any) -> list[tuple[str, str, list[str]]]:
    """(method, rule, its variable parts) of every route but static files."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.endswith("static"):
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((method, rule.rule, sorted(rule.arguments)))
    return found


def _filter_params(app: Any) -> list[str]:
    admin = app.extensions["admin"][0]
    names = set()
    for view in admin._views:
        for name in getattr(view, "_filter_args", None) or {}:
            names.update({f"flt0_{name}", f"flt1_{name}"})
    return sorted(names)


def _path(rule: str, parts: dict[str, str]) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: parts[m.group(1)] or "x", rule)


def _forms(staff: Any, pages: list[str]) -> list[tuple[str, list[str]]]:
    """(action, field names) of every POST form on the given pages."""
    found = {}
    for page in pages:
        for attrs, body in FORM.findall(text(staff.get(page))):
            if 'method="post"' not in attrs.lower():
                continue
            action = ACTION.search(attrs)
            target = action.group(1) if action and action.group(1) else page
            if target.split("?")[0] in SKIP_POST:
                continue
            names = sorted(set(FIELD.findall(body)) - {"csrf_token"})
            found[target] = sorted(set(found.get(target, [])) | set(names))
    return sorted(found.items())


FUZZ = settings(
    derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)


def test_any_route_with_any_query_a_receptionist_can_send_is_never_a_5xx(reception, busy, app):
    params = PARAMS + _filter_params(app)
    routes = [(rule, arguments) for method, rule, arguments in _routes(app) if method == "GET"]
    assert len(routes) > 40, routes
    for rule, arguments in routes:
        _crawl(reception, rule, arguments, params)


def test_any_form_of_any_route_with_any_values_a_receptionist_can_post_is_never_a_5xx(
    reception, busy, app
):
    pages = sorted(
        {_path(r, {}) for m, r, a in _routes(app) if m == "GET" and not a}
        | {"/booking/1", "/booking/2", "/clients/edit/?id=1", "/book/?treatment_type_id=1"}
    )
    fields = dict(_forms(reception, pages))
    assert len(fields) >= 8, fields  # the forms the pages show, with their fields
    token = reception.token()
    posts = [(r, a) for m, r, a in _routes(app) if m == "POST" and r not in SKIP_POST]
    assert len(posts) > 20, posts
    for rule, arguments in posts:
        path = _path(rule, {name: "room" if name == "kind" else "1" for name in arguments})
        names = set(fields.get(path) or PARAMS)
        if rule.endswith(("/delete/", "/action/", "/edit/", "/ajax/update/")):
            names |= {"id", "rowid", "action", "url"}
        _post(reception, path, sorted(names), token)


def _crawl(staff: Any, rule: str, arguments: list[str], params: list[str]) -> None:
    @given(
        ids=st.lists(st.sampled_from(IDS), min_size=len(arguments), max_size=len(arguments)),
        query=st.dictionaries(st.sampled_from(params), value(), max_size=4),
    )
    @settings(FUZZ, max_examples=EXAMPLES_PER_ROUTE)
    def crawl(ids: list[str], query: dict[str, str]) -> None:
        path = _path(rule, dict(zip(arguments, ids, strict=True)))
        response = staff.get(path, query_string=query)
        assert response.status_code < 500, (path, query, text(response)[:300])

    crawl()


def _post(staff: Any, action: str, names: list[str], token: str) -> None:
    @given(values=st.fixed_dictionaries({}, optional={name: value() for name in names}))
    @settings(FUZZ, max_examples=EXAMPLES_PER_FORM)
    def post(values: dict[str, str]) -> None:
        response = staff.client.post(action, data={"csrf_token": token, **values})
        assert response.status_code < 500, (action, values, text(response)[:300])

    post()
