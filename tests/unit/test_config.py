"""Settings come from the environment, checked once; a bad value names its variable."""

from __future__ import annotations

import pytest

from shared.config import DEV_SECRET_KEY, ConfigError, load_settings, sqlalchemy_url

PRODUCTION = {
    "CLINIC_ENV": "production",
    "SECRET_KEY": "s" * 40,
    "PUBLIC_BASE_URL": "https://booking.clinic.example",
}


def refused(env: dict[str, str]) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_settings(env)
    assert str(caught.value).startswith(f"{caught.value.variable}: ")
    return caught.value


@pytest.mark.parametrize(
    "url",
    [
        "var/clinic.db",  # no scheme
        "sqlite:/clinic.db",
        "sqlite:///",  # no path: would silently be an in-memory database
        "sqlite://relative.db",
        "postgresql://",
        "postgresql://clinic@db:notaport/clinic",
        "postgresql://clinic@db:99999/clinic",
        "mysql://clinic@db/clinic",
    ],
)
def test_a_malformed_database_url_stops_start_up_naming_database_url(url):
    assert refused({"DATABASE_URL": url}).variable == "DATABASE_URL"


@pytest.mark.parametrize(
    ("url", "engine_url"),
    [
        ("sqlite:///var/clinic.db", "sqlite:///var/clinic.db"),
        ("sqlite:////tmp/clinic.db", "sqlite:////tmp/clinic.db"),
        (
            "postgresql://postgres@127.0.0.1:5432/clinic",
            "postgresql+psycopg://postgres@127.0.0.1:5432/clinic",
        ),
        ("postgres://u:p@db/clinic", "postgresql+psycopg://u:p@db/clinic"),
    ],
)
def test_the_documented_database_urls_are_driven_by_sqlite_and_psycopg_3(url, engine_url):
    assert load_settings({"DATABASE_URL": url}).database_url == url
    assert sqlalchemy_url(url) == engine_url


@pytest.mark.parametrize("value", ["prod", "staging", "Production"])
def test_an_unknown_clinic_env_is_refused(value):
    assert refused({"CLINIC_ENV": value}).variable == "CLINIC_ENV"


@pytest.mark.parametrize("secret", [None, "", DEV_SECRET_KEY, "short"])
def test_production_needs_a_real_secret_key(secret):
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    if secret is not None:
        env["SECRET_KEY"] = secret
    assert refused(env).variable == "SECRET_KEY"


def test_development_starts_with_defaults_and_the_development_key():
    settings = load_settings({})
    assert (settings.env, settings.secret_key) == ("development", DEV_SECRET_KEY)
    assert settings.database_url == "sqlite:///var/clinic.db"
    assert load_settings(PRODUCTION).is_production


@pytest.mark.parametrize("port", ["smtp", "25.0", "0", "65536", "-1"])
def test_a_bad_smtp_port_is_refused(port):
    err = refused({"SMTP_PORT": port})
    assert err.variable == "SMTP_PORT"
    assert port in str(err) or "between 1 and 65535" in str(err)


def test_settings_are_read_from_the_environment_when_none_is_given(monkeypatch):
    monkeypatch.setenv("SMTP_PORT", "2525")
    monkeypatch.setenv("MAIL_FROM", "reception@clinic.example")
    settings = load_settings()
    assert (settings.smtp_port, settings.mail_from) == (2525, "reception@clinic.example")
