"""Gunicorn settings for the scheduler; every value can be overridden from the environment."""

import multiprocessing
import os

bind = os.environ.get("SCHEDULER_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("SCHEDULER_WORKERS", str(min(4, multiprocessing.cpu_count() * 2))))
worker_class = "gthread"
threads = int(os.environ.get("SCHEDULER_THREADS", "2"))
timeout = 30
graceful_timeout = 10
keepalive = 5
accesslog = None  # the app logs one JSON line per request itself
errorlog = "-"
loglevel = "warning"
