"""Sending e-mail through the SMTP server VOC_SMTP_URL names."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from voc.core.errors import VocError

DEFAULT_PORTS = {"smtp": 25, "smtps": 465}
TIMEOUT_SECONDS = 30


class MailNotSent(VocError):
    """The SMTP server could not be reached or did not accept a message."""


def send_message(url: str, message: EmailMessage) -> None:
    """Send a message through `url`: smtp://user:pass@host:port (STARTTLS when the server offers it) or
    smtps://... (TLS from the start). User and password are optional and URL-encoded.

    Raises MailNotSent, naming the server without its password, when the message was not accepted
    for every recipient.
    """
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise VocError("VOC_SMTP_URL must look like smtp://user:password@host:587 or smtps://user:password@host:465.")
    host, port = parts.hostname, parts.port or DEFAULT_PORTS[parts.scheme]
    context = ssl.create_default_context()
    try:
        if parts.scheme == "smtps":
            client: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=TIMEOUT_SECONDS, context=context)
        else:
            client = smtplib.SMTP(host, port, timeout=TIMEOUT_SECONDS)
        with client:
            client.ehlo()
            if parts.scheme == "smtp" and client.has_extn("starttls"):
                client.starttls(context=context)
                client.ehlo()
            if parts.username:
                client.login(unquote(parts.username), unquote(parts.password or ""))
            refused = client.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        reason = " ".join(str(error).split()) or type(error).__name__
        raise MailNotSent(f"The mail server {host}:{port} did not take the message ({reason}).") from error
    if refused:
        raise MailNotSent(f"The mail server {host}:{port} refused {', '.join(sorted(refused))}.")
