// Reads iCalendar files with Mozilla's ical.js and with node-ical, and prints what each sees
// as JSON: per file and parser, the METHOD and each VEVENT's UID, SEQUENCE, STATUS and its
// start and end as UTC instants (each parser resolving the TZID its own way).
// Usage: node read.mjs FILE...
import { readFileSync } from "node:fs";
import ICAL from "ical.js";
import nodeIcal from "node-ical";

function icaljs(source) {
  const calendar = new ICAL.Component(ICAL.parse(source));
  const events = calendar.getAllSubcomponents("vevent").map((vevent) => {
    const event = new ICAL.Event(vevent);
    return {
      uid: event.uid,
      sequence: event.sequence,
      status: vevent.getFirstPropertyValue("status"),
      start: new Date(event.startDate.toUnixTime() * 1000).toISOString(),
      end: new Date(event.endDate.toUnixTime() * 1000).toISOString(),
      tzid: vevent.getFirstProperty("dtstart").getParameter("tzid"),
    };
  });
  return { method: calendar.getFirstPropertyValue("method"), events };
}

function nodeical(source) {
  const parsed = nodeIcal.sync.parseICS(source);
  const events = Object.values(parsed)
    .filter((item) => item.type === "VEVENT")
    .map((event) => ({
      uid: event.uid,
      sequence: event.sequence === undefined ? 0 : Number(event.sequence),
      status: event.status === undefined ? null : event.status,
      start: event.start.toISOString(),
      end: event.end.toISOString(),
      tzid: event.start.tz || null,
    }));
  const vcalendar = Object.values(parsed).find((item) => item.type === "VCALENDAR");
  return { method: vcalendar && vcalendar.method ? vcalendar.method : null, events };
}

const out = process.argv.slice(2).map((path) => {
  const source = readFileSync(path, "utf8");
  return { icaljs: icaljs(source), nodeical: nodeical(source) };
});
process.stdout.write(JSON.stringify(out));
