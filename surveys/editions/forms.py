import re
from datetime import date, datetime, time, timedelta

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import STOCKHOLM, Survey


class NewEditionForm(forms.Form):
    title_sv = forms.CharField(label=_("Title (Swedish)"), max_length=200)
    title_en = forms.CharField(label=_("Title (English)"), max_length=200, required=False)
    slug = forms.SlugField(
        label=_("Address name"), max_length=50, help_text=_("Letters, digits and hyphens, e.g. msi-2027.")
    )
    opens_on = forms.DateField(
        label=_("Opens on"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The new edition stays closed until then."),
    )
    closes_on = forms.DateField(
        label=_("Closes after"), widget=forms.DateInput(attrs={"type": "date"}), help_text=_("The last day to answer.")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("create", _("Create the new edition"), css_class="btn-primary"))

    def clean_opens_on(self) -> date:
        opens_on = self.cleaned_data["opens_on"]
        if opens_on <= timezone.localdate(timezone=STOCKHOLM):
            raise forms.ValidationError(_("Choose a day after today: a new edition starts closed."))
        return opens_on

    def clean(self):
        cleaned = super().clean() or {}
        opens_on, closes_on = cleaned.get("opens_on"), cleaned.get("closes_on")
        if opens_on and closes_on and closes_on < opens_on:
            self.add_error("closes_on", _("The last day must be on or after the opening day."))
        return cleaned

    @property
    def opens_at(self) -> datetime:
        return datetime.combine(self.cleaned_data["opens_on"], time(0, 0), tzinfo=STOCKHOLM)

    @property
    def closes_at(self) -> datetime:
        return datetime.combine(self.cleaned_data["closes_on"] + timedelta(days=1), time(0, 0), tzinfo=STOCKHOLM)


def suggested(source: Survey) -> dict:
    """What the form starts with: the same title, the next year in the address, dates a year on."""
    today = timezone.localdate(timezone=STOCKHOLM)
    opens_on = timezone.localtime(source.opens_at, STOCKHOLM).date()
    while opens_on <= today:
        opens_on = opens_on.replace(year=opens_on.year + 1, day=min(opens_on.day, 28))
    old_year = str(timezone.localtime(source.opens_at, STOCKHOLM).year)
    # A later edition may exist already: suggest the first year whose address name is free.
    while True:
        if old_year in source.slug:
            slug = source.slug.replace(old_year, str(opens_on.year))
        else:
            slug = f"{re.sub(r'-?[0-9]{4}$', '', source.slug)}-{opens_on.year}"
        if not Survey.objects.filter(slug=slug[:50]).exists():
            break
        opens_on = opens_on.replace(year=opens_on.year + 1)
    return {
        "title_sv": source.title_sv,
        "title_en": source.title_en,
        "slug": slug[:50],
        "opens_on": opens_on,
        "closes_on": opens_on + timedelta(days=29),
    }
