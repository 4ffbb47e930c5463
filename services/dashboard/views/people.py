"""Clients (receptionists manage them) and staff accounts (admins only)."""

from __future__ import annotations

from typing import Any

from flask import flash, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from sqlmodel import Session
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from services.dashboard.views.base import ClinicModelView, filtered_url
from services.dashboard.views.client_search import SearchesClients
from services.dashboard.views.forms import opts
from shared import accounts, clients
from shared.models import Client, User


class ClientForm(FlaskForm):
    name = StringField("Full name", validators=[DataRequired(), Length(max=200)])
    email = EmailField(
        "E-mail",
        validators=[Optional(), Email(), Length(max=254)],
        description="invitations and reminders go here",
    )
    phone = StringField("Phone", validators=[Length(max=50)])
    notes = TextAreaField("Notes (staff only)", validators=[Length(max=5000)])


def _client_bookings(view: Any, ctx: Any, model: Client, name: str) -> Markup:
    url = filtered_url("bookings.index_view", client_id=model.id)
    book = url_for("book.index", client_id=model.id)
    return Markup(f'<a href="{escape(url)}">sessions</a> · <a href="{escape(book)}">book</a>')


def _client_name(view: Any, ctx: Any, model: Client, name: str) -> Markup:
    page = url_for("client.show", client_id=model.id)
    return Markup(f'<a href="{escape(page)}">{escape(model.name)}</a>')


class ClientView(SearchesClients, ClinicModelView):
    form = ClientForm
    admin_writes = False  # receptionists manage clients
    allow_delete = True
    can_view_details = True
    help_text = (
        "Clients' details are personal data: use them only for their care. A client with "
        "sessions on record cannot be deleted."
    )
    column_list = ["name", "email", "phone", "created_at", "sessions"]
    column_details_list = ["name", "email", "phone", "notes", "created_at"]
    column_export_list = ["name", "email", "phone", "notes", "created_at"]
    column_labels = {"created_at": "Registered", "email": "E-mail"}
    column_searchable_list = ["name", "email", "phone"]
    column_sortable_list = ["name", "email", "created_at"]
    column_default_sort = "name"
    column_formatters = {"name": _client_name, "sessions": _client_bookings}
    column_formatters_export: dict[str, Any] = {}  # plain names in the CSV

    def save(self, session: Session, form: Any, model: Any) -> Client:
        name = form.name.data or ""
        email = (form.email.data or "").strip() or None
        phone, notes = form.phone.data or "", form.notes.data or ""
        if model is None:
            return clients.create_client(session, name=name, email=email, phone=phone, notes=notes)
        return clients.update_client(
            session, model.id, name=name, email=email, phone=phone, notes=notes
        )

    def remove(self, session: Session, model: Any) -> None:
        clients.delete_client(session, model.id)


NAME_HELP = "as the booking history shows it, e.g. Ana; empty: the e-mail's name"


class NewUserForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Email(), Length(max=254)])
    name = StringField("Name", validators=[Length(max=accounts.NAME_MAX)], description=NAME_HELP)
    role = SelectField("Role", choices=opts((r, r) for r in accounts.ROLES), default="receptionist")
    password = PasswordField(
        "Password",
        validators=[DataRequired(), Length(min=10, max=1000)],
        description="at least 10 characters; tell it to the person in person",
    )


class EditUserForm(FlaskForm):
    name = StringField("Name", validators=[Length(max=accounts.NAME_MAX)], description=NAME_HELP)
    role = SelectField("Role", choices=opts((r, r) for r in accounts.ROLES))
    active = BooleanField("Active (may log in)")
    password = PasswordField(
        "New password",
        validators=[Optional(), Length(min=10, max=1000)],
        description="leave empty to keep it; a new one logs the person out everywhere",
    )
    unlock = BooleanField("Unlock after too many failed log-ins")


class StaffView(ClinicModelView):
    admin_only = True
    help_text = (
        "Who may use this dashboard. Admins manage the clinic's set-up and these accounts; "
        "receptionists manage clients and bookings."
    )
    column_list = ["name", "email", "role", "active", "created_at"]
    column_searchable_list = ["name", "email"]
    column_filters = ["active"]
    column_default_sort = "email"
    column_export_list = ["name", "email", "role", "active", "created_at"]

    def get_create_form(self) -> Any:
        return NewUserForm

    def get_edit_form(self) -> Any:
        return EditUserForm

    def save(self, session: Session, form: Any, model: Any) -> User:
        if model is None:
            return accounts.create_user(
                session,
                email=form.email.data or "",
                password=form.password.data or "",
                role=form.role.data,
                name=form.name.data or "",
            )
        return accounts.update_user(
            session,
            model.id,
            role=form.role.data,
            active=bool(form.active.data),
            password=form.password.data or None,
            unlock=bool(form.unlock.data),
            by_user_id=current_user.user_id,
            name=form.name.data or "",
        )

    def after_model_change(self, form: Any, model: Any, is_created: bool) -> None:
        if is_created:
            flash(f"{model.name} ({model.email}) can now log in as {model.role}.", "success")
