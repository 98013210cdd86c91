from collections.abc import Sequence
from dataclasses import asdict

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from .imports import parse_participant_file
from .models import Area, OutgoingEmail, Participant, ParticipantImport, RankedArea, Region, Response, Survey


class AlreadyAnswered(Exception):
    """The participant's link has been used; nothing was stored."""


class SurveyNotOpen(Exception):
    """The survey is not open for answers now; nothing was stored."""


@transaction.atomic
def submit_response(*, participant: Participant, ranking: Sequence[Area], level: str, now=None) -> Response:
    """
    Store one anonymous response and mark the participant as having answered.

    Both happen in one transaction. The participant is claimed with a
    conditional UPDATE (answered_at IS NULL): of any number of concurrent
    submits on one link, exactly one updates the row and stores a response;
    the others raise AlreadyAnswered and store nothing. Running it twice for
    one participant therefore stores one response.
    """
    now = now or timezone.now()
    survey = participant.survey
    if not survey.is_open(now):
        raise SurveyNotOpen
    if len(ranking) != survey.rank_count or len({a.pk for a in ranking}) != len(ranking):
        raise ValueError("ranking must hold rank_count distinct areas")
    if any(area.survey_id != survey.pk for area in ranking):
        raise ValueError("ranking holds an area of another survey")

    # Which email brought the answer: the last wave that went out to them.
    last_wave = (
        OutgoingEmail.objects.filter(
            participant=OuterRef("pk"),
            status__in=[OutgoingEmail.Status.SENT, OutgoingEmail.Status.UNCERTAIN],
        )
        .order_by("-wave")
        .values("wave")[:1]
    )
    claimed = Participant.objects.filter(pk=participant.pk, answered_at__isnull=True).update(
        answered_at=now, answered_after_wave=Subquery(last_wave)
    )
    if not claimed:
        raise AlreadyAnswered

    response = Response.objects.create(
        survey=survey,
        region_id=participant.region_id,
        level=level,
        submitted_on=timezone.localdate(now),
    )
    RankedArea.objects.bulk_create(
        RankedArea(response=response, area=area, position=position) for position, area in enumerate(ranking, start=1)
    )
    participant.answered_at = now
    return response


def opt_out(*, participant: Participant, now=None) -> bool:
    """
    Stop further emails to the participant. Their queued emails are skipped
    when a worker reaches them. Returns False if they had already opted out;
    running it twice changes nothing.
    """
    now = now or timezone.now()
    return bool(Participant.objects.filter(pk=participant.pk, opted_out_at__isnull=True).update(opted_out_at=now))


class AlreadyConfirmed(Exception):
    """The import was confirmed (or cancelled) before; nothing more was written."""


class CannotRemoveAnswered(Exception):
    """A participant who has answered stays: the counts depend on them."""


def check_participant_file(
    *, survey: Survey, region: Region, data: bytes, filename: str, user=None
) -> ParticipantImport:
    """
    Read an uploaded list and keep the result for the lead to review. Writes
    no participant: the valid rows wait in a ParticipantImport until
    confirm_import(). A file that cannot be read at all raises
    UnreadableFile with the reason.
    """
    existing = {
        e.lower() for e in Participant.objects.filter(survey=survey).exclude(email="").values_list("email", flat=True)
    }
    report = parse_participant_file(data=data, filename=filename, existing_emails=existing)
    if report.error:
        raise UnreadableFile(report.error)
    return ParticipantImport.objects.create(
        survey=survey,
        region=region,
        created_by=user,
        filename=filename[:255],
        valid_rows=[asdict(row) for row in report.valid],
        rejected_rows=[asdict(row) for row in report.rejected],
    )


class UnreadableFile(Exception):
    pass


@transaction.atomic
def confirm_import(*, participant_import: ParticipantImport, now=None) -> int:
    """
    Add the import's valid rows to the survey, all in one transaction.
    Addresses that reached the survey since the preview are left out, not
    doubled. Confirming twice (a double click) writes nothing the second
    time and raises AlreadyConfirmed. Returns how many were added.
    """
    now = now or timezone.now()
    claimed = ParticipantImport.objects.filter(
        pk=participant_import.pk, status=ParticipantImport.Status.PREVIEW
    ).update(status=ParticipantImport.Status.CONFIRMED, confirmed_at=now)
    if not claimed:
        raise AlreadyConfirmed
    before = Participant.objects.filter(survey_id=participant_import.survey_id).count()
    Participant.objects.bulk_create(
        [
            Participant(
                survey_id=participant_import.survey_id,
                region_id=participant_import.region_id,
                email=row["email"],
                name=row["name"],
                organisation=row["organisation"],
                level=row["level"],
            )
            for row in participant_import.valid_rows
        ],
        ignore_conflicts=True,
        batch_size=2000,
    )
    created = Participant.objects.filter(survey_id=participant_import.survey_id).count() - before
    ParticipantImport.objects.filter(pk=participant_import.pk).update(created_count=created)
    participant_import.status = ParticipantImport.Status.CONFIRMED
    participant_import.created_count = created
    return created


def cancel_import(*, participant_import: ParticipantImport) -> bool:
    return bool(
        ParticipantImport.objects.filter(pk=participant_import.pk, status=ParticipantImport.Status.PREVIEW).update(
            status=ParticipantImport.Status.CANCELLED, valid_rows=[], rejected_rows=[]
        )
    )


@transaction.atomic
def remove_participant(*, participant: Participant):
    """Delete a participant who has not answered, with their emails. Raises CannotRemoveAnswered otherwise."""
    deleted, _ = Participant.objects.filter(pk=participant.pk, answered_at__isnull=True).delete()
    if not deleted and Participant.objects.filter(pk=participant.pk).exists():
        raise CannotRemoveAnswered
