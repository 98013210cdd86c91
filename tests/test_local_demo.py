"""
The site as `make run` starts it (LOCAL_DEMO, DEBUG off), on its own SQLite
file: what a first-time user meets is the product's own Swedish pages, never
Django's debug pages, and signing in works over plain http on loopback.
"""

import re
import subprocess
import sys
import time

import requests

from .test_sqlite import sqlite_environment
from .workers import ROOT, free_port, stop


def test_make_runs_site_shows_its_own_swedish_pages(tmp_path):
    environment = {**sqlite_environment(tmp_path), "LOCAL_DEMO": "true", "DEBUG": "false", "TESTING": "false"}
    environment.pop("SECRET_KEY")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=environment, check=True)
    loaded = subprocess.run(
        [sys.executable, "manage.py", "load_msi_demo"], cwd=ROOT, env=environment, check=True, capture_output=True,
        text=True,
    )  # fmt: skip
    password = next(line for line in loaded.stdout.splitlines() if "lead-norrbotten" in line).split()[1]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with open(tmp_path / "runserver.log", "w") as log:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT, env={**environment, "MFA_REQUIRED": "false"}, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        for _ in range(100):
            try:
                requests.get(base + "/healthz", timeout=2)
                break
            except requests.ConnectionError:
                assert server.poll() is None, (tmp_path / "runserver.log").read_text()
                time.sleep(0.2)
        missing = requests.get(base + "/s/no-such-link/", timeout=10)
        assert missing.status_code == 404
        assert "Vi hittade inte sidan" in missing.text and "URLconf" not in missing.text
        assert requests.get(base + "/static/css/site.css", timeout=10).status_code == 200

        lead = requests.Session()
        form = lead.get(base + "/accounts/login/", timeout=10)
        assert "secure" not in form.headers.get("Set-Cookie", "").lower()  # plain http on loopback
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
        signed_in = lead.post(
            base + "/accounts/login/",
            {"csrfmiddlewaretoken": token, "login": "lead-norrbotten", "password": password},
            headers={"Referer": base + "/accounts/login/"},
            timeout=10,
        )
        assert "Översikt" in signed_in.text, signed_in.text[:2000]
        staff_only = lead.get(base + "/lead/sending/", timeout=10)
        assert staff_only.status_code == 403 and "Sidan är till för personalen" in staff_only.text
        other_region = lead.get(base + "/lead/msi-2019/skane/", timeout=10)
        assert other_region.status_code == 404 and "Vi hittade inte sidan" in other_region.text
    finally:
        stop(server)
