from django.contrib import admin
from django.urls import include, path

from surveys import views as survey_views

urlpatterns = [
    path("", survey_views.home, name="home"),
    path("healthz", survey_views.healthz, name="healthz"),
    path("s/", include("surveys.urls")),
    path("results/", include("results.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

handler500 = "surveys.views.server_error"
