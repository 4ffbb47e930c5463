"""The interval operations availability is built on, checked against sets of minutes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from shared import intervals
from tests.unit.reference import merged_minutes

T0 = datetime(2027, 3, 1, tzinfo=UTC)


def at(minute: int) -> datetime:
    return T0 + timedelta(minutes=minute)


def minutes_of(spans):
    return [
        (int((a - T0) / timedelta(minutes=1)), int((b - T0) / timedelta(minutes=1)))
        for a, b in spans
    ]


def as_set(spans: list[tuple[int, int]]) -> set[int]:
    return {m for a, b in spans for m in range(a, b)}


spans = st.lists(
    st.tuples(st.integers(0, 120), st.integers(0, 40)).map(lambda t: (t[0], t[0] + t[1])),
    max_size=8,
)


@settings(max_examples=100)
@given(spans)
def test_merge_gives_sorted_disjoint_intervals_covering_the_same_minutes(raw):
    merged = minutes_of(intervals.merge((at(a), at(b)) for a, b in raw))
    assert merged == merged_minutes(raw)


@settings(max_examples=100)
@given(spans, spans)
def test_subtract_leaves_exactly_the_minutes_not_cut(base, cuts):
    base_iv = intervals.merge((at(a), at(b)) for a, b in base)
    cuts_iv = intervals.merge((at(a), at(b)) for a, b in cuts)
    got = minutes_of(intervals.subtract(base_iv, cuts_iv))
    assert got == merged_minutes([(m, m + 1) for m in as_set(base) - as_set(cuts)])


@settings(max_examples=100)
@given(spans, st.integers(0, 150), st.integers(1, 40))
def test_overlaps_and_containing_agree_with_minute_sets(busy, start, length):
    merged = intervals.merge((at(a), at(b)) for a, b in busy)
    wanted = set(range(start, start + length))
    taken = as_set(busy)
    assert intervals.overlaps(merged, at(start), at(start + length)) == bool(wanted & taken)
    holder = intervals.containing(merged, at(start), at(start + length))
    assert (holder is not None) == (wanted <= taken)


@settings(max_examples=100)
@given(spans, st.integers(0, 150), st.integers(1, 40))
def test_free_gap_is_the_free_run_around_a_free_interval(busy, start, length):
    merged = intervals.merge((at(a), at(b)) for a, b in busy)
    end = start + length
    lo, hi = -10, 200
    gap = intervals.free_gap(merged, at(start), at(end), at(lo), at(hi))
    taken = as_set(busy)
    if set(range(start, end)) & taken:
        assert gap is None
        return
    left = start
    while left - 1 >= lo and left - 1 not in taken:
        left -= 1
    right = end
    while right < hi and right not in taken:
        right += 1
    assert minutes_of([gap]) == [(left, right)]


def test_touching_intervals_are_joined_and_do_not_overlap():
    merged = intervals.merge([(at(0), at(10)), (at(10), at(20))])
    assert merged == [(at(0), at(20))]
    assert not intervals.overlaps([(at(0), at(10))], at(10), at(20))
    assert intervals.clip([(at(0), at(30))], at(10), at(20)) == [(at(10), at(20))]
