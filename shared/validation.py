"""Checks of single values shared by the domain functions; each raises InvalidInput."""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email

from shared.errors import InvalidInput

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def email(value: str, field: str = "email") -> str:
    """The normalised address (domain lower-cased); refuses anything that is not one."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("an e-mail address is required", field=field)
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise InvalidInput(f"{value!r} is not an e-mail address: {exc}", field=field) from None


def text(value: str, field: str, *, max_len: int, required: bool = True) -> str:
    if not isinstance(value, str):
        raise InvalidInput("expected text", field=field)
    value = value.strip()
    if required and not value:
        raise InvalidInput("may not be empty", field=field)
    if len(value) > max_len:
        raise InvalidInput(f"at most {max_len} characters", field=field)
    if any(ch in value for ch in "\r\n\x00") and max_len <= 500:
        raise InvalidInput("may not contain line breaks", field=field)
    return value


def colour(value: str, field: str = "colour") -> str:
    if not isinstance(value, str) or not _COLOUR.match(value):
        raise InvalidInput("expected a colour like #a1b2c3", field=field)
    return value.lower()


def minutes(value: int, field: str, *, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput("expected a whole number of minutes", field=field)
    if not low <= value <= high:
        raise InvalidInput(f"must be between {low} and {high} minutes", field=field)
    return value


def positive_id(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InvalidInput("expected a positive whole number id", field=field)
    return value
