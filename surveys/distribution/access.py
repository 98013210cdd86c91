"""
Who may touch what. Every lead and staff view asks here, and whatever a user
may not touch is a 404, exactly like something that does not exist.

Staff act on every region; a lead acts on the regions they are attached to
(Region.leads); everyone else on none.
"""

import uuid

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from surveys.models import Participant, ParticipantImport, Region, Survey


def regions_for(user: User | AnonymousUser) -> QuerySet[Region]:
    if not user.is_authenticated or not user.is_active:
        return Region.objects.none()
    if user.is_staff:
        return Region.objects.all()
    return Region.objects.filter(leads=user)


def get_survey_region_for_user(user: User, survey_slug: str, region_code: str) -> tuple[Survey, Region]:
    survey = get_object_or_404(Survey, slug=survey_slug)
    region = get_object_or_404(regions_for(user), code=region_code)
    return survey, region


def get_participant_for_user(user: User, survey: Survey, region: Region, participant_id: int) -> Participant:
    # The region has already been checked against the user; the participant
    # must belong to it and to the survey, or it does not exist for them.
    return get_object_or_404(Participant, pk=participant_id, survey=survey, region=region)


def get_import_for_user(user: User, survey: Survey, region: Region, import_id: uuid.UUID) -> ParticipantImport:
    return get_object_or_404(ParticipantImport, pk=import_id, survey=survey, region=region)
