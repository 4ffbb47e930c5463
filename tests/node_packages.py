"""Node packages the tests read calendars with, installed from their lock file on first use."""

from __future__ import annotations

import fcntl
import subprocess
from pathlib import Path


def npm_ci(folder: Path, *packages: str) -> None:
    """`npm ci` in `folder` once, unless `packages` are there already (a file lock keeps
    parallel test workers apart). Raises RuntimeError with npm's output when it fails."""
    with open(folder / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if all((folder / "node_modules" / p / "package.json").exists() for p in packages):
            return
        command = ["npm", "ci", "--no-audit", "--no-fund"]
        if not (folder / "package-lock.json").exists():
            command[1] = "install"
        done = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise RuntimeError(f"npm could not install {packages}:\n{done.stdout}\n{done.stderr}")
