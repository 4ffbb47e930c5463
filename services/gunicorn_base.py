"""The gunicorn settings both web services share; each service's gunicorn.conf.py adds its
bind address, workers and threads, each overridable from the environment."""

from __future__ import annotations

from typing import Any

from shared import logs, metrics_process
from shared.config import exit_on_config_error, load_settings


def _post_fork(server: object, worker: object) -> None:
    logs.hold_back_raw_output()  # a worker's stray prints (a crash's text) never reach the log


def settings_for(service: str) -> dict[str, Any]:
    """gunicorn's settings for `service`, to be put in its config module's globals beside
    the bind address and the worker and thread counts it reads itself (inside
    `exit_on_config_error`, so a bad value stops gunicorn before any worker starts)."""
    with exit_on_config_error():
        settings = load_settings()
    logs.catch_uncaught_exceptions()
    # /metrics sums every worker's counts: prometheus-client's multiprocess mode, in a
    # directory emptied at each start (PROMETHEUS_MULTIPROC_DIR, or a new temporary one).
    metrics_process.prepare_directory()
    return {
        "worker_class": "gthread",
        "timeout": 30,
        "graceful_timeout": 10,
        "keepalive": 5,
        "accesslog": None,  # the app logs one line per request itself (shared.request_log)
        "errorlog": "-",
        "loglevel": "warning",
        # gunicorn's own lines (worker crashes, timeouts) in the one format of every process.
        "logconfig_dict": logs.gunicorn_config(service, settings.log_format),
        "post_fork": _post_fork,
        "child_exit": metrics_process.worker_exited,
        # Unused here; left on, every gunicorn on a host would share ~/.gunicorn/gunicorn.ctl.
        "control_socket_disable": True,
    }
