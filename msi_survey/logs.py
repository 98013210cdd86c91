"""
Personal links stay out of the logs.

An official's link (/s/<token>/) is the key to their answer: whoever reads
it in a log file can answer in their name or opt them out. Every log
record the site writes (Django's "Not Found: /s/…/", runserver's request
lines, a warning quoting a path) goes through `HideLinks`, and gunicorn's
access log through `GunicornLogger`: both write /s/…/ in place of the token.
The error emails to ADMINS go through `HideLinksInMail` (subject, text and
HTML), and `ReporterFilter` blanks a traceback's variables named like a
token, secret or password, which hold the bare value without its /s/.
The link that lets a commenter publish their comment
(/results/comments/publish/<token>/) is left out the same way.
"""

import logging
import re

from django.utils.log import AdminEmailHandler
from django.views.debug import SafeExceptionReporterFilter
from gunicorn.glogging import Logger  # type: ignore[import-untyped]

TOKEN = re.compile(r"(/s/|/comments/publish/)[^/\s?#\"'<>&]+")


def hide_links(text: str) -> str:
    return TOKEN.sub(r"\1…", text)


class HideLinks(logging.Filter):
    """A handler's filter: the record's message with every personal link's token left out."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        hidden = hide_links(message)
        if hidden != message:
            record.msg, record.args = hidden, ()
        return True


class GunicornLogger(Logger):
    """gunicorn's logger (--logger-class msi_survey.logs.GunicornLogger): the access log without tokens."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: hide_links(value) if isinstance(value, str) else value for key, value in atoms.items()}


class HideLinksInMail(AdminEmailHandler):
    """Django's error email to ADMINS, every part of it without personal links' tokens."""

    def send_mail(self, subject, message, *args, **kwargs):
        if kwargs.get("html_message"):
            kwargs["html_message"] = hide_links(kwargs["html_message"])
        super().send_mail(hide_links(subject), hide_links(message), *args, **kwargs)


class ReporterFilter(SafeExceptionReporterFilter):
    """
    Django's filter for error reports (DEFAULT_EXCEPTION_REPORTER_FILTER),
    also blanking the local variables whose names say they hold a token,
    signature, secret or password: a view's `token` argument is an official's
    link without the /s/ that hide_links looks for.
    """

    hidden_variables = re.compile("TOKEN|SIGNATURE|SECRET|PASSWORD|PASS|KEY", flags=re.I)

    def get_traceback_frame_variables(self, request, tb_frame):
        return [
            (name, self.cleansed_substitute if self.hidden_variables.search(name) else value)
            for name, value in super().get_traceback_frame_variables(request, tb_frame)
        ]
