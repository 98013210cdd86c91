"""A real SMTP server on loopback (aiosmtpd) that can accept, refuse or hang up, for the tests."""

import email
import email.policy
import threading

from aiosmtpd.controller import Controller

from .workers import free_port


class Sink:
    """
    Keeps every message it accepts. `refuse` maps an address to an SMTP reply
    for RCPT TO; `busy_for` answers 451 to the first N messages; `drop_at`
    hangs up, without answering, on those message numbers (1-based).
    """

    def __init__(self, *, refuse=None, busy_for=0, drop_at=()):
        self.messages = []
        self.refuse = refuse or {}
        self.busy_for = busy_for
        self.drop_at = set(drop_at)
        self.data_count = 0
        self.connections = 0
        self.lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self.lock:
            self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.data_count += 1
            number = self.data_count
        if number in self.drop_at:
            server.transport.abort()
            return "421 gone"
        if number <= self.busy_for:
            return "451 4.3.0 Busy, try again later"
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def recipients(self) -> list[str]:
        return [message["To"] for message in self.messages]


class SMTPServer:
    def __init__(self, sink: Sink, *, port: int | None = None):
        self.sink = sink
        self.port = port or free_port()
        self.controller = Controller(sink, hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()

    def settings(self) -> dict:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": self.port,
            "EMAIL_USE_TLS": False,
            "EMAIL_TIMEOUT": 5,
        }
