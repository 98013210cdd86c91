"""The series a survey belongs to, and the published table of an edition known only from it."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Series(models.Model):
    """Surveys asked again and again: each edition is a Survey with this series."""

    slug = models.SlugField(_("slug"), unique=True)
    title_sv = models.CharField(_("title (Swedish)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        app_label = "surveys"
        verbose_name = _("series")
        verbose_name_plural = _("series")
        ordering = ["title_sv"]

    def __str__(self):
        return self.title_sv


class PublishedFigure(models.Model):
    """
    One area's share in an edition's published table, as the edition
    published it: for an edition another tool ran, whose answers are not
    here. The number of answers and of invited are those the table was
    made from. Without the answers no interval can be computed, so a change
    from such an edition is shown without one.
    """

    survey = models.ForeignKey(
        "surveys.Survey", on_delete=models.CASCADE, related_name="published_figures", verbose_name=_("edition")
    )
    code = models.SlugField(_("area code"), max_length=60, help_text=_("The area's code in the series."))
    title_sv = models.CharField(_("area (Swedish)"), max_length=200)
    title_en = models.CharField(_("area (English)"), max_length=200, blank=True)
    share = models.DecimalField(
        _("share of all points (%)"), max_digits=5, decimal_places=2, help_text=_("As published, e.g. 9.5.")
    )
    answers = models.PositiveIntegerField(_("answers"))
    invited = models.PositiveIntegerField(_("invited"), null=True, blank=True)

    class Meta:
        app_label = "surveys"
        verbose_name = _("published figure")
        verbose_name_plural = _("published figures only")
        ordering = ["survey", "-share", "code"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "code"], name="published_figure_once_per_area"),
            models.CheckConstraint(
                condition=models.Q(share__gte=0) & models.Q(share__lte=100), name="published_share_is_a_percentage"
            ),
        ]

    def __str__(self):
        return f"{self.title_sv}: {self.share} %"
