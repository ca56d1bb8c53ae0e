"""Sending email (invitations and password-reset links) with Python's own SMTP client, set up by the
MAIL_* settings: MAIL_SERVER, MAIL_PORT, MAIL_USE_TLS (STARTTLS), MAIL_USE_SSL, MAIL_USERNAME,
MAIL_PASSWORD, MAIL_DEFAULT_SENDER, MAIL_TIMEOUT."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid


class MailNotSent(Exception):
    """The message could not be handed to the mail server (or no server is set up)."""


def send_mail(config, *, to: str, subject: str, body: str) -> None:
    """Hand one plain-text message to the configured SMTP server; raise MailNotSent if that fails."""
    server = config.get("MAIL_SERVER")
    if not server:
        raise MailNotSent("No mail server is set up (MAIL_SERVER)")
    sender = config.get("MAIL_DEFAULT_SENDER") or "appraisal-impact@localhost"
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(body)
    port = int(config.get("MAIL_PORT") or 25)
    timeout = float(config.get("MAIL_TIMEOUT") or 10)
    try:
        if config.get("MAIL_USE_SSL"):
            client = smtplib.SMTP_SSL(server, port, timeout=timeout, context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(server, port, timeout=timeout)
        with client:
            if config.get("MAIL_USE_TLS") and not config.get("MAIL_USE_SSL"):
                client.starttls(context=ssl.create_default_context())
            if config.get("MAIL_USERNAME"):
                client.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            client.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        raise MailNotSent(f"The mail server {server}:{port} did not take the message: {error}") from error
