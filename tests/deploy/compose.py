"""Read docker-compose.yml, .env.example and the Dockerfile the way Docker would, without Docker.

`interpolate` follows the Compose specification's rules for `${VAR}`, `${VAR:-default}`,
`${VAR-default}`, `${VAR:?error}`, `${VAR?error}`, `${VAR:+alt}`, `${VAR+alt}` (nested in the
default) and `$$`, so tests can check what each service would really receive.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
CADDYFILE = ROOT / "deploy" / "Caddyfile"

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ENV_LINE = re.compile(r"^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$")


class InterpolationError(ValueError):
    """A `${VAR:?message}` whose variable is unset, or a malformed expression."""


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())  # type: ignore[no-any-return]


def python_services(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The services built from the project's Dockerfile."""
    return {name: svc for name, svc in doc["services"].items() if "build" in svc}


def env_example() -> tuple[dict[str, str], set[str]]:
    """(active NAME=value lines, names listed only in comments such as `# NAME=default`)."""
    active: dict[str, str] = {}
    commented: set[str] = set()
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = _ENV_LINE.match(line.strip())
        if not match:
            continue
        if match.group(1):
            commented.add(match.group(2))
        else:
            active[match.group(2)] = match.group(3)
    return active, commented


def interpolate(text: str, env: Mapping[str, str]) -> str:
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char != "$":
            out.append(char)
            i += 1
            continue
        nxt = text[i + 1 : i + 2]
        if nxt == "$":
            out.append("$")
            i += 2
        elif nxt == "{":
            end = _closing_brace(text, i + 2)
            out.append(_expression(text[i + 2 : end], env))
            i = end + 1
        else:
            match = _NAME.match(text, i + 1)
            if not match:
                raise InterpolationError(f"a lone $ in {text!r}: write $$ for a dollar sign")
            out.append(env.get(match.group(0), ""))
            i = match.end()
    return "".join(out)


def _closing_brace(text: str, start: int) -> int:
    depth = 1
    i = start
    while i < len(text):
        if text.startswith("${", i):
            depth += 1
            i += 2
            continue
        if text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise InterpolationError(f"unclosed ${{ in {text!r}")


def _expression(expr: str, env: Mapping[str, str]) -> str:
    match = _NAME.match(expr)
    if not match:
        raise InterpolationError(f"${{{expr}}} does not start with a variable name")
    name, rest = match.group(0), expr[match.end() :]
    value = env.get(name)
    for op in (":-", ":?", ":+", "-", "?", "+"):
        if rest.startswith(op):
            arg = rest[len(op) :]
            unset_or_empty = not value if op.startswith(":") else value is None
            if op.endswith("-"):
                return interpolate(arg, env) if unset_or_empty else str(value)
            if op.endswith("?"):
                if unset_or_empty:
                    raise InterpolationError(f"{name}: {interpolate(arg, env)}")
                return str(value)
            return "" if unset_or_empty else interpolate(arg, env)
    if rest:
        raise InterpolationError(f"${{{expr}}}: unknown operator {rest[:2]!r}")
    return value or ""


def variables(text: str) -> set[str]:
    """Every variable name an interpolated string refers to, nested defaults included."""
    names: set[str] = set()
    for match in re.finditer(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", text.replace("$$", "")):
        names.add(match.group(1))
    return names


def strings(node: Any) -> Iterator[str]:
    """Every string value (and key) in a parsed YAML document."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from strings(key)
            yield from strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)


def service_environment(service: dict[str, Any], dotenv: Mapping[str, str]) -> dict[str, str]:
    """What a container would get: the env_file (.env) overlaid by `environment`, interpolated."""
    env = dict(dotenv) if service.get("env_file") else {}
    for key, value in (service.get("environment") or {}).items():
        env[key] = interpolate(str(value), dotenv)
    return env


def command(service: dict[str, Any]) -> list[str]:
    cmd = service["command"]
    return list(cmd) if isinstance(cmd, list) else shlex.split(cmd)


# --- Dockerfile ---------------------------------------------------------------------------


def dockerfile_stages() -> list[list[tuple[str, str]]]:
    """Instructions per stage as (KEYWORD, arguments), continuation lines joined."""
    joined: list[str] = []
    pending = ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        joined.append(pending + line)
        pending = ""
    stages: list[list[tuple[str, str]]] = []
    for line in joined:
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            stages.append([])
        if stages:
            stages[-1].append((keyword, args.strip()))
    return stages


def exec_form(args: str) -> list[str]:
    value = json.loads(args)
    assert isinstance(value, list), f"not the exec (JSON) form: {args}"
    return [str(v) for v in value]
