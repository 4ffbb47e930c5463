"""Bearer API keys for everything beyond the public booking-page endpoints."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import g, request

from services.scheduler.context import db
from shared.accounts import authenticate_api_key
from shared.errors import AuthError

F = TypeVar("F", bound=Callable[..., Any])


def require_api_key(view: F) -> F:
    """Sets g.api_key (the row) or answers 401."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        header = request.headers.get("Authorization", "")
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise AuthError("Send an API key as 'Authorization: Bearer <key>'")
        with db().read_statements() as session:
            g.api_key = authenticate_api_key(session, key.strip())
        return view(*args, **kwargs)

    wrapper.requires_auth = True  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def actor() -> str:
    """Who is acting, for the booking's history."""
    return f"api:{g.api_key.name}"
