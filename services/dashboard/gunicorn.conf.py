"""Gunicorn settings for the dashboard (the ones both services share: services/gunicorn_base.py)."""

import os

from services.gunicorn_base import settings_for
from shared.config import env_int, exit_on_config_error

with exit_on_config_error():
    workers = env_int("DASHBOARD_WORKERS", 2, 1, 64)
    threads = env_int("DASHBOARD_THREADS", 4, 1, 64)
bind = os.environ.get("DASHBOARD_BIND", "127.0.0.1:8001")
globals().update(settings_for("dashboard"))
