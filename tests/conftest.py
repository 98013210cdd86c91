import os
import shutil
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from results.selectors import build_results
from surveys.models import Area, Level, Participant, Region, Survey

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def need(condition: bool, what: str):
    """Fail in CI, skip elsewhere, when a real service the test needs is missing."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI but missing")
    pytest.skip(f"{what} is not available here")


PROVED = pytest.StashKey[list]()


@pytest.fixture
def proved(request):
    """A fault drill states what it proved; the statements are printed at the end of the run."""
    statements = request.config.stash.setdefault(PROVED, [])
    return lambda text: statements.append(f"{request.node.name}: {text}")


def pytest_terminal_summary(terminalreporter, config):
    statements = config.stash.get(PROVED, [])
    if statements:
        terminalreporter.section("what the fault drills proved")
        for text in statements:
            terminalreporter.write_line(f"- {text}")


@pytest.fixture(autouse=True)
def fresh_cache():
    """Log-in throttling and rate limits count in the cache: start every test from zero."""
    from django.core.cache import caches

    for name in ("default", "pages"):
        caches[name].clear()
    yield
    for name in ("default", "pages"):
        caches[name].clear()


@pytest.fixture
def postgres(db):
    need(connection.vendor == "postgresql", "PostgreSQL (set DATABASE_URL)")


AREAS = [
    ("samverkan", "Tvärsektoriell samverkan", "Cross-sector collaboration"),
    ("samskapande", "Samskapande och medborgarinvolvering", "Co-creation and citizen involvement"),
    ("teori", "Social innovation i teori och praktik", "Social innovation in theory and practice"),
    ("forandring", "Förändringsledning", "Change management"),
    ("finansiering", "Finansieringslösningar för samhällsinvesteringar", "Financing solutions"),
    ("upphandling", "Innovationsfrämjande upphandlings- och samarbetsformer", "Procurement"),
    ("agenda", "Social innovation och Agenda 2030", "Social innovation and the 2030 Agenda"),
    ("effekt", "Effektmätning", "Impact measurement"),
    ("digital", "Digital social innovation", "Digital social innovation"),
    ("agil", "Agila arbetsmetoder", "Agile ways of working"),
    ("intra", "Intraprenörskap", "Intrapreneurship"),
    ("policy", "Policy för social innovation", "Policy for social innovation"),
]


def make_survey(*, slug="test-survey", opens_in=timedelta(days=-1), closes_in=timedelta(days=30), areas=AREAS):
    now = timezone.now()
    survey = Survey.objects.create(
        slug=slug,
        title_sv="Testenkät",
        title_en="Test survey",
        introduction_sv="Välkommen till testenkäten.",
        introduction_en="Welcome to the test survey.",
        opens_at=now + opens_in,
        closes_at=now + closes_in,
    )
    for order, (code, sv, en) in enumerate(areas, start=1):
        Area.objects.create(survey=survey, code=code, title_sv=sv, title_en=en, order=order)
    return survey


def make_region(code="norrbotten", name="Norrbotten"):
    region, _ = Region.objects.get_or_create(code=code, defaults={"name": name, "node": f"Universitet i {name}"})
    return region


def make_participant(survey, *, region=None, email="alice@kommun.example.se", level=Level.KOMMUN):
    return Participant.objects.create(survey=survey, region=region or make_region(), email=email, level=level)


@pytest.fixture
def survey(db):
    return make_survey()


@pytest.fixture
def participant(survey):
    return make_participant(survey)


def ranking_post(codes, level="kommun", name="ranking"):
    data = {f"{name}_{place}": code for place, code in enumerate(codes, start=1)}
    if level is not None:
        data["level"] = level
    return data


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium():
    need(os.path.exists(CHROMIUM), f"Chromium ({CHROMIUM})")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def browser_context(chromium):
    """New browser contexts; at the end, no page may have broken the Content-Security-Policy."""
    contexts, refused = [], []

    def watch(page):
        page.on(
            "console",
            lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None,
        )

    def open_context(**options):
        options.setdefault("viewport", {"width": 1280, "height": 900})
        context = chromium.new_context(**options)
        context.set_default_timeout(10_000)
        context.on("page", watch)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()
    assert refused == [], refused


@pytest.fixture
def page(browser_context):
    return browser_context().new_page()


@pytest.fixture
def redis_url():
    """The Redis that CI provides (REDIS_URL), answering a PING."""
    url = os.environ.get("REDIS_URL", "")
    need(bool(url), "Redis (set REDIS_URL)")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.exceptions.ConnectionError as error:
        need(False, f"Redis at {url} ({error})")
    return url


def national_areas(survey: Survey) -> list[dict]:
    """The live national table of a survey: its rows, most points first ([] when suppressed)."""
    return build_results(survey)["national"]["areas"] or []
