"""
The shape of the results that a published snapshot freezes (Snapshot.data).

build_results() in selectors.py makes one, publish_snapshot() adds the
commentary and the time of publication, and the pages, the charts and the
CSV and XLSX exports read it. It is stored as JSON, so every part is a plain
dict of plain values: these declarations say which keys each part has.
Shares, intervals and differences are percentages (0–100); a group below
the survey's threshold carries no number at all, only `suppressed`.
"""

from collections.abc import Mapping
from typing import Any, NotRequired, TypedDict


class SurveyInfo(TypedDict):
    slug: str
    title_sv: str
    title_en: str
    rank_count: int
    area_count: int
    points: list[int]  # the points of place 1, 2, …
    points_per_respondent: int
    threshold: int
    opens_at: str  # ISO 8601
    closes_at: str


class AreaRow(TypedDict):
    """One area in one group, most points first."""

    code: str
    title_sv: str
    title_en: str
    points: int
    share: float
    low: float  # the 95 % interval of the share
    high: float
    rank: int  # 1 = most points; ties share a rank
    rank_low: int  # the places the intervals allow
    rank_high: int
    chosen_by: int
    first_by: int
    mean_position: float | None
    # In a region or level, compared with the nation:
    diff: NotRequired[float]  # percentage points
    diff_low: NotRequired[float]
    diff_high: NotRequired[float]
    clear_difference: NotRequired[bool]  # the interval of the difference leaves out zero
    national_rank: NotRequired[int]
    rank_shift: NotRequired[int]  # national rank minus this group's rank


class NationalBlock(TypedDict):
    suppressed: bool
    n: int | None
    invited: int
    response_rate: float | None
    areas: list[AreaRow] | None


class RegionBlock(TypedDict):
    code: str
    name: str
    node: str
    invited: int
    suppressed: bool
    n: NotRequired[int]
    areas: NotRequired[list[AreaRow]]
    response_rate: NotRequired[float | None]


class LevelBlock(TypedDict):
    code: str
    label_sv: str
    label_en: str
    suppressed: bool
    n: NotRequired[int]
    areas: NotRequired[list[AreaRow]]


class WaveBlock(TypedDict):
    wave: int | None  # None: answered before any email; 0: after the invitation; k: after reminder k
    suppressed: bool
    n: NotRequired[int]


class CommentaryBlock(TypedDict):
    kind: str
    heading_sv: str
    heading_en: str
    body_sv: str
    body_en: str
    speaker: str
    speaker_role: str
    video_url: str
    # A video served with the site, with its captions and transcript:
    video_file: NotRequired[str]
    captions_file: NotRequired[str]
    transcript_sv: NotRequired[str]
    transcript_en: NotRequired[str]


class ContactBlock(TypedDict):
    region_code: str  # "" for the national contact
    region_name: str
    name: str
    role: str
    email: str
    phone: str


class Results(TypedDict):
    survey: SurveyInfo
    computed_at: str
    national: NationalBlock
    regions: list[RegionBlock]
    levels: list[LevelBlock]
    waves: list[WaveBlock]
    # Added at publication:
    commentary: NotRequired[list[CommentaryBlock]]
    contacts: NotRequired[list[ContactBlock]]
    published_at: NotRequired[str]
    comparison: NotRequired[Mapping[str, Any]]  # with the previous edition: results/comparison.py
