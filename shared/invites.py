"""Calendar invitations by e-mail (iMIP, RFC 6047): what one recipient receives about one booking.

An invitation is `multipart/mixed` holding a `multipart/alternative` (a text body, the same as
HTML, and the calendar as `text/calendar; method=...`) and the calendar again as an `invite.ics`
attachment, so Gmail, Outlook and Apple Mail all offer Accept/Decline. METHOD in the
Content-Type and in the VCALENDAR come from one variable, so they always agree.

Every header is set through `email.message.EmailMessage` with the default policy: names and
subjects are encoded (RFC 2047) and a line break can never start a new header. Nothing here
decides *whether* to send; see `shared.mailer`.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.utils import format_datetime
from typing import Any
from zoneinfo import ZoneInfo

import icalendar

from shared import ical
from shared.clinic_locale import FALLBACK, Locale, of_clinic
from shared.models import Booking, BookingStatus, Clinic

REQUEST = "REQUEST"
CANCEL = "CANCEL"
# The calendar program's own alert; the reminder e-mail comes clinic.reminder_hours_before.
ALARM_BEFORE = timedelta(hours=1)
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Recipient:
    address: str
    role: str  # "client" or "therapist"
    name: str


@dataclass(frozen=True)
class Links:
    """Where the client manages the booking; a therapist's message carries none."""

    page: str  # the "how to cancel" page
    ics: str  # the booking's own .ics


def links(base_url: str, booking: Booking) -> Links:
    base = base_url.rstrip("/")
    return Links(
        page=f"{base}/b/{booking.access_token}",
        ics=f"{base}/feeds/booking/{booking.access_token}.ics",
    )


def message_id(outbox_id: int, booking: Booking, mail_from: str) -> str:
    """The same message always gets the same Message-ID, so a resend after a crash is recognised.

    The booking's UID (random) is in it too, so a fresh database never reuses an old ID.
    """
    domain = mail_from.rpartition("@")[2] or "clinic.invalid"
    uid = hashlib.sha256(booking.uid.encode()).hexdigest()[:16]
    return f"<outbox.{outbox_id}.{booking.sequence}.{uid}@{domain}>"


def snapshot(booking: Booking, method: str) -> dict[str, Any]:
    """What a calendar message says, kept on the sent row so the next one can say what changed."""
    return {
        "method": method,
        "sequence": booking.sequence,
        "start": booking.start_at.isoformat(),
        "end": booking.end_at.isoformat(),
        "therapist": booking.therapist.name if booking.therapist else "",
        "room": booking.room.name if booking.room else "",
        "treatment": booking.treatment_type.name if booking.treatment_type else "",
    }


def one_line(value: str) -> str:
    """Names and reasons for a header or a one-line field: whitespace runs become one space."""
    return _SPACE.sub(" ", "".join(ch if ch.isprintable() else " " for ch in value)).strip()


# -- time, as the clinic's clock shows it ------------------------------------------------------


def zone_label(tz: ZoneInfo) -> str:
    """'Ljubljana time' for Europe/Ljubljana."""
    return tz.key.rsplit("/", 1)[-1].replace("_", " ") + " time"


def when_long(start: datetime, end: datetime, tz: ZoneInfo, locale: Locale = FALLBACK) -> str:
    """'Monday 1 March 2027, 10:00-11:00 (Ljubljana time)', the clock as the clinic writes it."""
    a, b = start.astimezone(tz), end.astimezone(tz)
    return f"{locale.long_when(a)}\u2013{locale.clock(b)} ({zone_label(tz)})"


def when_short(start: datetime, tz: ZoneInfo, locale: Locale = FALLBACK) -> str:
    """'Mon 1 Mar 2027 10:00', for subjects, the clock as the clinic writes it."""
    a = start.astimezone(tz)
    return f"{a:%a} {a.day} {a:%b %Y} {locale.clock(a)}"


def changes(
    previous: dict[str, Any], current: dict[str, Any], tz: ZoneInfo, locale: Locale = FALLBACK
) -> list[str]:
    """What differs between what the recipient last received and the booking now."""
    out: list[str] = []
    if (previous["start"], previous["end"]) != (current["start"], current["end"]):
        was = when_long(
            datetime.fromisoformat(previous["start"]),
            datetime.fromisoformat(previous["end"]),
            tz,
            locale,
        )
        now = when_long(
            datetime.fromisoformat(current["start"]),
            datetime.fromisoformat(current["end"]),
            tz,
            locale,
        )
        out.append(f"Time: was {was}; now {now}")
    for key, label in (("therapist", "Therapist"), ("room", "Room"), ("treatment", "Treatment")):
        if previous.get(key) != current.get(key):
            was, now = one_line(previous.get(key) or "-"), one_line(current.get(key) or "-")
            out.append(f"{label}: was {was}; now {now}")
    return out


# -- the calendar ------------------------------------------------------------------------------


def calendar_bytes(
    booking: Booking,
    clinic: Clinic,
    *,
    method: str,
    recipient: Recipient,
    organizer: str,
    now: datetime,
    page_url: str | None,
) -> bytes:
    """The VCALENDAR of one iTIP message: METHOD, VTIMEZONE, and the VEVENT with its attendee."""
    event = itip_event(
        booking, clinic, method=method, recipient=recipient, organizer=organizer, now=now,
        page_url=page_url,
    )  # fmt: skip
    cal = ical.calendar([event], clinic, name=one_line(clinic.name), method=method)
    return ical.to_bytes(cal)


def itip_event(
    booking: Booking,
    clinic: Clinic,
    *,
    method: str,
    recipient: Recipient,
    organizer: str,
    now: datetime,
    page_url: str | None,
) -> icalendar.Event:
    """One booking's VEVENT in an iTIP message: organizer, the recipient as attendee, the
    client's page, and an alarm on a REQUEST. Raises ValueError for an unknown method."""
    if method not in (REQUEST, CANCEL):
        raise ValueError(f"unknown iTIP method {method!r}")
    audience = "client" if recipient.role == "client" else "therapist"
    event = ical.booking_event(booking, clinic, audience=audience, dtstamp=now)
    if method == CANCEL:
        event.pop("STATUS", None)
        event.add("status", "CANCELLED")
    if page_url:
        event.add("url", page_url)
        tz = ZoneInfo(clinic.timezone)
        event.pop("DESCRIPTION", None)
        event.add("description", _client_description(booking, clinic, tz, page_url, method))
    organizer_addr = icalendar.vCalAddress(f"mailto:{organizer}")
    organizer_addr.params["CN"] = one_line(clinic.name)
    event.add("organizer", organizer_addr)
    attendee = icalendar.vCalAddress(f"mailto:{recipient.address}")
    attendee.params["CN"] = one_line(recipient.name) or recipient.address
    attendee.params["ROLE"] = "REQ-PARTICIPANT"
    attendee.params["CUTYPE"] = "INDIVIDUAL"
    if method == REQUEST:
        attendee.params["PARTSTAT"] = "NEEDS-ACTION"
        attendee.params["RSVP"] = "TRUE"
    event.add("attendee", attendee)
    if method == REQUEST:
        alarm = icalendar.Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", event.get("SUMMARY", "Appointment"))
        alarm.add("trigger", -ALARM_BEFORE)
        event.add_component(alarm)
    return event


def _client_description(
    booking: Booking, clinic: Clinic, tz: ZoneInfo, page_url: str, method: str
) -> str:
    lines = [
        _what(booking),
        when_long(booking.start_at, booking.end_at, tz, of_clinic(clinic)),
        _where(clinic),
    ]
    if clinic.phone:
        lines.append(f"Phone: {clinic.phone}")
    if method == REQUEST:
        lines.append(f"To see or cancel this appointment: {page_url}")
    else:
        lines.insert(0, "This appointment was cancelled.")
    return "\n".join(one_line(line) for line in lines if line)


def _what(booking: Booking) -> str:
    treatment = booking.treatment_type.name if booking.treatment_type else "Session"
    return f"{treatment} with {booking.therapist.name}" if booking.therapist else treatment


def _where(clinic: Clinic) -> str:
    return ", ".join(part for part in (clinic.name, clinic.address) if part)


# -- the e-mail --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Body:
    subject: str
    paragraphs: list[str]  # plain text, one entry per paragraph (may hold line breaks)
    link: tuple[str, str] | None = None  # (label, url) shown as a button in HTML


def calendar_message(
    booking: Booking,
    clinic: Clinic,
    *,
    method: str,
    recipient: Recipient,
    mail_from: str,
    message_id: str,
    now: datetime,
    base_url: str,
    previous: dict[str, Any] | None = None,
) -> EmailMessage:
    """The invitation (REQUEST, new or moved) or the cancellation (CANCEL) for one recipient.

    `previous` is the snapshot of the last REQUEST this recipient received; with it, a REQUEST
    is an update that says what changed. Raises ValueError for an unknown method.
    """
    page = links(base_url, booking).page if recipient.role == "client" else None
    ics = calendar_bytes(
        booking,
        clinic,
        method=method,
        recipient=recipient,
        organizer=mail_from,
        now=now,
        page_url=page,
    )
    body = _calendar_body(booking, clinic, method, recipient, previous, page)
    return itip_email(
        clinic,
        recipient,
        mail_from=mail_from,
        message_id=message_id,
        now=now,
        body=body,
        ics=ics,
        method=method,
    )


def itip_email(
    clinic: Clinic,
    recipient: Recipient,
    *,
    mail_from: str,
    message_id: str,
    now: datetime,
    body: Body,
    ics: bytes,
    method: str,
) -> EmailMessage:
    """The e-mail around an iTIP calendar: text and HTML, the calendar inline and attached."""
    msg = _envelope(clinic, recipient, mail_from, message_id, now, body.subject)
    alternative = MIMEPart(policy=policy.default)
    alternative.set_content(_text(body, clinic), cte="quoted-printable")
    alternative.add_alternative(_html(body, clinic), subtype="html", cte="quoted-printable")
    calendar = MIMEPart(policy=policy.default)
    calendar.set_content(ics, maintype="text", subtype="calendar", cte="base64")
    _calendar_type(calendar, method)
    alternative.attach(calendar)
    attachment = MIMEPart(policy=policy.default)
    attachment.set_content(
        ics,
        maintype="application",
        subtype="ics",
        cte="base64",
        disposition="attachment",
        filename="invite.ics",
        params={"name": "invite.ics"},
    )
    msg.set_content("")  # then turned into multipart/mixed holding the two parts
    msg.make_mixed()
    msg.set_payload([alternative, attachment])
    return msg


def _calendar_type(part: MIMEPart, method: str) -> None:
    """`text/calendar; method=REQUEST; charset=UTF-8`, unquoted, as RFC 6047 writes it.

    The default policy would quote the values (`method="REQUEST"`): valid MIME, but not what
    every calendar client's invitation detection is tested against. The value is built only
    from the two known methods, never from input.
    """
    assert method in (REQUEST, CANCEL)
    del part["Content-Type"]
    part.set_raw("Content-Type", f"text/calendar; method={method}; charset=UTF-8")


def reminder_message(
    booking: Booking,
    clinic: Clinic,
    *,
    recipient: Recipient,
    mail_from: str,
    message_id: str,
    now: datetime,
    base_url: str,
) -> EmailMessage:
    """A plain reminder (text and HTML, no calendar: the event is already in the calendar)."""
    tz, loc = ZoneInfo(clinic.timezone), of_clinic(clinic)
    page = links(base_url, booking).page
    subject = f"Reminder: {treatment_name(booking)}, {when_short(booking.start_at, tz, loc)}"
    body = Body(
        subject=subject,
        paragraphs=[
            f"Dear {first_name(recipient.name)},",
            "a reminder of your appointment:",
            session_details(booking, clinic, tz),
            _cancel_hint(clinic, page),
        ],
        link=("See or cancel your appointment", page),
    )
    return plain_email(body, clinic, recipient, mail_from, message_id, now)


def hold_link(base_url: str, booking: Booking) -> str:
    """The page whose button confirms a hold (opening it confirms nothing: mail scanners
    open every link)."""
    return f"{base_url.rstrip('/')}/book/confirm/{booking.hold_token}"


def hold_message(
    booking: Booking,
    clinic: Clinic,
    *,
    recipient: Recipient,
    mail_from: str,
    message_id: str,
    now: datetime,
    base_url: str,
) -> EmailMessage:
    """The booking page's 'please confirm' e-mail: the held session and its confirmation link."""
    tz, loc = ZoneInfo(clinic.timezone), of_clinic(clinic)
    until = booking.hold_expires_at or now
    subject = f"Please confirm: {treatment_name(booking)}, {when_short(booking.start_at, tz, loc)}"
    body = Body(
        subject=subject,
        paragraphs=[
            f"Dear {first_name(recipient.name)},",
            "we are holding this appointment for you:",
            session_details(booking, clinic, tz),
            f"To book it, open this link and press the button by {when_short(until, tz, loc)}; "
            "after that the time goes back to the diary:\n" + hold_link(base_url, booking),
            "If you did not ask for this appointment, ignore this e-mail: nothing is booked "
            "until the button is pressed.",
        ],
        link=("Confirm my appointment", hold_link(base_url, booking)),
    )
    return plain_email(body, clinic, recipient, mail_from, message_id, now)


def plain_email(
    body: Body,
    clinic: Clinic,
    recipient: Recipient,
    mail_from: str,
    message_id: str,
    now: datetime,
) -> EmailMessage:
    """An e-mail without a calendar (reminders, holds, offers): text and HTML of `body`."""
    msg = _envelope(clinic, recipient, mail_from, message_id, now, body.subject)
    msg.set_content(_text(body, clinic), cte="quoted-printable")
    msg.add_alternative(_html(body, clinic), subtype="html", cte="quoted-printable")
    return msg


def _envelope(
    clinic: Clinic,
    recipient: Recipient,
    mail_from: str,
    message_id: str,
    now: datetime,
    subject: str,
) -> EmailMessage:
    msg = EmailMessage(policy=policy.default)
    msg["From"] = _address(clinic.name, mail_from)
    msg["To"] = _address(recipient.name, recipient.address)
    msg["Reply-To"] = _address(clinic.name, mail_from)
    msg["Subject"] = one_line(subject)
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = message_id
    msg["Auto-Submitted"] = "auto-generated"
    return msg


def _address(name: str, addr: str) -> Address:
    local, _, domain = addr.rpartition("@")
    return Address(display_name=one_line(name), username=local, domain=domain)


def _calendar_body(
    booking: Booking,
    clinic: Clinic,
    method: str,
    recipient: Recipient,
    previous: dict[str, Any] | None,
    page: str | None,
) -> Body:
    tz, loc = ZoneInfo(clinic.timezone), of_clinic(clinic)
    when = when_short(booking.start_at, tz, loc)
    treatment = treatment_name(booking)
    greeting = f"Dear {first_name(recipient.name)},"
    details = session_details(booking, clinic, tz, for_staff=recipient.role != "client")
    link = ("See or cancel your appointment", page) if page else None
    if method == CANCEL:
        if recipient.role == "client":
            intro = "your appointment has been cancelled:"
        elif booking.status == BookingStatus.CANCELLED.value:
            intro = "this session has been cancelled:"
        else:
            intro = "this session is no longer yours (it was given to a colleague):"
        reason = one_line(booking.cancel_reason) if booking.cancel_reason else ""
        paragraphs = [greeting, intro, details]
        if reason:
            paragraphs.append(f"Reason: {reason}")
        if recipient.role == "client" and clinic.phone:
            paragraphs.append(f"To book again, call us at {clinic.phone} or book online.")
        return Body(f"Cancelled: {treatment}, {when}", paragraphs, None)
    what_changed = changes(previous, snapshot(booking, REQUEST), tz, loc) if previous else []
    calendar_hint = "Accept the invitation to add it to your calendar, or open invite.ics."
    if previous is not None:
        intro = (
            "your appointment has been changed."
            if recipient.role == "client"
            else "this session has been changed."
        )
        paragraphs = [greeting, intro]
        if what_changed:
            paragraphs.append("What changed:\n" + "\n".join(f"  {c}" for c in what_changed))
        paragraphs += [
            details,
            "Your calendar updates the appointment it already has (accept again if it asks).",
        ]
        subject = f"Changed: {treatment}, now {when}"
    elif recipient.role == "client":
        paragraphs = [greeting, "your appointment is booked:", details, calendar_hint]
        subject = f"Booked: {treatment}, {when}"
    else:
        paragraphs = [greeting, "a session has been booked for you:", details, calendar_hint]
        subject = f"New session: {treatment}, {when}"
    if page:
        paragraphs.append(_cancel_hint(clinic, page))
    return Body(subject, paragraphs, link)


def treatment_name(booking: Booking) -> str:
    return booking.treatment_type.name if booking.treatment_type else "Appointment"


def first_name(name: str) -> str:
    parts = one_line(name).split()
    return parts[0] if parts else "client"


def session_details(
    booking: Booking, clinic: Clinic, tz: ZoneInfo, *, for_staff: bool = False
) -> str:
    lines = [
        _what(booking),
        when_long(booking.start_at, booking.end_at, tz, of_clinic(clinic)),
    ]
    if for_staff and booking.client is not None:
        client = booking.client
        who = client.name if clinic.feed_shows_client_details else client.first_name
        if clinic.feed_shows_client_details and client.phone:
            who += f", {client.phone}"
        lines.append(f"Client: {one_line(who)}")
    if booking.room is not None:
        lines.append(booking.room.name)
    lines.append(_where(clinic))
    if clinic.phone:
        lines.append(f"Phone: {clinic.phone}")
    # Names stored before names refused them may hold line separators: one line each.
    return "\n".join(f"  {one_line(line)}" for line in lines if line)


def _cancel_hint(clinic: Clinic, page: str) -> str:
    hours = clinic.cancellation_notice_hours
    until = (
        f"up to {hours} hour{'s' if hours != 1 else ''} before the appointment"
        if hours
        else "until the appointment starts"
    )
    call = f"Later than that, please call us at {clinic.phone}." if clinic.phone and hours else ""
    return f"Need to cancel? You can cancel online {until}:\n{page}\n{call}".rstrip()


def _text(body: Body, clinic: Clinic) -> str:
    return "\n\n".join([*body.paragraphs, one_line(clinic.name)]) + "\n"


def _html(body: Body, clinic: Clinic) -> str:
    parts: list[str] = []
    for paragraph in body.paragraphs:
        lines = [html.escape(line.strip()) for line in paragraph.splitlines()]
        parts.append("<p>" + "<br>\n".join(_linkify(line) for line in lines) + "</p>")
    if body.link is not None:
        label, url = body.link
        parts.append(
            f'<p><a href="{html.escape(url, quote=True)}" style="display:inline-block;'
            "padding:10px 16px;background:#3d6b5a;color:#ffffff;text-decoration:none;"
            f'border-radius:4px">{html.escape(label)}</a></p>'
        )
    parts.append(f"<p>{html.escape(one_line(clinic.name))}</p>")
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head>\n'
        '<body style="font-family:sans-serif;line-height:1.5;color:#222">\n'
        + "\n".join(parts)
        + "\n</body></html>\n"
    )


def _linkify(escaped_line: str) -> str:
    """An (already escaped) line that is exactly a URL becomes a link."""
    if re.fullmatch(r"https?://[^\s<>\"']+", escaped_line):
        return f'<a href="{escaped_line}">{escaped_line}</a>'
    return escaped_line
