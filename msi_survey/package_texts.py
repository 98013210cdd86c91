"""
Swedish for texts of installed packages that come without it. Listed here so
that makemessages collects them into the project's catalogue
(locale/sv/), which Django reads before the packages' own.
"""

from django.utils.translation import gettext_noop

TEXTS = [
    # allauth.mfa's app and model, as the admin lists them.
    gettext_noop("MFA"),
    gettext_noop("Authenticator"),
    gettext_noop("Authenticators"),
]
