"""The email channel: SMTP with STARTTLS or implicit TLS, credentials from the environment.

Each notification is one ``multipart/alternative`` message (plain text, plus
HTML unless ``html: false``). Its ``Message-ID`` is derived from the
notification id, recipient and channel, so even in the one case where a
message can be sent twice (the process dies between the server accepting it
and the store recording it) mail clients can fold the copies.

One connection per message: notifications are rare, and a fresh connection
never trips over a server that dropped an idle one.

SMTP replies are sorted: 4xx and connection problems are transient; 5xx,
refused credentials and TLS verification failures are permanent (retrying
cannot fix them; the operator is told).
"""

from __future__ import annotations

import email.utils
import smtplib
import ssl
from email.message import EmailMessage

from mentionwatch.config import SmtpServer
from mentionwatch.ids import sha256_hex
from mentionwatch.notify.channels.base import (
    Channel,
    DeliveryReceipt,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from mentionwatch.notify.notification import Notification


class SmtpChannel(Channel):
    """Sends each notification as one email to ``to`` through the configured SMTP server."""

    type = "email"

    def __init__(
        self,
        key: str,
        server: SmtpServer,
        to: tuple[str, ...],
        *,
        html: bool = True,
        username: str | None = None,
        password: str | None = None,
    ):
        super().__init__(key)
        self.server = server
        self.to = to
        self.html = html
        self._username = username
        self._password = password

    def _tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if self.server.ca_file:
            context.load_verify_locations(cafile=self.server.ca_file)
        return context

    def message(self, notification: Notification) -> EmailMessage:
        """The email for ``notification``, with a stable ``Message-ID`` (see the module)."""
        msg = EmailMessage()
        msg["Subject"] = notification.title
        msg["From"] = self.server.sender
        msg["To"] = ", ".join(self.to)
        msg["Date"] = email.utils.formatdate(localtime=False)
        domain = self.server.sender.rsplit("@", 1)[-1].rstrip(">").strip() or "mentionwatch.invalid"
        token = sha256_hex(f"{notification.id}\0{notification.recipient}\0{self.key}".encode())[:32]
        msg["Message-ID"] = f"<{notification.kind}.{token}@{domain}>"
        msg["X-Mentionwatch-Kind"] = notification.kind
        msg["X-Mentionwatch-Severity"] = notification.severity
        msg.set_content(notification.text)
        if self.html:
            msg.add_alternative(notification.html, subtype="html")
        return msg

    def _connect(self) -> smtplib.SMTP:
        server = self.server
        if server.security == "ssl":
            return smtplib.SMTP_SSL(
                server.host,
                server.effective_port,
                timeout=server.timeout_s,
                context=self._tls_context(),
            )
        client = smtplib.SMTP(server.host, server.effective_port, timeout=server.timeout_s)
        if server.security == "starttls":
            client.ehlo()
            client.starttls(context=self._tls_context())
            client.ehlo()
        return client

    def send(self, notification: Notification) -> DeliveryReceipt:
        """Sends over one fresh connection; SMTP replies sorted into transient or permanent."""
        msg = self.message(notification)
        where = f"{self.server.host}:{self.server.effective_port}"
        try:
            with self._connect() as client:
                if self._username is not None:
                    client.login(self._username, self._password or "")
                refused = client.send_message(msg)
        except smtplib.SMTPAuthenticationError as exc:
            raise PermanentDeliveryError(
                f"{where} refused the SMTP login ({exc.smtp_code})"
            ) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise PermanentDeliveryError(f"{where}: {exc} (check notify.smtp.security)") from None
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            error = (
                PermanentDeliveryError
                if all(code >= 500 for code in codes)
                else TransientDeliveryError
            )
            raise error(f"{where} refused every recipient (codes {sorted(set(codes))})") from None
        except smtplib.SMTPResponseException as exc:
            error = PermanentDeliveryError if exc.smtp_code >= 500 else TransientDeliveryError
            raise error(f"{where} replied {exc.smtp_code} ({type(exc).__name__})") from None
        except ssl.SSLCertVerificationError as exc:
            raise PermanentDeliveryError(
                f"{where}: TLS certificate not trusted ({exc.verify_message}); "
                "set notify.smtp.ca_file"
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise TransientDeliveryError(f"{where}: {type(exc).__name__}: {exc}") from None
        if refused:
            # Accepted for some addresses only: the rest are reported, the message counts as
            # delivered.
            return DeliveryReceipt(
                self.key, f"{msg['Message-ID']} (refused: {', '.join(sorted(refused))})"
            )
        return DeliveryReceipt(self.key, str(msg["Message-ID"]))
