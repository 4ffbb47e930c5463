"""Turning a rule's refusal (a ClinicError) into a message beside the form, never a 500."""

from __future__ import annotations

from collections.abc import Mapping

from flask import flash
from wtforms import Form

from shared.errors import ClinicError


def attach(
    exc: ClinicError, form: Form | None = None, fields: Mapping[str, str] | None = None
) -> bool:
    """Show `exc.message` under the form field it concerns, else as a flashed alert.

    `fields` maps the domain's field names (e.g. "start_time") to the form's where they
    differ. Returns True when the message went to a field.
    """
    name = (fields or {}).get(exc.field or "", exc.field)
    if form is not None and name and name in form:
        field = form[name]
        field.errors = [*field.errors, exc.message]
        return True
    flash(exc.message, "danger")
    return False
