"""How to write a week of slots as JSON: the ways measured before choosing one.

    .venv/bin/python -m bench.serialisation [--slots 200] [--rounds 2000]

Each way writes the same `Slots` document (checked before timing) from the engine's `Slot`
tuples: the response models with `model_construct` and pydantic's serialiser (what the API
did), a pydantic TypeAdapter over plain dicts, the standard library's json, orjson when it is
installed (it is not a dependency), and `presenters.slots_json`, which the API uses. The
ceiling is the same slots written with no time conversion at all (ids only).
"""

from __future__ import annotations

import argparse
import json
import timeit
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import TypeAdapter
from typing_extensions import TypedDict

from bench.harness import table
from services.scheduler.presenters import slots, slots_json
from shared.slots import Slot

TZ = ZoneInfo("Europe/Ljubljana")


class _SlotDict(TypedDict):
    start: datetime
    end: datetime
    therapist_id: int
    room_id: int


class _SlotsDict(TypedDict):
    slots: list[_SlotDict]


_ADAPTER = TypeAdapter(_SlotsDict)


def week_of_slots(count: int) -> list[Slot]:
    """`count` slots over a week: four therapists on a 15-minute grid, as the demo has."""
    first = datetime(2027, 3, 1, 8, tzinfo=UTC)
    out = []
    for i in range(count):
        start = first + timedelta(days=i // 128 % 7, minutes=15 * (i // 4 % 32))
        out.append(Slot(start, i % 4 + 1, start + timedelta(minutes=60), i % 3 + 1))
    return sorted(out)


def pydantic_models(found: list[Slot]) -> str:
    return slots(found, TZ).model_dump_json()


def pydantic_adapter(found: list[Slot]) -> str:
    rows = [
        {
            "start": s.start.astimezone(TZ),
            "end": s.end.astimezone(TZ),
            "therapist_id": s.therapist_id,
            "room_id": s.room_id,
        }
        for s in found
    ]
    return _ADAPTER.dump_json({"slots": rows}).decode()  # type: ignore[typeddict-item]


def _iso_once() -> Callable[[datetime], str]:
    seen: dict[datetime, str] = {}

    def iso(instant: datetime) -> str:
        text = seen.get(instant)
        if text is None:
            text = seen[instant] = instant.astimezone(TZ).isoformat()
        return text

    return iso


def _formatted_once(found: list[Slot]) -> list[dict[str, object]]:
    iso = _iso_once()
    return [
        {
            "start": iso(s.start),
            "end": iso(s.end),
            "therapist_id": s.therapist_id,
            "room_id": s.room_id,
        }
        for s in found
    ]


def stdlib_json(found: list[Slot]) -> str:
    return json.dumps({"slots": _formatted_once(found)}, separators=(",", ":"))


def orjson_dumps(found: list[Slot]) -> str:
    import orjson

    return orjson.dumps({"slots": _formatted_once(found)}).decode()


def direct(found: list[Slot]) -> str:
    return slots_json(found, TZ)


def ids_only(found: list[Slot]) -> str:
    items = ",".join(f'{{"therapist_id":{s.therapist_id},"room_id":{s.room_id}}}' for s in found)
    return f'{{"slots":[{items}]}}'


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--slots", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args()
    found = week_of_slots(args.slots)
    ways: list[tuple[str, Callable[[list[Slot]], str]]] = [
        ("response models (model_construct + model_dump_json)", pydantic_models),
        ("pydantic TypeAdapter over dicts", pydantic_adapter),
        ("json.dumps, each instant formatted once", stdlib_json),
    ]
    try:
        import orjson  # noqa: F401

        ways.append(("orjson.dumps, each instant formatted once", orjson_dumps))
    except ImportError:
        pass
    ways += [("presenters.slots_json (used)", direct), ("ceiling: ids only, no times", ids_only)]

    expected = json.loads(pydantic_models(found))
    for name, way in ways[:-1]:
        assert json.loads(way(found)) == expected, name
    assert direct(found) == pydantic_models(found)

    rows = []
    base = None
    for name, way in ways:
        seconds = min(timeit.repeat(lambda w=way: w(found), number=args.rounds, repeat=5))
        us = seconds / args.rounds * 1e6
        base = base or us
        rows.append([name, f"{us:.0f}", f"{base / us:.1f}x"])
    print(
        table(
            f"Writing {len(found)} slots as JSON (best of 5 x {args.rounds}, one core)",
            ["way", "µs per response", "speed vs response models"],
            rows,
        )
    )


if __name__ == "__main__":
    main()
