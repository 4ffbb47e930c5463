"""Staff log-in: Flask-Login on argon2 accounts, with server-side sessions, expiry and roles.

The cookie carries a session's token; the session itself is a row (`shared.staff_sessions`),
so logging out ends every copy of the cookie at once, and so do a new password and switching
the account off. A session also ends after `DASHBOARD_IDLE_MINUTES` without a request and
`DASHBOARD_MAX_HOURS` after logging in. Failed log-ins are throttled by address and account
(`shared.login_throttle`), with one answer for every wrong e-mail or password.
"""

from __future__ import annotations

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
from shared import actors, staff_login, staff_sessions
from shared.accounts import shown_name
from shared.errors import AuthError, TooManyAttempts
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

    def __init__(self, user: User, token: str) -> None:
        assert user.id is not None
        self.user_id = user.id
        self.email = user.email
        self.name = shown_name(user.name, user.email)
        self.role = user.role
        self.token = token  # the server-side session's, kept in the cookie

    def get_id(self) -> str:
        return self.token

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def actor(self) -> str:
        """How this user appears in a booking's history."""
        return actors.staff_actor(self.email)


def _longest() -> timedelta:
    from flask import current_app

    return timedelta(hours=current_app.config["DASHBOARD_MAX_HOURS"])


@login_manager.user_loader
def _load_user(token: str) -> StaffUser | None:
    """The account of a live session (one read per request), or None: logged out."""
    with context.db().read() as s:
        user = staff_sessions.user_of(s, token, now=context.now(), longest=_longest())
    return StaffUser(user, token) if user is not None else None


def _end_session() -> None:
    """This session ends on the server too: a copy of the cookie opens nothing any more."""
    if current_user.is_authenticated:
        with context.db().transaction() as s:
            staff_sessions.end(s, current_user.token, now=context.now())


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
    status, headers = 200, {}
    if form.validate_on_submit():
        try:
            user, token = staff_login.log_in(
                context.db(),
                email=form.email.data or "",
                password=form.password.data or "",
                address=request.remote_addr,
                now=context.now(),
                longest=_longest(),
            )
        except (AuthError, TooManyAttempts) as exc:
            form.password.errors = [exc.message]
            status = 429 if isinstance(exc, TooManyAttempts) else 401
            if exc.retry_after is not None:
                headers["Retry-After"] = str(exc.retry_after)
        else:
            session.clear()  # nothing from before the log-in survives it
            login_user(StaffUser(user, token))
            session.permanent = True
            stamp = context.now().timestamp()
            session["login_at"] = session["seen_at"] = stamp
            return redirect(_safe_next(request.args.get("next")))
    elif request.method == "POST":
        status = 422
    return render_template("dashboard/login.html", form=form), status, headers


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    _end_session()
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
        _end_session()
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
