"""Figures in words: one way to print a count of people, a share, a change and minutes, and one
mark for a figure that does not exist, on every page, briefing, file and command.

A missing figure (``None`` or NaN: no source, no one to divide by) prints ``NO_FIGURE``; a
figure is never printed as 0 for want of one.

>>> people(1234.6), percent(0.1234), signed(-300), minutes(17.24)
('1,235', '12.3%', '-300', '17.2')
>>> people(None), percent(float("nan")), signed(None), minutes(None)
('—', '—', '—', '—')
>>> percent(0.5, places=0), signed(0)
('50%', '+0')
"""

from __future__ import annotations

import math

NO_FIGURE = "—"  # no figure exists (no source, or nothing to divide by)


def people(value: float | None) -> str:
    """Whole people with thousands separators (a share of a split area is an estimate: whole)."""
    return NO_FIGURE if value is None or not math.isfinite(value) else f"{value:,.0f}"


def percent(share: float | None, places: int = 1) -> str:
    """A share of 0-1 as a percentage."""
    return NO_FIGURE if share is None or not math.isfinite(share) else f"{100 * share:.{places}f}%"


def signed(value: float | None) -> str:
    """A change in whole people, with its sign (+0 for no change)."""
    return NO_FIGURE if value is None or not math.isfinite(value) else f"{value:+,.0f}"


def minutes(value: float | None) -> str:
    """Minutes to one decimal place."""
    return NO_FIGURE if value is None or not math.isfinite(value) else f"{value:.1f}"


def percent_number(share: float | None, places: int = 1) -> float | None:
    """A share of 0-1 as a rounded percentage number for a table cell or CSV (``None`` when
    missing: the table prints ``NO_FIGURE``)."""
    return None if share is None or not math.isfinite(share) else round(100 * float(share), places)


def upper_first(text: str) -> str:
    """Words at the start of a sentence or a heading: only the first letter changes, so
    'LSOAs' and 'IoD' keep theirs (``geo.population.lower_first`` is its inverse).

    >>> upper_first("small areas in this ward"), upper_first("2021 LSOAs")
    ('Small areas in this ward', '2021 LSOAs')
    """
    return text[:1].upper() + text[1:]
