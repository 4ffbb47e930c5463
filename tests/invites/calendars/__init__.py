"""Three independent iCalendar readers for the invitation tests: Mozilla's ical.js and node-ical
(Node, `read.mjs`) and libical (C, through Debian's GObject bindings, `read_libical.py`).

Each reads a whole e-mailed calendar and says, per VEVENT, its UID, SEQUENCE, STATUS and start
and end as UTC instants, resolving the TZID itself. `ClientCalendar` then does what a calendar
program does with iTIP messages (RFC 5546): a REQUEST adds or replaces the event with its UID
(unless it is older), a CANCEL removes it. A tool that is missing skips the test on a
developer's machine and fails it in CI (CI=true), where .ci/run installs every one of them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.node_packages import npm_ci

HERE = Path(__file__).parent
SYSTEM_PYTHON = "/usr/bin/python3"
PARSERS = ("icaljs", "nodeical", "libical")


def _missing(why: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{why}: .ci/run installs it, so CI must have it")
    pytest.skip(why)


def _libical_ready() -> bool:
    if not Path(SYSTEM_PYTHON).exists():
        return False
    probe = subprocess.run(
        [
            SYSTEM_PYTHON,
            "-c",
            "import gi; gi.require_version('ICalGLib', '3.0'); from gi.repository import ICalGLib",
        ],
        capture_output=True,
        timeout=60,
    )
    return probe.returncode == 0


@dataclass(frozen=True)
class ReadEvent:
    uid: str
    sequence: int
    status: str | None
    start: datetime
    end: datetime


@dataclass(frozen=True)
class ReadCalendar:
    method: str | None
    events: list[ReadEvent]


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _calendar(raw: dict[str, Any]) -> ReadCalendar:
    return ReadCalendar(
        raw["method"],
        [
            ReadEvent(
                e["uid"], int(e["sequence"] or 0), e["status"], _utc(e["start"]), _utc(e["end"])
            )
            for e in raw["events"]
        ],
    )


Readers = Callable[[bytes], dict[str, ReadCalendar]]


@pytest.fixture(scope="session")
def readers(tmp_path_factory: pytest.TempPathFactory) -> Readers:
    """read(ics) -> {"icaljs": ..., "nodeical": ..., "libical": ...}, each a ReadCalendar."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        _missing("Node.js and npm are needed to read invitations with ical.js and node-ical")
    if not _libical_ready():
        _missing(
            "libical's Python bindings are needed (apt-get install python3-gi gir1.2-ical-3.0)"
        )
    npm_ci(HERE, "ical.js", "node-ical")
    folder = tmp_path_factory.mktemp("invitations")
    counter = iter(range(1_000_000))

    def read(body: bytes) -> dict[str, ReadCalendar]:
        path = folder / f"invite{next(counter)}.ics"
        path.write_bytes(body)
        node = subprocess.run(
            ["node", str(HERE / "read.mjs"), str(path)], capture_output=True, text=True, timeout=60
        )
        assert node.returncode == 0, f"ical.js / node-ical could not read it:\n{node.stderr}"
        libical = subprocess.run(
            [SYSTEM_PYTHON, str(HERE / "read_libical.py"), str(path)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert libical.returncode == 0, f"libical could not read it:\n{libical.stderr}"
        [both] = json.loads(node.stdout)
        [lib] = json.loads(libical.stdout)
        return {
            "icaljs": _calendar(both["icaljs"]),
            "nodeical": _calendar(both["nodeical"]),
            "libical": _calendar(lib),
        }

    return read


@dataclass
class ClientCalendar:
    """A client's calendar as one parser builds it from the iTIP messages it receives."""

    events: dict[str, ReadEvent] = field(default_factory=dict)

    def receive(self, message: ReadCalendar) -> None:
        for event in message.events:
            held = self.events.get(event.uid)
            if held is not None and event.sequence < held.sequence:
                continue  # an older message than the one already applied
            if message.method == "CANCEL":
                self.events.pop(event.uid, None)
            elif message.method == "REQUEST":
                self.events[event.uid] = event
            else:
                raise AssertionError(f"not an iTIP method a client acts on: {message.method}")

    def instants(self) -> dict[str, tuple[datetime, datetime]]:
        return {uid: (e.start, e.end) for uid, e in self.events.items()}
