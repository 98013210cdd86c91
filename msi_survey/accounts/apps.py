from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Signing in and the accounts: one app, with its models, admin, forms, middleware and receivers."""

    name = "msi_survey.accounts"
    label = "accounts"
    verbose_name = _("Sign-in and accounts")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import receivers  # noqa: F401
