"""Bookings and the outbox as searchable, filterable, exportable lists (no editing here:
a booking changes only on its own page, through the booking rules)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import FilterLike
from markupsafe import Markup, escape
from werkzeug.wrappers import Response

from services.dashboard import context, wording
from services.dashboard.request_guard import is_id
from services.dashboard.views import filters
from services.dashboard.views.base import ClinicModelView, filtered_url, local_dt, options_from
from services.dashboard.views.catalog import room_options, therapist_options, treatment_options
from services.dashboard.views.client_search import SearchesBookingsByClient
from shared import clinic_time, outbox, outbox_queries
from shared.errors import ClinicError
from shared.models import Booking, BookingStatus, MessageKind, MessageStatus, OutboxMessage

STATUS_LABELS = {
    "booked": "Booked",
    "completed": "Completed",
    "no_show": "No-show",
    "cancelled": "Cancelled",
    "held": "Awaiting confirmation",
}
MESSAGE_LABELS = {
    "pending": "Pending",
    "sent": "Sent",
    "failed": "Failed",
    "skipped": "Skipped",
}


def status_badge(status: str) -> Markup:
    label = STATUS_LABELS.get(status) or MESSAGE_LABELS.get(status) or status
    return Markup(f'<span class="status status-{escape(status)}">{escape(label)}</span>')


def _when(view: Any, ctx: Any, model: Booking, name: str) -> Markup:
    url = url_for("booking.show", booking_id=model.id)
    tz = context.tz()
    locale = context.locale()
    start = model.start_at.astimezone(tz)
    end = model.end_at.astimezone(tz)
    return Markup(
        f'<a class="booking-link" href="{escape(url)}">{locale.weekday_and_day(start)} '
        f"<b>{clinic_time.hm(start, tz, locale)}</b>\u2013{clinic_time.hm(end, tz, locale)}</a>"
    )


def _status(view: Any, ctx: Any, model: Any, name: str) -> Markup:
    return status_badge(model.status)


def _treatment(view: Any, ctx: Any, model: Booking, name: str) -> Markup:
    tt = model.treatment_type
    if tt is None:
        return Markup("")
    return Markup(
        f'<span class="dot" style="background:{escape(tt.colour)}"></span>{escape(tt.name)}'
    )


def _csv_start(view: Any, ctx: Any, model: Any, name: str) -> str:
    return local_dt(getattr(model, name), with_weekday=False)


class ClientIs(filters.IdIs):
    """`?flt0_client_id=7`: one client's sessions (linked from the clients list)."""

    def operation(self) -> str:
        return "id"


class BookingListView(SearchesBookingsByClient, ClinicModelView):
    admin_writes = False
    allow_create = True  # goes to the booking form
    allow_edit = False
    help_text = (
        "Every session, newest first. Filter by date, therapist, room, status or client; "
        "open one to move, cancel or mark it."
    )
    column_list = ["start_at", "client", "treatment_type", "therapist", "room", "status", "source"]
    column_labels = {
        "start_at": "When",
        "treatment_type": "Treatment",
        "client.name": "Client",
        "client.email": "E-mail",
        "client.phone": "Phone",
        "treatment_type.name": "Treatment",
        "therapist.name": "Therapist",
        "room.name": "Room",
        "end_at": "Ends",
        "cancel_reason": "Cancellation reason",
        "created_at": "Booked at",
    }
    column_sortable_list = [
        "start_at",
        ("client", "client.name"),
        ("treatment_type", "treatment_type.name"),
        ("therapist", "therapist.name"),
        ("room", "room.name"),
        "status",
        "source",
    ]
    column_default_sort = ("start_at", True)
    column_searchable_list = ["client.name", "client.email", "client.phone"]
    column_formatters = {"start_at": _when, "status": _status, "treatment_type": _treatment}
    column_export_list = [
        "id",
        "start_at",
        "end_at",
        "client.name",
        "client.email",
        "client.phone",
        "treatment_type.name",
        "therapist.name",
        "room.name",
        "status",
        "source",
        "cancel_reason",
        "created_at",
    ]
    column_formatters_export = {"start_at": _csv_start, "end_at": _csv_start}
    column_display_actions = False
    named_filter_urls = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.column_filters = [
            filters.LocalDateBetween(Booking.start_at, "Date"),
            filters.LocalDateOn(Booking.start_at, "Date"),
            filters.LocalDateFrom(Booking.start_at, "Date"),
            filters.LocalDateUntil(Booking.start_at, "Date"),
            filters.Choice(
                Booking.therapist_id, "Therapist", options_from(therapist_options), True
            ),
            filters.Choice(Booking.room_id, "Room", options_from(room_options), True),
            filters.Choice(
                Booking.status, "Status", [(s.value, STATUS_LABELS[s.value]) for s in BookingStatus]
            ),
            filters.Choice(
                Booking.treatment_type_id, "Treatment", options_from(treatment_options), True
            ),
            FilterLike("client.name", "Client"),
            ClientIs(Booking.client_id, "Client"),
        ]
        super().__init__(*args, **kwargs)

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self) -> Response:
        return redirect(url_for("book.index"))


def _booking(view: Any, ctx: Any, model: OutboxMessage, name: str) -> Markup:
    url = url_for("booking.show", booking_id=model.booking_id)
    return Markup(f'<a href="{escape(url)}">#{model.booking_id}</a>')


def _message_status(view: Any, ctx: Any, model: OutboxMessage, name: str) -> Markup:
    badge = status_badge(model.status)
    if model.status != MessageStatus.FAILED.value or not view.may_write():
        return badge
    from flask_wtf.csrf import generate_csrf

    url = url_for("outbox.retry", message_id=model.id)
    return Markup(
        f'{badge} <form class="inline" method="post" action="{escape(url)}">'
        f'<input type="hidden" name="csrf_token" value="{escape(generate_csrf())}">'
        '<button class="btn btn-sm btn-outline-primary" type="submit">Retry</button></form>'
    )


class OutboxView(ClinicModelView):
    admin_writes = False  # a receptionist may retry a client's invitation
    allow_create = False
    allow_edit = False
    help_text = (
        "Invitations, updates, cancellations and reminders waiting to be sent or already "
        "sent. A failed message can be retried once the problem (e.g. a typo in the "
        "client's address) is fixed."
    )
    column_list = [
        "created_at",
        "booking_id",
        "kind",
        "recipient",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "sent_at",
    ]
    column_labels = {
        "created_at": "Queued",
        "booking_id": "Booking",
        "next_attempt_at": "Next attempt",
        "last_error": "Error or note",
        "sent_at": "Sent",
    }
    column_sortable_list = ["created_at", "status", "kind", "next_attempt_at", "sent_at"]
    column_default_sort = ("created_at", True)
    column_searchable_list = ["recipient", "last_error"]
    column_formatters = {"booking_id": _booking, "status": _message_status}
    column_display_actions = False
    named_filter_urls = True
    list_template = "dashboard/model/outbox_list.html"

    def render(self, template: str, **kwargs: Any) -> str:
        if template == self.list_template:
            with context.db().read() as session:
                counts = outbox_queries.status_counts(session)
            kwargs["status_tabs"] = [
                (label, counts.get(value, 0), filtered_url("outbox.index_view", status_is=value))
                for value, label in MESSAGE_LABELS.items()
            ]
        return super().render(template, **kwargs)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.column_filters = [
            filters.Choice(
                OutboxMessage.status,
                "Status",
                [(s.value, MESSAGE_LABELS[s.value]) for s in MessageStatus],
            ),
            filters.Choice(OutboxMessage.kind, "Kind", [(k.value, k.value) for k in MessageKind]),
            filters.LocalDateBetween(OutboxMessage.created_at, "Queued"),
            filters.IdIs(OutboxMessage.booking_id, "Booking"),
        ]
        super().__init__(*args, **kwargs)

    @expose("/retry/<int:message_id>", methods=("POST",))
    def retry(self, message_id: int) -> Response:
        self._retry([message_id])
        return redirect(request.referrer or url_for("outbox.index_view"))

    @action("retry", "Retry", "Send the selected failed messages again?")
    def action_retry(self, ids: list[str]) -> None:
        self._retry([int(i) for i in ids if is_id(str(i))])

    def _retry(self, ids: list[int]) -> None:
        retried = 0
        for message_id in ids:
            try:
                with context.db().transaction() as session:
                    outbox.retry_message(session, message_id)
                retried += 1
            except ClinicError as exc:
                flash(f"Message #{message_id}: {exc.message}", "danger")
        if retried:
            flash(f"{wording.count(retried, 'message')} queued to be sent again.", "success")
