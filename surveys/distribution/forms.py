"""Forms of the lead's pages: they validate and normalise, nothing more."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from surveys.models import Participant

from .addresses import clean_address
from .imports import MAX_BYTES


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Participant list"),
        help_text=_(
            "A CSV file (semicolon- or comma-separated) or an Excel file (.xlsx), at most 10 MB. Columns: "
            "E-post (required), Namn, Organisation, Nivå (kommun or region). English headers work too."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx,text/csv"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("upload", _("Check the file"), css_class="btn-primary"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(_("The file is too large: at most 10 MB."))
        return upload


TAKEN_ELSEWHERE = _("This address cannot be added here. If the person belongs to your region, ask staff.")


def check_not_taken(taken, region) -> None:
    """
    Refuse an address someone else in the survey has. Whether it is in
    another region's list is not said: that is for staff to see and resolve.
    """
    if taken.filter(region=region).exists():
        raise forms.ValidationError(_("This address is already in the survey."))
    if taken.exists():
        raise forms.ValidationError(TAKEN_ELSEWHERE)


class ParticipantForm(forms.ModelForm):
    class Meta:
        model = Participant
        fields = ["email", "name", "organisation", "level"]

    def __init__(self, *args, survey, region, **kwargs):
        super().__init__(*args, **kwargs)
        self.survey, self.region = survey, region
        self.fields["level"].required = False
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", _("Save"), css_class="btn-primary"))

    def clean_email(self) -> str:
        email = clean_address(self.cleaned_data["email"])
        # The same comparison as address_key(): without regard to case.
        taken = Participant.objects.filter(survey=self.survey, email__iexact=email)
        if self.instance.pk:
            taken = taken.exclude(pk=self.instance.pk)
        check_not_taken(taken, self.region)
        return email


class CorrectAddressForm(forms.Form):
    """The corrected address of a participant whose email bounced; the same address may be tried again."""

    email = forms.EmailField(
        label=_("Corrected email address"),
        max_length=254,
        help_text=_("The email that bounced is sent again to this address, once."),
    )

    def __init__(self, *args, participant: Participant, **kwargs):
        super().__init__(*args, **kwargs)
        self.participant = participant
        self.helper = FormHelper()
        self.helper.add_input(Submit("resend", _("Save and send again"), css_class="btn-primary"))

    def clean_email(self) -> str:
        email = clean_address(self.cleaned_data["email"])
        taken = Participant.objects.filter(survey_id=self.participant.survey_id, email__iexact=email).exclude(
            pk=self.participant.pk
        )
        check_not_taken(taken, self.participant.region)
        return email


class ConfirmForm(forms.Form):
    """A confirmation that states what it confirms: the count the lead saw."""

    expected = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
