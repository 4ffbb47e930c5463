"""Gunicorn settings for the dashboard; every value can be overridden from the environment."""

import os

bind = os.environ.get("DASHBOARD_BIND", "127.0.0.1:8001")
workers = int(os.environ.get("DASHBOARD_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("DASHBOARD_THREADS", "4"))
timeout = 30
graceful_timeout = 10
keepalive = 5
accesslog = None  # the app logs one JSON line per request itself
errorlog = "-"
loglevel = "warning"
