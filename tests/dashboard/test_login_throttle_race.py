"""Forty wrong passwords sent at once are counted one after another: only the allowed few are
ever checked, the rest wait (429), and the receptionist still logs in from her usual desk."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from argon2 import PasswordHasher

from shared import accounts, login_throttle
from tests.dashboard.conftest import CSRF, RECEPTION, log_in, text

GUESSES = 40


class CountingHasher(PasswordHasher):
    """Argon2 at its lowest costs that counts how many passwords it was asked to check."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.checked = 0
        self._lock = threading.Lock()

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        with self._lock:
            self.checked += 1
        return super().verify(hash, password)


@pytest.fixture
def hasher(monkeypatch: pytest.MonkeyPatch) -> CountingHasher:
    counting = CountingHasher()
    monkeypatch.setattr(accounts, "_hasher", counting)
    return counting


def client_at(app: Any, address: str) -> Any:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_forty_concurrent_wrong_guesses_check_at_most_five_and_the_desk_still_logs_in(
    app, clinic, hasher
):
    desk = client_at(app, "192.0.2.10")
    assert log_in(desk, *RECEPTION).status_code == 302  # her usual address
    desk.post("/logout", data={"csrf_token": CSRF.search(text(desk.get("/"))).group(1)})
    hasher.checked = 0

    guessers = [client_at(app, "203.0.113.9") for _ in range(GUESSES)]
    tokens = [CSRF.search(text(g.get("/login"))).group(1) for g in guessers]
    start_line = threading.Barrier(GUESSES)
    statuses: list[int] = [0] * GUESSES

    def guess(i: int) -> None:
        start_line.wait(timeout=60)
        form = {"csrf_token": tokens[i], "email": RECEPTION[0], "password": f"guess-{i}"}
        statuses[i] = guessers[i].post("/login", data=form).status_code

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(GUESSES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    allowed = login_throttle.ACCOUNT.free
    assert hasher.checked == statuses.count(401) == allowed, statuses
    assert statuses.count(429) == GUESSES - allowed
    assert log_in(desk, *RECEPTION).status_code == 302
    assert desk.get("/").status_code == 200
