import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "msi_survey.settings")

app = Celery("msi_survey")
# Every Celery setting lives in settings.py under the CELERY_ prefix.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
