"""The clinic's words where a library's would show: Flask-Admin's messages and counted nouns.
(Who changed a booking, as its history names them, is `shared.actors`.)"""

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


def count(n: int, noun: str) -> str:
    """ "1 session", "3 sessions": never "session(s)"."""
    return counted(n, noun)
