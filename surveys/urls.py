from django.urls import path

from . import views
from .distribution import views as distribution_views

app_name = "surveys"

urlpatterns = [
    path("<str:token>/", views.answer, name="answer"),
    path("<str:token>/tack/", views.thanks, name="thanks"),
    path("<str:token>/avregistrera/", distribution_views.opt_out, name="opt_out"),
]
