"""Bearer API keys for everything beyond the public booking-page endpoints."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import g, request

from services.scheduler.context import db
from shared import actors, login_throttle
from shared.accounts import authenticate_api_key
from shared.errors import AuthError
from shared.models import utcnow

F = TypeVar("F", bound=Callable[..., Any])


def require_api_key(view: F) -> F:
    """Sets g.api_key (the row) or answers 401; an address with too many failed checks
    waits (429 with Retry-After) before its next key is even looked at."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        header = request.headers.get("Authorization", "")
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise AuthError("Send an API key as 'Authorization: Bearer <key>'")
        now = utcnow()
        try:
            with db().read_statements() as session:
                g.api_key = authenticate_api_key(
                    session, key.strip(), address=request.remote_addr, now=now
                )
        except AuthError:
            with db().transaction() as session:
                login_throttle.count_api_failure(session, address=request.remote_addr, now=now)
            raise
        return view(*args, **kwargs)

    wrapper.requires_auth = True  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def actor() -> str:
    """Who is acting, for the booking's history."""
    return actors.api_actor(g.api_key.name)
