"""
What a participant's state and an email's wave are called, on the lead's
pages and in the list they download: one home for each label.
"""

from datetime import datetime, timedelta

from django.db import models
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from surveys.models import Bounce, OutgoingEmail, Participant

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
    OutgoingEmail.Status.BOUNCED: _("bounced"),
}


def email_status_label(status: str) -> str:
    return str(EMAIL_STATUS_LABELS.get(status, _("on its way")))


def bounce_reason_label(reason: str | None) -> str:
    """Why an email bounced, in plain words ("The address does not exist"); "" for no reason."""
    if not reason:
        return ""
    try:
        return str(Bounce.Reason(reason).label)
    except ValueError:
        return str(Bounce.Reason.OTHER.label)


def duration_text(length: timedelta) -> str:
    """About how long: "about 6 h 40 min", "about 3 days 2 h", "less than a minute"."""
    minutes = round(length.total_seconds() / 60)
    if minutes < 1:
        return str(_("less than a minute"))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        parts = [ngettext("%(n)d day", "%(n)d days", days) % {"n": days}]
        if hours:
            parts.append(_("%(n)d h") % {"n": hours})
    else:
        parts = [_("%(n)d h") % {"n": hours}] if hours else []
        if minutes:
            parts.append(_("%(n)d min") % {"n": minutes})
    return str(_("about %(length)s") % {"length": " ".join(str(part) for part in parts)})


def moment_text(moment: datetime, now: datetime) -> str:
    """When, in local time, as people say it: "today around 14:20", "Tuesday around 14:20", "2 December …"."""
    local, today = timezone.localtime(moment), timezone.localtime(now).date()
    time = formats.time_format(local, "H:i")
    if local.date() == today:
        return str(_("today around %(time)s") % {"time": time})
    if local.date() == today + timedelta(days=1):
        return str(_("tomorrow around %(time)s") % {"time": time})
    if local.date() < today + timedelta(days=7):
        return str(_("%(day)s around %(time)s") % {"day": formats.date_format(local, "l"), "time": time})
    return str(_("%(date)s around %(time)s") % {"date": formats.date_format(local, "j F"), "time": time})
