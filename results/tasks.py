"""Celery tasks of the results side: a periodic sweep over the comments."""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

from .comments import services

logger = logging.getLogger(__name__)


@shared_task(autoretry_for=(OperationalError, InterfaceError), retry_backoff=5, max_retries=5)
def comments_sweep() -> None:
    """
    Every COMMENT_SWEEP_SECONDS (Celery beat): tell staff once about comments
    that wait, and remove commenters' addresses that are due. Both are safe
    to run twice: the rows say what has been done.
    """
    told = services.notify_moderators()
    forgotten = services.forget_addresses()
    if told or forgotten:
        logger.info("comments: told staff about %d, removed %d addresses", told, forgotten)
