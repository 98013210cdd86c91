from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from msi_survey import views as site_views
from surveys.auth import ThrottledAdminAuthenticationForm, ThrottledAuthenticationForm

admin.site.login_form = ThrottledAdminAuthenticationForm

urlpatterns = [
    path("", site_views.home, name="home"),
    path("healthz", site_views.healthz, name="healthz"),
    path("integritet/", site_views.privacy, name="privacy"),
    path("sprak/<str:code>/", site_views.language, name="language"),
    path("lead/", include("surveys.distribution.urls")),
    path("s/", include("surveys.urls")),
    path("results/", include("results.urls")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=ThrottledAuthenticationForm),
        name="login",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]

handler500 = "msi_survey.views.server_error"
