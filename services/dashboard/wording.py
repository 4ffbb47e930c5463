"""The clinic's words where a library's would show: Flask-Admin's messages, and who changed
a booking as the history names them."""

from __future__ import annotations

from shared.explanations import counted

LIBRARY_MESSAGES = {
    "Record was successfully created.": "Saved.",
    "Record was successfully saved.": "Changes saved.",
    "Record was successfully deleted.": "Deleted.",
}


def message(text: object) -> object:
    """A flashed message in the clinic's words (Markup and other messages pass unchanged)."""
    return LIBRARY_MESSAGES.get(text, text) if isinstance(text, str) else text


def actor(raw: str) -> str:
    """ "dashboard:anna@clinic.example" -> "anna@clinic.example"; "api:website" -> "the
    website (API key)"; the client acting on their own page -> "the client"."""
    kind, _, who = raw.partition(":")
    if kind == "dashboard" and who:
        return who
    if kind == "api" and who:
        return f"{who} (API key)"
    if kind in ("client", "online"):
        return "the client"
    return raw


def count(n: int, noun: str) -> str:
    """ "1 session", "3 sessions": never "session(s)"."""
    return counted(n, noun)
