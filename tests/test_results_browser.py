"""Results pages in a real browser: staff preview, comment and publish; the public reads on a phone and prints."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from playwright.sync_api import expect

from results.models import Commentary, Snapshot
from surveys.demo import load_demo

from .browser import axe_violations, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def check(page, name):
    screenshot(page, name)
    violations = axe_violations(page)
    assert violations == [], (name, violations)


def test_staff_preview_comment_and_publish_and_the_public_reads_it(page, browser_context, live_server):
    load_demo()
    Snapshot.objects.all().delete()  # start unpublished
    User.objects.create_superuser("redaktor", "r@example.se", "a-good-password-42")
    public = browser_context().new_page()
    assert public.goto(live_server.url + "/results/msi-2019/").status == 404

    page.goto(live_server.url + reverse("login") + "?next=/results/msi-2019/preview/")
    page.get_by_label("Användarnamn").fill("redaktor")
    page.get_by_label("Lösenord").fill("a-good-password-42")
    page.get_by_role("button", name="Logga in").click()
    expect(page.locator(".preview-banner")).to_contain_text("Förhandsvisning")
    check(page, "results-preview")

    # Write a comment in the admin, then publish.
    page.goto(live_server.url + reverse("admin:results_commentary_add"))
    survey_2019 = "Social innovation i fokus: Kunskaps- och kapacitetsutveckling 2019"
    page.get_by_label("Enkät").select_option(label=survey_2019)
    page.get_by_label("Rubrik (svenska)").fill("Redaktionens kommentar")
    page.get_by_label("Text (svenska)").fill("Samverkan över sektorsgränser toppar igen.")
    page.get_by_role("button", name="Spara", exact=True).click()
    page.goto(live_server.url + "/results/msi-2019/preview/")
    expect(page.locator("main")).to_contain_text("Samverkan över sektorsgränser toppar igen.")
    page.get_by_role("link", name="Publicera som version 1 …").click()
    expect(page.locator("h1")).to_have_text("Publicera version 1")
    expect(page.locator("main")).to_contain_text("det här blir den första versionen som besökarna ser")
    check(page, "results-publish-confirm")
    page.get_by_role("button", name="Publicera version 1").click()
    expect(page.locator("main")).to_contain_text("Version 1 är publicerad")
    assert Snapshot.objects.count() == 1

    # Withdrawn by mistake? Staff give a reason; the public is told.
    page.get_by_role("link", name="Dra tillbaka version 1 …").click()
    page.get_by_role("button", name="Dra tillbaka version 1").click()
    expect(page.get_by_role("alert")).to_contain_text("Skriv varför versionen dras tillbaka")
    check(page, "results-withdraw-error")
    page.get_by_label("Varför dras den tillbaka?").fill("Publicerad av misstag.")
    page.get_by_role("button", name="Dra tillbaka version 1").click()
    expect(page.locator("main")).to_contain_text("Version 1 är tillbakadragen")
    gone = browser_context().new_page()
    assert gone.goto(live_server.url + "/results/msi-2019/").status == 410
    expect(gone.locator("main")).to_contain_text("Publicerad av misstag.")
    check(gone, "results-all-withdrawn")
    page.goto(live_server.url + "/results/msi-2019/publish/")
    page.get_by_role("button", name="Publicera version 2").click()
    expect(page.locator("main")).to_contain_text("Version 2 är publicerad")
    expect(page.locator(".withdrawn-note")).to_contain_text("Version 1 drogs tillbaka")

    # The public, on a phone.
    phone = browser_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    phone.goto(live_server.url + "/results/msi-2019/")
    expect(phone.locator("h1")).to_contain_text("Social innovation i fokus")
    expect(phone.locator("main")).to_contain_text("Redaktionens kommentar")
    table = phone.locator("table.results-table").first
    expect(table).to_contain_text("Tvärsektoriell samverkan")
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390
    expect(phone.locator(".withdrawn-note")).to_contain_text("Publicerad av misstag.")
    assert words_split_over_lines(phone, ".results-table th[scope=row]") == []
    check(phone, "results-phone")

    # And prints it: the header, the footer and the downloads stay off paper.
    phone.emulate_media(media="print")
    assert phone.locator(".downloads").is_hidden()
    assert phone.locator(".site-header").is_hidden()
    assert phone.locator("figure.chart").first.is_visible()
    pdf = phone.pdf()
    assert pdf.startswith(b"%PDF")


def words_split_over_lines(page, selector) -> list[str]:
    """The words in the elements that the browser broke over two lines other than at a soft hyphen."""
    return page.evaluate(
        """(selector) => {
          const broken = [];
          const top = (node, i) => {
            const range = document.createRange();
            range.setStart(node, i);
            range.setEnd(node, i + 1);
            // A letter just after a break also reports a sliver at the end of the line before: take its lowest box.
            return Math.max(...[...range.getClientRects()].map((box) => Math.round(box.top)));
          };
          for (const element of document.querySelectorAll(selector)) {
            const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
              const text = node.textContent;
              for (const match of text.matchAll(/\\S+/g)) {
                // Visible letters only: an unused soft hyphen has no box of its own.
                let previous = null;
                for (let i = match.index; i < match.index + match[0].length; i++) {
                  if (text[i] === "\\u00ad") continue;
                  if (previous !== null && top(node, i) > top(node, previous) + 4) {
                    const between = text.slice(previous + 1, i);
                    if (!between.includes("\\u00ad") && text[previous] !== "-") {
                      broken.push(match[0].replaceAll("\\u00ad", ""));
                      break;
                    }
                  }
                  previous = i;
                }
              }
            }
          }
          return broken;
        }""",
        selector,
    )


def test_axe_finds_nothing_on_the_public_results_pages(page, live_server):
    load_demo()
    Commentary.objects.create(
        survey_id=Snapshot.objects.get().survey_id,
        kind="video",
        heading_sv="Film",
        video_url="https://example.se/film",
    )
    page.goto(live_server.url + "/results/msi-2019/")
    expect(page.locator("figure.chart:visible")).to_have_count(2)
    check(page, "results-national")
    page.goto(live_server.url + "/results/msi-2019/skane/")
    expect(page.locator("h1")).to_contain_text("Skåne")
    check(page, "results-region")
    page.goto(live_server.url + "/results/msi-2019/versions/")
    check(page, "results-versions")


# How large the charts' text is on the screen, against the smallest text of
# the page around them; and whether any of it falls outside its picture.
MEASURE_CHARTS = """
() => {
  const visible = (e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  let body = Infinity;
  for (const e of document.querySelectorAll("main *")) {
    if (e.closest("svg") || e.closest(".visually-hidden") || !visible(e)) continue;
    const own = Array.from(e.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim());
    if (own) body = Math.min(body, parseFloat(getComputedStyle(e).fontSize));
  }
  let chart = Infinity, outside = [], charts = 0;
  for (const svg of document.querySelectorAll("figure.chart svg")) {
    if (!visible(svg)) continue;
    charts += 1;
    const box = svg.getBoundingClientRect();
    const scale = box.width / svg.viewBox.baseVal.width;
    for (const text of svg.querySelectorAll("text")) {
      chart = Math.min(chart, parseFloat(getComputedStyle(text).fontSize) * scale);
      const r = text.getBoundingClientRect();
      if (r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1 || r.bottom > box.bottom + 1) {
        outside.push(text.textContent);
      }
    }
  }
  return { body, chart, outside, charts };
}
"""

CAPTIONS_AND_KEY_NUMBERS = """
(columns) => {
  const width = document.documentElement.clientWidth;
  const cut = [];
  for (const c of document.querySelectorAll("main caption, main .table-caption, main figcaption")) {
    const r = c.getBoundingClientRect();
    if (r.width === 0) continue;
    if (r.right > width + 1 || c.scrollWidth > c.clientWidth + 1) cut.push(c.textContent.trim().slice(0, 40));
    if (c.closest(".table-responsive")) cut.push("inside a scrolling box: " + c.textContent.trim().slice(0, 40));
  }
  const hidden = [];
  const table = document.querySelector("main .results-table");
  for (const row of table.querySelectorAll("tbody tr")) {
    for (const n of columns) {
      const r = row.children[n].getBoundingClientRect();
      if (r.right > width + 1) hidden.push(row.children[n].textContent.trim());
    }
  }
  return { cut, hidden, scrollWidth: document.documentElement.scrollWidth };
}
"""


@pytest.mark.parametrize("width", [390, 1280])
def test_the_results_read_on_a_phone_and_a_desktop(browser_context, live_server, width):
    load_demo()
    page = browser_context(viewport={"width": width, "height": 900}).new_page()
    for path, name, key_columns, charts in [
        ("/results/msi-2019/", "national", [1, 2], 2),  # area, share with its interval
        ("/results/msi-2019/skane/", "region", [0, 1, 2], 1),  # area, share, difference with its interval
    ]:
        page.goto(live_server.url + path)
        screenshot(page, f"results-{name}-{width}")
        measured = page.evaluate(MEASURE_CHARTS)
        assert measured["charts"] == charts, measured
        # Chart text at least as large as the page's smallest, and never under 14 px; none of it cut off.
        assert measured["chart"] >= max(measured["body"], 14) - 0.01, measured
        assert measured["outside"] == [], measured
        layout = page.evaluate(CAPTIONS_AND_KEY_NUMBERS, key_columns)
        assert layout["cut"] == [], layout
        assert layout["hidden"] == [], layout
        assert layout["scrollWidth"] <= width, layout
        check(page, f"results-{name}-{width}")


def test_the_region_page_has_its_chart_and_table(page, live_server):
    load_demo()
    page.goto(live_server.url + "/results/msi-2019/skane/")
    figure = page.locator("figure.chart-wide")
    expect(figure.locator("figcaption")).to_contain_text("Andelen av alla poäng i Skåne minus hela landets")
    dots = figure.locator("circle.chart-dot")
    rows = page.locator(".results-table tbody tr")
    assert dots.count() == rows.count() == 12
    # The chart writes each difference as the table does, with a typographic minus.
    values = figure.locator("text.chart-value").all_text_contents()
    differences = [rows.nth(i).locator("td").nth(1).inner_text().split("\n")[0].strip() for i in range(12)]
    assert values == differences
    assert any(v.startswith("\u2212") for v in values) and not any(v.startswith("-") for v in values)
