"""Where a request finds the process's settings and database."""

from __future__ import annotations

from flask import current_app

from shared.config import Settings
from shared.db import Database


def db() -> Database:
    return current_app.extensions["clinic.db"]  # type: ignore[no-any-return]


def settings() -> Settings:
    return current_app.extensions["clinic.settings"]  # type: ignore[no-any-return]
