from allauth.account import views as account_views
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from msi_survey import views as site_views
from msi_survey.accounts import oidc
from msi_survey.accounts import views as account_site_views
from msi_survey.permissions import admin_login

admin.site.site_header = _("Mötesplats Social Innovation: administration")
admin.site.site_title = _("MSI Survey administration")
admin.site.index_title = _("Surveys, results and accounts")

urlpatterns = [
    path("", site_views.home, name="home"),
    path("healthz", site_views.healthz, name="healthz"),
    path("integritet/", site_views.privacy, name="privacy"),
    path("tillganglighet/", site_views.accessibility, name="accessibility"),
    path("sprak/<str:code>/", site_views.language, name="language"),
    path("lead/", include("surveys.distribution.urls")),
    path("s/", include("surveys.urls")),
    path("results/", include("results.urls")),
    path("editions/", include("surveys.editions.urls")),
    # Everyone signs in through one page, with its second factor and single
    # sign-on (msi_survey/accounts/), staff too: the admin's own log-in
    # sends them there.
    path("accounts/login/", account_views.login, name="login"),
    path("accounts/logout/", account_views.logout, name="logout"),
    path("accounts/oidc/<str:provider_id>/login/callback/", oidc.callback),
    path("accounts/2fa/authenticate/", account_site_views.authenticate, name="mfa_authenticate"),
    path("accounts/", include("allauth.urls")),
    path("admin/login/", admin_login),
    path("admin/", admin.site.urls),
]

handler403 = "msi_survey.views.permission_denied"
handler500 = "msi_survey.views.server_error"
