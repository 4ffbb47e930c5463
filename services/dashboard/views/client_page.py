"""One client on one page: contacts, notes, sessions to come and past, no-shows, courses, and
"book again" (the booking form filled in from their latest session)."""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, url_for
from flask_admin import expose
from werkzeug.wrappers import Response

from services.dashboard import context
from services.dashboard.views.base import SecureView
from shared.client_record import client_record
from shared.errors import NotFound


class ClientPage(SecureView):
    admin_writes = False

    def is_visible(self) -> bool:
        return False  # reached from a booking, the lists and the search, not the menu

    @expose("/")
    def index(self) -> Response:
        return redirect(url_for("clients.index_view"))

    @expose("/<int:client_id>")
    def show(self, client_id: int) -> Any:
        try:
            with context.db().read() as s:
                record = client_record(s, client_id, now=context.now())
        except NotFound:
            abort(404)
        again = record.to_repeat
        book_again = url_for(
            "book.index",
            client_id=record.client.id,
            treatment_type_id=again.treatment_type_id if again else None,
            therapist_id=again.therapist_id if again else None,
        )
        return self.render("dashboard/client.html", record=record, book_again=book_again)
