"""Checks of single values shared by the domain functions; each raises InvalidInput."""

from __future__ import annotations

import re
import unicodedata

from email_validator import EmailNotValidError, validate_email

from shared.errors import InvalidInput

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
# The largest id a row can have (PostgreSQL's `integer`): a larger one names nothing.
MAX_ID = 2**31 - 1
# Multi-line text keeps tabs and line breaks; every other control character is refused.
_MULTILINE_ALLOWED = frozenset("\t\n\r")


def email(value: str, field: str = "email") -> str:
    """The normalised address (domain lower-cased); refuses anything that is not one."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("an e-mail address is required", field=field)
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise InvalidInput(f"{value!r} is not an e-mail address: {exc}", field=field) from None


def text(
    value: str,
    field: str,
    *,
    max_len: int,
    required: bool = True,
    multiline: bool | None = None,
) -> str:
    """Stripped text; refuses NUL everywhere, and control characters and line or paragraph
    separators (U+2028, U+0085, a vertical tab...) in one-line text (names, phones, short
    reasons: by default text of at most 500 characters). Multi-line text keeps tabs and
    line breaks only."""
    if not isinstance(value, str):
        raise InvalidInput("expected text", field=field)
    value = value.strip()
    if required and not value:
        raise InvalidInput("may not be empty", field=field)
    if len(value) > max_len:
        raise InvalidInput(f"at most {max_len} characters", field=field)
    problem = unprintable(value, multiline=max_len > 500 if multiline is None else multiline)
    if problem:
        raise InvalidInput(problem, field=field)
    return value


def unprintable(value: str, *, multiline: bool = False) -> str | None:
    """Why `value` cannot be stored and shown as text, or None: a NUL (which PostgreSQL
    cannot store), another control character, or (in one-line text) a line break."""
    if "\x00" in value:
        return "may not contain a NUL character (\\0)"
    for ch in value:
        kind = unicodedata.category(ch)
        if kind not in ("Cc", "Zl", "Zp", "Cs") or (multiline and ch in _MULTILINE_ALLOWED):
            continue
        if ch in "\r\n":
            return "must be one line: no line breaks"
        code = f"U+{ord(ch):04X}"
        if kind == "Cs":
            return f"may not contain {code} (half of a character: an unpaired surrogate)"
        if kind == "Cc":
            return f"may not contain the control character {code}"
        name = unicodedata.name(ch).lower()
        fix = "use an ordinary line break" if multiline else "keep it to one line"
        return f"may not contain {code} ({name}): {fix}"
    return None


_INVISIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_BREAKS = re.compile(r"[\r\n\t]+")


def one_line(value: str) -> str:
    """`value` fit for one line of a mail header, a calendar's field or a log: every control
    character, line or paragraph separator dropped, tabs and line breaks made spaces (for
    text stored before names refused them)."""
    return _INVISIBLE.sub("", _BREAKS.sub(" ", value))


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
    if value > MAX_ID:
        raise InvalidInput(f"no record has an id above {MAX_ID}", field=field)
    return value
