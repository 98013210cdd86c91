import csv

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render

from surveys.models import Survey

from .selectors import area_results, response_count


def national(request, slug):
    survey = get_object_or_404(Survey, slug=slug)
    results = area_results(survey)
    return render(
        request,
        "results/national.html",
        {
            "survey": survey,
            "results": results,
            "responses": response_count(survey),
            "invited": survey.participants.count(),
            "total_points": sum(r.points for r in results),
        },
    )


def results_csv(request, slug):
    survey = get_object_or_404(Survey, slug=slug)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{survey.slug}-results.csv"'
    writer = csv.writer(response)
    writer.writerow(["code", "area", "points", "share_percent", "rank", "chosen_by", "first_by"])
    for row in area_results(survey):
        writer.writerow([row.code, row.title_sv, row.points, row.share_percent, row.rank, row.chosen_by, row.first_by])
    return response
