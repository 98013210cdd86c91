from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Surveys")

    def ready(self):
        # The audit log's receivers and its admin (models: surveys/accounts.py).
        from msi_survey.accounts import admin, receivers  # noqa: F401
