from django.apps import AppConfig
from django.core.checks import Error, Tags, register
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Surveys")

    def ready(self):
        register(secrets_readable, Tags.database)


def secrets_readable(app_configs, databases=None, **kwargs):
    """`manage.py check --database default`: the sending accounts' stored secrets can be read with SECRETS_KEYS."""
    if not databases:
        return []
    from django.db import DatabaseError

    from msi_survey.encryption import stored_secrets_problem

    try:
        problem = stored_secrets_problem()
    except DatabaseError:
        return []
    return (
        [Error(problem, hint="Set SECRETS_KEYS to the key the secrets were saved with.", id="surveys.E001")]
        if problem
        else []
    )
