"""docker-compose.yml, the Dockerfile and .dockerignore agree with each other and with the code.

No Docker engine runs here, so each file is read as Docker would read it (tests/deploy/compose.py)
and checked against the Compose specification's JSON schema and against the package itself.
"""

from __future__ import annotations

import os
import runpy
import shlex
import subprocess
import sys
from importlib import import_module, metadata
from pathlib import Path

import pytest
import yaml
from gunicorn.config import Config

from services import cli
from shared.config import load_settings
from tests.deploy.compose import (
    CADDYFILE,
    COMPOSE,
    DOCKERFILE,
    DOCKERIGNORE,
    ROOT,
    command,
    compose,
    dockerfile_stages,
    env_example,
    exec_form,
    python_services,
    service_environment,
)

BIN = Path(sys.executable).parent
DOC = compose()
APPS = python_services(DOC)
WEB = {"scheduler": "8000", "dashboard": "8001"}


def schema_check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def dockerfile_env() -> dict[str, str]:
    runtime = dockerfile_stages()[-1]
    env: dict[str, str] = {}
    for keyword, args in runtime:
        if keyword == "ENV":
            for pair in shlex.split(args):
                key, _, value = pair.partition("=")
                env[key] = value
    return env


def container_env(name: str) -> dict[str, str]:
    """The environment a service's container would see with .env.example's values filled in."""
    active, _ = env_example()
    dotenv = {**active, "SECRET_KEY": "s" * 48, "POSTGRES_PASSWORD": "pw0123456789"}
    return {**dockerfile_env(), **service_environment(DOC["services"][name], dotenv)}


# --- the Compose specification -------------------------------------------------------------


def test_the_compose_file_is_valid_against_the_compose_specification() -> None:
    done = schema_check(COMPOSE)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_schema_check_does_catch_a_misspelt_key(tmp_path: Path) -> None:
    broken = yaml.safe_load(COMPOSE.read_text())
    broken["services"]["scheduler"]["depends_onn"] = broken["services"]["scheduler"].pop(
        "depends_on"
    )
    path = tmp_path / "docker-compose.yml"
    path.write_text(yaml.safe_dump(broken))

    assert schema_check(path).returncode != 0


# --- commands ------------------------------------------------------------------------------


def console_scripts() -> dict[str, str]:
    """Console scripts the image gets: the project's own and those of its runtime dependencies."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    scripts = dict(project["scripts"])
    for requirement in project["dependencies"]:
        dist = requirement.split("[")[0].split(">")[0].split("=")[0].split("<")[0].strip()
        for ep in metadata.distribution(dist).entry_points:
            if ep.group == "console_scripts":
                scripts[ep.name] = ep.value
    return scripts


def test_there_is_one_service_per_python_process_all_from_the_one_image() -> None:
    assert set(APPS) == {"migrate", "scheduler", "dashboard", "worker"}
    assert len({svc["image"] for svc in APPS.values()}) == 1
    assert {svc["build"]["context"] for svc in APPS.values()} == {"."}


@pytest.mark.parametrize("name", sorted(APPS))
def test_every_service_command_is_a_console_script_the_image_installs(name: str) -> None:
    program = command(APPS[name])[0]
    assert program in console_scripts()
    assert (BIN / program).exists()


@pytest.mark.parametrize("name", ["migrate", "worker"])
def test_the_clinic_commands_are_real_subcommands(name: str) -> None:
    cmd = command(APPS[name])
    assert cmd[0] == "clinic"
    cli._load_extensions()
    args = cli.build_parser().parse_args(cmd[1:])
    assert args.cmd in cli.COMMANDS


@pytest.mark.parametrize("name", sorted(WEB))
def test_the_gunicorn_commands_name_a_config_file_and_an_app_factory_that_exist(
    name: str,
) -> None:
    cmd = command(APPS[name])
    assert cmd[0] == "gunicorn"
    parsed = Config().parser().parse_args(cmd[1:])
    conf = ROOT / parsed.config
    assert conf.is_file()
    assert conf.relative_to(ROOT).parts[0] in {"services", "shared"}  # copied into the image
    [app_uri] = parsed.args
    module, _, factory = app_uri.partition(":")
    assert factory.endswith("()")
    assert callable(getattr(import_module(module), factory[:-2]))


@pytest.mark.parametrize("name", sorted(WEB))
def test_gunicorn_in_the_container_listens_where_expose_healthcheck_and_proxy_look(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = WEB[name]
    env = container_env(name)
    monkeypatch.setattr(os, "environ", env)
    parsed = Config().parser().parse_args(command(APPS[name])[1:])

    conf = runpy.run_path(str(ROOT / parsed.config))

    assert conf["bind"] == f"0.0.0.0:{port}"
    assert APPS[name]["expose"] == [port]
    urls = [part for part in APPS[name]["healthcheck"]["test"] if part.startswith("http")]
    assert urls and all(url.startswith(f"http://127.0.0.1:{port}/") for url in urls)
    caddy = CADDYFILE.read_text()
    assert f"{{${name.upper()}_UPSTREAM:{name}}} {{${name.upper()}_UPSTREAM_PORT:{port}}}" in caddy


# --- the Dockerfile ------------------------------------------------------------------------


def test_the_dockerfile_default_command_is_the_schedulers_compose_command() -> None:
    runtime = dict(dockerfile_stages()[-1])
    assert "ENTRYPOINT" not in runtime  # compose's commands run as written
    assert exec_form(runtime["CMD"]) == command(APPS["scheduler"])


def test_the_dockerfile_is_multi_stage_slim_and_runs_as_an_unprivileged_user() -> None:
    stages = dockerfile_stages()
    assert len(stages) >= 2
    runtime = stages[-1]
    keywords = [k for k, _ in runtime]
    assert "RUN" in keywords  # only to add the user: nothing is installed in the final stage
    assert all("pip" not in args and "apt" not in args for k, args in runtime if k == "RUN")
    user = [args for k, args in runtime if k == "USER"][-1]
    assert user.split(":")[0] not in {"0", "root"}
    assert [args for k, args in runtime if k == "WORKDIR"][-1] == "/app"
    copies = [args for k, args in runtime if k == "COPY"]
    assert all(c.startswith("--from=build ") for c in copies)
    base = DOCKERFILE.read_text().split("ARG PYTHON_IMAGE=", 1)[1].split()[0]
    assert "slim" in base


def test_the_image_installs_runtime_dependencies_only() -> None:
    runs = " ".join(args for stage in dockerfile_stages() for k, args in stage if k == "RUN")
    assert "[dev]" not in runs and ".[" not in runs and "--extra" not in runs
    assert "uv export --frozen" in runs  # exactly what uv.lock pins, without the dev extras
    assert "--require-hashes" in runs
    assert "--no-deps" in runs  # neither the lock's set nor the project itself adds more


def test_the_build_context_holds_what_the_dockerfile_copies_and_never_the_env_file() -> None:
    allowed = {
        line[1:].rstrip("/")
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.startswith("!")
    }
    assert allowed == {"pyproject.toml", "uv.lock", "shared", "services"}
    sources: set[str] = set()
    for stage in dockerfile_stages():
        for keyword, args in stage:
            if keyword == "COPY" and not args.startswith("--from"):
                *srcs, _dest = args.split()
                sources.update(s.rstrip("/") for s in srcs)
    assert sources == allowed
    assert DOCKERIGNORE.read_text().splitlines()[2] == "*"  # everything else stays out


# --- how the services hang together --------------------------------------------------------


def test_everything_waits_for_a_healthy_database_and_a_successful_migration() -> None:
    services = DOC["services"]
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["migrate"]["restart"] == "no"
    for name in ("scheduler", "dashboard", "worker"):
        deps = services[name]["depends_on"]
        assert deps["migrate"]["condition"] == "service_completed_successfully"
        assert deps["db"]["condition"] == "service_healthy"


def test_postgresql_keeps_its_data_in_a_named_volume_and_has_a_healthcheck() -> None:
    db = DOC["services"]["db"]
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    volume, _, target = db["volumes"][0].partition(":")
    assert volume in DOC["volumes"]
    assert target == "/var/lib/postgresql/data"


def test_the_replicas_publish_no_port_and_have_no_fixed_name_so_they_scale() -> None:
    for name in WEB:
        assert "ports" not in DOC["services"][name]
    assert all("container_name" not in svc for svc in DOC["services"].values())
    published = DOC["services"]["proxy"]["ports"]
    assert published == ["${SCHEDULER_HOST_PORT:-8000}:8000", "${DASHBOARD_HOST_PORT:-8001}:8001"]


def test_the_scheduler_healthcheck_probes_liveness_and_readiness() -> None:
    test = DOC["services"]["scheduler"]["healthcheck"]["test"]
    assert test[0] == "CMD"
    assert [p.rsplit("/", 1)[1] for p in test if p.startswith("http")] == ["healthz", "readyz"]


def test_the_dashboard_healthcheck_probes_liveness_and_readiness() -> None:
    test = DOC["services"]["dashboard"]["healthcheck"]["test"]
    assert [p.rsplit("/", 1)[1] for p in test if p.startswith("http")] == ["healthz", "readyz"]


def test_the_worker_healthcheck_asks_the_worker_for_its_heartbeat() -> None:
    test = DOC["services"]["worker"]["healthcheck"]["test"]
    assert test[0] == "CMD"
    cli._load_extensions()
    args = cli.build_parser().parse_args(test[2:])
    assert args.cmd == "worker" and args.check
    assert args.max_age >= 60  # rounds take about a second; sending a batch, a little longer


def test_the_proxy_mounts_the_caddyfile_from_the_repository() -> None:
    mounts = DOC["services"]["proxy"]["volumes"]
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in mounts
    assert CADDYFILE.is_file()


def test_mailpit_catches_mail_only_when_asked_and_shows_it_on_this_host_only() -> None:
    mailpit = DOC["services"]["mailpit"]
    assert mailpit["profiles"] == ["mail-catcher"]
    assert mailpit["ports"] == ["127.0.0.1:${MAILPIT_UI_PORT:-8025}:8025"]
    assert mailpit["expose"] == ["1025"]
    active, _ = env_example()
    assert (active["SMTP_HOST"], active["SMTP_PORT"]) == ("mailpit", "1025")


def test_app_containers_are_read_only_without_privileges() -> None:
    for svc in APPS.values():
        assert svc["read_only"] is True
        assert svc["tmpfs"] == ["/tmp"]
        assert svc["cap_drop"] == ["ALL"]
        assert "no-new-privileges:true" in svc["security_opt"]


@pytest.mark.parametrize("name", sorted(APPS))
def test_each_container_gets_settings_that_pass_the_start_up_checks(name: str) -> None:
    settings = load_settings(container_env(name))

    assert settings.is_production
    assert settings.database_url == "postgresql://clinic:pw0123456789@db:5432/clinic"
    assert settings.public_base_url == "http://localhost:8000"
