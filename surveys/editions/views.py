"""Staff: start the next edition of a survey."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from msi_survey.permissions import staff_required

from ..models import Survey
from .forms import NewEditionForm, suggested
from .services import COPIED_FIELDS, SlugTaken, new_edition


@staff_required
def new(request: HttpRequest, slug: str) -> HttpResponse:
    if not request.user.has_perm("surveys.add_survey"):
        raise PermissionDenied
    source = get_object_or_404(Survey, slug=slug)
    form = NewEditionForm(request.POST or None, initial=suggested(source))
    if request.method == "POST" and form.is_valid():
        try:
            made = new_edition(
                source=source,
                slug=form.cleaned_data["slug"],
                title_sv=form.cleaned_data["title_sv"],
                title_en=form.cleaned_data["title_en"],
                opens_at=form.opens_at,
                closes_at=form.closes_at,
            )
        except SlugTaken:
            form.add_error("slug", _("Another survey already has this address name. Choose another."))
        else:
            if made.created:
                messages.success(
                    request,
                    _("The new edition “%(title)s” is made, closed until %(date)s. Check its dates and texts.")
                    % {"title": made.survey.title_sv, "date": form.cleaned_data["opens_on"].isoformat()},
                )
            else:
                messages.info(request, _("This edition was already made; nothing new was created."))
            return redirect(reverse("admin:surveys_survey_change", args=[made.survey.pk]))
    return render(
        request,
        "surveys/editions/new.html",
        {
            "form": form,
            "source": source,
            "areas": source.areas.order_by("order", "id"),
            "email_texts": source.email_texts.count(),
            "copied": COPIED_FIELDS,
        },
    )
