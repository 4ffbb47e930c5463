"""Reads iCalendar files with libical (through its GObject bindings, libical-glib) and prints
what a calendar program built on it would see, as JSON: per file the METHOD and each VEVENT's
UID, SEQUENCE, STATUS and its start and end as UTC instants, resolved through the file's own
VTIMEZONE. Run by the system's python3 (Debian: python3-gi, gir1.2-ical-3.0).
Usage: python3 read_libical.py FILE..."""

import json
import sys
from datetime import UTC, datetime

import gi

gi.require_version("ICalGLib", "3.0")
from gi.repository import ICalGLib  # noqa: E402

UTC_ZONE = ICalGLib.Timezone.get_utc_timezone()


def instant(when):
    if when is None or when.is_null_time():
        return None
    utc = when.clone()
    utc.convert_to_zone_inplace(UTC_ZONE)
    moment = datetime(
        utc.get_year(), utc.get_month(), utc.get_day(),
        utc.get_hour(), utc.get_minute(), utc.get_second(), tzinfo=UTC,
    )  # fmt: skip
    return moment.isoformat().replace("+00:00", "Z")


def read_one(path):
    with open(path, encoding="utf-8") as f:
        calendar = ICalGLib.Component.new_from_string(f.read())
    if calendar is None:
        raise SystemExit(f"libical could not parse {path}")
    method = calendar.get_first_property(ICalGLib.PropertyKind.METHOD_PROPERTY)
    events = []
    kind = ICalGLib.ComponentKind.VEVENT_COMPONENT
    event = calendar.get_first_component(kind)
    while event is not None:
        start = event.get_dtstart()
        status = event.get_first_property(ICalGLib.PropertyKind.STATUS_PROPERTY)
        events.append(
            {
                "uid": event.get_uid(),
                "sequence": event.get_sequence(),
                "status": status.get_value_as_string() if status is not None else None,
                "start": instant(start),
                "end": instant(event.get_dtend()),
                "tzid": start.get_tzid() if start is not None else None,
            }
        )
        event = calendar.get_next_component(kind)
    return {"method": method.get_value_as_string() if method else None, "events": events}


json.dump([read_one(p) for p in sys.argv[1:]], sys.stdout)
