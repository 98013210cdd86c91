from django.urls import path

from . import views

app_name = "results"

urlpatterns = [
    path("<slug:slug>/", views.national, name="national"),
    path("<slug:slug>/results.csv", views.results_csv, name="csv"),
]
