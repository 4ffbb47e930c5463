"""What every dashboard screen shares: log-in, roles, clinic-local times, refusals as messages.

Lists, search, filters and CSV export come from Flask-Admin and read through Flask-SQLAlchemy
bound to the project's engine; every write goes through `shared` inside
`Database.transaction()`, so a refusal shows as the rule's message and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from typing import Any

from flask import abort, flash, has_request_context, request
from flask_admin import BaseView
from flask_admin.contrib.sqla import ModelView
from flask_admin.model import typefmt
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from sqlmodel import Session
from wtforms import Form

from services.dashboard import context, refusals
from services.dashboard.auth import is_admin, login_manager
from shared import clinic_time
from shared.errors import ClinicError

WRITE_VIEWS = {"create_view", "edit_view", "delete_view", "action_view", "ajax_update"}
CSV_RISKY = ("=", "+", "-", "@", "\t", "\r")


# -- formatting in the clinic's time ------------------------------------------------------------


def local_dt(value: datetime | None, with_weekday: bool = True) -> str:
    """Thu 03.12.2026 17:00 at the clinic, in its locale; CSV (without the weekday) keeps ISO
    2026-12-03 17:00, which spreadsheets read whatever their language."""
    if value is None:
        return ""
    local = value.astimezone(context.tz())
    if not with_weekday:
        return local.strftime("%Y-%m-%d %H:%M")
    return clinic_time.fmt_local(value, context.tz(), with_date=True, locale=context.locale())


def _fmt_datetime(view: Any, value: datetime, name: str) -> str:
    return local_dt(value)


def _fmt_date(view: Any, value: date, name: str) -> str:
    return context.locale().weekday_and_day(value)


def _fmt_time(view: Any, value: time, name: str) -> str:
    return context.locale().clock(value)


def _fmt_bool(view: Any, value: bool, name: str) -> str:
    return Markup('<span class="yes">yes</span>' if value else '<span class="no">no</span>')


def _csv_datetime(view: Any, value: datetime, name: str) -> str:
    return local_dt(value, with_weekday=False)


def _csv_text(view: Any, value: str, name: str) -> str:
    """Keep spreadsheets from running a client's name as a formula (CSV injection)."""
    return "'" + value if value.startswith(CSV_RISKY) else value


LIST_FORMATTERS = {
    **typefmt.BASE_FORMATTERS,
    datetime: _fmt_datetime,
    date: _fmt_date,
    time: _fmt_time,
    bool: _fmt_bool,
    list: typefmt.list_formatter,
}
EXPORT_FORMATTERS = {
    **typefmt.EXPORT_FORMATTERS,
    datetime: _csv_datetime,
    date: lambda v, value, n: value.isoformat(),
    time: lambda v, value, n: value.strftime("%H:%M"),
    bool: lambda v, value, n: "yes" if value else "no",
    str: _csv_text,
}


def swatch(colour: str) -> Markup:
    return Markup(
        f'<span class="swatch" style="background:{escape(colour)}"></span>'
        f"<code>{escape(colour)}</code>"
    )


# -- access -------------------------------------------------------------------------------------


class Secured:
    """Log-in for every page; `admin_only` views and `admin_writes` writes need the admin role."""

    admin_only = False
    admin_writes = True

    def is_accessible(self) -> bool:
        if not current_user.is_authenticated:
            return False
        return is_admin() or not self.admin_only

    def inaccessible_callback(self, name: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        abort(403)

    def may_write(self) -> bool:
        return current_user.is_authenticated and (is_admin() or not self.admin_writes)


class SecureView(Secured, BaseView):
    """A custom screen (not a model list)."""

    def require_write(self) -> None:
        if not self.may_write():
            abort(403)


class ClinicModelView(Secured, ModelView):
    """A list with search, filters and CSV export; writes via `save()`/`remove()` in `shared`."""

    form_base_class = FlaskForm
    can_export = True
    export_types = ["csv"]
    page_size = 50
    can_set_page_size = True
    can_view_details = False
    column_display_actions = True
    column_type_formatters = LIST_FORMATTERS
    column_type_formatters_detail = LIST_FORMATTERS
    column_type_formatters_export = EXPORT_FORMATTERS
    named_filter_urls = True  # links like ?flt0_therapist_is=2 stay readable and stable
    list_template = "dashboard/model/list.html"
    create_template = "dashboard/model/create.html"
    edit_template = "dashboard/model/edit.html"

    def _choices(self, form: Any) -> Any:
        """Fill select fields from the database; views with such fields override it."""
        return form

    def create_form(self, obj: Any = None) -> Any:
        return self._choices(super().create_form(obj))

    def edit_form(self, obj: Any = None) -> Any:
        return self._choices(super().edit_form(obj))

    # What the view allows at all; `can_*` further needs the role to write.
    allow_create = True
    allow_edit = True
    allow_delete = False
    # Domain field names -> form field names, for refusals shown under their field.
    refusal_fields: Mapping[str, str] = {}
    # A sentence under the page title saying what this list is for.
    help_text = ""

    @property
    def can_create(self) -> bool:
        return self.allow_create and self.may_write()

    @property
    def can_edit(self) -> bool:
        return self.allow_edit and self.may_write()

    @property
    def can_delete(self) -> bool:
        return self.allow_delete and self.may_write()

    def _handle_view(self, name: str, **kwargs: Any) -> Any:
        response = super()._handle_view(name, **kwargs)
        if response is not None:
            return response
        if name in WRITE_VIEWS and not self.may_write():
            abort(403)
        return None

    # Writes -----------------------------------------------------------------------------
    # Flask-Admin's own create_model/update_model/delete_model write through its session;
    # ours call `shared` inside one transaction instead, then run Flask-Admin's documented
    # after_model_change / after_model_delete hooks once it has committed, as its own do.

    def save(self, session: Session, form: Form, model: Any | None) -> Any:
        """Create (model None) or update through `shared`; raises ClinicError."""
        raise NotImplementedError

    def remove(self, session: Session, model: Any) -> None:
        """Delete through `shared`; raises ClinicError."""
        raise NotImplementedError

    def create_model(self, form: Form) -> Any:
        saved = self._write(form, None)
        if saved is not None:
            self.after_model_change(form, saved, True)
        return saved or False

    def update_model(self, form: Form, model: Any) -> bool:
        saved = self._write(form, model)
        if saved is not None:
            self.after_model_change(form, saved, False)
        return saved is not None

    def _write(self, form: Form, model: Any | None) -> Any | None:
        """The saved row, or None with the refusal shown under its field (or flashed)."""
        try:
            with context.db().transaction() as session:
                return self.save(session, form, model)
        except ClinicError as exc:
            if refusals.attach(exc, form, self.refusal_fields):
                flash("Not saved: see the message under the field.", "danger")
            return None

    def delete_model(self, model: Any) -> bool:
        try:
            with context.db().transaction() as session:
                self.remove(session, model)
        except ClinicError as exc:
            flash(exc.message, "danger")
            return False
        self.after_model_delete(model)
        return True

    def on_form_prefill(self, form: Form, id: Any) -> None:
        """Fill fields that are not plain model attributes (only on GET: keep what was typed)."""
        if request.method == "GET":
            model = self.get_one(id)
            if model is not None:
                self.prefill(form, model)

    def prefill(self, form: Form, model: Any) -> None:
        pass

    def render(self, template: str, **kwargs: Any) -> str:
        kwargs.setdefault("help_text", self.help_text)
        return super().render(template, **kwargs)

    def _get_filter_groups(self) -> Any:
        # Options such as the list of therapists are read per request, not once at start.
        if any(callable(getattr(f, "options", None)) for f in self._filters or ()):
            self._refresh_filters_cache()
        return super()._get_filter_groups()


def filtered_url(endpoint: str, **filters: Any) -> str:
    """A list's URL with filters applied, e.g. filtered_url("bookings.index_view",
    therapist_is=2, date_between="01.03.2027 to 07.03.2027")."""
    from flask import url_for

    args = {f"flt{i}_{name}": value for i, (name, value) in enumerate(filters.items())}
    return url_for(endpoint, **args)


def options_from(query: Callable[[Session], list[tuple[Any, str]]]) -> Callable[[], Any]:
    """Filter options read from the database when a list is shown (fresh each request)."""

    def load() -> list[tuple[Any, str]]:
        if not has_request_context():
            return []
        with context.db().read() as session:
            return query(session)

    return load
