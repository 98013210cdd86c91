"""
The survey domain.

Answers are stored so that results can be computed in SQL: one Response row
per submitted questionnaire and one RankedArea row per (response, position).
A Response never points at the Participant who gave it; the participant is
only marked as having answered, in the same transaction.
"""

import datetime
import secrets
import uuid
from zoneinfo import ZoneInfo

from django.db import models
from django.db.models import F, Q, Value
from django.db.models.expressions import CombinedExpression
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def new_token() -> str:
    # 32 bytes = 256 random bits, URL-safe: well past the 128 we need.
    return secrets.token_urlsafe(32)


class Level(models.TextChoices):
    KOMMUN = "kommun", _("Municipality (kommun)")
    REGION = "region", _("Region")


class EmailKind(models.TextChoices):
    """What an email is: the invitation (wave 0) or a reminder (wave 1, 2, …)."""

    INVITATION = "invitation", _("Invitation")
    REMINDER = "reminder", _("Reminder")

    @classmethod
    def of_wave(cls, wave: int) -> "EmailKind":
        return cls.INVITATION if wave == 0 else cls.REMINDER


class PointsRule(models.TextChoices):
    """
    How a place in a ranking turns into points: the one home of that rule.
    Survey.points_for() gives the points of one place in Python, and
    Survey.points_expression() the same rule as an SQL expression for the
    aggregation in results/selectors.py.
    """

    # With N areas to rank, place 1 gets N points, place N gets 1.
    DESCENDING = "descending", _("Place 1 gets as many points as there are places, the last place 1")

    def points(self, position: int, places: int) -> int:
        if not 1 <= position <= places:
            raise ValueError(f"position {position} outside 1..{places}")
        return places + 1 - position

    def expression(self, position_field: str, places: int) -> CombinedExpression:
        return Value(places + 1) - F(position_field)


class Survey(models.Model):
    PointsRule = PointsRule

    slug = models.SlugField(_("slug"), unique=True)
    title_sv = models.CharField(_("title (Swedish)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    introduction_sv = models.TextField(_("introduction (Swedish)"), blank=True)
    introduction_en = models.TextField(_("introduction (English)"), blank=True)
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    rank_count = models.PositiveSmallIntegerField(
        _("areas to rank"), default=5, help_text=_("How many areas each respondent ranks.")
    )
    points_rule = models.CharField(
        _("points rule"), max_length=20, choices=PointsRule.choices, default=PointsRule.DESCENDING
    )
    # The reminder policy: reminder k goes out reminder_interval_days after
    # the email before it, at most max_reminders of them, only inside the
    # sending window (Europe/Stockholm) and never after closing.
    reminder_interval_days = models.PositiveSmallIntegerField(
        _("days between reminders"),
        default=7,
        help_text=_("A reminder goes out this many days after the previous email to the same person."),
    )
    max_reminders = models.PositiveSmallIntegerField(_("reminders at most"), default=2)
    reminders_on_weekdays_only = models.BooleanField(_("remind on weekdays only"), default=True)
    reminder_window_start = models.TimeField(_("send reminders from"), default=datetime.time(8, 0))
    reminder_window_end = models.TimeField(_("send reminders until"), default=datetime.time(17, 0))
    suppression_threshold = models.PositiveSmallIntegerField(
        _("smallest group shown"),
        default=5,
        help_text=_("Groups with fewer answers than this are never shown in results, charts or exports."),
    )
    purge_after_days = models.PositiveSmallIntegerField(
        _("purge personal data after (days)"),
        null=True,
        blank=True,
        help_text=_(
            "Remove names, email addresses and links this many days after closing. "
            "Leave empty to purge by hand (manage.py purge_personal_data)."
        ),
    )
    personal_data_purged_at = models.DateTimeField(_("personal data purged at"), null=True, blank=True)
    # The series this survey is an edition of (surveys/editions/); editions are compared by area code.
    series = models.ForeignKey(
        "surveys.Series",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="editions",
        verbose_name=_("series"),
    )
    # Readers' comments on the published results (results/comments/).
    comments_open = models.BooleanField(
        _("readers may comment"), default=True, help_text=_("Untick to close the comments on the results.")
    )
    comments_close_after_days = models.PositiveSmallIntegerField(
        _("close comments after (days)"),
        null=True,
        blank=True,
        default=90,
        help_text=_("Comments close by themselves this many days after the first publication. Empty: never."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["-opens_at"]
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=F("opens_at")), name="survey_closes_after_opening"),
            models.CheckConstraint(condition=Q(rank_count__gte=1), name="survey_ranks_at_least_one"),
            models.CheckConstraint(
                condition=Q(reminder_window_end__gt=F("reminder_window_start")), name="survey_reminder_window_valid"
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def title(self) -> str:
        return _localized(self.title_sv, self.title_en)

    @property
    def introduction(self) -> str:
        return _localized(self.introduction_sv, self.introduction_en)

    def is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return self.opens_at <= now < self.closes_at

    def has_not_opened(self, now=None) -> bool:
        return (now or timezone.now()) < self.opens_at

    def in_reminder_window(self, now=None) -> bool:
        """Whether reminders may go out at `now`: open, a weekday if so set, inside the hours."""
        now = now or timezone.now()
        local = timezone.localtime(now, STOCKHOLM)
        if not self.is_open(now):
            return False
        if self.reminders_on_weekdays_only and local.weekday() >= 5:
            return False
        return self.reminder_window_start <= local.time() < self.reminder_window_end

    def next_reminder_window(self, now: datetime.datetime) -> datetime.datetime | None:
        """
        When reminders may next go out: `now` if they may now, else the start
        of the next sending window (Europe/Stockholm), or None when the
        survey closes before it.
        """
        if self.in_reminder_window(now):
            return now
        local = timezone.localtime(max(now, self.opens_at), STOCKHOLM)
        for days in range(8):
            day = local.date() + datetime.timedelta(days=days)
            if self.reminders_on_weekdays_only and day.weekday() >= 5:
                continue
            start = datetime.datetime.combine(day, self.reminder_window_start, tzinfo=STOCKHOLM)
            if start >= local:
                return start if start < self.closes_at else None
        return None

    def points_for(self, position: int) -> int:
        """Points that an area placed at `position` (1 = most important) earns under the survey's rule."""
        return PointsRule(self.points_rule).points(position, self.rank_count)

    def points_expression(self, position_field: str = "position") -> CombinedExpression:
        """The same rule as an SQL expression over a RankedArea position column."""
        return PointsRule(self.points_rule).expression(position_field, self.rank_count)

    @property
    def points_description(self) -> list[int]:
        return [self.points_for(p) for p in range(1, self.rank_count + 1)]


class Area(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="areas", verbose_name=_("survey"))
    code = models.SlugField(_("code"), max_length=60, help_text=_("Stable identifier used in exports."))
    title_sv = models.CharField(_("title (Swedish)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("display order"), default=0)

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        ordering = ["survey", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "code"], name="area_code_unique_per_survey"),
        ]

    def __str__(self):
        return self.title

    @property
    def title(self) -> str:
        return _localized(self.title_sv, self.title_en)


class Region(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    node = models.CharField(_("university node"), max_length=200)
    leads = models.ManyToManyField(
        "auth.User",
        related_name="lead_regions",
        blank=True,
        verbose_name=_("leads"),
        help_text=_("Users who run the survey in this region."),
    )
    contact_name = models.CharField(
        _("contact name"), max_length=200, blank=True, help_text=_("Shown in emails as who to contact.")
    )
    contact_email = models.EmailField(_("contact email"), blank=True)
    sending_account = models.ForeignKey(
        "surveys.SendingAccount",
        verbose_name=_("sending account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="regions",
        help_text=_("The mail account its invitations go out through. Empty: the site's account (EMAIL_* settings)."),
    )

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["name"]

    def __str__(self):
        return self.name


class ParticipantQuerySet(models.QuerySet):
    def unanswered(self):
        return self.filter(answered_at__isnull=True)

    def reachable(self):
        """Who may still get email about the survey: not answered, not opted out, not purged."""
        return self.filter(answered_at__isnull=True, opted_out_at__isnull=True, token__isnull=False).exclude(email="")


class Participant(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="participants", verbose_name=_("survey"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="participants", verbose_name=_("region"))
    email = models.EmailField(_("email"))
    name = models.CharField(_("name"), max_length=200, blank=True)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, blank=True)
    # Null once personal data has been purged: the link then leads nowhere.
    token = models.CharField(  # noqa: DJ001 - null, not "", so that many purged rows stay unique
        _("token"), max_length=64, unique=True, null=True, default=new_token, editable=False
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    # Which email brought the answer: 0 = the invitation, k = reminder k,
    # null = answered before any email was sent (or not answered).
    answered_after_wave = models.PositiveSmallIntegerField(_("answered after email"), null=True, blank=True)
    opted_out_at = models.DateTimeField(_("opted out at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ParticipantQuerySet.as_manager()

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        ordering = ["survey", "region", "email"]
        constraints = [
            # Purged participants keep their row (results need the counts)
            # with an empty email, so only real addresses must be unique.
            models.UniqueConstraint(
                fields=["survey", "email"], condition=~Q(email=""), name="participant_email_unique_per_survey"
            ),
        ]

    def __str__(self):
        return self.email

    @property
    def has_answered(self) -> bool:
        return self.answered_at is not None

    @property
    def has_opted_out(self) -> bool:
        return self.opted_out_at is not None


class EmailText(models.Model):
    """
    A survey's own invitation or reminder text in one language.

    Placeholders, written {{ name }}: name, link, closing_date, contact_name,
    contact_email, opt_out_link. Without a text of its own a survey uses the
    built-in texts in templates/emails/.
    """

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="email_texts", verbose_name=_("survey"))
    kind = models.CharField(_("kind"), max_length=20, choices=EmailKind.choices)
    language = models.CharField(_("language"), max_length=5, choices=[("sv", _("Swedish")), ("en", _("English"))])
    subject = models.CharField(_("subject"), max_length=200)
    body_text = models.TextField(
        _("text"), help_text=_("The plain-text email. Placeholders: {{ greeting }}, {{ name }}, {{ link }}, …")
    )
    body_html = models.TextField(
        _("HTML"), blank=True, help_text=_("Optional. Without it the HTML email is made from the text.")
    )

    class Meta:
        verbose_name = _("email text")
        verbose_name_plural = _("email texts")
        ordering = ["survey", "kind", "language"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "kind", "language"], name="email_text_unique_per_kind_language"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.language})"


class Mailing(models.Model):
    """One send: the invitations or reminders that one action queued for one region."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="mailings", verbose_name=_("survey"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="mailings", verbose_name=_("region"))
    kind = models.CharField(_("kind"), max_length=20, choices=EmailKind.choices)
    # Who asked for it; null for the scheduled reminders and the command line.
    created_by = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("sent by")
    )
    scheduled = models.BooleanField(_("scheduled"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("mailing")
        verbose_name_plural = _("mailings")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} {self.region} {self.created_at:%Y-%m-%d %H:%M}"


class OutgoingEmailQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status__in=OutgoingEmail.PENDING)


class OutgoingEmail(models.Model):
    """
    One email to one participant in one wave (0 = invitation, k = reminder k).

    The unique (participant, wave) row is what keeps a wave from reaching a
    person twice, whatever the broker, the workers or the schedule do. Its
    status moves queued -> claimed -> sending -> sent | failed | skipped, or
    back to queued for another try; see surveys/distribution/sending.py for the rules.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        CLAIMED = "claimed", _("Being sent")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        UNCERTAIN = "uncertain", _("Uncertain")
        SKIPPED = "skipped", _("Not sent")
        # The recipient's mail server refused it, while sending or in a
        # bounce report afterwards: see surveys/distribution/bounces.py.
        BOUNCED = "bounced", _("Bounced")

    PENDING = (Status.QUEUED, Status.CLAIMED, Status.SENDING)

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="emails", verbose_name=_("participant")
    )
    mailing = models.ForeignKey(Mailing, on_delete=models.CASCADE, related_name="emails", verbose_name=_("mailing"))
    wave = models.PositiveSmallIntegerField(_("wave"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    claim = models.UUIDField(_("claim"), null=True, blank=True, editable=False)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    message_id = models.CharField(_("message id"), max_length=200, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = OutgoingEmailQuerySet.as_manager()

    class Meta:
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing emails")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["participant", "wave"], name="one_email_per_participant_and_wave"),
        ]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(status="queued"), name="outgoing_email_queued_idx"),
            models.Index(fields=["status", "claimed_at"], name="outgoing_email_status_idx"),
            # The sending limits count the emails sent in the last minute,
            # hour and day by when they were sent (surveys/distribution/pacing.py).
            models.Index(fields=["sent_at"], condition=Q(status="sent"), name="outgoing_email_sent_idx"),
        ]

    def __str__(self):
        return f"{self.participant_id} wave {self.wave}: {self.status}"

    @property
    def kind(self) -> EmailKind:
        return EmailKind.of_wave(self.wave)


class Bounce(models.Model):
    """
    One refusal of an email by the recipient's mail server: at sending, or
    in a bounce report read from the bounce mailbox. Only what the lead
    needs is kept (how permanent, why, the server's words, when), never the
    report itself; the address and the server's words are purged with the
    rest of the survey's personal data.
    """

    class Kind(models.TextChoices):
        PERMANENT = "permanent", _("Permanent")
        TEMPORARY = "temporary", _("Delayed")

    class Source(models.TextChoices):
        SENDING = "sending", _("Refused while sending")
        REPORT = "report", _("Bounce report")

    class Reason(models.TextChoices):
        NO_SUCH_ADDRESS = "no_such_address", _("The address does not exist")
        NO_SUCH_DOMAIN = "no_such_domain", _("The domain of the address does not exist")
        MAILBOX_FULL = "mailbox_full", _("The mailbox is full")
        MAILBOX_DISABLED = "mailbox_disabled", _("The mailbox is closed")
        REFUSED = "refused", _("The recipient's mail server refused the email")
        DELAYED = "delayed", _("The email could not be delivered for a long time")
        OTHER = "other", _("The email could not be delivered")

    email = models.ForeignKey(OutgoingEmail, on_delete=models.CASCADE, related_name="bounces", verbose_name=_("email"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    status_code = models.CharField(_("status code"), max_length=12, blank=True)
    server_text = models.CharField(_("the server's reply"), max_length=500, blank=True)
    address = models.CharField(_("address"), max_length=254, blank=True)
    # Which send of the email it is about (OutgoingEmail.attempts at that send).
    attempt = models.PositiveSmallIntegerField(_("attempt"), default=0)
    # A digest of the report it came from: reading the same report again adds nothing.
    report_key = models.CharField(  # noqa: DJ001 - null for refusals at sending, which have no report
        _("report key"), max_length=64, unique=True, null=True, blank=True, editable=False
    )
    occurred_at = models.DateTimeField(_("occurred at"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("bounce")
        verbose_name_plural = _("bounces")
        ordering = ["-occurred_at"]

    def __str__(self):
        return f"{self.email_id}: {self.kind} {self.status_code}"


class ParticipantImport(models.Model):
    """A participant list between upload and confirmation: nothing is in the survey until confirmed."""

    class Status(models.TextChoices):
        PREVIEW = "preview", _("Awaiting confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        CANCELLED = "cancelled", _("Cancelled")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="imports", verbose_name=_("survey"))
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="imports", verbose_name=_("region"))
    created_by = models.ForeignKey(
        "auth.User", on_delete=models.CASCADE, null=True, related_name="+", verbose_name=_("uploaded by")
    )
    filename = models.CharField(_("file name"), max_length=255)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PREVIEW)
    valid_rows = models.JSONField(_("valid rows"), default=list)
    rejected_rows = models.JSONField(_("rejected rows"), default=list)
    created_count = models.PositiveIntegerField(_("participants added"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("participant import")
        verbose_name_plural = _("participant imports")
        ordering = ["-created_at"]

    def __str__(self):
        return self.filename


class Response(models.Model):
    """
    One submitted questionnaire, anonymous.

    The primary key is a random UUID and the time is kept to the day, so that
    neither the row order nor a timestamp can be matched against
    Participant.answered_at to tell who gave which answer.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses", verbose_name=_("survey"))
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="responses", verbose_name=_("region"))
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    submitted_on = models.DateField(_("submitted on"))

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        ordering = ["survey", "submitted_on"]
        indexes = [models.Index(fields=["survey", "region", "level"], name="response_group_idx")]

    def __str__(self):
        return f"{self.survey.slug} {self.submitted_on} {self.region.code}"


class RankedArea(models.Model):
    """One area at one position (1 = most important) in one response."""

    response = models.ForeignKey(
        Response, on_delete=models.CASCADE, related_name="ranked_areas", verbose_name=_("response")
    )
    area = models.ForeignKey(Area, on_delete=models.PROTECT, related_name="rankings", verbose_name=_("area"))
    position = models.PositiveSmallIntegerField(_("position"))

    class Meta:
        verbose_name = _("ranked area")
        verbose_name_plural = _("ranked areas")
        ordering = ["response", "position"]
        constraints = [
            models.UniqueConstraint(fields=["response", "area"], name="ranked_area_once_per_response"),
            models.UniqueConstraint(fields=["response", "position"], name="ranked_position_once_per_response"),
            models.CheckConstraint(condition=Q(position__gte=1), name="ranked_position_positive"),
        ]

    def __str__(self):
        return f"{self.position}. {self.area}"


def _localized(swedish: str, english: str) -> str:
    if english and (get_language() or "sv").startswith("en"):
        return english
    return swedish


# Models that live in modules of their own.
from .distribution.sending_account import SendingAccount, SendingState  # noqa: E402, F401
from .editions.models import PublishedFigure, Series  # noqa: E402, F401
