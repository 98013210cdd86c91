"""Stream the staff's response-level export of every answer and report this process's peak memory."""

import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402


def peak_rss_mb() -> float:
    """This process's peak resident memory. Read from /proc: getrusage() would count the parent's peak too."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.test import Client  # noqa: E402

user, _ = User.objects.get_or_create(username="bench-staff", defaults={"is_staff": True})
client = Client()
client.force_login(user)
started = time.perf_counter()
response = client.get("/results/msi-2019/responses.csv", HTTP_HOST="127.0.0.1")
rows = 0
for chunk in response.streaming_content:
    rows += chunk.count(b"\n")
print(
    json.dumps(
        {
            "rows": rows - 1,
            "seconds": time.perf_counter() - started,
            "peak_rss_mb": peak_rss_mb(),
        }
    )
)
