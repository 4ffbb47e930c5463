"""The receptionist's dashboard: the day view, booking, clients, the clinic's set-up.

Served as `gunicorn -c services/dashboard/gunicorn.conf.py 'services.dashboard:create_app()'`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import flask_sqlalchemy.session
from flask import Flask, request
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from sqlalchemy import orm
from werkzeug.middleware.proxy_fix import ProxyFix

import shared.models  # noqa: F401  (registers every table on SQLModel.metadata)
from shared import clinic_time, logs
from shared.config import Settings, load_settings
from shared.db import Database
from shared.models import utcnow
from shared.request_log import RequestLog, remember_route


class _SharedBytecode(BytecodeCache):
    """Compiled templates shared by every app in the process (tests build many apps)."""

    def __init__(self) -> None:
        self._store: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self._store:
            bucket.bytecode_from_string(self._store[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._store[bucket.key] = bucket.bytecode_to_string()


_BYTECODE = _SharedBytecode()


class _ListSession(flask_sqlalchemy.session.Session):
    """Flask-Admin's sessions, on the engine they are given (`bind`), not on an engine of
    Flask-SQLAlchemy's own."""

    def get_bind(self, mapper: Any = None, clause: Any = None, **kwargs: Any) -> Any:
        return orm.Session.get_bind(self, mapper, clause=clause, **kwargs)


def _list_orm(app: Flask, database: Database) -> SQLAlchemy:
    """The `db` Flask-Admin's lists, filters and exports read through, on the project's engine.

    Flask-Admin 2.2 deprecates being given a plain scoped session, and its SQLAlchemy views
    do not import without Flask-SQLAlchemy, so it gets a Flask-SQLAlchemy object. Only that
    object's public parts are used: `session_options` makes its scoped session bind to the
    project's engine (one pool per process; SQLite keeps its WAL and busy timeout), and
    `init_app`, which would build a second engine from a URI, is not called: the session is
    removed at the end of each app context here instead.
    """
    options = {"class_": _ListSession, "bind": database.engine, "expire_on_commit": False}
    lists = SQLAlchemy(session_options=options, add_models_to_shell=False)
    app.teardown_appcontext(lambda _exc: lists.session.remove())
    return lists


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """App factory. `config` may hold SETTINGS (a Settings), DATABASE (a Database) and
    CLOCK (a function returning the current aware datetime) for tests."""
    config = dict(config or {})
    settings: Settings = config.pop("SETTINGS", None) or load_settings()
    database: Database = config.pop("DATABASE", None) or Database(settings.database_url)
    clock = config.pop("CLOCK", None) or utcnow

    app = Flask(__name__, static_url_path="/assets")
    # first of the hooks: even a request another hook answers is counted under its route
    app.before_request(lambda: remember_route(request.environ, request.url_rule))
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=1024 * 1024,
        SESSION_COOKIE_NAME="clinic_dashboard",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.is_production,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the log-in session
        DASHBOARD_IDLE_MINUTES=60,  # log out after this long without a request
        DASHBOARD_MAX_HOURS=12,  # and this long after logging in, whatever happens
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        FLASK_ADMIN_FLUID_LAYOUT=True,
    )
    app.config.update(config)
    app.jinja_options = {**app.jinja_options, "bytecode_cache": _BYTECODE}
    app.extensions["clinic.settings"] = settings
    app.extensions["clinic.db"] = database
    app.extensions["clinic.clock"] = clock

    CSRFProtect(app)

    from services.dashboard import (
        auth,
        errors,
        favicon,
        health,
        request_guard,
        security_headers,
        views,
    )

    app.url_map.converters["int"] = request_guard.IdConverter  # before any route uses it
    request_guard.register(app)
    security_headers.register(app, production=settings.is_production)
    auth.init_app(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(favicon.bp)
    errors.register(app)
    views.register(app, _list_orm(app, database))
    _template_helpers(app)

    logs.configure("dashboard", settings.log_format)
    if settings.trusted_proxy_hops:  # the client's address, for throttling failed log-ins
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxy_hops)  # type: ignore[method-assign]
    app.wsgi_app = RequestLog(app.wsgi_app, "dashboard")  # type: ignore[method-assign]
    return app


def _template_helpers(app: Flask) -> None:
    from flask_login import current_user

    from services.dashboard import context, wording

    @app.context_processor
    def _inject() -> dict[str, Any]:
        return {
            "current_user": current_user,
            "clinic_row": context.clinic,
            "clinic_locale": context.locale,
        }

    # 14:30 in the clinic's time; the hour the clocks go back shows its offset, 02:30 (+02:00)
    app.add_template_filter(
        lambda instant: clinic_time.hm(instant, context.tz(), context.locale()), "hm"
    )
    app.add_template_filter(wording.message, "clinic_wording")
    # 03.12.2026 and 03.12.2026 17:00 in a clinic in Ljubljana, whatever the browser's language
    app.add_template_filter(
        lambda value: context.locale().day(
            value.astimezone(context.tz()) if isinstance(value, datetime) else value
        ),
        "clinic_date",
    )
    app.add_template_filter(
        lambda instant: context.locale().day_and_clock(instant.astimezone(context.tz())),
        "clinic_when",
    )
    # Thu 03.12.2026: a day with its weekday's name (dates, or instants at the clinic)
    app.add_template_filter(
        lambda value: context.locale().weekday_and_day(
            value.astimezone(context.tz()) if isinstance(value, datetime) else value
        ),
        "clinic_day",
    )

    @app.after_request
    def _no_store(response: Any) -> Any:
        # Pages hold clients' personal data: never keep them in shared caches or history.
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response
