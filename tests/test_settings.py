"""Settings come from the environment and refuse bad values."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


SERVICE_VARIABLES = {
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "SECRET_KEY",
    "DEBUG",
    "EMAIL_HOST",
    "SECURE_SSL_REDIRECT",
    "SECURE_COOKIES",
    "TESTING",
    "ALLOWED_HOSTS",
    "SITE_URL",
    "LOCAL_DEMO",
}


def settings_in(env: dict, expression: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in SERVICE_VARIABLES}
    clean.update(env)
    code = f"import django; django.setup(); from django.conf import settings as s; print(repr(({expression},)))"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "msi_survey.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_it_refuses_to_start_without_a_secret_key_unless_debug(tmp_path):
    result = settings_in({"DEBUG": "false", "VAR_DIR": str(tmp_path)}, "s.DEBUG")
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr
    assert settings_in({"DEBUG": "true", "VAR_DIR": str(tmp_path)}, "s.DEBUG").stdout.strip() == "(True,)"


def test_it_refuses_a_bad_boolean(tmp_path):
    result = settings_in({"DEBUG": "maybe", "VAR_DIR": str(tmp_path)}, "s.DEBUG")
    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr


def test_the_embedded_defaults(tmp_path):
    env = {"DEBUG": "true", "VAR_DIR": str(tmp_path)}
    expression = (
        "s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME'], s.CELERY_BROKER_URL,"
        " s.EMAIL_BACKEND, s.EMAIL_FILE_PATH, s.LANGUAGE_CODE, s.TIME_ZONE"
    )
    out = settings_in(env, expression).stdout
    assert "django.db.backends.sqlite3" in out
    assert str(tmp_path / "db.sqlite3") in out
    assert "filesystem://" in out
    assert "filebased.EmailBackend" in out
    assert str(tmp_path / "mail") in out
    assert "'sv'" in out and "Europe/Stockholm" in out
    assert (tmp_path / "broker" / "queue").is_dir()
    control = settings_in(env, "s.CELERY_BROKER_TRANSPORT_OPTIONS['control_folder']").stdout
    assert str(tmp_path / "broker" / "control") in control


def test_production_services_by_url(tmp_path):
    env = {
        "SECRET_KEY": "x" * 50,
        "VAR_DIR": str(tmp_path),
        "DATABASE_URL": "postgres://msi:pw@db.internal:5433/msi",
        "REDIS_URL": "redis://cache.internal:6379/2",
        "EMAIL_HOST": "smtp.internal",
        "ALLOWED_HOSTS": "enkat.example.se",
        "SITE_URL": "https://enkat.example.se/",
    }
    expression = (
        "s.DATABASES['default']['ENGINE'], s.DATABASES['default']['HOST'], s.DATABASES['default']['PORT'],"
        " s.CELERY_BROKER_URL, s.CACHES['default']['BACKEND'], s.EMAIL_BACKEND, s.ALLOWED_HOSTS, s.SITE_URL,"
        " s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE"
    )
    result = settings_in(env, expression)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "django.db.backends.postgresql" in out
    assert "'db.internal', 5433" in out
    assert "redis://cache.internal:6379/2" in out
    assert "msi_survey.cache.Cache" in out
    assert "smtp.EmailBackend" in out
    assert "['enkat.example.se']" in out
    assert "'https://enkat.example.se'" in out
    assert out.strip().endswith("True, True)")


def test_the_default_sender_is_named_in_swedish():
    result = settings_in({"DEBUG": "true"}, "s.DEFAULT_FROM_EMAIL")
    assert result.returncode == 0, result.stderr
    assert "Mötesplats Social Innovation <noreply@localhost>" in result.stdout


def test_the_privacy_page_details_come_from_the_environment():
    result = settings_in(
        {"DEBUG": "true", "PRIVACY_EMAIL": "dataskydd@example.se", "PRIVACY_DPO_EMAIL": "dso@example.se"},
        "s.PRIVACY_EMAIL, s.PRIVACY_DPO_EMAIL, s.PRIVACY_CONTROLLER",
    )
    assert result.returncode == 0, result.stderr
    assert "'dataskydd@example.se', 'dso@example.se', 'Mötesplats Social Innovation'" in result.stdout


def test_compliance_must_be_one_of_digg_s_three(tmp_path):
    result = settings_in(
        {"DEBUG": "true", "VAR_DIR": str(tmp_path), "ACCESSIBILITY_COMPLIANCE": "mostly"}, "s.ACCESSIBILITY_COMPLIANCE"
    )
    assert result.returncode != 0 and "ACCESSIBILITY_COMPLIANCE must be full, partial or none" in result.stderr
