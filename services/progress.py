"""Progress of a long `clinic` command on stdout: a tqdm bar with its rate and the time left
when stdout is a terminal, plain lines otherwise (a log or a pipe gets one every few seconds)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import TextIO

from tqdm import tqdm


class Progress:
    """`with Progress(total, "bookings", "demo-data") as p: p.advance(n)`."""

    def __init__(
        self,
        total: int,
        unit: str,
        label: str,
        *,
        stream: TextIO | None = None,
        every_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._total = total
        self.unit = unit
        self.label = label
        self.stream = stream or sys.stdout
        self.every = every_seconds
        self.clock = clock
        self.done = 0
        self.started = clock()
        self._last_line = self.started
        interactive = self.stream.isatty()
        self._bar = (
            tqdm(total=total, unit=f" {unit}", desc=label, file=self.stream, unit_scale=True)
            if interactive
            else None
        )

    @property
    def total(self) -> int:
        return self._total

    @total.setter
    def total(self, total: int) -> None:
        """For work whose size is known only once it has started (pages to copy)."""
        self._total = total
        if self._bar is not None and self._bar.total != total:
            self._bar.total = total
            self._bar.refresh()

    def advance(self, n: int) -> None:
        self.done += n
        if self._bar is not None:
            self._bar.update(n)
            return
        now = self.clock()
        if now - self._last_line >= self.every:
            self._last_line = now
            self._line(now)

    def _line(self, now: float) -> None:
        elapsed = max(now - self.started, 1e-9)
        rate = self.done / elapsed
        share = f" ({100 * self.done / self.total:.0f}%)" if self.total else ""
        eta = ""
        if rate > 0 and self.done < self.total:
            eta = f", about {_duration((self.total - self.done) / rate)} left"
        print(
            f"{self.label}: {self.done:,}/{self.total:,} {self.unit}{share}, "
            f"{rate:,.0f} {self.unit}/s{eta}",
            file=self.stream,
            flush=True,
        )

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.close()
        elif kind is None:
            self._line(self.clock())


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 90:
        return f"{seconds}s"
    if seconds < 90 * 60:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"
