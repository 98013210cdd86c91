from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from surveys.distribution.addresses import clean_address

MAX_NAME = 100
MAX_BODY = 5000


class CommentForm(forms.Form):
    """A reader's comment. Validates and normalises only; services.post_comment() decides the rest."""

    name = forms.CharField(
        label=_("Name"),
        max_length=MAX_NAME,
        help_text=_("Shown with your comment."),
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "name"}),
        error_messages={
            "required": _("Write your name: it is shown with the comment."),
            "max_length": _("Keep the name to at most %(limit_value)d characters (it has %(show_value)d)."),
        },
    )
    email = forms.CharField(
        label=_("Email address"),
        max_length=254,
        help_text=_("Never published. Only our staff see it."),
        error_messages={"required": _("Write your email address. It is never published.")},
        widget=forms.EmailInput(attrs={"class": "form-control", "autocomplete": "email"}),
    )
    body = forms.CharField(
        label=_("Comment"),
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 6}),
        help_text=_("At most %(n)d characters. Addresses of web pages become links once the comment is approved.")
        % {"n": MAX_BODY},
        error_messages={
            "required": _("Write your comment."),
            "max_length": _(
                "The comment is too long: at most %(limit_value)d characters, and it has %(show_value)d. "
                "Shorten it and send it again."
            ),
        },
    )
    consent = forms.BooleanField(
        label=_("I have read how my name, address and comment are handled (above)"),
        error_messages={"required": _("Tick the box to say you have read how your data is handled.")},
    )
    # Not shown to people (static/results/discussion.css); programs that fill every field give themselves away.
    website = forms.CharField(label=_("Leave this field empty"), required=False, max_length=200)
    shown = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise ValidationError(_("Write your name: it is shown with the comment."))
        if "@" in name:
            raise ValidationError(_("Write your name, not an email address: the name is published."))
        return name

    def clean_email(self) -> str:
        return clean_address(self.cleaned_data["email"])

    def clean_body(self) -> str:
        body = self.cleaned_data["body"].replace("\r\n", "\n").strip()
        if not body:
            raise ValidationError(_("Write your comment."))
        return body

    def clean(self):
        data = super().clean() or self.cleaned_data
        email, body = data.get("email"), data.get("body")
        if email and body and email.lower() in body.lower():
            self.add_error("body", _("Leave your email address out of the comment: it is never published."))
        return data
