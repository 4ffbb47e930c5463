"""uv.lock pins every dependency; `make install`, CI and the image install from it.

A fresh clone installs the exact locked versions with `make install`; the image's install
command (the Dockerfile's `uv export` + `pip install --require-hashes`) installs the locked
runtime set and nothing of the dev extras; `make lock-check` fails when pyproject.toml moved on
without `make lock`.
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.deploy.compose import DOCKERFILE, ROOT, dockerfile_stages

BIN = Path(sys.executable).parent
UV = BIN / "uv"
LOCK = ROOT / "uv.lock"
# What a clone holds that installing needs (tests, docs and the rest play no part).
INSTALL_FILES = ("Makefile", "pyproject.toml", "uv.lock", "shared", "services")


def locked_versions() -> dict[str, str]:
    lock = tomllib.loads(LOCK.read_text())
    return {p["name"]: p["version"] for p in lock["package"] if p["name"] != "clinic-scheduler"}


def runtime_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(r) for r in project["dependencies"]]


def fresh_clone(tmp_path: Path) -> Path:
    clone = tmp_path / "clone"
    clone.mkdir()
    for name in INSTALL_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, clone / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, clone / name)
    return clone


def run(cmd: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )


def test_every_runtime_dependency_is_bounded_below_its_next_major_version() -> None:
    for requirement in runtime_requirements():
        lows = [Version(s.version) for s in requirement.specifier if s.operator == ">="]
        highs = [Version(s.version) for s in requirement.specifier if s.operator == "<"]
        assert lows and highs, f"{requirement}: needs both >= and <"
        assert highs[0] <= Version(f"{lows[0].major + 1}"), f"{requirement}: past the next major"


def test_the_lock_pins_every_runtime_dependency_inside_its_bounds() -> None:
    pinned = locked_versions()
    for requirement in runtime_requirements():
        assert requirement.name in pinned, f"{requirement.name} is not in uv.lock"
        assert Version(pinned[requirement.name]) in requirement.specifier


def test_the_lock_matches_pyproject(tmp_path: Path) -> None:
    done = run([str(UV), "lock", "--check", "--offline"], ROOT)

    assert done.returncode == 0, done.stderr


def test_the_lock_check_fails_when_pyproject_changed_without_make_lock(tmp_path: Path) -> None:
    clone = fresh_clone(tmp_path)
    pyproject = clone / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"flask>=3.1,<4"', '"flask>=3.1.1,<4"'))

    done = run([str(UV), "lock", "--check", "--offline"], clone)
    if "network was disabled" in done.stderr:
        # A machine whose uv cache holds no index pages (installs from uv.lock fetch none)
        # cannot resolve offline: ask the index.
        done = run([str(UV), "lock", "--check"], clone)

    assert done.returncode != 0
    assert "needs to be updated" in done.stderr


@pytest.mark.e2e
def test_a_fresh_clone_installs_the_locked_versions_with_make_install(tmp_path: Path) -> None:
    clone = fresh_clone(tmp_path)

    done = run(["make", "install"], clone)

    assert done.returncode == 0, done.stdout + done.stderr
    venv = clone / ".venv"
    freeze = run([str(UV), "pip", "list", "--format", "json", "--python", str(venv)], clone)
    installed = {canonicalize_name(p["name"]): p["version"] for p in json.loads(freeze.stdout)}
    for name, version in locked_versions().items():
        if name in installed:  # the lock also holds other platforms' and Pythons' packages
            assert installed[name] == version, name
    for name in ("flask", "gunicorn", "prometheus-client", "pytest", "playwright"):
        assert name in installed
    assert run([str(venv / "bin" / "clinic"), "--version"], clone).returncode == 0


def dockerfile_export_command(output: Path) -> list[str]:
    """The `uv export ...` of the Dockerfile's build stage, writing to `output`."""
    runs = [args for keyword, args in dockerfile_stages()[0] if keyword == "RUN"]
    [export] = [part for args in runs for part in args.split("&&") if "uv export" in part]
    words = shlex.split(export)
    words[words.index("-o") + 1] = str(output)
    return [str(UV), *words[1:]]


@pytest.mark.e2e
def test_the_images_install_command_installs_the_locked_runtime_set_only(tmp_path: Path) -> None:
    assert "--require-hashes" in DOCKERFILE.read_text()
    requirements = tmp_path / "requirements.txt"
    clone = fresh_clone(tmp_path)
    assert run(dockerfile_export_command(requirements), clone).returncode == 0
    venv = tmp_path / "image-venv"
    run([sys.executable, "-m", "venv", str(venv)], tmp_path)

    pip = [str(venv / "bin" / "pip"), "install", "-q", "--no-deps", "--require-hashes"]
    done = run([*pip, "-r", str(requirements)], tmp_path)

    assert done.returncode == 0, done.stderr
    check = run([str(venv / "bin" / "pip"), "check"], tmp_path)
    assert check.returncode == 0, check.stdout
    listed = run([str(venv / "bin" / "pip"), "list", "--format", "json"], tmp_path)
    installed = {canonicalize_name(p["name"]): p["version"] for p in json.loads(listed.stdout)}
    assert "pytest" not in installed and "playwright" not in installed
    pinned = locked_versions()
    for requirement in runtime_requirements():
        assert installed[canonicalize_name(requirement.name)] == pinned[requirement.name]
    app = run(
        [str(venv / "bin" / "python"), "-c", "import services.scheduler, services.dashboard"],
        clone,
    )
    assert app.returncode == 0, app.stderr
