"""
What a participant's state and an email's wave are called, on the lead's
pages and in the list they download: one home for each label.
"""

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from surveys.models import OutgoingEmail, Participant

StrOrPromise = str | Promise


class ParticipantStatus(models.TextChoices):
    ANSWERED = "answered", _("Answered")
    OPTED_OUT = "opted_out", _("Said no to reminders")
    NOT_ANSWERED = "not_answered", _("Not answered")


def participant_status(participant: Participant) -> ParticipantStatus:
    if participant.answered_at:
        return ParticipantStatus.ANSWERED
    if participant.opted_out_at:
        return ParticipantStatus.OPTED_OUT
    return ParticipantStatus.NOT_ANSWERED


def wave_label(wave: int | None) -> str:
    """0: the invitation, k: reminder k, None: no email (the link was given another way)."""
    if wave is None:
        return str(_("No email (link given another way)"))
    if wave == 0:
        return str(_("Invitation"))
    return str(_("Reminder %(n)s") % {"n": wave})


# How the lead's list names an email's status: short, lower case, after the wave.
EMAIL_STATUS_LABELS: dict[str, StrOrPromise] = {
    OutgoingEmail.Status.SENT: _("sent"),
    OutgoingEmail.Status.FAILED: _("failed"),
    OutgoingEmail.Status.UNCERTAIN: _("uncertain"),
    OutgoingEmail.Status.SKIPPED: _("not sent"),
}


def email_status_label(status: str) -> str:
    return str(EMAIL_STATUS_LABELS.get(status, _("on its way")))
