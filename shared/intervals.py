"""Half-open time intervals [start, end) and the few operations availability needs."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from datetime import datetime
from operator import itemgetter

Interval = tuple[datetime, datetime]
_start = itemgetter(0)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, non-overlapping, with touching intervals joined."""
    out: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[0] < i[1]):
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def subtract(base: Sequence[Interval], cuts: Sequence[Interval]) -> list[Interval]:
    """What remains of merged `base` after removing merged `cuts`."""
    out: list[Interval] = []
    j = 0
    for start, end in base:
        cur = start
        while j < len(cuts) and cuts[j][1] <= cur:
            j += 1
        k = j
        while k < len(cuts) and cuts[k][0] < end:
            if cuts[k][0] > cur:
                out.append((cur, cuts[k][0]))
            cur = max(cur, cuts[k][1])
            k += 1
        if cur < end:
            out.append((cur, end))
    return out


def clip(intervals: Sequence[Interval], lo: datetime, hi: datetime) -> list[Interval]:
    return [(max(s, lo), min(e, hi)) for s, e in intervals if s < hi and e > lo]


def containing(merged: Sequence[Interval], start: datetime, end: datetime) -> Interval | None:
    """The interval of `merged` that holds all of [start, end), if one does."""
    i = bisect_right(merged, start, key=_start) - 1
    if i >= 0 and merged[i][0] <= start and end <= merged[i][1]:
        return merged[i]
    return None


def overlaps(merged: Sequence[Interval], start: datetime, end: datetime) -> bool:
    i = bisect_right(merged, start, key=_start) - 1
    if i >= 0 and merged[i][1] > start:
        return True
    return i + 1 < len(merged) and merged[i + 1][0] < end


def free_gap(
    busy: Sequence[Interval], start: datetime, end: datetime, lo: datetime, hi: datetime
) -> Interval | None:
    """The free stretch within [lo, hi) around [start, end), or None if `busy` overlaps it."""
    i = bisect_right(busy, start, key=_start) - 1  # one search serves both questions
    n = len(busy)
    if (i >= 0 and busy[i][1] > start) or (i + 1 < n and busy[i + 1][0] < end):
        return None
    gap_start = max(lo, busy[i][1]) if i >= 0 else lo
    gap_end = min(hi, busy[i + 1][0]) if i + 1 < n else hi
    return (min(gap_start, start), max(gap_end, end))
