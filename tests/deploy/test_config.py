"""Settings are checked once at start; every bad value names its variable."""

from __future__ import annotations

import pytest

from shared.config import (
    DEV_SECRET_KEY,
    ConfigError,
    env_int,
    exit_on_config_error,
    load_settings,
)

GOOD_KEY = "k" * 40
PRODUCTION = {
    "CLINIC_ENV": "production",
    "SECRET_KEY": GOOD_KEY,
    "PUBLIC_BASE_URL": "https://booking.clinic.example",
    "DATABASE_URL": "postgresql://clinic:pw@db:5432/clinic",
}


def variable_of(env: dict[str, str]) -> str:
    with pytest.raises(ConfigError) as caught:
        load_settings(env)
    assert caught.value.variable in str(caught.value)
    return caught.value.variable


def test_a_complete_production_environment_loads() -> None:
    settings = load_settings(PRODUCTION)

    assert settings.is_production
    assert settings.secret_key == GOOD_KEY
    assert settings.sqlalchemy_url == "postgresql+psycopg://clinic:pw@db:5432/clinic"


@pytest.mark.parametrize(
    "change",
    [
        {"SECRET_KEY": None},
        {"SECRET_KEY": ""},
        {"SECRET_KEY": DEV_SECRET_KEY},
        {"SECRET_KEY": "too-short-for-production"},
    ],
    ids=["missing", "empty", "development-default", "short"],
)
def test_production_refuses_a_missing_default_or_short_secret_key(
    change: dict[str, str | None],
) -> None:
    env = {k: v for k, v in {**PRODUCTION, **change}.items() if v is not None}
    assert variable_of(env) == "SECRET_KEY"


def test_development_runs_with_the_default_secret_key() -> None:
    assert load_settings({}).secret_key == DEV_SECRET_KEY


def test_production_needs_the_public_base_url_for_links_in_invitations_and_feeds() -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != "PUBLIC_BASE_URL"}
    assert variable_of(env) == "PUBLIC_BASE_URL"


@pytest.mark.parametrize(
    "url",
    [
        "nonsense",
        "mysql://clinic@db/clinic",
        "postgresql://clinic@db:port/clinic",
        "postgresql://clinic@db:70000/clinic",
        "postgresql://",
        "sqlite://relative.db",
        "sqlite:///",
    ],
)
def test_a_malformed_database_url_is_refused(url: str) -> None:
    assert variable_of({**PRODUCTION, "DATABASE_URL": url}) == "DATABASE_URL"


@pytest.mark.parametrize(
    ("change", "variable"),
    [
        ({"CLINIC_ENV": "prod"}, "CLINIC_ENV"),
        ({"PUBLIC_BASE_URL": "booking.clinic.example"}, "PUBLIC_BASE_URL"),
        ({"PUBLIC_BASE_URL": "https://clinic.example/?x=1"}, "PUBLIC_BASE_URL"),
        ({"SMTP_HOST": "mail.example.com:587"}, "SMTP_HOST"),
        ({"SMTP_HOST": "smtp://mail.example.com"}, "SMTP_HOST"),
        ({"SMTP_PORT": "587a"}, "SMTP_PORT"),
        ({"SMTP_PORT": "0"}, "SMTP_PORT"),
        ({"SMTP_STARTTLS": "maybe"}, "SMTP_STARTTLS"),
        ({"SMTP_USERNAME": "reception"}, "SMTP_PASSWORD"),
        ({"SMTP_PASSWORD": "secret"}, "SMTP_USERNAME"),
        (
            {"SMTP_HOST": "mail.example.com", "SMTP_PORT": "587"}
            | {"SMTP_USERNAME": "reception", "SMTP_PASSWORD": "secret"},
            "SMTP_STARTTLS",
        ),
        ({"MAIL_FROM": "reception"}, "MAIL_FROM"),
        ({"CORS_ORIGINS": "clinic.example"}, "CORS_ORIGINS"),
        ({"LOG_JSON": "sometimes"}, "LOG_JSON"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT"),
        ({"IDEMPOTENCY_HOURS": "0"}, "IDEMPOTENCY_HOURS"),
        ({"OUTBOX_BODY_DAYS": "forever"}, "OUTBOX_BODY_DAYS"),
    ],
)
def test_every_malformed_setting_is_refused_with_its_name(
    change: dict[str, str], variable: str
) -> None:
    assert variable_of({**PRODUCTION, **change}) == variable


@pytest.mark.parametrize(
    ("env", "log_format"),
    [
        ({}, "json"),
        ({"LOG_FORMAT": "text"}, "text"),
        ({"LOG_FORMAT": "JSON"}, "json"),
        ({"LOG_JSON": "false"}, "text"),  # the older variable keeps working
        ({"LOG_JSON": "true"}, "json"),
        ({"LOG_JSON": "false", "LOG_FORMAT": "json"}, "json"),  # the newer one wins
    ],
)
def test_logs_are_json_lines_unless_log_format_says_text(
    env: dict[str, str], log_format: str
) -> None:
    assert load_settings({**PRODUCTION, **env}).log_format == log_format


def test_retention_defaults_are_48_hours_and_90_days() -> None:
    settings = load_settings(PRODUCTION)
    assert (settings.idempotency_hours, settings.outbox_body_days) == (48, 90)


def test_smtp_settings_are_read_when_consistent() -> None:
    settings = load_settings(
        {
            **PRODUCTION,
            "SMTP_HOST": " mail.example.com ",
            "SMTP_PORT": "587",
            "SMTP_USERNAME": "reception",
            "SMTP_PASSWORD": "secret",
            "SMTP_STARTTLS": "true",
        }
    )

    assert (settings.smtp_host, settings.smtp_port, settings.smtp_starttls) == (
        "mail.example.com",
        587,
        True,
    )


def test_smtp_login_on_port_465_needs_no_starttls() -> None:
    env = {**PRODUCTION, "SMTP_HOST": "mail.example.com", "SMTP_PORT": "465"}
    settings = load_settings(env | {"SMTP_USERNAME": "reception", "SMTP_PASSWORD": "secret"})

    assert settings.smtp_port == 465


def test_env_int_reads_a_number_in_range_and_names_a_bad_one() -> None:
    assert env_int("SCHEDULER_WORKERS", 4, environ={}) == 4
    assert env_int("SCHEDULER_WORKERS", 4, environ={"SCHEDULER_WORKERS": "3"}) == 3
    for bad in ("three", "0", "100000"):
        with pytest.raises(ConfigError, match="SCHEDULER_WORKERS"):
            env_int("SCHEDULER_WORKERS", 4, 1, 64, environ={"SCHEDULER_WORKERS": bad})


def test_exit_on_config_error_prints_one_line_naming_the_variable_and_exits_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as stopped, exit_on_config_error():
        load_settings({"CLINIC_ENV": "production"})

    assert stopped.value.code == 2
    assert capsys.readouterr().err == (
        "configuration error: SECRET_KEY: must be set to a secret value in production\n"
    )
