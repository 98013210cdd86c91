"""
Writes to a survey's participant list: importing a checked list, adding
and removing people, and a participant's own opt-out.
"""

from dataclasses import asdict
from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from msi_survey.accounts import services as audit
from msi_survey.accounts.models import AuditEvent
from surveys.models import Participant, ParticipantImport, Region, Survey, new_token

from . import statistics
from .addresses import address_key
from .imports import parse_participant_file


def opt_out(*, participant: Participant, now: datetime | None = None) -> bool:
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


def existing_addresses(survey: Survey, *, region: Region | None = None, elsewhere: bool = False) -> set[str]:
    """
    The survey's addresses as address_key() compares them: a list must not
    add any of them again. With `region`, only that region's (or, with
    `elsewhere`, only the other regions').
    """
    people = Participant.objects.filter(survey=survey).exclude(email="")
    if region is not None:
        people = people.exclude(region=region) if elsewhere else people.filter(region=region)
    return {address_key(address) for address in people.values_list("email", flat=True)}


class UnreadableFile(Exception):
    """The uploaded file cannot be read as a list at all; the message says why."""


def check_participant_file(
    *, survey: Survey, region: Region, data: bytes, filename: str, user: User | None = None
) -> ParticipantImport:
    """
    Read an uploaded list and keep the result for the lead to review. Writes
    no participant: the valid rows wait in a ParticipantImport until
    confirm_import(). A file that cannot be read at all raises
    UnreadableFile with the reason.
    """
    report = parse_participant_file(
        data=data,
        filename=filename,
        existing_emails=existing_addresses(survey, region=region),
        elsewhere_emails=existing_addresses(survey, region=region, elsewhere=True),
    )
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


@transaction.atomic
def confirm_import(*, participant_import: ParticipantImport, now: datetime | None = None) -> int:
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
    statistics.refresh_after(created, Participant)
    return created


def cancel_import(*, participant_import: ParticipantImport) -> bool:
    """Drop a list that waits for confirmation, and its rows. False if it was handled already; safe twice."""
    return bool(
        ParticipantImport.objects.filter(pk=participant_import.pk, status=ParticipantImport.Status.PREVIEW).update(
            status=ParticipantImport.Status.CANCELLED, valid_rows=[], rejected_rows=[]
        )
    )


@transaction.atomic
def remove_participant(*, participant: Participant) -> None:
    """Delete a participant who has not answered, with their emails. Raises CannotRemoveAnswered otherwise."""
    deleted, _ = Participant.objects.filter(pk=participant.pk, answered_at__isnull=True).delete()
    if not deleted and Participant.objects.filter(pk=participant.pk).exists():
        raise CannotRemoveAnswered


def change_participant(
    *, participant_id: int, email: str, name: str, organisation: str, level: str, by: User | None, request=None
) -> bool:
    """
    Save a lead's changes to a participant. A new address for someone who
    has been emailed gets a new personal link: the one sent before stops
    working, so whoever changes an address can never be sent a working
    link that reached someone else. Every change of address is in the
    audit log: who, when, the old and the new address. Returns whether a
    new link was made. `email` has been cleaned and checked by the form.
    """
    with transaction.atomic():
        participant = Participant.objects.select_for_update().get(pk=participant_id)
        old = participant.email
        fields = {"name": name, "organisation": organisation, "level": level}
        reissued = False
        if email != old:
            fields["email"] = email
            reissued = participant.emails.exists()
            if reissued:
                fields["token"] = new_token()
            record_address_change(
                participant=participant, old=old, new=email, reissued=reissued, by=by, request=request
            )
        Participant.objects.filter(pk=participant.pk).update(**fields)
    return reissued


def record_address_change(
    *, participant: Participant, old: str, new: str, reissued: bool, by: User | None, request=None
):
    region = Region.objects.filter(pk=participant.region_id).values_list("code", flat=True).first() or ""
    audit.record(
        AuditEvent.Kind.ADDRESS_CHANGED,
        user=by,
        request=request,
        detail=f"participant {participant.pk} ({region}): {old} → {new}" + ("; new link" if reissued else ""),
    )
