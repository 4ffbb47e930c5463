"""The scheduler: a JSON API for slots and bookings, iCal feeds, and clients' booking pages."""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

from shared import logs
from shared.config import Settings, load_settings
from shared.db import Database
from shared.request_log import RequestLog, remember_route


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """App factory: `gunicorn 'services.scheduler:create_app()'`.

    `config` may hold SETTINGS (a Settings) and DATABASE (a Database) for tests.
    """
    config = config or {}
    settings: Settings = config.get("SETTINGS") or load_settings()
    app = Flask(__name__, static_folder=None)
    # first of the hooks: even a request another hook answers is counted under its route
    app.before_request(lambda: remember_route(request.environ, request.url_rule))
    from services.scheduler.api import IdConverter

    app.url_map.converters["id"] = IdConverter
    app.config.update(
        SECRET_KEY=settings.secret_key,
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=64 * 1024,
    )
    app.config.update({k: v for k, v in config.items() if k not in {"SETTINGS", "DATABASE"}})
    app.extensions["clinic.settings"] = settings
    app.extensions["clinic.db"] = config.get("DATABASE") or Database(settings.database_url)

    from services.scheduler import errors

    errors.register(app)

    from services.scheduler import (
        availability,
        bookings,
        catalog,
        cors,
        courses,
        health,
        offer_pages,
        openapi,
        waitlist,
        waitlist_pages,
    )

    for module in (
        health,
        catalog,
        availability,
        bookings,
        courses,
        waitlist,
        offer_pages,
        waitlist_pages,
        openapi,
    ):
        app.register_blueprint(module.bp)
    _register_optional(app)
    cors.register(app, settings.cors_origins)

    logs.configure("scheduler", settings.log_format)
    if settings.trusted_proxy_hops:  # the client's address, for throttling failed key checks
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.trusted_proxy_hops)  # type: ignore[method-assign]
    app.wsgi_app = RequestLog(app.wsgi_app, "scheduler")  # type: ignore[method-assign]
    return app


def _register_optional(app: Flask) -> None:
    """Blueprints of later features (feeds, client pages) register when present."""
    import importlib

    for name in (
        "services.scheduler.feeds",
        "services.scheduler.client_pages",
        "services.scheduler.booking_pages",
    ):
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        app.register_blueprint(module.bp)
