"""Prometheus' multiprocess mode under gunicorn: one fresh directory per master, in which each
worker process keeps its counters and histograms, summed at every scrape.

Imports nothing of prometheus_client: the directory must be named in the environment before
the library is first imported, which happens in the workers, after the fork.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

ENV = "PROMETHEUS_MULTIPROC_DIR"  # the name prometheus-client reads


def prepare_directory(environ: MutableMapping[str, str] | None = None) -> Path:
    """The directory named by PROMETHEUS_MULTIPROC_DIR, emptied; a new one when unset.

    Left-over files from a previous run would add its counts to this one's.
    """
    env = os.environ if environ is None else environ
    named = env.get("PROMETHEUS_MULTIPROC_DIR", "").strip()
    if named:
        path = Path(named)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()
    else:
        path = Path(tempfile.mkdtemp(prefix="clinic-metrics-"))
        env[ENV] = str(path)
    return path


def worker_exited(server: Any, worker: Any) -> None:
    """gunicorn's `child_exit` hook: forget a dead worker's live gauges (its counts stay)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
