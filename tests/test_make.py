"""`make run` on another port."""

import os
import shutil
import subprocess
from pathlib import Path

from .conftest import need

ROOT = Path(__file__).resolve().parent.parent


def test_make_run_serves_on_the_port_given_by_PORT():
    need(shutil.which("make") is not None, "make")
    env = {k: v for k, v in os.environ.items() if k not in ("SITE_URL", "PORT", "MSI_PORT")}
    plan = subprocess.run(
        ["make", "-n", "run", "PORT=8123"], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout
    assert "http://127.0.0.1:8123/" in plan
    assert "8000" not in plan
    # The web process is started by honcho from Procfile.dev, with MSI_PORT from make.
    web = next(line for line in (ROOT / "Procfile.dev").read_text().splitlines() if line.startswith("web:"))
    command = web.removeprefix("web:").strip()
    shown = subprocess.run(
        ["sh", "-c", f"echo {command}"], env={**env, "MSI_PORT": "8123"}, capture_output=True, text=True
    )
    assert shown.stdout.strip().endswith("runserver 127.0.0.1:8123")
    default = subprocess.run(["sh", "-c", f"echo {command}"], env=env, capture_output=True, text=True)
    assert default.stdout.strip().endswith("runserver 127.0.0.1:8000")
    assert "MSI_PORT := $(PORT)" in (ROOT / "Makefile").read_text()
