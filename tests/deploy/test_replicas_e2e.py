"""The compose stack without Docker: the same commands, as real processes, on PostgreSQL.

A fresh database of its own; `clinic db upgrade` (the `migrate` service's command); two scheduler
replicas, the dashboard and the mail worker started with their compose commands (gunicorn with
the services' own config files) in production mode; an SMTP server in the test. A booking made
through one replica is seen by the other, both replicas race for one slot, the worker's
invitation links work on either replica, the logs hold no secret and no client data, and
every process stops cleanly on SIGTERM.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import pytest
import requests
from aiosmtpd.controller import Controller
from sqlmodel import select

from shared.accounts import create_user
from shared.db import Database
from shared.models import Booking, Client, Clinic, Room, Therapist
from tests.deploy.compose import command, compose
from tests.deploy.test_request_log import REQUEST_LINE
from tests.e2e.processes import BIN, ROOT, free_port, service_env, wait_until_up
from tests.factories import make_clinic

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.xdist_group("deploy"),
    pytest.mark.skipif(
        not os.environ.get("TEST_DATABASE_URL"), reason="TEST_DATABASE_URL is not set"
    ),
]

SERVICES = compose()["services"]
PUBLIC = "https://clinic.example"
CLIENT = {
    "name": "Mojca Testna-Kovač",
    "email": "mojca.deploy@example.com",
    "phone": "+386 41 555 123",
}
STAFF = ("reception@clinic.example", "deploy-e2e-password-2026")
RACERS = 16


# --- an SMTP server that keeps what it receives --------------------------------------------


@dataclass
class Inbox:
    messages: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 OK"

    def wait_for(self, recipient: str, timeout: float = 60) -> EmailMessage:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for rcpts, message in self.messages:
                    if recipient in rcpts:
                        return message
            time.sleep(0.2)
        raise AssertionError(f"no message to {recipient} within {timeout}s")


# --- the stack -----------------------------------------------------------------------------


@dataclass
class Stack:
    url: str
    a: str
    b: str
    dashboard: str
    api_key: str
    env: dict[str, str]
    inbox: Inbox
    procs: dict[str, subprocess.Popen[bytes]]
    logs: dict[str, Path]
    db: Database

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


def argv(service: str, *extra: str) -> list[str]:
    """The compose service's command, with the program taken from this virtualenv."""
    program, *args = command(SERVICES[service])
    return [str(BIN / program), *args, *extra]


def run(cmd: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False
    )
    assert done.returncode == 0, f"{cmd} exited {done.returncode}: {done.stderr}"
    return done


def fresh_database() -> tuple[str, str]:
    admin = os.environ["TEST_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
    name = f"clinic_deploy_{os.getpid()}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin, admin.rsplit("/", 1)[0] + "/" + name


def drop_database(admin: str, url: str) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def start_all(
    plan: dict[str, tuple[list[str], dict[str, str]]], folder: Path
) -> tuple[dict[str, subprocess.Popen[bytes]], dict[str, Path]]:
    """Start each (command, environment) in its own process group, output to folder/NAME.log."""
    procs: dict[str, subprocess.Popen[bytes]] = {}
    logs: dict[str, Path] = {}
    for name, (cmd, env) in plan.items():
        logs[name] = folder / f"{name}.log"
        with logs[name].open("wb") as out:
            procs[name] = subprocess.Popen(
                cmd, cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True
            )
    return procs, logs


def stop_group(proc: subprocess.Popen[bytes], timeout: float = 20) -> int:
    """SIGTERM to the process group (gunicorn's master and workers), then wait."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise
    return proc.returncode


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("deploy")
    admin, url = fresh_database()
    inbox = Inbox()
    smtp_port = free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    procs: dict[str, subprocess.Popen[bytes]] = {}
    database = Database(url)
    try:
        env = service_env(
            url,
            CLINIC_ENV="production",
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=str(smtp_port),
            XDG_RUNTIME_DIR=str(tmp),
        )
        migrated = run(argv("migrate"), env)
        [*applied, at] = [json.loads(line)["message"] for line in migrated.stderr.splitlines()]
        assert applied and all(message.startswith("applied ") for message in applied)
        assert at.startswith("database at head")
        with database.transaction() as session:
            make_clinic(session)
            create_user(session, email=STAFF[0], password=STAFF[1], role="receptionist")
        api_key = run([str(BIN / "clinic"), "api-key", "create", "deploy-e2e"], env)
        key = api_key.stdout.strip().splitlines()[-1]

        ports = {name: free_port() for name in ("a", "b", "dashboard")}
        plan = {
            "scheduler-a": (argv("scheduler"), {"SCHEDULER_BIND": f"127.0.0.1:{ports['a']}"}),
            "scheduler-b": (argv("scheduler"), {"SCHEDULER_BIND": f"127.0.0.1:{ports['b']}"}),
            "dashboard": (argv("dashboard"), {"DASHBOARD_BIND": f"127.0.0.1:{ports['dashboard']}"}),
            "worker": (
                argv("worker", "--poll", "0.3", "--heartbeat-file", str(tmp / "heartbeat")),
                {},
            ),
        }
        extra = {"SCHEDULER_WORKERS": "2", "DASHBOARD_WORKERS": "1"}
        started, logs = start_all(
            {n: (c, {**env, **extra, **e}) for n, (c, e) in plan.items()}, tmp
        )
        procs.update(started)
        bases = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        wait_until_up(bases["a"] + "/readyz", procs["scheduler-a"], timeout=60)
        wait_until_up(bases["b"] + "/readyz", procs["scheduler-b"], timeout=60)
        wait_until_up(bases["dashboard"] + "/healthz", procs["dashboard"], timeout=60)
        assert procs["worker"].poll() is None, logs["worker"].read_text()
        yield Stack(
            url=url,
            a=bases["a"],
            b=bases["b"],
            dashboard=bases["dashboard"],
            api_key=key,
            env=env,
            inbox=inbox,
            procs=procs,
            logs=logs,
            db=database,
        )
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                stop_group(proc)
        database.dispose()
        smtp.stop()
        drop_database(admin, url)


# --- helpers over the API ------------------------------------------------------------------


def slots(base: str, treatment_type_id: int, days: int = 14) -> list[dict[str, Any]]:
    start = date.today() + timedelta(days=1)
    response = requests.get(
        f"{base}/api/v1/availability",
        params={
            "treatment_type_id": treatment_type_id,
            "start": start.isoformat(),
            "end": (start + timedelta(days=days)).isoformat(),
        },
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()["slots"]  # type: ignore[no-any-return]


def first_treatment_with_slots(base: str) -> tuple[int, list[dict[str, Any]]]:
    types = requests.get(f"{base}/api/v1/treatment-types", timeout=10).json()["items"]
    for treatment in types:
        found = slots(base, treatment["id"])
        if len(found) >= 2:
            return treatment["id"], found
    raise AssertionError("the clinic has no free slots in the next two weeks")


def same_slot(slot: dict[str, Any]) -> tuple[datetime, int]:
    return datetime.fromisoformat(slot["start"]), slot["therapist_id"]


def unfolded(ics: str) -> str:
    return ics.replace("\r\n ", "").replace("\n ", "")


@dataclass
class Booked:
    booking: dict[str, Any]
    treatment_type_id: int
    slot: dict[str, Any]
    therapist_feed_path: str


@pytest.fixture(scope="module")
def booked(stack: Stack) -> Booked:
    """One booking made through replica A, and the private feed path of its therapist."""
    treatment_type_id, found = first_treatment_with_slots(stack.b)
    slot = found[0]
    response = requests.post(
        f"{stack.a}/api/v1/bookings",
        json={
            "treatment_type_id": treatment_type_id,
            "start": slot["start"],
            "therapist_id": slot["therapist_id"],
            "client": CLIENT,
        },
        headers={**stack.auth(), "Idempotency-Key": "deploy-e2e-first-booking"},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    printed = run(
        [str(BIN / "clinic"), "feed-url", "therapist", str(slot["therapist_id"])], stack.env
    ).stdout
    [https_url] = re.findall(rf"{re.escape(PUBLIC)}/feeds/therapist/\S+\.ics", printed)
    return Booked(response.json(), treatment_type_id, slot, https_url.removeprefix(PUBLIC))


@pytest.fixture(scope="module")
def invitation(stack: Stack, booked: Booked) -> EmailMessage:
    return stack.inbox.wait_for(CLIENT["email"])


# --- the tests -----------------------------------------------------------------------------


def test_the_migration_left_the_schema_current_so_both_replicas_are_ready(stack: Stack) -> None:
    for base in (stack.a, stack.b):
        assert requests.get(f"{base}/readyz", timeout=10).json() == {"status": "ready"}


@pytest.mark.parametrize(
    ("service", "target"),
    [("scheduler", "a"), ("scheduler", "b"), ("dashboard", "dashboard"), ("worker", None)],
)
def test_the_compose_healthcheck_commands_pass_against_the_running_services(
    stack: Stack, service: str, target: str | None
) -> None:
    program, *args = SERVICES[service]["healthcheck"]["test"][1:]
    if target is None:  # the worker: its heartbeat file, where this stack's worker keeps it
        args += ["--heartbeat-file", str(stack.logs["worker"].with_name("heartbeat"))]
        env = stack.env
    else:
        port = SERVICES[service]["expose"][0]
        here = getattr(stack, target).removeprefix("http://")
        args = [arg.replace(f"127.0.0.1:{port}", here) for arg in args]
        env = None

    done = subprocess.run(
        [str(BIN / program), *args], capture_output=True, timeout=30, check=False, env=env
    )

    assert done.returncode == 0, done.stderr


def test_a_booking_made_through_one_replica_is_seen_by_the_other(
    stack: Stack, booked: Booked
) -> None:
    booking_id, uid = booked.booking["id"], booked.booking["uid"]

    read_back = requests.get(
        f"{stack.b}/api/v1/bookings/{booking_id}", headers=stack.auth(), timeout=10
    )
    still_free = {same_slot(s) for s in slots(stack.b, booked.treatment_type_id)}
    feed = requests.get(stack.b + booked.therapist_feed_path, timeout=10)

    assert read_back.status_code == 200
    assert read_back.json()["uid"] == uid
    assert same_slot(booked.slot) not in still_free
    assert feed.status_code == 200
    assert feed.headers["Content-Type"].startswith("text/calendar")
    assert f"UID:{uid}" in unfolded(feed.text)


def racer(i: int) -> dict[str, str]:
    return {"name": f"Racer Number{i:02d}", "email": f"racer.{i:02d}@example.com"}


def test_two_replicas_racing_for_one_slot_book_it_exactly_once(
    stack: Stack, booked: Booked
) -> None:
    taken = same_slot(booked.slot)
    slot = next(
        s for s in reversed(slots(stack.a, booked.treatment_type_id)) if same_slot(s) != taken
    )
    barrier = threading.Barrier(RACERS)

    def attempt(i: int) -> int:
        base = stack.a if i % 2 == 0 else stack.b
        with requests.Session() as http:
            http.get(f"{base}/healthz", timeout=10)  # connected before the start line
            barrier.wait()
            response = http.post(
                f"{base}/api/v1/bookings",
                json={
                    "treatment_type_id": booked.treatment_type_id,
                    "start": slot["start"],
                    "therapist_id": slot["therapist_id"],
                    "client": racer(i),
                },
                headers=stack.auth(),
                timeout=60,
            )
        return response.status_code

    with ThreadPoolExecutor(RACERS) as pool:
        statuses = list(pool.map(attempt, range(RACERS)))

    assert sorted(statuses) == [201] + [409] * (RACERS - 1)
    start, therapist_id = same_slot(slot)
    with stack.db.read() as session:
        live = session.exec(
            select(Booking).where(
                Booking.start_at == start,
                Booking.therapist_id == therapist_id,
                Booking.status == "booked",
            )
        ).all()
    assert len(live) == 1
    for base in (stack.a, stack.b):
        assert same_slot(slot) not in {same_slot(s) for s in slots(base, booked.treatment_type_id)}


def page_path(invitation: EmailMessage) -> str:
    """The client's booking page (/b/<token>) linked from the invitation."""
    body = invitation.get_body(preferencelist=("plain",))
    assert body is not None
    [page] = re.findall(rf"{re.escape(PUBLIC)}(/b/[A-Za-z0-9_-]+)", body.get_content())
    return page  # type: ignore[no-any-return]


def open_client_links(base: str, page: str) -> requests.Response:
    """GET the booking page, then the booking's own .ics it links to; returns the .ics."""
    shown = requests.get(base + page, timeout=10)
    assert shown.status_code == 200
    [ics] = re.findall(r'href="(?:https?://[^/"]+)?(/feeds/booking/[^"]+\.ics)"', shown.text)
    return requests.get(base + ics, timeout=10)


def test_the_worker_sends_the_invitation_and_its_links_work_on_either_replica(
    stack: Stack, booked: Booked, invitation: EmailMessage
) -> None:
    calendar = next(p for p in invitation.walk() if p.get_content_type() == "text/calendar")
    ics = unfolded(calendar.get_content())

    assert "METHOD:REQUEST" in ics
    assert f"UID:{booked.booking['uid']}" in ics
    for base in (stack.a, stack.b):
        feed = open_client_links(base, page_path(invitation))
        assert feed.status_code == 200
        assert f"UID:{booked.booking['uid']}" in unfolded(feed.text)


def insecure(http: requests.Session) -> None:
    """Production marks the session cookie Secure; this test speaks plain HTTP to 127.0.0.1."""
    for cookie in http.cookies:
        cookie.secure = False


def log_in(http: requests.Session, dashboard: str, staff: tuple[str, str]) -> None:
    """Log in to the dashboard as `staff` (e-mail, password)."""
    form = http.get(f"{dashboard}/login", timeout=10)
    insecure(http)
    [csrf] = re.findall(r'name="csrf_token"[^>]*value="([^"]+)"', form.text)
    login = http.post(
        f"{dashboard}/login",
        data={"email": staff[0], "password": staff[1], "csrf_token": csrf},
        allow_redirects=False,
        timeout=10,
    )
    assert login.status_code == 302, login.text
    insecure(http)


def test_the_dashboard_shows_the_booking_made_through_the_api(stack: Stack, booked: Booked) -> None:
    with requests.Session() as http:
        log_in(http, stack.dashboard, STAFF)
        start = datetime.fromisoformat(booked.booking["start"])
        day = start.astimezone(ZoneInfo("Europe/Ljubljana")).date()
        page = http.get(f"{stack.dashboard}/", params={"date": day.isoformat()}, timeout=10)

    assert page.status_code == 200
    assert CLIENT["name"] in page.text


def test_request_logs_are_json_lines_without_tokens_keys_or_client_data(
    stack: Stack, booked: Booked, invitation: EmailMessage
) -> None:
    # Requests carrying every kind of secret: therapist feed, booking page, booking feed.
    for base, rid in ((stack.a, "deploy-e2e-rid-a"), (stack.b, "deploy-e2e-rid-b")):
        response = requests.get(
            base + booked.therapist_feed_path, headers={"X-Request-ID": rid}, timeout=10
        )
        assert response.headers["X-Request-ID"] == rid
    assert open_client_links(stack.b, page_path(invitation)).status_code == 200
    time.sleep(0.5)  # lines are written once each response is sent

    with stack.db.read() as session:
        clients = session.exec(select(Client)).all()
        secrets = [stack.api_key, stack.env["SECRET_KEY"], STAFF[1]]
        secrets += [b.access_token for b in session.exec(select(Booking)).all()]
        for model in (Therapist, Room, Clinic):
            secrets += [
                row.feed_token for row in session.exec(select(model)).all() if row.feed_token
            ]
    personal = [c.name for c in clients] + [c.email for c in clients if c.email]
    personal += [c.phone for c in clients if c.phone]
    personal += [racer(i)["name"] for i in range(RACERS)] + [
        racer(i)["email"] for i in range(RACERS)
    ]
    assert CLIENT["name"] in personal and "Eva Horvat" in personal

    for name in ("scheduler-a", "scheduler-b", "dashboard"):
        lines = stack.logs[name].read_text().splitlines()
        entries = [json.loads(line) for line in lines]  # every line is one JSON object
        assert entries, f"{name} logged nothing"
        requests_ = [e for e in entries if e["message"] == "request"]
        assert all(set(entry) == REQUEST_LINE for entry in requests_)
        assert {e["service"] for e in entries} == {name.split("-")[0]}
    a_paths = {
        e.get("path") for e in map(json.loads, stack.logs["scheduler-a"].read_text().splitlines())
    }
    assert "/feeds/therapist/[redacted].ics" in a_paths
    b_entries = [json.loads(line) for line in stack.logs["scheduler-b"].read_text().splitlines()]
    assert {"/b/[redacted]", "/feeds/booking/[redacted].ics"} <= {e.get("path") for e in b_entries}
    assert any(e.get("request_id") == "deploy-e2e-rid-b" for e in b_entries)

    worker = [json.loads(line) for line in stack.logs["worker"].read_text().splitlines()]
    assert worker[0]["message"].startswith("mail worker: sending through 127.0.0.1:")
    assert any("sent" in entry["message"] for entry in worker[1:])
    assert {entry["service"] for entry in worker} == {"worker"}

    for name, path in stack.logs.items():
        text = path.read_text()
        for value in secrets + personal:
            assert value not in text, f"{name}'s log holds a secret or a client's data"


def test_every_process_stops_cleanly_on_sigterm(stack: Stack) -> None:
    """Last: stops the stack (gunicorn finishes its requests; the worker its message)."""
    codes = {name: stop_group(proc) for name, proc in stack.procs.items()}

    assert codes == {name: 0 for name in stack.procs}
    for name in ("scheduler-a", "scheduler-b", "dashboard"):
        assert "Traceback" not in stack.logs[name].read_text()
