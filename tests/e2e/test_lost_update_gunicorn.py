"""Nobody's change is silently lost: the API and the dashboard, each a real gunicorn, on one
database. A receptionist's form opened before an API move is refused instead of putting the
session back; an API move and a dashboard move racing from the same version never both win.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest
import requests

from shared import accounts, booking, clinic_time
from shared.booking_queries import booking_with_history
from tests.e2e.dashboard_server import dashboard
from tests.e2e.processes import gunicorn
from tests.factories import TZ, make_clinic

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("gunicorn")]

STAFF = ("desk@clinic.example", "reception-password-1")
FIELD = r'name="{}"[^>]*value="([^"]*)"'


def field(html: str, name: str) -> str:
    found = re.search(FIELD.format(name), html)
    assert found, f"no {name} on the page"
    return found.group(1)


def a_weekday_ahead() -> datetime:
    """Noon on a weekday a week or so ahead (the clinic's hours are Monday to Friday)."""
    day = clinic_time.local_date(datetime.now(UTC), TZ) + timedelta(days=7)
    while day.weekday() > 4:
        day += timedelta(days=1)
    return datetime.combine(day, datetime.min.time()).replace(tzinfo=TZ)


def at(day: datetime, hhmm: str) -> str:
    hour, minute = map(int, hhmm.split(":"))
    return day.replace(hour=hour, minute=minute).isoformat()


def at_once(*calls: Callable[[], requests.Response]) -> list[requests.Response]:
    """Run the calls in threads released together; their answers in order."""
    start_line = threading.Barrier(len(calls))
    answers: list[requests.Response | None] = [None] * len(calls)

    def run(i: int) -> None:
        start_line.wait(timeout=30)
        answers[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    assert all(a is not None for a in answers), "a racer did not finish"
    return answers  # type: ignore[return-value]


def log_in(base: str) -> requests.Session:
    http = requests.Session()
    token = field(http.get(f"{base}/login", timeout=30).text, "csrf_token")
    done = http.post(
        f"{base}/login",
        data={"csrf_token": token, "email": STAFF[0], "password": STAFF[1]},
        allow_redirects=False,
        timeout=30,
    )
    assert done.status_code == 302, done.text
    return http


def test_a_stale_dashboard_form_and_a_racing_api_move_never_undo_each_other(
    db, database_url, tmp_path: Path
):
    day = a_weekday_ahead()
    with db.transaction() as s:
        clinic = make_clinic(s)
        _, key = accounts.create_api_key(s, "website")
        accounts.create_user(s, email=STAFF[0], password=STAFF[1], role="receptionist")
        made = booking.book(
            s,
            treatment_type_id=clinic.consult.id,
            start=datetime.fromisoformat(at(day, "12:00")),
            client_id=clinic.client.id,
            therapist_id=clinic.anna.id,
            actor="test",
        )
    api_auth = {"Authorization": f"Bearer {key}"}

    with (
        gunicorn("services.scheduler:create_app()", database_url, workers=2) as api,
        dashboard(database_url, tmp_path / "dashboard.log") as desk,
    ):
        reception = log_in(desk)
        # The receptionist opens the session's page (12:00 with Anna)...
        page = reception.get(f"{desk}/booking/{made.id}", timeout=30).text
        stale_form = {
            "csrf_token": field(page, "csrf_token"),
            "version": field(page, "version"),
            "date": field(page, "date"),
            "time": field(page, "time"),
            "therapist_id": str(clinic.boris.id),  # ...and changes only the therapist,
        }
        assert (stale_form["version"], stale_form["time"]) == ("0", "12:00")
        # ...while the website moves it to 15:00.
        moved = requests.patch(
            f"{api}/api/v1/bookings/{made.id}",
            json={"start": at(day, "15:00")},
            headers={**api_auth, "If-Match": '"0"'},
            timeout=30,
        )
        assert moved.status_code == 200, moved.text
        assert moved.headers["ETag"] == '"1"'

        refused = reception.post(
            f"{desk}/booking/{made.id}/move", data=stale_form, allow_redirects=False, timeout=30
        )
        assert refused.status_code == 412
        assert "changed by someone else meanwhile" in refused.text
        assert "15:00" in refused.text
        with db.read() as s:
            now = booking_with_history(s, made.id)
        assert (now.start_at.astimezone(TZ).strftime("%H:%M"), now.therapist_id) == (
            "15:00",
            clinic.anna.id,
        )

        # Then the API and the dashboard move it at once, both from the version they saw.
        for round_, (api_time, desk_time) in enumerate(
            [("09:00", "10:00"), ("11:00", "14:00"), ("16:00", "09:30"), ("10:30", "15:30")]
        ):
            page = reception.get(f"{desk}/booking/{made.id}", timeout=30).text
            version = field(page, "version")
            assert version == str(1 + round_)
            form = {
                "csrf_token": field(page, "csrf_token"),
                "version": version,
                "date": field(page, "date"),
                "time": desk_time,
                "therapist_id": str(clinic.anna.id),
            }
            api_move, desk_move = at_once(
                partial(
                    requests.patch,
                    f"{api}/api/v1/bookings/{made.id}",
                    json={"start": at(day, api_time)},
                    headers={**api_auth, "If-Match": f'"{version}"'},
                    timeout=60,
                ),
                partial(
                    reception.post,
                    f"{desk}/booking/{made.id}/move",
                    data=form,
                    allow_redirects=False,
                    timeout=60,
                ),
            )
            answers = {"api": api_move.status_code, "desk": desk_move.status_code}

            won = {"api": answers["api"] == 200, "desk": answers["desk"] == 302}
            assert sorted(answers.values()) in ([200, 412], [302, 412]), answers
            assert sum(won.values()) == 1, answers
            with db.read() as s:
                now = booking_with_history(s, made.id)
            expected = api_time if won["api"] else desk_time
            assert now.start_at.astimezone(TZ).strftime("%H:%M") == expected
            assert now.sequence == int(version) + 1

    with db.read() as s:
        history = booking_with_history(s, made.id).events
    assert [e.action for e in history] == ["booked"] + ["moved"] * 5
