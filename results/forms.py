from django import forms
from django.utils.translation import gettext_lazy as _


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is it withdrawn?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Visitors read this beside the note that the version was withdrawn, "
            "e.g. “A region's answers were counted twice.”"
        ),
        error_messages={"required": _("Write why the version is withdrawn: visitors are told.")},
    )
