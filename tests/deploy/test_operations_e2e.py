"""What the person who runs the server sees, from real processes on PostgreSQL: the compose
commands (migrations, two gunicorn services in multiprocess mode, the mail worker) with an SMTP
server the test turns on and off.

- /metrics, read with prometheus-client's own parser: the outbox gauges climb while the mail
  server is down and fall back once it is up; requests and bookings are summed over workers.
- Logs: every process is driven through errors by clients whose names, e-mail addresses and
  phones are unique markers; every line of every process is one JSON object, errors carry
  their type, stack and request id, and no marker appears anywhere.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests
from aiosmtpd.controller import Controller
from prometheus_client.parser import text_string_to_metric_families

from shared.accounts import create_user
from shared.db import Database
from tests.deploy.test_replicas_e2e import (
    argv,
    drop_database,
    fresh_database,
    insecure,
    log_in,
    run,
    slots,
    start_all,
    stop_group,
)
from tests.e2e.processes import BIN, ROOT, free_port, service_env, wait_until_up
from tests.factories import make_clinic

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.xdist_group("deploy"),
    pytest.mark.skipif(
        not os.environ.get("TEST_DATABASE_URL"), reason="TEST_DATABASE_URL is not set"
    ),
]

STAFF = ("ops.reception@clinic.example", "ops-e2e-password-2026")
# Unique markers: a client refused by the database (its INSERT raises, quoting them), one whose
# address the mail server refuses (its answer quotes them), one whose message breaks the
# worker's round, and one the dashboard tries to save.
REFUSED = {"name": "Quenby Refusedmarker", "email": "quenby.xq41@refused.example"}
BOUNCED = {"name": "Ulrika Bouncemarker", "email": "ulrika.zk83@bounced.example"}
BREAKS = {"name": "Wendeline Breakmarker", "email": "wendeline.jv27@breaks.example"}
TYPED = {"name": "Xaviera Dashmarker", "email": "xaviera.pm59@dash.example"}
POISON_PHONE = "+386 99 000 111"
MARKERS = [
    value
    for client in (REFUSED, BOUNCED, BREAKS, TYPED)
    for value in (client["name"], client["email"], client["email"].split("@")[0])
] + [POISON_PHONE, "Refusedmarker", "Bouncemarker", "Breakmarker", "Dashmarker"]

# The database refuses a client with the poison phone, quoting name and e-mail in the error
# and its DETAIL (as a unique constraint's DETAIL quotes the value); the outbox refuses to
# claim a message to BREAKS, quoting the address.
TRIGGERS = f"""
CREATE FUNCTION refuse_marked_client() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.phone = '{POISON_PHONE}' THEN
    RAISE EXCEPTION 'client % <%> refused', NEW.name, NEW.email
      USING DETAIL = 'Key (email)=(' || NEW.email || ') is refused', HINT = NEW.name;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER refuse_marked_client BEFORE INSERT OR UPDATE ON client
  FOR EACH ROW EXECUTE FUNCTION refuse_marked_client();
CREATE FUNCTION refuse_marked_claim() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.recipient = '{BREAKS["email"]}' AND NEW.claim_token <> '' THEN
    RAISE EXCEPTION 'cannot claim the message to %', NEW.recipient;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER refuse_marked_claim BEFORE UPDATE ON outbox_message
  FOR EACH ROW EXECUTE FUNCTION refuse_marked_claim();
"""


@dataclass
class Inbox:
    """An SMTP server that accepts mail, but refuses BOUNCED's address quoting it."""

    received: list[str] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address == BOUNCED["email"]:
            return f"550 5.1.1 <{address}> ({BOUNCED['name']}): no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.extend(envelope.rcpt_tos)
        return "250 OK"


@dataclass
class Stack:
    scheduler: str
    dashboard: str
    api_key: str
    smtp_port: int
    inbox: Inbox
    logs: dict[str, Path]
    procs: dict[str, subprocess.Popen[bytes]]
    db: Database
    smtp: Controller | None = None

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def smtp_up(self) -> None:
        self.smtp = Controller(self.inbox, hostname="127.0.0.1", port=self.smtp_port)
        self.smtp.start()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("operations")
    admin, url = fresh_database()
    smtp_port = free_port()
    env = service_env(
        url,
        CLINIC_ENV="production",
        LOG_FORMAT="json",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(smtp_port),
        SCHEDULER_WORKERS="2",
        DASHBOARD_WORKERS="2",
    )
    logs = {name: tmp / f"{name}.log" for name in ("migrate", "scheduler", "dashboard", "worker")}
    procs: dict[str, subprocess.Popen[bytes]] = {}
    database = Database(url)
    stack_: Stack | None = None
    try:
        migrated = subprocess.run(
            argv("migrate"), cwd=ROOT, env=env, capture_output=True, timeout=180, check=False
        )
        logs["migrate"].write_bytes(migrated.stdout + migrated.stderr)
        assert migrated.returncode == 0, migrated.stderr
        with database.transaction() as session:
            make_clinic(session)
            create_user(session, email=STAFF[0], password=STAFF[1], role="receptionist")
        with psycopg.connect(url) as conn:
            conn.execute(TRIGGERS)  # type: ignore[arg-type]
        key = run([str(BIN / "clinic"), "api-key", "create", "ops-e2e"], env).stdout.split()[-1]
        ports = {"scheduler": free_port(), "dashboard": free_port()}
        plan = {
            "scheduler": (argv("scheduler"), {"SCHEDULER_BIND": f"127.0.0.1:{ports['scheduler']}"}),
            "dashboard": (argv("dashboard"), {"DASHBOARD_BIND": f"127.0.0.1:{ports['dashboard']}"}),
            "worker": (
                argv(
                    "worker",
                    *("--poll", "0.2", "--backoff", "0.3", "--backoff-cap", "0.6"),
                    *("--smtp-timeout", "5", "--lease", "15", "--max-attempts", "100000"),
                    *("--heartbeat-file", str(tmp / "hb")),
                ),
                {},
            ),
        }
        started, _ = start_all({n: (c, {**env, **e}) for n, (c, e) in plan.items()}, tmp)
        procs.update(started)
        bases = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        wait_until_up(bases["scheduler"] + "/readyz", procs["scheduler"], timeout=60)
        wait_until_up(bases["dashboard"] + "/readyz", procs["dashboard"], timeout=60)
        stack_ = Stack(
            scheduler=bases["scheduler"],
            dashboard=bases["dashboard"],
            api_key=key,
            smtp_port=smtp_port,
            inbox=Inbox(),
            logs=logs,
            procs=procs,
            db=database,
        )
        yield stack_
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                stop_group(proc)
        if stack_ is not None and stack_.smtp is not None:
            stack_.smtp.stop()
        database.dispose()
        drop_database(admin, url)


def scrape(stack: Stack) -> dict[str, float]:
    """The scheduler's /metrics as {name{labels}: value}, by prometheus-client's parser."""
    response = requests.get(f"{stack.scheduler}/metrics", timeout=10)
    assert response.status_code == 200
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            found[f"{sample.name}{{{labels}}}"] = sample.value
    return found


def read_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def poll(what: Callable[[], Any], until: Callable[[Any], bool], timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        seen = what()
        if until(seen):
            return seen
        if time.monotonic() > deadline:
            raise AssertionError(f"still {seen!r} after {timeout}s")
        time.sleep(0.2)


def book(stack: Stack, client: dict[str, str], slot: dict[str, Any], **extra: str):
    return requests.post(
        f"{stack.scheduler}/api/v1/bookings",
        json={
            "treatment_type_id": slot["treatment_type_id"],
            "start": slot["start"],
            "therapist_id": slot["therapist_id"],
            "client": {**client, **extra},
        },
        headers=stack.auth(),
        timeout=30,
    )


def free_slots(stack: Stack, count: int) -> list[dict[str, Any]]:
    types = requests.get(f"{stack.scheduler}/api/v1/treatment-types", timeout=10).json()["items"]
    consult = next(t["id"] for t in types if "consult" in t["name"].lower())
    found = slots(stack.scheduler, consult, days=21)
    days: dict[str, dict[str, Any]] = {}
    for slot in found:  # one a day: none of them can overlap
        days.setdefault(slot["start"][:10], {**slot, "treatment_type_id": consult})
    assert len(days) >= count
    return list(days.values())[:count]


def test_outbox_gauges_climb_while_the_mail_server_is_down_and_fall_once_it_is_back(
    stack: Stack,
) -> None:
    before = scrape(stack)
    [slot] = free_slots(stack, 1)

    made = book(stack, {"name": "Eva Horvat", "email": "eva.ops@example.com"}, slot)
    assert made.status_code == 201, made.text

    stuck = poll(
        lambda: scrape(stack),
        lambda m: (
            m["clinic_outbox_pending_messages{}"] >= 1
            and m["clinic_outbox_oldest_pending_age_seconds{}"] > 1
        ),
    )
    assert stuck["clinic_worker_last_run_timestamp_seconds{}"] > 0  # the worker goes round
    booked = "clinic_bookings_total{action=booked}"
    assert stuck[booked] - before.get(booked, 0) == 1

    stack.smtp_up()
    cleared = poll(
        lambda: scrape(stack),
        lambda m: m["clinic_outbox_pending_messages{}"] == 0,
    )
    assert cleared["clinic_outbox_oldest_pending_age_seconds{}"] == 0
    assert cleared["clinic_outbox_failed_messages{}"] == 0
    assert "eva.ops@example.com" in stack.inbox.received


def test_each_request_is_counted_once_whichever_gunicorn_worker_answers(stack: Stack) -> None:
    key = "clinic_http_requests_total{method=GET,route=/healthz,service=scheduler,status=200}"
    before = scrape(stack).get(key, 0)

    for _ in range(20):  # spread over both workers by the kernel
        assert requests.get(f"{stack.scheduler}/healthz", timeout=10).status_code == 200

    assert scrape(stack)[key] - before == 20


def test_no_process_logs_a_clients_name_or_address_even_through_errors(stack: Stack) -> None:
    if stack.smtp is None:
        stack.smtp_up()
    refused_slot, bounced_slot, breaks_slot = free_slots(stack, 3)

    # The API: the database refuses the client, quoting them -> 500, with a request id.
    failed = book(stack, REFUSED, refused_slot, phone=POISON_PHONE)
    assert failed.status_code == 500
    failed_id = failed.headers["X-Request-ID"]
    # Bad input quoting them -> 422.
    not_an_address = {"name": REFUSED["name"], "email": f"{REFUSED['name']} at nowhere"}
    assert book(stack, not_an_address, refused_slot).status_code == 422

    def worker_lines() -> list[dict[str, Any]]:
        return read_lines(stack.logs["worker"])

    # The worker: the mail server refuses an address, quoting it and the name.
    assert book(stack, BOUNCED, bounced_slot).status_code == 201
    poll(worker_lines, lambda lines: any("not sent: 550" in e["message"] for e in lines))
    # The worker: a message whose claim the database refuses, quoting the address (its
    # rounds fail from here on: the last thing the worker is asked to do).
    assert book(stack, BREAKS, breaks_slot).status_code == 201
    # The dashboard: saving a client the database refuses -> the 500 page.
    with requests.Session() as http:
        log_in(http, stack.dashboard, STAFF)
        new = http.get(f"{stack.dashboard}/clients/new/", timeout=10)
        csrf = re.findall(r'name="csrf_token"[^>]*value="([^"]+)"', new.text)[0]
        insecure(http)
        saved = http.post(
            f"{stack.dashboard}/clients/new/",
            data={**TYPED, "phone": POISON_PHONE, "notes": "", "csrf_token": csrf},
            timeout=10,
        )
        assert saved.status_code == 500
        dashboard_failed_id = saved.headers["X-Request-ID"]

    poll(worker_lines, lambda lines: any(e.get("exc_type") for e in lines))
    for service, request_id in (("scheduler", failed_id), ("dashboard", dashboard_failed_id)):
        # a request's own line is written once its answer has been sent: wait for it
        poll(
            lambda s=service: read_lines(stack.logs[s]),
            lambda lines, r=request_id: any(
                e.get("request_id") == r and e["message"] == "request" for e in lines
            ),
        )

    entries: dict[str, list[dict[str, Any]]] = {}
    for name, path in stack.logs.items():
        text = path.read_text()
        lines = text.splitlines()
        assert lines, f"{name} logged nothing"
        entries[name] = [json.loads(line) for line in lines]  # every line: one JSON object
        for marker in MARKERS:
            assert marker.lower() not in text.lower(), f"{name}'s log holds {marker!r}"
        for entry in entries[name]:
            assert {"ts", "level", "service", "logger", "message"} <= set(entry)

    assert any(e["message"].startswith("applied ") for e in entries["migrate"])
    for service, request_id in (("scheduler", failed_id), ("dashboard", dashboard_failed_id)):
        caused = [e for e in entries[service] if e.get("request_id") == request_id]
        [error] = [e for e in caused if e["level"] == "error"]
        assert error["exc_type"] and error["stack"], error
        assert any("psycopg" in cause for cause in error.get("exc_causes", [])), error
        [request] = [e for e in caused if e["message"] == "request"]
        assert request["status"] == 500
    worker_errors = [e for e in entries["worker"] if e.get("exc_type")]
    assert worker_errors and all(e["stack"] for e in worker_errors)
