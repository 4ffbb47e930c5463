"""Gunicorn settings for the scheduler (the ones both services share: services/gunicorn_base.py)."""

import multiprocessing
import os

from services.gunicorn_base import settings_for
from shared.config import env_int, exit_on_config_error

with exit_on_config_error():
    workers = env_int("SCHEDULER_WORKERS", min(4, multiprocessing.cpu_count() * 2), 1, 64)
    threads = env_int("SCHEDULER_THREADS", 2, 1, 64)
bind = os.environ.get("SCHEDULER_BIND", "127.0.0.1:8000")
globals().update(settings_for("scheduler"))
