"""Settings read from the environment once, at start, so a bad value stops the process early."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

DEV_SECRET_KEY = "dev-secret-key-change-me"
DEFAULT_DATABASE_URL = "sqlite:///var/clinic.db"
_HOST_PORT = re.compile(r"[^:]+:[0-9]*")


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message names the variable."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(name, f"expected true or false, got {raw!r}")


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(name, f"expected a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(name, f"must be between {low} and {high}, got {value}")
    return value


def env_int(
    name: str,
    default: int,
    low: int = 1,
    high: int = 1024,
    environ: Mapping[str, str] | None = None,
) -> int:
    """A whole number from the environment (gunicorn configs); ConfigError names the variable."""
    return _int(os.environ if environ is None else environ, name, default, low, high)


@contextmanager
def exit_on_config_error() -> Iterator[None]:
    """At process start: a ConfigError becomes one line on stderr and exit status 2."""
    try:
        yield
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None


def sqlalchemy_url(database_url: str) -> str:
    """Map the documented URL forms to SQLAlchemy's (psycopg 3 for PostgreSQL)."""
    scheme, sep, rest = database_url.partition("://")
    if not sep:
        raise ConfigError("DATABASE_URL", "expected sqlite:///path or postgresql://user@host/db")
    if scheme in {"postgres", "postgresql", "postgresql+psycopg"}:
        parts = urlsplit(database_url)
        if not parts.hostname and not parts.path.strip("/"):
            raise ConfigError("DATABASE_URL", "a postgresql URL needs a host or a database name")
        try:
            parts.port  # noqa: B018 - urlsplit checks the port only when asked for it
        except ValueError:
            raise ConfigError("DATABASE_URL", "the port must be a number from 1 to 65535") from None
        return "postgresql+psycopg://" + rest
    if scheme == "sqlite":
        if not rest.startswith("/") or not rest[1:].strip():
            raise ConfigError("DATABASE_URL", "expected sqlite:///relative/path or sqlite:////abs")
        return database_url
    raise ConfigError("DATABASE_URL", f"unsupported scheme {scheme!r}: use sqlite or postgresql")


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str = DEV_SECRET_KEY
    env: str = "development"
    public_base_url: str = "http://127.0.0.1:8000"
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    mail_from: str = "clinic@example.com"
    cors_origins: tuple[str, ...] = field(default_factory=tuple)
    log_format: str = "json"
    idempotency_hours: int = 48
    outbox_body_days: int = 90
    # Proxies in front whose X-Forwarded-For to believe (the client's address for throttling)
    trusted_proxy_hops: int = 0

    @property
    def sqlalchemy_url(self) -> str:
        return sqlalchemy_url(self.database_url)

    @property
    def is_production(self) -> bool:
        return self.env == "production"


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and check every variable; raises ConfigError naming the first bad one."""
    env = os.environ if environ is None else environ
    clinic_env = env.get("CLINIC_ENV", "development") or "development"
    if clinic_env not in {"development", "production"}:
        raise ConfigError("CLINIC_ENV", f"expected development or production, got {clinic_env!r}")

    database_url = env.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    sqlalchemy_url(database_url)

    secret_key = env.get("SECRET_KEY") or DEV_SECRET_KEY
    if clinic_env == "production":
        if "SECRET_KEY" not in env or secret_key == DEV_SECRET_KEY:
            raise ConfigError("SECRET_KEY", "must be set to a secret value in production")
        if len(secret_key) < 32:
            raise ConfigError("SECRET_KEY", "must be at least 32 characters in production")

    if clinic_env == "production" and not env.get("PUBLIC_BASE_URL"):
        raise ConfigError(
            "PUBLIC_BASE_URL",
            "must be set in production: the address clients and calendars reach the scheduler at",
        )
    public_base_url = (env.get("PUBLIC_BASE_URL") or "http://127.0.0.1:8000").rstrip("/")
    parts = urlsplit(public_base_url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ConfigError("PUBLIC_BASE_URL", f"expected an http(s) URL, got {public_base_url!r}")
    if parts.query or parts.fragment:
        raise ConfigError("PUBLIC_BASE_URL", "expected a base URL without ? or #")

    smtp_host = env.get("SMTP_HOST", "").strip()
    if "/" in smtp_host or any(c.isspace() for c in smtp_host) or _HOST_PORT.fullmatch(smtp_host):
        raise ConfigError(
            "SMTP_HOST",
            f"expected a host name only (the port goes in SMTP_PORT), got {smtp_host!r}",
        )
    smtp_username = env.get("SMTP_USERNAME", "")
    smtp_password = env.get("SMTP_PASSWORD", "")
    if smtp_username and not smtp_password:
        raise ConfigError("SMTP_PASSWORD", "must be set when SMTP_USERNAME is")
    if smtp_password and not smtp_username:
        raise ConfigError("SMTP_USERNAME", "must be set when SMTP_PASSWORD is")
    smtp_port = _int(env, "SMTP_PORT", 25, 1, 65535)
    smtp_starttls = _bool(env, "SMTP_STARTTLS", False)
    if clinic_env == "production" and smtp_username and not smtp_starttls and smtp_port != 465:
        raise ConfigError(
            "SMTP_STARTTLS",
            "must be true in production when logging in to SMTP (or use port 465): "
            "the password would cross the network in clear text",
        )

    mail_from = env.get("MAIL_FROM") or "clinic@example.com"
    if "@" not in mail_from or any(c in mail_from for c in "\r\n"):
        raise ConfigError("MAIL_FROM", f"expected an e-mail address, got {mail_from!r}")

    origins = tuple(
        o.strip().rstrip("/") for o in env.get("CORS_ORIGINS", "").split(",") if o.strip()
    )
    for origin in origins:
        if origin != "*" and urlsplit(origin).scheme not in {"http", "https"}:
            raise ConfigError("CORS_ORIGINS", f"expected http(s) origins, got {origin!r}")

    return Settings(
        database_url=database_url,
        secret_key=secret_key,
        env=clinic_env,
        public_base_url=public_base_url,
        smtp_host=smtp_host,
        smtp_port=smtp_port,
        smtp_username=smtp_username,
        smtp_password=smtp_password,
        smtp_starttls=smtp_starttls,
        mail_from=mail_from,
        cors_origins=origins,
        log_format=_log_format(env),
        idempotency_hours=_int(env, "IDEMPOTENCY_HOURS", 48, 1, 24 * 366),
        outbox_body_days=_int(env, "OUTBOX_BODY_DAYS", 90, 1, 3660),
        trusted_proxy_hops=_int(env, "TRUSTED_PROXY_HOPS", 0, 0, 5),
    )


def _log_format(env: Mapping[str, str]) -> str:
    """LOG_FORMAT=json|text; the older LOG_JSON=true|false still means json|text."""
    raw = (env.get("LOG_FORMAT") or "").strip().lower()
    if not raw:
        return "json" if _bool(env, "LOG_JSON", True) else "text"
    if raw not in {"json", "text"}:
        raise ConfigError("LOG_FORMAT", f"expected json or text, got {raw!r}")
    return raw
