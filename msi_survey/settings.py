"""
Settings for MSI Survey, read from the environment.

Every setting has an embedded default that lets a fresh checkout run with
nothing else installed: SQLite under var/, Celery on kombu's filesystem
transport under var/, emails written as files under var/mail/. Production
sets DATABASE_URL, REDIS_URL, EMAIL_HOST and friends; see README.md.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from None


def envlimit(name: str) -> int | None:
    """A positive whole number, or None when the variable is unset or empty (no limit)."""
    value = os.environ.get(name, "")
    if value == "":
        return None
    if not value.isdigit() or int(value) < 1:
        raise ImproperlyConfigured(
            f"{name} must be a whole number of at least 1, or empty for no limit, not {value!r}"
        )
    return int(value)


def envlist(name: str, default: str) -> list[str]:
    value = os.environ.get(name, default)
    return [item.strip() for item in value.split(",") if item.strip()]


VAR_DIR = Path(os.environ.get("VAR_DIR") or BASE_DIR / "var")

DEBUG = envbool("DEBUG", False)
# `make run`: the whole product on one machine, as a first-time user meets it.
# DEBUG stays off, so visitors see the product's own Swedish error pages;
# the site answers on loopback over plain http with a development key, and
# serves its static files straight from the source folders.
LOCAL_DEMO = envbool("LOCAL_DEMO", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not (DEBUG or LOCAL_DEMO):
        raise ImproperlyConfigured("Set SECRET_KEY, or DEBUG=true for development.")
    SECRET_KEY = "insecure-development-key-never-used-in-production"  # noqa: S105 - DEBUG only

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG or LOCAL_DEMO else "")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

# The base of every link in an email, e.g. https://enkat.example.se
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",
    "crispy_forms",
    "crispy_bootstrap5",
    # Sign-in: passwords, a second factor and single sign-on (msi_survey/accounts/).
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",
    "msi_survey.accounts",
    "surveys",
    "results",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "msi_survey.middleware.SwedishFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "msi_survey.accounts.middleware.SessionLimitsMiddleware",
    "msi_survey.accounts.middleware.SecondFactorRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "msi_survey.security.SecurityHeadersMiddleware",
    "msi_survey.security.LinkGuessingLimitMiddleware",
]

ROOT_URLCONF = "msi_survey.urls"
# Widgets render from the project's templates/ too (surveys/widgets/).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
WSGI_APPLICATION = "msi_survey.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: SQLite under var/ unless DATABASE_URL says otherwise.
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=envint("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The site, the worker and beat share one file. Write-ahead logging lets
    # readers go on while one writes; every transaction takes the write lock
    # when it begins (IMMEDIATE), so one that reads and then writes waits up
    # to `timeout` seconds for its turn instead of failing with "database is
    # locked" when it wants to write.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "lead:dashboard"
LOGOUT_REDIRECT_URL = "home"

# Sign-in through django-allauth: a user name and password with a second
# factor, or single sign-on. Staff create every account; nobody signs up.
AUTHENTICATION_BACKENDS = ["allauth.account.auth_backends.AuthenticationBackend"]
ACCOUNT_ADAPTER = "msi_survey.accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "msi_survey.accounts.adapters.SocialAccountAdapter"
ACCOUNT_FORMS = {"login": "msi_survey.accounts.forms.LoginForm"}
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
# A signed-in session's cookie ends when the browser closes.
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
# Failed passwords and second-factor codes are throttled by
# msi_survey/accounts/forms.py (msi_survey/accounts/throttles.py), with the project's
# own message; allauth's other limits stay on.
ACCOUNT_RATE_LIMITS = {"login_failed": False}
# Setting up, changing or removing a second factor asks for the password
# again; the check lasts REAUTHENTICATION_MINUTES, long enough to install an
# authenticator app and set it up without being asked twice. The right code
# of a factor just added counts as a fresh check too
# (msi_survey/accounts/receivers.py).
ACCOUNT_REAUTHENTICATION_TIMEOUT = envint("REAUTHENTICATION_MINUTES", 15) * 60
# The account's owner hears by email of a new password or second factor.
ACCOUNT_EMAIL_NOTIFICATIONS = True
# A password reset asked for an address with no account sends nothing.
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
# Second factor: an authenticator app, security keys or passkeys, and
# recovery codes. MFA_REQUIRED leads every signed-in account without one
# to set one up before anything else (msi_survey/accounts/middleware.py).
MFA_SUPPORTED_TYPES = ["totp", "webauthn", "recovery_codes"]
MFA_FORMS = {
    "add_webauthn": "msi_survey.accounts.forms.AddWebAuthnForm",
    "authenticate": "msi_survey.accounts.forms.AuthenticateForm",
    "reauthenticate": "msi_survey.accounts.forms.ReauthenticateForm",
}
# Passkeys serve as a second factor, not instead of the password (which
# an account limited to single sign-on must not get round).
MFA_PASSKEY_LOGIN_ENABLED = False
MFA_TOTP_ISSUER = os.environ.get("MFA_TOTP_ISSUER", "MSI Survey")
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG or LOCAL_DEMO or envbool("TESTING", False)
MFA_REQUIRED = envbool("MFA_REQUIRED", True)
# Sessions signed in through an identity provider have had its own checks;
# set this to ask them for the site's second factor as well.
MFA_REQUIRED_FOR_SSO = envbool("MFA_REQUIRED_FOR_SSO", False)
# A signed-in session ends after this long without a request, and after
# this long in all (a working day), whatever it does.
SESSION_IDLE_SECONDS = envint("SESSION_IDLE_SECONDS", 30 * 60)
SESSION_MAX_SECONDS = envint("SESSION_MAX_SECONDS", 10 * 60 * 60)

# Single sign-on, configured by the deployment (README: "Signing in").
# Nobody gets an account by signing in: a person is matched to an existing
# account by a verified email address or by the identifier staff connected.
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_ONLY = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_PROVIDERS: dict[str, dict[str, list[dict]]] = {"openid_connect": {"APPS": []}, "saml": {"APPS": []}}
if os.environ.get("OIDC_SERVER_URL"):
    SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"].append(
        {
            "provider_id": os.environ.get("OIDC_PROVIDER_ID", "oidc"),
            "name": os.environ.get("OIDC_NAME", "Single sign-on"),
            "client_id": os.environ.get("OIDC_CLIENT_ID", ""),
            "secret": os.environ.get("OIDC_CLIENT_SECRET", ""),
            "settings": {
                "server_url": os.environ["OIDC_SERVER_URL"],
                "token_auth_method": os.environ.get("OIDC_TOKEN_AUTH_METHOD", "client_secret_basic"),
                "oauth_pkce_enabled": True,
                # Act on the signed ID token only (msi_survey/accounts/oidc.py).
                "fetch_userinfo": False,
            },
        }
    )
if os.environ.get("SAML_IDP_METADATA_URL") or os.environ.get("SAML_IDP_ENTITY_ID"):
    SOCIALACCOUNT_PROVIDERS["saml"]["APPS"].append(
        {
            "provider_id": os.environ.get("SAML_PROVIDER_ID", "saml"),
            "name": os.environ.get("SAML_NAME", "SWAMID"),
            "client_id": os.environ.get("SAML_PROVIDER_ID", "saml"),
            "settings": {
                "attribute_mapping": {
                    "uid": os.environ.get("SAML_UID_ATTRIBUTE", "urn:oid:1.3.6.1.4.1.5923.1.1.1.6"),
                    "email": os.environ.get("SAML_EMAIL_ATTRIBUTE", "urn:oid:0.9.2342.19200300.100.1.3"),
                },
                "idp": {
                    key: value
                    for key, value in {
                        "entity_id": os.environ.get("SAML_IDP_ENTITY_ID", ""),
                        "metadata_url": os.environ.get("SAML_IDP_METADATA_URL", ""),
                        "sso_url": os.environ.get("SAML_IDP_SSO_URL", ""),
                        "x509cert": os.environ.get("SAML_IDP_X509CERT", ""),
                    }.items()
                    if value
                },
                "sp": {"entity_id": os.environ.get("SAML_SP_ENTITY_ID", f"{SITE_URL}/saml")},
                # A federation's identity providers vouch for the addresses they send.
                "verified_email": envbool("SAML_EMAIL_VERIFIED", True),
                "advanced": {
                    "want_assertion_signed": True,
                    "want_message_signed": False,
                    "allow_repeat_attribute_name": True,
                    "reject_deprecated_algorithm": True,
                    "reject_idp_initiated_sso": True,
                    "strict": True,
                },
            },
        }
    )

# Swedish first: the site speaks Swedish unless a visitor picks English.
LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", _("Swedish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Stockholm"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Front-end packages installed from the npm registry (package.json).
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    ("vendor/altcha", BASE_DIR / "node_modules" / "altcha" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or LOCAL_DEMO or envbool("TESTING", False)
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Serve straight from the source folders when nothing has been collected
# (development and tests); production runs collectstatic.
WHITENOISE_USE_FINDERS = DEBUG or LOCAL_DEMO or envbool("TESTING", False)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Redis, when there is one, backs Celery and the cache: rate counters,
# throttles, locks and what every process must agree on. Whole published
# pages are kept apart, in each process's memory and bounded
# (results/cache.py): a flood of pages can never push a counter out.
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHES = {
    "default": (
        {
            "BACKEND": "msi_survey.cache.Cache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "msi"),
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "default"}
    ),
    "pages": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "pages",
        "OPTIONS": {"MAX_ENTRIES": envint("PAGE_CACHE_ENTRIES", 300)},
    },
}

# Celery: Redis in production; kombu's filesystem transport under var/ by
# default, which runs a real worker and beat with no server at all.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or REDIS_URL or "filesystem://"
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "control_folder": str(_broker_dir / "control"),
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "tick": {
        "task": "surveys.tasks.tick",
        "schedule": envint("TICK_SECONDS", 120),
    },
    "comments": {
        "task": "results.tasks.comments_sweep",
        "schedule": envint("COMMENT_SWEEP_SECONDS", 300),
    },
    "clear-expired-sessions": {
        "task": "surveys.tasks.clear_expired_sessions",
        "schedule": 60 * 60 * 6,
    },
}

# Email: SMTP when EMAIL_HOST is set, files under var/mail/ otherwise.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 20)
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND") or (
    "surveys.distribution.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = str(VAR_DIR / "mail")
# Keys that encrypt stored secrets (sending accounts' passwords and OAuth
# client secrets): Fernet keys, comma-separated, the first encrypting
# (msi_survey/encryption.py). A malformed key stops the start here.
SECRETS_KEYS = os.environ.get("SECRETS_KEYS", "")
if SECRETS_KEYS:
    from msi_survey.encryption import parse_keys

    parse_keys(SECRETS_KEYS)
# Sending limits of the mail account, across every worker (none when unset):
# Microsoft 365 30 a minute and 10,000 a day, Google Workspace 2,000 a day.
# See surveys/distribution/pacing.py and the README.
EMAIL_LIMIT_PER_MINUTE = envlimit("EMAIL_LIMIT_PER_MINUTE")
EMAIL_LIMIT_PER_HOUR = envlimit("EMAIL_LIMIT_PER_HOUR")
EMAIL_LIMIT_PER_DAY = envlimit("EMAIL_LIMIT_PER_DAY")
# OAuth 2.0 sign-in to the SMTP server (XOAUTH2), by the client-credentials
# flow; the SMTP user stays EMAIL_HOST_USER. See surveys/distribution/smtp.py.
EMAIL_OAUTH2_TOKEN_URL = os.environ.get("EMAIL_OAUTH2_TOKEN_URL", "")
EMAIL_OAUTH2_CLIENT_ID = os.environ.get("EMAIL_OAUTH2_CLIENT_ID", "")
EMAIL_OAUTH2_CLIENT_SECRET = os.environ.get("EMAIL_OAUTH2_CLIENT_SECRET", "")
EMAIL_OAUTH2_SCOPE = os.environ.get("EMAIL_OAUTH2_SCOPE", "")
if EMAIL_OAUTH2_TOKEN_URL and not (EMAIL_OAUTH2_CLIENT_ID and EMAIL_OAUTH2_CLIENT_SECRET and EMAIL_HOST_USER):
    raise ImproperlyConfigured(
        "EMAIL_OAUTH2_TOKEN_URL needs EMAIL_OAUTH2_CLIENT_ID, EMAIL_OAUTH2_CLIENT_SECRET and EMAIL_HOST_USER."
    )
# A worker that has not finished an email this long after claiming it is
# taken for dead; see surveys/distribution/sending.py.
EMAIL_CLAIM_LEASE_SECONDS = envint("EMAIL_CLAIM_LEASE_SECONDS", 600)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Mötesplats Social Innovation <noreply@localhost>")
# Bounces: the return address of every email (the envelope sender), with a
# signed per-email tag (bounces+<tag>@…) when BOUNCE_VERP is on, and the
# mailbox that receives the reports, read over IMAP by the sweep and by
# `manage.py read_bounces`. See surveys/distribution/bounces.py and the README.
BOUNCE_ADDRESS = os.environ.get("BOUNCE_ADDRESS", "")
BOUNCE_VERP = envbool("BOUNCE_VERP", True)
BOUNCE_IMAP_HOST = os.environ.get("BOUNCE_IMAP_HOST", "")
BOUNCE_IMAP_SSL = envbool("BOUNCE_IMAP_SSL", True)
BOUNCE_IMAP_PORT = envint("BOUNCE_IMAP_PORT", 993 if BOUNCE_IMAP_SSL else 143)
BOUNCE_IMAP_USER = os.environ.get("BOUNCE_IMAP_USER", "")
BOUNCE_IMAP_PASSWORD = os.environ.get("BOUNCE_IMAP_PASSWORD", "")
# Sign in with the OAuth 2.0 token of the SMTP account (EMAIL_OAUTH2_*) instead of a password.
BOUNCE_IMAP_OAUTH2 = envbool("BOUNCE_IMAP_OAUTH2", bool(EMAIL_OAUTH2_TOKEN_URL) and not BOUNCE_IMAP_PASSWORD)
BOUNCE_IMAP_FOLDER = os.environ.get("BOUNCE_IMAP_FOLDER", "INBOX")
BOUNCE_IMAP_PROCESSED_FOLDER = os.environ.get("BOUNCE_IMAP_PROCESSED_FOLDER", "MSI-processed")
BOUNCE_IMAP_UNMATCHED_FOLDER = os.environ.get("BOUNCE_IMAP_UNMATCHED_FOLDER", "MSI-unmatched")
# Delay notices (4.x.x) about one email before it counts as bounced.
BOUNCE_DELAYS_BEFORE_BOUNCED = envint("BOUNCE_DELAYS_BEFORE_BOUNCED", 3)
if BOUNCE_IMAP_HOST and not BOUNCE_IMAP_USER:
    raise ImproperlyConfigured("BOUNCE_IMAP_HOST needs BOUNCE_IMAP_USER.")
if BOUNCE_IMAP_HOST and not (BOUNCE_IMAP_PASSWORD or BOUNCE_IMAP_OAUTH2):
    raise ImproperlyConfigured("BOUNCE_IMAP_HOST needs BOUNCE_IMAP_PASSWORD or OAuth 2.0 (EMAIL_OAUTH2_TOKEN_URL).")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ADMINS = [("Admin", a) for a in envlist("ADMINS", "")]
# The privacy page (GDPR article 13): who is responsible for the personal
# data, who answers questions about it, how to reach them and the data
# protection officer. Empty addresses are left out of the page.
PRIVACY_CONTROLLER = os.environ.get("PRIVACY_CONTROLLER", "Mötesplats Social Innovation")
PRIVACY_CONTACT = os.environ.get("PRIVACY_CONTACT", "Mötesplats Social Innovation")
PRIVACY_EMAIL = os.environ.get("PRIVACY_EMAIL", "")
PRIVACY_POSTAL_ADDRESS = os.environ.get("PRIVACY_POSTAL_ADDRESS", "")
PRIVACY_DPO_EMAIL = os.environ.get("PRIVACY_DPO_EMAIL", "")

# The accessibility statement (tillgänglighetsredogörelse, /tillganglighet/),
# in the form DIGG prescribes under the law on accessibility to digital
# public services. Each deployment states its own: who publishes the site,
# where to report a problem, how far it complies (full, partial or none) and
# when the statement was made and last reviewed (YYYY-MM-DD). Without them
# the page shows example values and says so.
ACCESSIBILITY_ORGANISATION = os.environ.get("ACCESSIBILITY_ORGANISATION", "")
ACCESSIBILITY_EMAIL = os.environ.get("ACCESSIBILITY_EMAIL", "")
ACCESSIBILITY_COMPLIANCE = os.environ.get("ACCESSIBILITY_COMPLIANCE", "partial")
if ACCESSIBILITY_COMPLIANCE not in ("full", "partial", "none"):
    raise ImproperlyConfigured("ACCESSIBILITY_COMPLIANCE must be full, partial or none.")
ACCESSIBILITY_MADE = os.environ.get("ACCESSIBILITY_MADE", "")
ACCESSIBILITY_REVIEWED = os.environ.get("ACCESSIBILITY_REVIEWED", "")

# Readers' comments on the results (results/comments/). A form sent sooner
# than COMMENT_MIN_FORM_SECONDS after it was shown, or later than
# COMMENT_MAX_FORM_SECONDS, is shown again; one client address may post
# COMMENT_POSTS_PER_WINDOW times in COMMENT_POST_WINDOW_SECONDS. Staff get at
# most one email per COMMENT_NOTIFY_MINUTES when comments wait (to
# COMMENT_MODERATORS, or else every active staff account with an address).
# A commenter's address is removed COMMENT_EMAIL_DAYS after the comment, or
# with the survey's personal data if that comes first. A comment from an
# address that wrote an approved comment before is not trusted on the
# address alone: the address gets a link that publishes it, valid
# COMMENT_CONFIRM_HOURS, at most one such email per address in
# COMMENT_CONFIRM_MAIL_SECONDS.
COMMENT_CONFIRM_HOURS = envint("COMMENT_CONFIRM_HOURS", 48)
COMMENT_CONFIRM_MAIL_SECONDS = envint("COMMENT_CONFIRM_MAIL_SECONDS", 60 * 60)
COMMENT_MIN_FORM_SECONDS = envint("COMMENT_MIN_FORM_SECONDS", 5)
COMMENT_MAX_FORM_SECONDS = envint("COMMENT_MAX_FORM_SECONDS", 4 * 60 * 60)
COMMENT_POSTS_PER_WINDOW = envint("COMMENT_POSTS_PER_WINDOW", 5)
COMMENT_POST_WINDOW_SECONDS = envint("COMMENT_POST_WINDOW_SECONDS", 60 * 60)
COMMENT_NOTIFY_MINUTES = envint("COMMENT_NOTIFY_MINUTES", 60)
COMMENT_MODERATORS = envlist("COMMENT_MODERATORS", "")
COMMENT_EMAIL_DAYS = envint("COMMENT_EMAIL_DAYS", 180)
# Work of the proof-of-work challenge (PBKDF2 rounds per try): about a second in a browser.
COMMENT_CHALLENGE_COST = envint("COMMENT_CHALLENGE_COST", 5000)

# Unknown personal links one client address may ask for in a window before
# it is refused for the rest of it (msi_survey/security.py).
LINK_MISSES_PER_WINDOW = envint("LINK_MISSES_PER_WINDOW", 20)
LINK_MISS_WINDOW_SECONDS = envint("LINK_MISS_WINDOW_SECONDS", 600)

# Security. Personal links carry a token: never leak it in a Referer header.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# A form refused for its CSRF cookie gets a page in the site's layout, and the answer form keeps its choices.
CSRF_FAILURE_VIEW = "surveys.views.csrf_failure"
SESSION_COOKIE_HTTPONLY = True
# Reverse proxies in front of the web processes that append the client's
# address to X-Forwarded-For (msi_survey/http.py: client_address).
TRUSTED_PROXIES = envint("TRUSTED_PROXIES", 0)
if envbool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not (DEBUG or LOCAL_DEMO):
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = envbool("SECURE_COOKIES", True)
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", True)

# Every handler hides the token of an official's link (msi_survey/logs.py);
# Django's own loggers write through these handlers instead of their defaults.
# Error reports (emails to ADMINS, the debug page) blank variables named like tokens and secrets.
DEFAULT_EXCEPTION_REPORTER_FILTER = "msi_survey.logs.ReporterFilter"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "hide_links": {"()": "msi_survey.logs.HideLinks"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "formatters": {
        "server": {"()": "django.utils.log.ServerFormatter", "format": "[{server_time}] {message}", "style": "{"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["hide_links"]},
        "server": {"class": "logging.StreamHandler", "formatter": "server", "filters": ["hide_links"]},
        "mail_admins": {
            "class": "msi_survey.logs.HideLinksInMail",
            "filters": ["require_debug_false", "hide_links"],
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": ["mail_admins"], "level": "INFO", "propagate": True},
        "django.server": {"handlers": ["server"], "level": "INFO", "propagate": False},
    },
}
