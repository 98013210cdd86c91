"""
Videos in the commentary: a film on YouTube or Vimeo is shown behind a
click-to-load placeholder, so that nothing is fetched from the service
before the reader asks for it. YouTube plays from its no-cookie host and
Vimeo with its do-not-track option. The page that shows such a player
allows that one host in its Content-Security-Policy, and no other page does.
"""

import re
from collections.abc import Iterable, Mapping
from typing import Any, TypedDict
from urllib.parse import parse_qs, urlsplit

from django.http import HttpResponse

from msi_survey.security import policy

YOUTUBE_HOST = "https://www.youtube-nocookie.com"
VIMEO_HOST = "https://player.vimeo.com"

_YOUTUBE_ID = re.compile(r"[A-Za-z0-9_-]{11}")
_VIMEO_ID = re.compile(r"[0-9]{1,12}")


class Embed(TypedDict):
    service: str  # "YouTube" or "Vimeo"
    company: str  # who the data goes to
    host: str  # the one host the page must allow to frame
    src: str  # the player's address, loaded only after the click
    watch_url: str  # the film on the service's own site, for readers without JavaScript


def embed_for(url: str) -> Embed | None:
    """The player of a YouTube or Vimeo address, or None for any other address."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        return None
    host = (parts.hostname or "").lower().removeprefix("www.").removeprefix("m.")
    path = [p for p in parts.path.split("/") if p]
    video_id = None
    if host in ("youtube.com", "youtube-nocookie.com"):
        if path[:1] == ["watch"]:
            video_id = (parse_qs(parts.query).get("v") or [""])[0]
        elif len(path) >= 2 and path[0] in ("embed", "shorts", "live"):
            video_id = path[1]
    elif host == "youtu.be" and path:
        video_id = path[0]
    if video_id is not None:
        if not _YOUTUBE_ID.fullmatch(video_id):
            return None
        return {
            "service": "YouTube",
            "company": "Google",
            "host": YOUTUBE_HOST,
            "src": f"{YOUTUBE_HOST}/embed/{video_id}?autoplay=1&rel=0",
            "watch_url": f"https://www.youtube.com/watch?v={video_id}",
        }
    if host in ("vimeo.com", "player.vimeo.com"):
        candidates = path[1:2] if path[:1] == ["video"] else path[:1]
        if candidates and _VIMEO_ID.fullmatch(candidates[0]):
            return {
                "service": "Vimeo",
                "company": "Vimeo",
                "host": VIMEO_HOST,
                "src": f"{VIMEO_HOST}/video/{candidates[0]}?dnt=1&autoplay=1",
                "watch_url": f"https://vimeo.com/{candidates[0]}",
            }
    return None


def frame_hosts(blocks: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    """The hosts of the players among these commentary blocks, each once, in order."""
    hosts: list[str] = []
    for block in blocks:
        if block.get("kind") != "video":
            continue
        embed = embed_for(block.get("video_url", ""))
        if embed and embed["host"] not in hosts:
            hosts.append(embed["host"])
    return tuple(hosts)


def allow_players(response: HttpResponse, blocks: Iterable[Mapping[str, Any]]) -> HttpResponse:
    """Let the page frame the players its commentary shows (and nothing else)."""
    hosts = frame_hosts(blocks)
    if hosts:
        response["Content-Security-Policy"] = policy(frame_src=hosts)
    return response
