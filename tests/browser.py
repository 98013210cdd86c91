"""Headless Chromium through Playwright, for the browser tests."""

from pathlib import Path

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def axe_violations(page) -> list:
    """WCAG 2.1 A and AA violations that axe-core finds on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    return [(v["id"], v["help"], [node["target"] for node in v["nodes"]][:5]) for v in results.response["violations"]]


def screenshot(page, name: str):
    """Keep a picture of the page for people to look at (test-artifacts/)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
