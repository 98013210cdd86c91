"""
The environment every test run starts from, set before Django reads its
settings (loaded with `-p tests.testenv`, see pyproject.toml).

DATABASE_URL and REDIS_URL are left as the caller set them: CI points them
at PostgreSQL and Redis; on a laptop without them the tests use SQLite and
the tests that need the real services skip with a reason (in CI they fail).
"""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("DEBUG", "false")
os.environ["TESTING"] = "true"
os.environ["SECURE_SSL_REDIRECT"] = "false"
os.environ["SECURE_COOKIES"] = "false"
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("SITE_URL", "http://testserver")
# Most tests are about other things than the second factor and sign in
# with force_login; the tests of sign-in (tests/test_mfa.py, the permission
# matrix) turn MFA_REQUIRED on for themselves.
os.environ.setdefault("MFA_REQUIRED", "false")
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="msi-test-var-"))
# The tests clear the cache between tests: give them a Redis database of
# their own, so that a developer's data in database 0 is never flushed.
# The broker gets one of its own too, so that clearing the cache leaves the
# workers' queues alone. TEST_REDIS_DB moves both (cache there, broker one
# below), so that two checkouts can run their tests on one Redis at once.
if os.environ.get("REDIS_URL"):
    _redis_server = os.environ["REDIS_URL"].rsplit("/", 1)[0]
    _cache_db = int(os.environ.get("TEST_REDIS_DB", "15"))
    os.environ["REDIS_URL"] = f"{_redis_server}/{_cache_db}"
    os.environ.setdefault("CELERY_BROKER_URL", f"{_redis_server}/{_cache_db - 1}")

# Playwright's sync API runs an event loop in the test thread; Django's ORM
# refuses to run there unless told it is safe (it is: one thread per test).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
