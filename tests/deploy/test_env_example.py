"""`.env.example` lists every variable the code and the compose file read, and nothing stale.

The list of variables is derived from the code (an AST scan of shared/ and services/, plus a
recording of what `load_settings` asks for), so a new variable without an entry fails here.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from shared.config import load_settings
from tests.deploy.compose import (
    ENV_EXAMPLE,
    ROOT,
    InterpolationError,
    compose,
    env_example,
    interpolate,
    service_environment,
    strings,
    variables,
)

CODE_DIRS = ("shared", "services")
# Compose reads these itself (not through ${...}).
COMPOSE_BUILTINS = {"COMPOSE_PROFILES"}


def _is_os_environ(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "environ"


def _is_settings_env(node: ast.AST) -> bool:
    # shared/config.py reads through `env` (os.environ or a given mapping); a bare `environ`
    # elsewhere is a WSGI environ, whose keys are not environment variables.
    return _is_os_environ(node) or (isinstance(node, ast.Name) and node.id == "env")


def _name(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.isupper():
        return node.value
    return None


def env_reads(source: str) -> set[str]:
    """Variable names read through os.environ, os.getenv, `env` mappings and env_int()."""
    found: set[str | None] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            first = node.args[0] if node.args else None
            if isinstance(func, ast.Attribute) and _is_settings_env(func.value):
                found.add(_name(first))  # env.get("X"), os.environ.get("X"), .setdefault
            elif (isinstance(func, ast.Attribute) and func.attr == "getenv") or (
                isinstance(func, ast.Name) and func.id in {"getenv", "env_int"}
            ):
                found.add(_name(first))
            elif any(_is_settings_env(arg) for arg in node.args):
                found.update(_name(arg) for arg in node.args)  # _int(env, "X", ...)
        elif isinstance(node, ast.Subscript) and _is_settings_env(node.value):
            found.add(_name(node.slice))
        elif isinstance(node, ast.Compare) and any(_is_settings_env(c) for c in node.comparators):
            found.add(_name(node.left))  # "X" in env
    return {name for name in found if name}


def code_files() -> Iterator[Path]:
    for folder in CODE_DIRS:
        yield from sorted((ROOT / folder).rglob("*.py"))


class Recording(Mapping[str, str]):
    def __init__(self, values: dict[str, str]) -> None:
        self.values = values
        self.asked: set[str] = set()

    def __getitem__(self, key: str) -> str:
        self.asked.add(key)
        return self.values[key]

    def __contains__(self, key: object) -> bool:
        self.asked.add(str(key))
        return key in self.values

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        self.asked.add(key)
        return self.values.get(key, default)

    def __iter__(self) -> Iterator[str]:
        raise AssertionError("load_settings should ask for names, not list them")

    def __len__(self) -> int:
        return len(self.values)


def read_by_load_settings() -> set[str]:
    env = Recording(
        {
            "CLINIC_ENV": "production",
            "SECRET_KEY": "s" * 40,
            "PUBLIC_BASE_URL": "https://clinic.example",
            "SMTP_HOST": "mail.example.com",
            "SMTP_PORT": "587",
            "SMTP_USERNAME": "reception",
            "SMTP_PASSWORD": "secret",
            "SMTP_STARTTLS": "true",
        }
    )
    load_settings(env)
    return env.asked


def read_by_code() -> set[str]:
    names = read_by_load_settings()
    for path in code_files():
        names |= env_reads(path.read_text())
    return names


def listed() -> set[str]:
    active, commented = env_example()
    return set(active) | commented


def compose_variables() -> set[str]:
    return set().union(*(variables(s) for s in strings(compose())))


def test_the_scanner_finds_every_way_the_code_reads_a_variable() -> None:
    source = """
import os
from shared.config import env_int
a = os.environ.get("A_GET")
b = os.environ["B_ITEM"]
c = os.getenv("C_GETENV")
d = env.get("D_ENV")
e = "E_IN" in env
f = _int(env, "F_HELPER", 1, 0, 9)
g = env_int("G_ENV_INT", 2)
h = environ.get("HTTP_NOT_AN_ENV_VAR")
"""
    assert env_reads(source) == {
        "A_GET",
        "B_ITEM",
        "C_GETENV",
        "D_ENV",
        "E_IN",
        "F_HELPER",
        "G_ENV_INT",
    }


def test_the_scan_of_the_code_is_not_empty() -> None:
    found = read_by_code()
    expected = {"DATABASE_URL", "SECRET_KEY", "PUBLIC_BASE_URL", "SMTP_HOST"}
    assert expected | {"SCHEDULER_WORKERS", "DASHBOARD_WORKERS", "SCHEDULER_BIND"} <= found


def test_every_variable_the_code_reads_is_listed_in_env_example() -> None:
    missing = read_by_code() - listed()
    assert not missing, f"add to .env.example (with a default and a comment): {sorted(missing)}"


def test_every_variable_the_compose_file_interpolates_is_listed_in_env_example() -> None:
    missing = compose_variables() - listed()
    assert not missing, f"add to .env.example: {sorted(missing)}"


def test_env_example_lists_nothing_that_nothing_reads() -> None:
    stale = listed() - read_by_code() - compose_variables() - COMPOSE_BUILTINS
    assert not stale, f"no code or compose entry reads: {sorted(stale)}"


def test_the_secrets_ship_empty_and_every_value_to_change_is_marked() -> None:
    active, _ = env_example()
    assert active["SECRET_KEY"] == ""
    assert active["POSTGRES_PASSWORD"] == ""
    text = ENV_EXAMPLE.read_text()
    for name in ("SECRET_KEY", "POSTGRES_PASSWORD", "PUBLIC_BASE_URL", "SMTP_HOST", "MAIL_FROM"):
        before = text.split(f"\n{name}=", 1)[0].rsplit("\n\n", 1)[-1]
        assert "CHANGE" in before, f"{name} needs a CHANGE comment above it"


def test_compose_refuses_to_start_until_the_secrets_are_set() -> None:
    active, _ = env_example()
    services = compose()["services"]
    with pytest.raises(InterpolationError, match="SECRET_KEY"):
        service_environment(services["scheduler"], active)
    with pytest.raises(InterpolationError, match="POSTGRES_PASSWORD"):
        service_environment(services["db"], {**active, "SECRET_KEY": "s" * 48})


def test_the_interpolation_reader_follows_the_compose_rules() -> None:
    env = {"SET": "x", "EMPTY": ""}
    assert interpolate("${SET}-${UNSET}-$$HOME", env) == "x--$HOME"
    assert interpolate("${EMPTY:-d} ${EMPTY-d} ${UNSET-d}", env) == "d  d"
    assert interpolate("${UNSET:-a${SET}b}", env) == "axb"
    assert interpolate("${SET:+alt}${UNSET:+alt}", env) == "alt"
    with pytest.raises(InterpolationError, match="UNSET: needed"):
        interpolate("${UNSET:?needed}", env)
