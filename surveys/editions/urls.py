from django.urls import path

from . import views

app_name = "editions"

urlpatterns = [
    path("<slug:slug>/ny/", views.new, name="new"),
]
