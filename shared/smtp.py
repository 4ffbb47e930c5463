"""Talking SMTP: one connection per batch with TLS checked, and the server's answers sorted
into failures for good and failures worth trying again.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from typing import Protocol

from shared.config import Settings


class PermanentFailure(Exception):
    """The server refused this message or this recipient for good (a 5xx answer)."""


class TemporaryFailure(Exception):
    """Worth trying again later: the server is down, busy, or answered 4xx."""


class ServerUnavailable(TemporaryFailure):
    """No connection at all: the rest of the batch would fail the same way."""


class Transport(Protocol):
    def send(self, msg: EmailMessage, sender: str, recipient: str) -> None: ...
    def close(self) -> None: ...


IMPLICIT_TLS_PORT = 465  # "SMTPS": TLS from the first byte; any other port may use STARTTLS


def _tls() -> ssl.SSLContext:
    """Certificates checked against the system's CAs (or SSL_CERT_FILE), host name included."""
    return ssl.create_default_context()


class SmtpTransport:
    """One SMTP connection, opened on the first send and reused for the rest of a batch.

    Port 465 speaks TLS from the start; on other ports SMTP_STARTTLS upgrades the connection
    (and refuses to go on in plain text if the server cannot). SMTP_USERNAME logs in.
    """

    def __init__(self, settings: Settings, timeout: float) -> None:
        self.settings = settings
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        try:
            if s.smtp_port == IMPLICIT_TLS_PORT:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.smtp_host, s.smtp_port, timeout=self.timeout, context=_tls()
                )
            else:
                smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=self.timeout)
        except (OSError, smtplib.SMTPException) as exc:
            raise ServerUnavailable(
                f"cannot connect to {s.smtp_host}:{s.smtp_port}: {exc}"
            ) from exc
        try:
            smtp.ehlo()
            if s.smtp_starttls and s.smtp_port != IMPLICIT_TLS_PORT:
                smtp.starttls(context=_tls())
                smtp.ehlo()
            if s.smtp_username:
                smtp.login(s.smtp_username, s.smtp_password)
        except (OSError, smtplib.SMTPException) as exc:
            smtp.close()
            raise ServerUnavailable(f"SMTP session setup failed: {_describe(exc)}") from exc
        return smtp

    def send(self, msg: EmailMessage, sender: str, recipient: str) -> None:
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            refused = self._smtp.send_message(msg, from_addr=sender, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            answers = "; ".join(
                f"{addr} refused: {code} {_text(reply)}"
                for addr, (code, reply) in exc.recipients.items()
            )
            if all(code >= 500 for code, _ in exc.recipients.values()):
                raise PermanentFailure(answers) from exc
            raise TemporaryFailure(answers) from exc
        except smtplib.SMTPDataError as exc:
            self._reset()
            if exc.smtp_code >= 500:
                raise PermanentFailure(f"message refused: {_describe(exc)}") from exc
            raise TemporaryFailure(f"message deferred: {_describe(exc)}") from exc
        except smtplib.SMTPNotSupportedError as exc:
            raise PermanentFailure(f"server cannot take this address: {exc}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise TemporaryFailure(f"sending failed: {_describe(exc)}") from exc
        if refused:  # only possible with several recipients; kept for completeness
            raise PermanentFailure(f"refused: {refused}")

    def _reset(self) -> None:
        try:
            if self._smtp is not None:
                self._smtp.rset()
        except (OSError, smtplib.SMTPException):
            self.close()

    def close(self) -> None:
        if self._smtp is None:
            return
        try:
            self._smtp.quit()
        except (OSError, smtplib.SMTPException):
            self._smtp.close()
        self._smtp = None


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_text(exc.smtp_error)}"
    return f"{type(exc).__name__}: {exc}"
