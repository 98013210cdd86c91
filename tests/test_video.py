"""The video in the commentary: a captioned file of our own, or a service's player loaded only on a click."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from results.models import Commentary
from results.services import publish_snapshot
from results.video import embed_for, frame_hosts

from .conftest import make_survey


@pytest.mark.parametrize(
    ("url", "src"),
    [
        ("https://www.youtube.com/watch?v=abcdefghijk", "https://www.youtube-nocookie.com/embed/abcdefghijk?"),
        ("https://youtu.be/abcdefghijk?t=10", "https://www.youtube-nocookie.com/embed/abcdefghijk?"),
        ("https://m.youtube.com/watch?v=abc_efg-ijk&list=x", "https://www.youtube-nocookie.com/embed/abc_efg-ijk?"),
        ("https://www.youtube-nocookie.com/embed/abcdefghijk", "https://www.youtube-nocookie.com/embed/abcdefghijk?"),
        ("https://vimeo.com/123456789", "https://player.vimeo.com/video/123456789?dnt=1"),
        ("https://player.vimeo.com/video/123456789", "https://player.vimeo.com/video/123456789?dnt=1"),
    ],
)
def test_youtube_and_vimeo_addresses_become_privacy_friendly_players(url, src):
    embed = embed_for(url)
    assert embed is not None and embed["src"].startswith(src)


@pytest.mark.parametrize(
    "url",
    [
        "",
        "https://example.se/film.mp4",
        "https://www.youtube.com/watch?v=short",
        "https://www.youtube.com/watch?v=abcdefghijk%22onload%3D",
        "javascript:alert(1)//youtube.com/watch?v=abcdefghijk",
        "https://youtube.com.evil.example/watch?v=abcdefghijk",
        "https://vimeo.com/channels/staffpicks",
    ],
)
def test_other_addresses_are_not_players(url):
    assert embed_for(url) is None


def test_frame_hosts_are_those_of_video_blocks_only():
    blocks = [
        {"kind": "video", "video_url": "https://youtu.be/abcdefghijk"},
        {"kind": "video", "video_url": "https://vimeo.com/1"},
        {"kind": "video", "video_url": "https://www.youtube.com/watch?v=bbbbbbbbbbb"},
        {"kind": "text", "video_url": "https://vimeo.com/2"},
    ]
    assert frame_hosts(blocks) == ("https://www.youtube-nocookie.com", "https://player.vimeo.com")


@pytest.fixture
def survey(db):
    return make_survey(slug="film")


def publish(survey, capture):
    with capture(execute=True):
        publish_snapshot(survey=survey)


def test_a_service_video_is_a_placeholder_and_only_its_page_may_frame_it(
    client, survey, django_capture_on_commit_callbacks
):
    Commentary.objects.create(
        survey=survey, kind="video", heading_sv="Filmen", video_url="https://www.youtube.com/watch?v=abcdefghijk"
    )
    publish(survey, django_capture_on_commit_callbacks)
    for _ in range(2):  # rendered, then from the page cache: the policy stays with the page
        response = client.get(reverse("results:national", args=["film"]))
        policy = response["Content-Security-Policy"]
        assert "frame-src 'self' https://www.youtube-nocookie.com;" in policy
        assert "script-src 'self';" in policy and "unsafe-inline" not in policy
        page = response.content.decode()
        assert "<iframe" not in page  # nothing from the service before the click
        assert 'data-video-src="https://www.youtube-nocookie.com/embed/abcdefghijk?autoplay=1' in page
        assert "Filmen finns på YouTube" in page and "Google" in page
        assert 'href="https://www.youtube.com/watch?v=abcdefghijk"' in page  # without JavaScript: a link
    for name, args in (("results:versions", ["film"]), ("results:comments", ["film"])):
        assert "youtube" not in client.get(reverse(name, args=args))["Content-Security-Policy"]


def test_a_video_file_has_captions_and_a_transcript(client, survey, django_capture_on_commit_callbacks):
    Commentary.objects.create(
        survey=survey,
        kind="video",
        heading_sv="Sammanfattning",
        video_file="/static/video/sammanfattning.mp4",
        captions_file="/static/video/sammanfattning.sv.vtt",
        transcript_sv="Välkommen till sammanfattningen.",
    )
    publish(survey, django_capture_on_commit_callbacks)
    response = client.get(reverse("results:national", args=["film"]))
    page = response.content.decode()
    assert '<source src="/static/video/sammanfattning.mp4">' in page
    assert '<track kind="captions" src="/static/video/sammanfattning.sv.vtt" srclang="sv"' in page
    assert "Läs textversionen" in page and "Välkommen till sammanfattningen." in page
    assert "frame-src 'self';" in response["Content-Security-Policy"]


def test_an_other_video_link_stays_a_link(client, survey, django_capture_on_commit_callbacks):
    Commentary.objects.create(survey=survey, kind="video", heading_sv="Film", video_url="https://example.se/film")
    publish(survey, django_capture_on_commit_callbacks)
    page = client.get(reverse("results:national", args=["film"])).content.decode()
    assert 'href="https://example.se/film"' in page and "data-video-src" not in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "behöver en videofil på webbplatsen eller en videolänk"),
        ({"video_file": "/static/v.mp4", "transcript_sv": "Text"}, "behöver undertexter"),
        ({"video_file": "/static/v.mp4", "captions_file": "/static/v.vtt"}, "behöver en textversion"),
        ({"video_file": "/static/v.mp4", "captions_file": "/static/v.srt", "transcript_sv": "T"}, "slutar på .vtt"),
        (
            {"video_file": "https://cdn.example.com/v.mp4", "captions_file": "/v.vtt", "transcript_sv": "T"},
            "börjar med /",
        ),
        ({"video_file": "//cdn.example.com/v.mp4", "captions_file": "/v.vtt", "transcript_sv": "T"}, "börjar med /"),
    ],
)
def test_a_video_block_without_what_it_needs_says_what_to_add(survey, fields, message):
    block = Commentary(survey=survey, kind="video", heading_sv="Film", **fields)
    with pytest.raises(ValidationError, match=message):
        block.full_clean()
