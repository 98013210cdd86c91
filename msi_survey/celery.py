import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "msi_survey.settings")

app = Celery("msi_survey")
# Every Celery setting lives in settings.py under the CELERY_ prefix.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
def secrets_readable(**kwargs):
    """A worker does not start when the sending accounts' secrets cannot be read: a clear error, not a failed send."""
    from django.db import DatabaseError

    from msi_survey.encryption import stored_secrets_problem

    try:
        problem = stored_secrets_problem()
    except DatabaseError:  # not migrated yet: nothing is stored
        return
    if problem:
        raise RuntimeError(problem)
