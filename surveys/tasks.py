from celery import shared_task
from django.core import management


@shared_task
def clear_expired_sessions():
    """Delete expired log-in sessions. Safe to run any number of times."""
    management.call_command("clearsessions")
