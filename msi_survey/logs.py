"""
Personal links stay out of the logs.

An official's link (/s/<token>/) is the key to their answer: whoever reads
it in a log file can answer in their name or opt them out. Every log
record the site writes (Django's "Not Found: /s/…/", runserver's request
lines, a warning quoting a path) goes through `HideLinks`, and gunicorn's
access log through `GunicornLogger`: both write /s/…/ in place of the token.
The link that lets a commenter publish their comment
(/results/comments/publish/<token>/) is left out the same way.
"""

import logging
import re

from gunicorn.glogging import Logger  # type: ignore[import-untyped]

TOKEN = re.compile(r"(/s/|/comments/publish/)[^/\s?#\"']+")


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
