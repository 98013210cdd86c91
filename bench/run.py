"""
`make bench`: every measurement in one run, against the local PostgreSQL and
Redis, on a database of its own that is removed at the end.

Each figure that depends on how busy the machine is, is a ratio against a
baseline measured in the same run. Prints a table and writes
bench/results.json (one object per measure).
"""

import csv
import io
import json
import os
import random
import re
import resource
import secrets
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import timedelta
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent
DB_NAME = os.environ.get("BENCH_DB", "msi_bench")
REDIS_DB = int(os.environ.get("BENCH_REDIS_DB", "13"))  # the cache there, the broker one below
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379")
RESPONSES_AT_SCALE = int(os.environ.get("BENCH_RESPONSES", "1000000"))
# A fixed number of requests per load (BENCH_SECONDS bounds each in time).
SECONDS = int(os.environ.get("BENCH_SECONDS", "120"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "3000"))
HEALTHZ_REQUESTS = 4 * REQUESTS
INVITATIONS = int(os.environ.get("BENCH_INVITATIONS", "10000"))
IMPORT_ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "50000"))
LIMITED_INVITATIONS = int(os.environ.get("BENCH_LIMITED_INVITATIONS", "50000"))
COMMENTS = int(os.environ.get("BENCH_COMMENTS", "500"))
CONNECTIONS, THREADS = 32, 2
TMP = Path(tempfile.mkdtemp(prefix="msi-bench-"))

ENV = {
    **os.environ,
    "DJANGO_SETTINGS_MODULE": "msi_survey.settings",
    "DATABASE_URL": f"{PG}/{DB_NAME}",
    "REDIS_URL": f"{REDIS}/{REDIS_DB}",
    "CELERY_BROKER_URL": f"{REDIS}/{REDIS_DB - 1}",
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SITE_URL": "http://127.0.0.1",
    "SECURE_SSL_REDIRECT": "false",
    "SECURE_COOKIES": "false",
    "VAR_DIR": str(TMP / "var"),
    "STATIC_ROOT": str(TMP / "static"),
    "LINK_MISSES_PER_WINDOW": "1000000",
    # The bench's staff user reads the export without a second factor: sign-in is not what is measured.
    "MFA_REQUIRED": "false",
    "LOG_LEVEL": "WARNING",
}
ENV.pop("TESTING", None)
os.environ.update(ENV)

results = []


def record(measure, value, unit, target, met, baseline=None, note=""):
    results.append(
        {
            "measure": measure,
            "value": round(value, 3) if isinstance(value, float) else value,
            "unit": unit,
            "baseline": round(baseline, 3) if isinstance(baseline, float) else baseline,
            "target": target,
            "met": bool(met),
            "note": note,
        }
    )
    print(f"  {measure}: {value:.3f} {unit} (target {target}) {'MET' if met else 'NOT MET'} {note}", flush=True)


def run(*args, **kwargs):
    return subprocess.run(args, cwd=ROOT, env=ENV, check=True, **kwargs)


def psql(sql: str, database: str = "postgres"):
    run("psql", f"{PG}/{database}", "-v", "ON_ERROR_STOP=1", "-q", "-c", sql, stdout=subprocess.DEVNULL)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Set-up --------------------------------------------------------------------


def set_up():
    print(f"Database {DB_NAME} on {PG}; Redis databases {REDIS_DB - 1} and {REDIS_DB}; files in {TMP}", flush=True)
    psql(f"DROP DATABASE IF EXISTS {DB_NAME}")
    psql(f"CREATE DATABASE {DB_NAME}")
    run(PYTHON, "manage.py", "migrate", "--no-input", "-v", "0")
    run(PYTHON, "manage.py", "collectstatic", "--no-input", "-v", "0")
    import django

    django.setup()


def tear_down():
    from django.db import connections

    connections.close_all()
    psql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


def make_survey(slug="bench", participants=0):
    from django.utils import timezone

    from surveys.demo import load_demo
    from surveys.models import Participant, Region, Survey

    load_demo()
    # The demo's 2019 survey is closed, as the real one is; the bench answers
    # and sends in it, so in its own database it keeps it open for a month.
    Survey.objects.filter(slug="msi-2019").update(closes_at=timezone.now() + timedelta(days=30))
    survey = Survey.objects.get(slug="msi-2019")
    if participants:
        regions = list(Region.objects.all())
        Participant.objects.bulk_create(
            [
                Participant(survey=survey, region=regions[i % len(regions)], email=f"{slug}{i:07d}@bench.example.se")
                for i in range(participants)
            ],
            batch_size=5000,
        )
    return survey


# The web server and the load ----------------------------------------------


# The web server as the README runs it in production; BENCH_WORKERS and
# BENCH_WORKER_THREADS try other settings.
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
WORKER_THREADS = int(os.environ.get("BENCH_WORKER_THREADS", "2"))


class Gunicorn:
    def __init__(self):
        self.port = free_port()
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "msi_survey.wsgi", "-w", str(WORKERS), "-k", "gthread",
             "--threads", str(WORKER_THREADS), "-b", f"127.0.0.1:{self.port}", "--log-level", "warning"],
            cwd=ROOT, env=ENV,
        )  # fmt: skip
        self.url = f"http://127.0.0.1:{self.port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=2)
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start")

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


def wrk(server, mode, requests=REQUESTS, *, tokens_file=None, cookie="", body="", path="/healthz"):
    """Load the server with 32 connections for `requests` responses; requests per second and latency percentiles."""
    env = {
        **ENV,
        "BENCH_MODE": mode,
        "BENCH_THREADS": str(THREADS),
        "BENCH_REQUESTS": str(requests),
        "BENCH_TOKENS": str(tokens_file or ""),
        "BENCH_COOKIE": cookie,
        "BENCH_BODY": body,
        "BENCH_PATH": path,
    }
    done_dir = Path(tempfile.mkdtemp(dir=TMP))
    env["BENCH_DONE_DIR"] = str(done_dir)
    process = subprocess.Popen(
        ["wrk", "-t", str(THREADS), "-c", str(CONNECTIONS), "-d", f"{SECONDS}s", "--timeout", "10s",
         "-s", str(ROOT / "bench" / "wrk_tokens.lua"), server.url],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    # wrk sleeps for all of -d; once every thread has its responses, end it
    # (SIGINT makes it stop and report at once).
    while process.poll() is None and len(list(done_dir.iterdir())) < THREADS:
        time.sleep(0.05)
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    if process.returncode != 0:
        raise RuntimeError(f"wrk failed: {err}")
    figures = json.loads(re.search(r"BENCH (\{.*\})", out).group(1))
    if not figures["all_finished"]:
        raise RuntimeError(f"{mode}: {requests} responses did not come within {SECONDS} s")
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
    return figures


def csrf_pair(server, token) -> tuple[str, str]:
    """A CSRF cookie and form token, got the way a browser gets them."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{server.url}/s/{token}/").read().decode()
    form_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    cookie = next(c for c in jar if c.name == "csrftoken")
    return f"csrftoken={cookie.value}", form_token


def measure_web():
    from surveys.models import Participant

    # One link per post and per page, and some to spare for the requests in
    # flight when a wrk thread stops.
    links = REQUESTS + 4 * CONNECTIONS
    survey = make_survey(participants=2 * links)
    tokens = list(
        Participant.objects.filter(survey=survey, email__startswith="bench")
        .order_by("id")
        .values_list("token", flat=True)
    )
    post_tokens, get_tokens = tokens[:links], tokens[links:]
    (TMP / "post.txt").write_text("\n".join(post_tokens[1:]) + "\n")
    (TMP / "get.txt").write_text("\n".join(get_tokens) + "\n")
    codes = list(survey.areas.order_by("order").values_list("code", flat=True))

    server = Gunicorn()
    try:
        wrk(server, "healthz", 1000)  # warm up the workers and their connections
        healthz = wrk(server, "healthz", HEALTHZ_REQUESTS)
        print(f"  healthz: {healthz['rps']:.0f}/s", flush=True)
        cookie, form_token = csrf_pair(server, post_tokens[0])
        body = "&".join(
            [f"csrfmiddlewaretoken={form_token}", "level=kommun"]
            + [f"ranking_{n}={code}" for n, code in enumerate(codes[:5], start=1)]
        )
        answers = wrk(server, "post", tokens_file=TMP / "post.txt", cookie=cookie, body=body)
        stored = Participant.objects.filter(
            survey=survey, email__startswith="bench", answered_at__isnull=False
        ).count()
        ratio = answers["rps"] / healthz["rps"]
        record(
            "answer throughput", answers["rps"], "answers/s", "≥ 0.35 × healthz/s", ratio >= 0.35,
            baseline=healthz["rps"], note=f"ratio {ratio:.2f}; {answers['requests']} posts, {stored} answers "
            f"stored (one per link); {answers['status_errors']} HTTP errors",
        )  # fmt: skip
        p99 = answers["p99_us"] / 1000
        record("answer p99 latency", p99, "ms", "< 150 ms", p99 < 150, note="32 concurrent clients")
        page = wrk(server, "get", tokens_file=TMP / "get.txt")
        ratio = page["rps"] / healthz["rps"]
        record(
            "answer page", page["rps"], "pages/s", "≥ 0.5 × healthz/s", ratio >= 0.5, baseline=healthz["rps"],
            note=f"ratio {ratio:.2f}",
        )  # fmt: skip
    finally:
        server.stop()


# Results at scale ----------------------------------------------------------


def load_responses(survey, count):
    """COPY `count` generated responses (and five ranked areas each) into the database."""
    from django.db import connection
    from django.utils import timezone

    from surveys.models import Region

    regions = list(Region.objects.values_list("id", flat=True))
    areas = list(survey.areas.values_list("id", flat=True))
    weights = [15, 13, 10, 9.5, 9, 9, 7.5, 7, 6, 5.5, 4.5, 4][: len(areas)]
    rng = random.Random(1)
    today = timezone.localdate().isoformat()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        raw = cursor.connection
        chunk = 100_000
        for offset in range(0, count, chunk):
            responses, ranked = io.StringIO(), io.StringIO()
            for _ in range(min(chunk, count - offset)):
                rid = uuid.uuid4()
                responses.write(
                    f"{rid}\t{survey.pk}\t{rng.choice(regions)}\t{rng.choice(('kommun', 'region'))}\t{today}\n"
                )
                pool = list(areas)
                for position in range(1, 6):
                    (area,) = rng.choices(pool, weights=weights[: len(pool)])
                    pool.remove(area)
                    ranked.write(f"{rid}\t{area}\t{position}\n")
            with raw.cursor() as c:
                with c.copy(
                    "COPY surveys_response (id, survey_id, region_id, level, submitted_on) FROM STDIN"
                ) as copy:
                    copy.write(responses.getvalue())
                with c.copy("COPY surveys_rankedarea (response_id, area_id, position) FROM STDIN") as copy:
                    copy.write(ranked.getvalue())
            raw.commit()
        cursor.execute("ANALYZE surveys_response")
        cursor.execute("ANALYZE surveys_rankedarea")
    print(f"  loaded {count} responses with COPY in {time.perf_counter() - started:.1f} s", flush=True)


def add_approved_comments(survey, count) -> int:
    """Readers' comments on the published results, all approved (the demo's own included). Returns how many."""
    from django.utils import timezone

    from results.cache import comments_changed
    from results.models import Comment

    now = timezone.now()
    Comment.objects.bulk_create(
        Comment(
            survey=survey,
            name=f"Läsare {n}",
            email=f"lasare{n}@example.se",
            body=f"Kommentar nummer {n} om resultatet, med en länk: https://example.se/{n}",
            status=Comment.Status.APPROVED,
            proof_of_work=True,
            created_at=now - timedelta(minutes=n),
            moderated_at=now,
        )
        for n in range(count)
    )
    comments_changed(survey.slug)
    return Comment.objects.approved().filter(survey=survey).count()


def measure_results():
    from django.db import connection

    from results.selectors import build_results
    from results.services import publish_snapshot
    from surveys.models import Survey

    survey = Survey.objects.get(slug="msi-2019")
    load_responses(survey, RESPONSES_AT_SCALE)
    with connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(
            "SELECT ra.area_id, SUM(6 - ra.position) FROM surveys_rankedarea ra "
            "JOIN surveys_response r ON r.id = ra.response_id WHERE r.survey_id = %s GROUP BY ra.area_id",
            [survey.pk],
        )
        cursor.fetchall()
        plain = time.perf_counter() - started
    started = time.perf_counter()
    build_results(survey)
    build = time.perf_counter() - started
    record(
        "results at scale: build a snapshot", build, "s", "< 5 s", build < 5, baseline=plain,
        note=f"{RESPONSES_AT_SCALE} responses; {build / plain:.1f} × a plain GROUP BY of points per area "
        f"({plain:.2f} s)",
    )  # fmt: skip
    publish_snapshot(survey=survey)
    approved = add_approved_comments(survey, COMMENTS)

    server = Gunicorn()
    try:
        wrk(server, "healthz", 1000)
        healthz = wrk(server, "healthz", HEALTHZ_REQUESTS)
        shown = urllib.request.urlopen(server.url + "/results/msi-2019/").read().decode()
        assert f"Läs alla {approved} kommentarer" in shown, "the published page does not show the comments"
        page = wrk(server, "path", path="/results/msi-2019/")
        ratio = page["rps"] / healthz["rps"]
        record(
            "published page", page["rps"], "pages/s", "≥ 0.5 × healthz/s", ratio >= 0.5, baseline=healthz["rps"],
            note=f"ratio {ratio:.2f}, at {RESPONSES_AT_SCALE} responses and {approved} approved comments",
        )  # fmt: skip
    finally:
        server.stop()

    # Memory of the streamed response-level export, in a process of its own.
    out = subprocess.run(
        [PYTHON, str(ROOT / "bench" / "export_memory.py")],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    figures = json.loads(out.strip().splitlines()[-1])
    record(
        "memory: stream the response export", figures["peak_rss_mb"], "MB", "< 150 MB", figures["peak_rss_mb"] < 150,
        note=f"{figures['rows']} rows in {figures['seconds']:.1f} s",
    )  # fmt: skip


# Editions ------------------------------------------------------------------


def measure_editions():
    """Publish an edition of RESPONSES_AT_SCALE answers compared with a previous edition of as many."""
    from datetime import timedelta

    from results.services import publish_snapshot
    from surveys.editions.services import new_edition
    from surveys.models import Survey

    first = Survey.objects.get(slug="msi-2019")
    if first.responses.count() < RESPONSES_AT_SCALE:
        load_responses(first, RESPONSES_AT_SCALE - first.responses.count())
    publish_snapshot(survey=first)
    opens = first.opens_at + timedelta(days=7 * 365)
    later = new_edition(
        source=first, slug="bench-next", title_sv="Nästa upplaga", title_en="", opens_at=opens,
        closes_at=opens + timedelta(days=30),
    ).survey  # fmt: skip
    load_responses(later, RESPONSES_AT_SCALE)
    started = time.perf_counter()
    snapshot = publish_snapshot(survey=later)
    seconds = time.perf_counter() - started
    assert snapshot.data["comparison"]["national"]["with_interval"]
    record(
        "editions: snapshot with a comparison", seconds, "s", "< 5 s", seconds < 5,
        note=f"{RESPONSES_AT_SCALE} answers now and {first.responses.count()} in the previous edition",
    )  # fmt: skip


# Invitations ---------------------------------------------------------------


def measure_invitations():
    from aiosmtpd.controller import Controller

    from surveys.distribution.emails import survey_email
    from surveys.distribution.queueing import queue_invitations
    from surveys.models import Participant, Region, Survey

    class Count:
        def __init__(self):
            self.n = 0

        async def handle_DATA(self, server, session, envelope):
            self.n += 1
            return "250 OK"

    sink = Count()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        survey = Survey.objects.get(slug="msi-2019")
        region = Region.objects.create(code="bench-invitations", name="Bench", node="Bench")
        Participant.objects.bulk_create(
            [
                Participant(survey=survey, region=region, email=f"inv{i:06d}@bench.example.se")
                for i in range(INVITATIONS)
            ],
            batch_size=5000,
        )
        people = list(Participant.objects.filter(email__startswith="inv").select_related("survey", "region"))
        memo = {}

        # Baseline: the same messages, built by the same function, sent one
        # after another over one plain smtplib connection: no queue, no
        # claims, no status rows, no Celery.
        started = time.perf_counter()
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            for person in people:
                message = survey_email(person, kind="invitation", memo=memo).message()
                smtp.sendmail("noreply@localhost", [person.email], message.as_bytes(linesep="\r\n"))
        raw = INVITATIONS / (time.perf_counter() - started)
        sink.n = 0

        env = {**ENV, "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(port)}
        worker = subprocess.Popen(
            [str(BIN / "celery"), "-A", "msi_survey", "worker", "--loglevel", "WARNING", "--concurrency", "2",
             "--without-heartbeat", "--without-gossip", "--without-mingle"],
            cwd=ROOT, env=env,
        )  # fmt: skip
        try:
            time.sleep(3)
            started = time.perf_counter()
            queue_invitations(survey=survey, region=region)
            from surveys.models import OutgoingEmail

            deadline = time.monotonic() + 600
            while OutgoingEmail.objects.pending().exists() and time.monotonic() < deadline:
                time.sleep(0.2)
            through_celery = INVITATIONS / (time.perf_counter() - started)
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=60)
        ratio = through_celery / raw
        sent = OutgoingEmail.objects.filter(status="sent", participant__email__startswith="inv").count()
        record(
            "invitations through Celery", through_celery, "emails/s", "≥ 0.5 × raw smtplib", ratio >= 0.5,
            baseline=raw, note=f"ratio {ratio:.2f}; {sent} sent, {sink.n} received by the SMTP sink",
        )  # fmt: skip
    finally:
        controller.stop()


def measure_limited_invitations():
    """
    BENCH_LIMITED_INVITATIONS (50,000) invitations queued at once under a
    limit of 10,000 a day, sent with a controlled clock (time_machine) and
    Django's dummy email backend, so that what is timed is our own work per
    email: claims, the limit's count and mark under its lock, building the
    message, the status rows. Checks that no 24 hours held more than 10,000.
    """
    import time_machine
    from django.test import override_settings

    from surveys.distribution import sending
    from surveys.distribution.queueing import queue_invitations
    from surveys.models import OutgoingEmail, Participant, Region, Survey

    survey = Survey.objects.get(slug="msi-2019")
    region = Region.objects.create(code="bench-limited", name="Bench limited", node="Bench")
    Participant.objects.bulk_create(
        [
            Participant(survey=survey, region=region, email=f"lim{i:06d}@bench.example.se")
            for i in range(LIMITED_INVITATIONS)
        ],
        batch_size=5000,
    )
    limit = 10_000
    settings = {"EMAIL_LIMIT_PER_DAY": limit, "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend"}
    # The clock starts now and runs forward only, as a real one does; the survey stays open for the week.
    # Emails an earlier measure sent in this database count against the limit for a day: start after that.
    from django.db.models import Max
    from django.utils import timezone

    earlier = OutgoingEmail.objects.aggregate(last=Max("sent_at"))["last"]
    start = max(timezone.now(), earlier + timedelta(days=1, seconds=1)) if earlier else timezone.now()
    Survey.objects.filter(pk=survey.pk).update(closes_at=start + timedelta(days=30))
    with override_settings(**settings), time_machine.travel(start, tick=False) as clock:
        queue_invitations(survey=survey, region=region)
        emails = OutgoingEmail.objects.filter(participant__region=region)
        days, working = 0, 0.0
        while emails.filter(status__in=OutgoingEmail.PENDING).exists():
            started = time.perf_counter()
            report, _more = sending.drain_queue(time_budget=1e9)
            working += time.perf_counter() - started
            if report.hold is not None:
                clock.move_to(report.hold.until)
                days += 1
    moments = sorted(emails.filter(status="sent").values_list("claimed_at", flat=True))
    busiest, first = 0, 0
    for last, moment in enumerate(moments):
        while (moment - moments[first]).total_seconds() >= 24 * 3600:
            first += 1
        busiest = max(busiest, last - first + 1)
    per_email = 1000 * working / max(len(moments), 1)
    # What building the messages alone costs, to tell it from the claims and the bookkeeping.
    from surveys.distribution.emails import survey_email
    from surveys.models import EmailKind

    sample = list(Participant.objects.filter(region=region).select_related("survey", "region")[:2000])
    memo: dict = {}
    started = time.perf_counter()
    for person in sample:
        survey_email(person, kind=EmailKind.INVITATION, memo=memo)
    building = 1000 * (time.perf_counter() - started) / len(sample)
    bookkeeping = per_email - building
    record(
        "limited invitations: claims and bookkeeping", bookkeeping, "ms/email", "< 5 ms",
        bookkeeping < 5 and busiest <= limit, baseline=per_email,
        note=f"{len(moments)} of {LIMITED_INVITATIONS} sent under {limit} a day over {days} held days "
        f"(controlled clock, no SMTP); at most {busiest} in any 24 h; all our work {per_email:.1f} ms per email, "
        f"of which building the message {building:.1f} ms",
    )  # fmt: skip


# Import --------------------------------------------------------------------


def measure_import():
    from surveys.distribution.participants import check_participant_file, confirm_import
    from surveys.models import Region, Survey

    survey = Survey.objects.get(slug="msi-2019")
    region = Region.objects.order_by("id").last()
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(["E-post", "Namn", "Organisation", "Nivå"])
    for i in range(IMPORT_ROWS):
        writer.writerow([f"import{i:06d}@kommun.example.se", f"Person {i}", f"Kommun {i % 290}", "kommun"])
    data = buffer.getvalue().encode("cp1252")
    started = time.perf_counter()
    checked = check_participant_file(survey=survey, region=region, data=data, filename="lista.csv")
    created = confirm_import(participant_import=checked)
    seconds = time.perf_counter() - started
    record(
        "import: preview and confirm", seconds, "s", "< 20 s", seconds < 20,
        note=f"{IMPORT_ROWS} rows, {created} added",
    )  # fmt: skip


MEASURES = {
    "web": ("Web: answers, the answer page and /healthz through gunicorn", lambda: measure_web()),
    "invitations": ("Invitations", lambda: measure_invitations()),
    "limited": ("Invitations under a daily limit", lambda: measure_limited_invitations()),
    "import": ("Import", lambda: measure_import()),
    "results": ("Results at scale", lambda: measure_results()),
    "editions": ("Editions: the comparison at scale", lambda: measure_editions()),
}


def main():
    started = time.perf_counter()
    # BENCH_ONLY=web,import runs some of them (for working on one figure).
    only = [m for m in os.environ.get("BENCH_ONLY", "").split(",") if m] or list(MEASURES)
    set_up()
    try:
        if "web" not in only:
            make_survey()
        for name in only:
            title, measure = MEASURES[name]
            print(title, flush=True)
            measure()
    finally:
        tear_down()
    out = ROOT / "bench" / "results.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print()
    print(f"{'measure':40} {'value':>12} {'unit':10} {'baseline':>10}  {'target':22} met")
    for r in results:
        baseline = "" if r["baseline"] is None else f"{r['baseline']:.1f}"
        print(
            f"{r['measure']:40} {r['value']:>12.2f} {r['unit']:10} {baseline:>10}  {r['target']:22} "
            f"{'yes' if r['met'] else 'NO'}"
        )
    print(f"\nWritten to {out} in {time.perf_counter() - started:.0f} s; peak memory of this process "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")  # fmt: skip


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
