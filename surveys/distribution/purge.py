import re
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from msi_survey.accounts.models import AuditEvent
from surveys.models import Bounce, OutgoingEmail, Participant, ParticipantImport, Survey


class SurveyStillOpen(Exception):
    """Personal data is purged only after the survey has closed."""


@transaction.atomic
def purge_personal_data(*, survey: Survey, now: datetime | None = None) -> int:
    """
    Remove names, email addresses, organisations and personal links of the
    survey's participants, the uploaded lists, the error texts of their
    emails and bounces (which may quote an address) and the bounced addresses. Keeps the anonymous answers and
    every count the results and the dashboards need: one row per
    participant with its region, level, whether and after which email it
    answered, and the status of each email. Returns how many participants
    were cleared; running it again clears nothing more.
    """
    now = now or timezone.now()
    if survey.is_open(now) or survey.has_not_opened(now):
        raise SurveyStillOpen
    cleared = (
        Participant.objects.filter(survey=survey)
        .exclude(email="", name="", organisation="", token__isnull=True)
        .update(email="", name="", organisation="", token=None)
    )
    ParticipantImport.objects.filter(survey=survey).delete()
    OutgoingEmail.objects.filter(participant__survey=survey).exclude(last_error="").update(last_error="")
    OutgoingEmail.objects.filter(participant__survey=survey).exclude(message_id="").update(message_id="")
    # Of a bounce only the kind, the reason and the time stay: not the address nor the server's words.
    Bounce.objects.filter(email__participant__survey=survey).exclude(address="", server_text="").update(
        address="", server_text=""
    )
    _forget_audited_addresses(survey)
    # Readers' comments stay; their writers' addresses go with the rest.
    from results.comments.services import forget_addresses

    forget_addresses(survey=survey)
    if survey.personal_data_purged_at is None:
        survey.personal_data_purged_at = now
        survey.save(update_fields=["personal_data_purged_at"])
    return cleared


AUDITED_CHANGE = re.compile(r"^participant (\d+) (\([^)]*\)): ")


def _forget_audited_addresses(survey: Survey) -> None:
    """The audit log keeps who changed a participant's address and when; the old and new address go."""
    ids = set(Participant.objects.filter(survey=survey).values_list("pk", flat=True))
    events = AuditEvent.objects.filter(kind=AuditEvent.Kind.ADDRESS_CHANGED).exclude(detail__endswith=REMOVED)
    for event in events.only("pk", "detail").iterator():
        match = AUDITED_CHANGE.match(event.detail)
        if match and int(match.group(1)) in ids:
            AuditEvent.objects.filter(pk=event.pk).update(
                detail=f"participant {match.group(1)} {match.group(2)}: {REMOVED}"
            )


REMOVED = "addresses removed with the survey's personal data"


def purge_due_surveys(*, now: datetime | None = None) -> list[str]:
    """Purge every closed survey whose purge_after_days have passed. Returns their slugs."""
    now = now or timezone.now()
    purged = []
    for survey in Survey.objects.filter(purge_after_days__isnull=False, closes_at__lt=now):
        if survey.closes_at + timedelta(days=survey.purge_after_days or 0) > now:
            continue
        if survey.personal_data_purged_at is not None:
            continue
        purge_personal_data(survey=survey, now=now)
        purged.append(survey.slug)
    return purged
