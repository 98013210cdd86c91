from django.urls import path

from . import exports, views
from .comments import views as comment_views

app_name = "results"

urlpatterns = [
    path("comments/publish/<str:token>/", comment_views.confirm, name="comment_confirm"),
    path("<slug:slug>/", views.national, name="national"),
    path("<slug:slug>/results.csv", exports.results_csv, name="csv"),
    path("<slug:slug>/results.xlsx", exports.results_xlsx, name="xlsx"),
    path("<slug:slug>/editions.csv", exports.editions_csv, name="editions_csv"),
    path("<slug:slug>/responses.csv", exports.responses_csv, name="responses_csv"),
    path("<slug:slug>/preview/", views.preview, name="preview"),
    path("<slug:slug>/publish/", views.publish, name="publish"),
    path("<slug:slug>/versions/", views.versions, name="versions"),
    path("<slug:slug>/comments/", comment_views.comments, name="comments"),
    path("<slug:slug>/comments/challenge/", comment_views.challenge, name="comment_challenge"),
    path("<slug:slug>/v<int:number>/", views.version, name="version"),
    path("<slug:slug>/v<int:number>/withdraw/", views.withdraw, name="withdraw"),
    path("<slug:slug>/v<int:number>/<slug:code>/", views.region, name="region_version"),
    path("<slug:slug>/<slug:code>/", views.region, name="region"),
]
