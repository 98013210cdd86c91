"""One way to write a difference everywhere: a typographic minus, and no sign on zero."""

import re

import pytest
from django.template import Context, Template
from django.utils import translation

from results import charts
from results.numbers import one_decimal, signed


@pytest.mark.parametrize(
    ("value", "text"),
    [(2.84, "+2,8"), (-2.84, "\u22122,8"), (0.0, "0,0"), (0.04, "0,0"), (-0.04, "0,0"), (-0.05, "\u22120,1")],
)
def test_a_difference_is_written_with_a_real_minus_and_no_sign_on_zero(value, text):
    with translation.override("sv"):
        assert signed(value) == text


def test_one_decimal_uses_the_real_minus_too():
    with translation.override("sv"):
        assert one_decimal(-3.06) == "\u22123,1"
        assert one_decimal(-0.01) == "0,0"
    with translation.override("en"):
        assert one_decimal(-3.06) == "\u22123.1"


def test_the_templates_filters_are_the_same_helper():
    with translation.override("sv"):
        html = Template("{% load results_numbers %}{{ a|signed }} {{ b|signed }} {{ c|decimal1 }}").render(
            Context({"a": -2.8, "b": 0.0, "c": -1.25})
        )
    assert html == "\u22122,8 0,0 \u22121,3"


def test_the_heat_map_and_the_difference_chart_write_differences_the_same_way():
    area = {"code": "a", "title_sv": "A", "share": 10.0, "low": 8.0, "high": 12.0}
    region = {
        "code": "r",
        "name": "R",
        "suppressed": False,
        "areas": [{**area, "diff": -2.84, "diff_low": -5.0, "diff_high": 0.02, "clear_difference": False}],
    }
    with translation.override("sv"):
        heat = charts.heat_map([area], [region])
        difference = charts.difference_chart(region["areas"])
    assert heat["rows"][0]["cells"][0]["text"] == "\u22122,8"
    assert difference["rows"][0]["value"] == "\u22122,8"


def test_no_page_writes_a_hyphen_minus_or_a_signed_zero(client, db):
    from surveys.demo import load_demo

    load_demo()
    for path in ("/results/msi-2019/", "/results/msi-2019/skane/"):
        page = client.get(path).content.decode()
        text = re.sub(r"<[^>]+>", " ", page[page.index("<main") : page.index("</main>")])
        assert "+0,0" not in text
        assert not re.search(r"(?<!\w)-\d", text), re.search(r".{40}(?<!\w)-\d.{10}", text)
        assert "\u2212" in text


def test_long_swedish_words_get_soft_hyphens_where_swedish_breaks_them():
    from results.numbers import hyphenated

    text = hyphenated("Förändringsledning och medborgarinvolvering")
    assert text.replace("\u00ad", "") == "Förändringsledning och medborgarinvolvering"
    assert "rings\u00adled" in text  # at the seam of the compound
    assert "och" in text.split(" ")  # short words are left alone
    assert hyphenated("Cross-sector collaboration", "en").replace("\u00ad", "") == "Cross-sector collaboration"
