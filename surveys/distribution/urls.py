from django.urls import path

from . import views

app_name = "lead"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("sending/", views.sending_overview, name="sending"),
    path("<slug:slug>/<slug:code>/", views.region_page, name="region"),
    path("<slug:slug>/<slug:code>/progress.json", views.progress, name="progress"),
    path("<slug:slug>/<slug:code>/deltagare.csv", views.participants_csv, name="participants_csv"),
    path("<slug:slug>/<slug:code>/import/", views.import_upload, name="import"),
    path("<slug:slug>/<slug:code>/import/<uuid:import_id>/", views.import_preview, name="import_preview"),
    path("<slug:slug>/<slug:code>/participants/add/", views.participant_add, name="participant_add"),
    path("<slug:slug>/<slug:code>/participants/<int:pk>/", views.participant_edit, name="participant_edit"),
    path(
        "<slug:slug>/<slug:code>/participants/<int:pk>/correct/",
        views.participant_correct,
        name="participant_correct",
    ),
    path(
        "<slug:slug>/<slug:code>/participants/<int:pk>/remove/",
        views.participant_remove,
        name="participant_remove",
    ),
    path("<slug:slug>/<slug:code>/invite/", views.send_invitations, name="invite"),
    path("<slug:slug>/<slug:code>/remind/", views.send_reminder, name="remind"),
    path("<slug:slug>/<slug:code>/send-uncertain-again/", views.resend_uncertain, name="resend_uncertain"),
    path("<slug:slug>/<slug:code>/email/<str:kind>/", views.email_preview, name="email_preview"),
]
