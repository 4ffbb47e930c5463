"""Gunicorn settings for the scheduler; every value can be overridden from the environment."""

import multiprocessing
import os

from shared import logs, metrics_process
from shared.config import env_int, exit_on_config_error, load_settings

# A bad setting stops gunicorn here, before any worker starts, with one line naming it.
with exit_on_config_error():
    settings = load_settings()
    workers = env_int("SCHEDULER_WORKERS", min(4, multiprocessing.cpu_count() * 2), 1, 64)
    threads = env_int("SCHEDULER_THREADS", 2, 1, 64)

bind = os.environ.get("SCHEDULER_BIND", "127.0.0.1:8000")
worker_class = "gthread"
timeout = 30
graceful_timeout = 10
keepalive = 5
accesslog = None  # the app logs one line per request itself (shared.request_log)
errorlog = "-"
loglevel = "warning"
# gunicorn's own lines (worker crashes, timeouts) in the one format of every process.
logconfig_dict = logs.gunicorn_config("scheduler", settings.log_format)
logs.catch_uncaught_exceptions()


def post_fork(server: object, worker: object) -> None:
    logs.hold_back_raw_output()  # a worker's stray prints (a crash's text) never reach the log


# /metrics sums every worker's counts: prometheus-client's multiprocess mode, in a directory
# emptied at each start (PROMETHEUS_MULTIPROC_DIR, or a new temporary one).
metrics_process.prepare_directory()
child_exit = metrics_process.worker_exited

# Unused here; left on, every gunicorn on a host would share ~/.gunicorn/gunicorn.ctl.
control_socket_disable = True
