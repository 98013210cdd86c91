"""
A real SMTP server on loopback (aiosmtpd) that can accept, refuse or hang
up, and behave as the mail providers do (limits, quotas, XOAUTH2), for the
tests; and a local OAuth 2.0 token endpoint.
"""

import base64
import email
import email.policy
import json
import secrets
import threading
import time
import urllib.parse
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from .workers import free_port


@dataclass
class Limit:
    """
    A provider's rule: once `count` messages were accepted in the last
    `seconds` (by the process clock, which the tests may move), answer
    `reply` at DATA instead of accepting.
    """

    count: int
    seconds: float
    reply: str
    refused: list = field(default_factory=list)  # the times it refused


class Sink:
    """
    Keeps every message it accepts. `refuse` maps an address to an SMTP reply
    for RCPT TO; `busy_for` answers 451 to the first N messages; `drop_at`
    hangs up, without answering, on those message numbers (1-based).
    """

    def __init__(self, *, refuse=None, busy_for=0, drop_at=(), limits=(), xoauth2_tokens=None):
        self.messages = []
        self.arrivals = deque()  # when each accepted message arrived (time.time())
        self.refuse = refuse or {}
        self.busy_for = busy_for
        self.drop_at = set(drop_at)
        self.limits = list(limits)
        # With a set of tokens, the server demands XOAUTH2 sign-in with one of them.
        self.xoauth2_tokens = xoauth2_tokens
        self.sign_ins = []  # (user, token accepted?)
        self.data_count = 0
        self.connections = 0
        self.lock = threading.Lock()

    async def auth_XOAUTH2(self, server, args):
        try:
            fields = dict(
                part.split("=", 1) for part in base64.b64decode(args[1]).decode().split("\x01") if "=" in part
            )
        except (IndexError, ValueError):
            return AuthResult(success=False, handled=False, message="501 5.5.2 Cannot decode the response")
        user, token = fields.get("user", ""), fields.get("auth", "").removeprefix("Bearer ")
        accepted = self.xoauth2_tokens is not None and token in self.xoauth2_tokens
        self.sign_ins.append((user, accepted))
        if accepted:
            return AuthResult(success=True, auth_data=user)
        return AuthResult(success=False, handled=False, message="535 5.7.3 Authentication unsuccessful")

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.xoauth2_tokens is not None and not session.authenticated:
            return "530 5.7.57 Client not authenticated to send mail"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

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
            now = time.time()
            for limit in self.limits:
                if sum(1 for moment in self.arrivals if moment > now - limit.seconds) >= limit.count:
                    limit.refused.append(now)
                    return limit.reply
            self.arrivals.append(now)
            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def most_in_any_window(self, seconds: float) -> int:
        """The most messages that arrived within any span of `seconds`."""
        moments = sorted(self.arrivals)
        most, start = 0, 0
        for end, moment in enumerate(moments):
            while moments[start] <= moment - seconds:
                start += 1
            most = max(most, end - start + 1)
        return most

    def recipients(self) -> list[str]:
        return [message["To"] for message in self.messages]


class SMTPServer:
    def __init__(self, sink: Sink, *, port: int | None = None):
        self.sink = sink
        self.port = port or free_port()
        self.controller = Controller(
            sink,
            hostname="127.0.0.1",
            port=self.port,
            auth_require_tls=False,
            auth_required=sink.xoauth2_tokens is not None,
        )

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()

    def settings(self) -> dict:
        return {
            "EMAIL_BACKEND": "surveys.distribution.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": self.port,
            "EMAIL_USE_TLS": False,
            "EMAIL_TIMEOUT": 5,
        }


class TokenEndpoint:
    """
    An OAuth 2.0 token endpoint on loopback for the client-credentials flow:
    it checks the client's id and secret and hands out random tokens, which
    it remembers in `tokens` (the SMTP sink accepts those).
    """

    def __init__(self, *, client_id="msi-survey", client_secret="s3cret-for-tests", lifetime=3600):  # noqa: S107
        self.client_id, self.client_secret, self.lifetime = client_id, client_secret, lifetime
        self.tokens: set[str] = set()
        self.requests: list[dict] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                endpoint.requests.append(form)
                if (
                    form.get("grant_type") != "client_credentials"
                    or form.get("client_id") != endpoint.client_id
                    or form.get("client_secret") != endpoint.client_secret
                ):
                    self._answer(401, {"error": "invalid_client"})
                    return
                token = secrets.token_urlsafe(24)
                endpoint.tokens.add(token)
                self._answer(200, {"access_token": token, "token_type": "Bearer", "expires_in": endpoint.lifetime})

            def _answer(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/oauth2/v2.0/token"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def settings(self) -> dict:
        return {
            "EMAIL_OAUTH2_TOKEN_URL": self.url,
            "EMAIL_OAUTH2_CLIENT_ID": self.client_id,
            "EMAIL_OAUTH2_CLIENT_SECRET": self.client_secret,
            "EMAIL_OAUTH2_SCOPE": "https://outlook.office365.com/.default",
        }
