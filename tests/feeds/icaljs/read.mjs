// Reads iCalendar files with Mozilla's ical.js and prints what a calendar program would see,
// as JSON: one object per file with the calendar's properties and its events (times in UTC).
// Usage: node read.mjs FILE...
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

function text(component, name) {
  const value = component.getFirstPropertyValue(name);
  return value === null || value === undefined ? null : String(value);
}

function instant(time) {
  // toUnixTime() resolves the wall time through the calendar's own VTIMEZONE.
  return time ? new Date(time.toUnixTime() * 1000).toISOString() : null;
}

function readOne(path) {
  const source = readFileSync(path, "utf8");
  const calendar = new ICAL.Component(ICAL.parse(source));
  const events = calendar.getAllSubcomponents("vevent").map((vevent) => {
    const event = new ICAL.Event(vevent);
    const dtstart = vevent.getFirstProperty("dtstart");
    return {
      uid: event.uid,
      sequence: event.sequence,
      summary: event.summary,
      description: event.description,
      location: event.location,
      status: text(vevent, "status"),
      start: instant(event.startDate),
      end: instant(event.endDate),
      tzid: dtstart ? dtstart.getParameter("tzid") : null,
      zone: event.startDate ? event.startDate.zone.tzid : null,
      local_start: event.startDate ? event.startDate.toString() : null,
      dtstamp: instant(vevent.getFirstPropertyValue("dtstamp")),
      last_modified: instant(vevent.getFirstPropertyValue("last-modified")),
    };
  });
  const timezones = calendar.getAllSubcomponents("vtimezone").map((c) => text(c, "tzid"));
  return {
    prodid: text(calendar, "prodid"),
    version: text(calendar, "version"),
    method: text(calendar, "method"),
    name: text(calendar, "name"),
    calname: text(calendar, "x-wr-calname"),
    timezone: text(calendar, "x-wr-timezone"),
    refresh_interval: text(calendar, "refresh-interval"),
    published_ttl: text(calendar, "x-published-ttl"),
    timezones,
    events,
  };
}

const out = process.argv.slice(2).map(readOne);
process.stdout.write(JSON.stringify(out));
