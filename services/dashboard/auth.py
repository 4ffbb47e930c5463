"""Staff log-in: Flask-Login sessions on argon2 accounts, with expiry and role checks.

A session ends after `DASHBOARD_IDLE_MINUTES` without a request or `DASHBOARD_MAX_HOURS`
after logging in, and at once when the account is deactivated or its password changes
(the session id carries a fingerprint of the password hash).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from services.dashboard import context
from shared import accounts
from shared.models import User

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please log in to use the dashboard."
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"

F = TypeVar("F", bound=Callable[..., Any])


class StaffUser(UserMixin):
    """The logged-in account as plain data (no ORM object outlives its session)."""

    def __init__(self, user: User) -> None:
        assert user.id is not None
        self.user_id = user.id
        self.email = user.email
        self.role = user.role
        self.fingerprint = _fingerprint(user.password_hash)

    def get_id(self) -> str:
        return f"{self.user_id}.{self.fingerprint}"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def actor(self) -> str:
        """How this user appears in a booking's history."""
        return f"dashboard:{self.email}"


def _fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


@login_manager.user_loader
def _load_user(session_id: str) -> StaffUser | None:
    user_id, _, fingerprint = session_id.partition(".")
    if not user_id.isdigit():
        return None
    with context.db().read() as s:
        user = accounts.find_user(s, int(user_id))
    if user is None or not user.active or _fingerprint(user.password_hash) != fingerprint:
        return None
    return StaffUser(user)


def is_admin() -> bool:
    return bool(current_user.is_authenticated and current_user.role == "admin")


def admin_required(view: F) -> F:
    """For plain Flask views: log-in required, and the admin role (403 otherwise)."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not is_admin():
            abort(403)
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1000)])


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect to another host."""
    if not target:
        return url_for("day.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("day.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        with context.db().transaction() as s:
            user, message = accounts.authenticate_user(
                s, form.email.data or "", form.password.data or "", now=context.now()
            )
            staff = StaffUser(user) if user is not None else None
        if staff is not None:
            session.clear()  # nothing from before the log-in survives it
            login_user(staff)
            session.permanent = True
            stamp = context.now().timestamp()
            session["login_at"] = session["seen_at"] = stamp
            return redirect(_safe_next(request.args.get("next")))
        form.password.errors = [message]
        status = 401
    elif request.method == "POST":
        status = 422
    return render_template("dashboard/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    logout_user()
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


def _expire_sessions() -> Response | None:
    """Log out a session that was idle too long or is older than the maximum."""
    if not current_user.is_authenticated:
        return None
    from flask import current_app

    now = context.now().timestamp()
    idle = timedelta(minutes=current_app.config["DASHBOARD_IDLE_MINUTES"]).total_seconds()
    longest = timedelta(hours=current_app.config["DASHBOARD_MAX_HOURS"]).total_seconds()
    login_at = session.get("login_at", 0)
    seen_at = session.get("seen_at", 0)
    if now - seen_at > idle or now - login_at > longest:
        logout_user()
        session.clear()
        flash("Your session expired: please log in again.", "info")
        if request.blueprint == "auth":
            return None  # on its way to the log-in page (or out) anyway
        if request.method == "GET":
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return redirect(url_for("auth.login"))
    if now - seen_at > 30:  # refresh the cookie at most twice a minute
        session["seen_at"] = now
    return None


def init_app(app: Flask) -> None:
    app.config.setdefault("DASHBOARD_IDLE_MINUTES", 60)
    app.config.setdefault("DASHBOARD_MAX_HOURS", 12)
    login_manager.init_app(app)
    app.register_blueprint(bp)
    app.before_request(_expire_sessions)
