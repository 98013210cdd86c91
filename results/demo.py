"""
The demo's contacts and readers' comments: placeholder people with
example.se addresses, every comment marked as an example. Safe to run again.
"""

from datetime import timedelta

from django.utils import timezone

from surveys.models import Region, Survey

from .cache import comments_changed
from .models import Comment, Contact
from .services import publish_snapshot

EXAMPLE_COMMENTS = [
    (
        "Exempelläsare i Norrbotten",
        "exempel.norrbotten@example.se",
        "Intressant att samverkan hamnar högst även hos oss. Finns det material från regionens träffar? "
        "(Exempelkommentar i demonstrationen.)",
        Comment.Status.APPROVED,
    ),
    (
        "Exempelläsare i Skåne",
        "exempel.skane@example.se",
        "Vi vill gärna höra mer om hur andra kommuner arbetar med effektmätning, se https://example.se/effekt "
        "(Exempelkommentar i demonstrationen.)",
        Comment.Status.APPROVED,
    ),
    (
        "Exempelläsare som väntar",
        "exempel.vantar@example.se",
        "En kommentar som väntar på att en moderator godkänner den. (Exempelkommentar i demonstrationen.)",
        Comment.Status.WAITING,
    ),
]


def load_discussion_demo(survey: Survey) -> None:
    """
    A contact per demo region and a national one, two approved sample
    comments and one waiting. Publishes a new version when the latest has
    no contacts yet (they are frozen into the snapshot).
    """
    for region in Region.objects.all():
        Contact.objects.get_or_create(
            region=region,
            defaults={
                "name": f"Kontaktperson {region.name}",
                "role": region.node,
                "email": f"kontakt.{region.code}@example.se",
            },
        )
    Contact.objects.get_or_create(
        region=None,
        defaults={
            "name": "Nationell kontaktperson",
            "role": "Mötesplats Social Innovation",
            "email": "kontakt@example.se",
            "phone": "010-123 45 67",
        },
    )
    if not survey.comments.exists():
        now = timezone.now()
        for age, (name, email, body, status) in enumerate(reversed(EXAMPLE_COMMENTS), start=1):
            Comment.objects.create(
                survey=survey,
                name=name,
                email=email,
                body=body,
                status=status,
                is_example=True,
                created_at=now - timedelta(hours=age),
                moderated_at=now if status == Comment.Status.APPROVED else None,
            )
        comments_changed(survey.slug)
    latest = survey.snapshots.order_by("-version").first()
    if latest is not None and "contacts" not in latest.data:
        publish_snapshot(survey=survey)
