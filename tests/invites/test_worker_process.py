"""Real `clinic worker` processes against a real SMTP server: killed, restarted, doubled up."""

from __future__ import annotations

import os
import shutil
import signal
import ssl
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from shared import booking
from shared.db import Database
from shared.models import MessageStatus
from tests.factories import MONDAY, NOW, Clinic, local
from tests.invites.conftest import SmtpServer, book, free_port, outbox_rows, vcalendar, vevent

pytestmark = [pytest.mark.xdist_group("mail"), pytest.mark.e2e]

BIN = Path(sys.executable).parent


def _env(database_url: str, smtp_port: int, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SMTP_", "DATABASE_URL", "MAIL_", "PUBLIC_BASE_URL"))
    }
    env.update(
        DATABASE_URL=database_url,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(smtp_port),
        MAIL_FROM="reception@clinic.example",
        PUBLIC_BASE_URL="https://clinic.example",
        LOG_JSON="false",
        SECRET_KEY="test-secret-key-0123456789abcdef0123456789",
    )
    env.update(extra)
    return env


class Processes:
    """Starts `clinic ...` processes with output to files; stops every one of them at the end."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = open(self.directory / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen([str(BIN / "clinic"), *args], env=env, stdout=log, stderr=log)
        proc.log_path = self.directory / f"{name}.log"  # type: ignore[attr-defined]
        self.started.append(proc)
        return proc

    def output(self, proc: subprocess.Popen[bytes]) -> str:
        return proc.log_path.read_text(errors="replace")  # type: ignore[attr-defined]

    def wait_for_output(
        self, proc: subprocess.Popen[bytes], text: str, timeout: float = 20
    ) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.output(proc):
                return
            if proc.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"{text!r} not seen; output:\n{self.output(proc)}")

    def stop_all(self) -> None:
        for proc in self.started:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.started:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    procs = Processes(tmp_path)
    try:
        yield procs
    finally:
        procs.stop_all()


def _weekday(n: int) -> date:
    """The n-th weekday from MONDAY (0 is MONDAY itself)."""
    weeks, day = divmod(n, 5)
    return MONDAY + timedelta(days=7 * weeks + day)


def book_many(db: Database, clinic: Clinic, count: int) -> list[int]:
    """`count` consultations for one client, one after another (ten a day with Anna)."""
    ids: list[int] = []
    with db.transaction() as session:
        for i in range(count):
            day, slot = divmod(i, 10)
            start = local(_weekday(day), "09:00") + timedelta(minutes=45 * slot)
            made = booking.book(
                session,
                treatment_type_id=clinic.consult.id,  # type: ignore[arg-type]
                start=start,
                client_id=clinic.client.id,  # type: ignore[arg-type]
                therapist_id=clinic.anna.id,
                actor="reception",
                now=NOW,
            )
            ids.append(made.id)  # type: ignore[arg-type]
    return ids


def _wait_all_sent(db: Database, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = [r for r in outbox_rows(db) if r.kind == "invite"]
        if len(rows) == count and all(r.status == MessageStatus.SENT.value for r in rows):
            return
        time.sleep(0.1)
    statuses = Counter(r.status for r in outbox_rows(db) if r.kind == "invite")
    raise AssertionError(f"not all sent in {timeout}s: {dict(statuses)}")


def test_a_worker_killed_mid_batch_and_restarted_loses_nothing_and_doubles_nothing(
    database_url, db, clinic, processes: Processes
):
    server = SmtpServer().start()
    server.inbox.delay = 0.25  # slow, so the kill lands mid-batch
    try:
        ids = book_many(db, clinic, 24)
        env = _env(database_url, server.port)
        args = ["worker", "--poll", "0.2", "--batch", "10", "--lease", "3", "--smtp-timeout", "1"]
        first = processes.start("worker-1", args, env)
        server.wait_for(4, timeout=30)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        at_kill = len(server.inbox.messages())
        rows = [r for r in outbox_rows(db) if r.kind == "invite"]
        claimed = [r for r in rows if r.status == "pending" and r.claimed_until is not None]
        assert claimed, "the kill should leave claimed messages behind"
        assert at_kill < len(ids)

        processes.start("worker-2", args, env)
        _wait_all_sent(db, len(ids), timeout=60)
        time.sleep(0.5)  # anything sent twice would have arrived by now
        received = server.inbox.messages()
    finally:
        server.stop()

    rows = [r for r in outbox_rows(db) if r.kind == "invite"]
    expected = {r.message_id for r in rows}
    counts = Counter(r.message["Message-ID"] for r in received)
    assert set(counts) == expected  # nothing lost, nothing foreign
    assert len(expected) == len(ids)
    assert sorted(r.booking_id for r in rows) == sorted(ids)
    uids = {str(vevent(r.message)["UID"]) for r in received}
    assert len(uids) == len(ids)  # one invitation per booking
    resent = [mid for mid, n in counts.items() if n > 1]
    # At most the one message in flight at the kill came twice, with the same Message-ID.
    assert len(resent) <= 1 and all(counts[mid] == 2 for mid in resent)


def test_two_workers_send_each_of_200_messages_exactly_once(
    database_url, db, clinic, processes: Processes
):
    server = SmtpServer().start()
    server.inbox.delay = 0.005
    try:
        env = _env(database_url, server.port)
        args = ["worker", "--poll", "0.2", "--batch", "10", "--lease", "30", "--smtp-timeout", "5"]
        workers = [processes.start(f"worker-{n}", args, env) for n in (1, 2)]
        for proc in workers:
            processes.wait_for_output(proc, "mail worker: sending through")
        ids = book_many(db, clinic, 200)
        server.wait_for(200, timeout=120)
        _wait_all_sent(db, 200, timeout=30)
        time.sleep(0.5)
        received = server.inbox.messages()
    finally:
        server.stop()
        processes.stop_all()

    assert len(received) == 200
    message_ids = {r.message["Message-ID"] for r in received}
    assert message_ids == {r.message_id for r in outbox_rows(db) if r.kind == "invite"}
    assert len({str(vevent(r.message)["UID"]) for r in received}) == len(ids) == 200
    sent_by = [processes.output(proc).count(" sent (invite") for proc in workers]
    assert sum(sent_by) == 200
    assert all(n > 0 for n in sent_by), f"one worker sent everything: {sent_by}"


def test_a_new_booking_goes_out_within_a_few_seconds(database_url, db, clinic, processes):
    server = SmtpServer().start()
    try:
        worker = processes.start("worker", ["worker"], _env(database_url, server.port))
        processes.wait_for_output(worker, "mail worker: sending through")
        started = time.monotonic()
        book(db, clinic, local(MONDAY, "10:00"))
        server.wait_for(1, timeout=10)
        elapsed = time.monotonic() - started
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=10) == 0  # a clean stop on SIGTERM
    finally:
        server.stop()
    assert elapsed < 3.0


def test_the_mail_catcher_saves_what_the_worker_sends_as_eml_files(
    database_url, db, clinic, processes: Processes, tmp_path: Path
):
    import email
    from email import policy

    port = free_port()
    mail_dir = tmp_path / "mail"
    catcher = processes.start(
        "catcher", ["mail-catcher", "--port", str(port), "--dir", str(mail_dir)], os.environ.copy()
    )
    processes.wait_for_output(catcher, "mail catcher: SMTP on 127.0.0.1")
    book(db, clinic, local(MONDAY, "10:00"))
    processes.start("worker", ["worker", "--poll", "0.2"], _env(database_url, port))
    deadline = time.monotonic() + 15
    files: list[Path] = []
    while time.monotonic() < deadline and not files:
        files = sorted(mail_dir.glob("*.eml"))
        time.sleep(0.1)
    assert len(files) == 1, processes.output(catcher)
    msg = email.message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert msg["X-Envelope-To"] == "<eva@example.com>"
    assert msg["Subject"] == "Booked: Facial rejuvenation, Mon 1 Mar 2027 10:00"
    assert str(vcalendar(msg)["METHOD"]) == "REQUEST"  # type: ignore[arg-type]
    assert not list(mail_dir.glob(".*.part"))


def test_the_worker_sends_over_starttls_with_a_login_when_configured(
    database_url, db, clinic, processes: Processes, tmp_path: Path
):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    from tests.invites.conftest import Inbox

    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    logins: list[tuple[bytes, bytes]] = []

    def authenticate(server, session, envelope, mechanism, data):  # type: ignore[no-untyped-def]
        assert isinstance(data, LoginPassword)
        logins.append((data.login, data.password))
        return AuthResult(success=data.login == b"clinic" and data.password == b"s3cret pass")

    inbox = Inbox()
    port = free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=tls,
        require_starttls=True,
        auth_required=True,
        authenticator=authenticate,
    )
    controller.start()
    try:
        book(db, clinic, local(MONDAY, "10:00"))
        env = _env(
            database_url,
            port,
            SMTP_STARTTLS="true",
            SMTP_USERNAME="clinic",
            SMTP_PASSWORD="s3cret pass",
            SSL_CERT_FILE=str(cert),  # trust the test's own certificate
        )
        processes.start("worker", ["worker", "--poll", "0.2"], env)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not inbox.messages():
            time.sleep(0.1)
    finally:
        controller.stop()
    assert logins == [(b"clinic", b"s3cret pass")]
    [got] = inbox.messages()
    assert got.rcpt_tos == ["eva@example.com"]
