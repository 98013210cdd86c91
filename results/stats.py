"""
The statistics behind the results pages, in plain functions of counts and
sums that the database has already computed.

An area's share of all points in a group is the mean, over the group's
respondents, of Y = (the points the respondent gave the area) / (the points
each respondent gives in all). Its 95 % interval is the mean ± t × s / √n,
with s from the sums of Y and Y² and t from Student's t distribution with
n − 1 degrees of freedom. Respondents who did not choose the area count with
Y = 0: they are what makes a share small.
"""

import math
from dataclasses import dataclass

# Two-sided 95 % quantiles of Student's t distribution, by degrees of freedom.
T_975 = {
    1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228,
    11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120, 17: 2.110, 18: 2.101, 19: 2.093,
    20: 2.086, 21: 2.080, 22: 2.074, 23: 2.069, 24: 2.064, 25: 2.060, 26: 2.056, 27: 2.052, 28: 2.048,
    29: 2.045, 30: 2.042, 40: 2.021, 60: 2.000, 120: 1.980,
}  # fmt: skip


def t_quantile(df: int) -> float:
    """The 97.5 % quantile of t with `df` degrees of freedom (the nearest tabulated df below, 1.960 past 120)."""
    if df < 1:
        return math.inf
    if df > 120:
        return 1.960
    return T_975[max(k for k in T_975 if k <= df)]


@dataclass(frozen=True)
class Estimate:
    share: float  # 0..1
    low: float
    high: float
    se: float


def share_estimate(*, n: int, points: float, points_sq: float, per_respondent: int) -> Estimate:
    """
    The share of all points and its 95 % interval, from the number of
    respondents n, the sum of the points they gave the area and the sum of
    the squares of those points.
    """
    if n <= 0:
        return Estimate(0.0, 0.0, 0.0, 0.0)
    mean = points / per_respondent / n
    if n == 1:
        return Estimate(mean, 0.0, 1.0, math.inf)
    mean_sq = points_sq / per_respondent**2 / n
    variance = max(mean_sq - mean * mean, 0.0) * n / (n - 1)
    se = math.sqrt(variance / n)
    margin = t_quantile(n - 1) * se
    return Estimate(mean, max(mean - margin, 0.0), min(mean + margin, 1.0), se)


@dataclass(frozen=True)
class Difference:
    diff: float
    low: float
    high: float
    clear: bool  # the interval leaves out zero: larger than the noise


def difference_from_nation(
    *,
    n_group: int,
    group: Estimate,
    n_total: int,
    points_total: float,
    points_sq_total: float,
    points_group: float,
    points_sq_group: float,
    per_respondent: int,
) -> Difference:
    """
    The group's share minus the nation's, with a 95 % interval.

    The group is part of the nation, so the two are not independent:
    group − nation = (1 − n_group / n_total) × (group − rest), where rest is
    everyone outside the group. The interval comes from group and rest,
    which are.
    """
    n_rest = n_total - n_group
    nation_share = points_total / per_respondent / n_total if n_total else 0.0
    diff = group.share - nation_share
    if n_rest < 2 or n_group < 2:
        return Difference(diff, -1.0, 1.0, False)
    rest = share_estimate(
        n=n_rest,
        points=points_total - points_group,
        points_sq=points_sq_total - points_sq_group,
        per_respondent=per_respondent,
    )
    weight = 1 - n_group / n_total
    se = weight * math.sqrt(group.se**2 + rest.se**2)
    # Welch–Satterthwaite degrees of freedom for the two means.
    a, b = group.se**2, rest.se**2
    df = (a + b) ** 2 / ((a * a) / (n_group - 1) + (b * b) / (n_rest - 1)) if a + b > 0 else n_total - 2
    margin = t_quantile(int(df)) * se
    low, high = diff - margin, diff + margin
    return Difference(diff, low, high, low > 0 or high < 0)


def rank_ranges(estimates: list[Estimate]) -> list[tuple[int, int]]:
    """
    For each estimate, the places it could hold given the intervals: it is
    below every area whose interval lies wholly above its own, and above
    every area whose interval lies wholly below. Overlapping areas are not
    clearly ordered, and share a range.
    """
    ranges = []
    for mine in estimates:
        above = sum(1 for other in estimates if other.low > mine.high)
        below = sum(1 for other in estimates if other.high < mine.low)
        ranges.append((above + 1, len(estimates) - below))
    return ranges


def suppressed_groups(counts: dict, threshold: int, *, total_shown: bool = True) -> set:
    """
    Which groups to hide: every group with fewer answers than `threshold`,
    and, when exactly one would be hidden beside a visible total, the next
    smallest as well, so that nobody can get the hidden one by subtracting
    the others from the total. Returns the keys to hide.
    """
    hidden = {key for key, n in counts.items() if n < threshold}
    if total_shown and len(hidden) == 1 and len(counts) > 1:
        visible = sorted((n, str(key), key) for key, n in counts.items() if key not in hidden)
        hidden.add(visible[0][2])
    return hidden
