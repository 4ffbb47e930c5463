"""Who changed a booking, in its history's words: a staff member by name and role ("Ana
(reception)"), an API key by its name, the client as "the client".

Booking events keep the technical actor ("dashboard:<e-mail>", "api:<key name>"), written by
`staff_actor` and `api_actor`, so an account renamed later shows its new name on old rows too.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from shared.accounts import shown_name
from shared.models import User

STAFF, API = "dashboard", "api"
ROLE_WORDS = {"receptionist": "reception", "admin": "admin"}


def staff_actor(email: str) -> str:
    """How a dashboard account is recorded as a booking event's actor."""
    return f"{STAFF}:{email}"


def api_actor(key_name: str) -> str:
    """How an API key is recorded as a booking event's actor."""
    return f"{API}:{key_name}"


def actor_names(session: Session, actors: Iterable[str]) -> dict[str, str]:
    """Each actor's name as the history shows it, with one query for the staff among them;
    an account no longer on record keeps its e-mail."""
    wanted = set(actors)
    emails = {who for kind, _, who in (a.partition(":") for a in wanted) if kind == STAFF and who}
    staff = (
        {
            email: f"{shown_name(name, email)} ({ROLE_WORDS.get(role, role)})"
            for email, name, role in session.exec(
                select(User.email, User.name, User.role).where(col(User.email).in_(emails))
            )
        }
        if emails
        else {}
    )
    return {actor: _named(actor, staff) for actor in wanted}


def _named(actor: str, staff: dict[str, str]) -> str:
    kind, _, who = actor.partition(":")
    if kind == STAFF and who:
        return staff.get(who, who)
    if kind == API and who:
        return f"{who} (API key)"
    if kind in ("client", "online"):
        return "the client"
    return actor
