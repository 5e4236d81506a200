"""Scenarios: which sites are open.

A scenario starts from a named base in the manifest (or from nothing), then opens,
closes, moves and adds sites. It is a small immutable value, so the dashboard can keep
it in the browser (URL and dcc.Store) and the engine can evaluate it statelessly.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from geo.errors import ScenarioError
from geo.readers import normalise_postcode

# What people read for each site status (``Engine.site_statuses``): map hover, legend, tables and
# briefings use these words and no others. The comparison they are against is named beside them
# (the legend, the cards), so a marker's hover stays short: it is sent on every click.
SITE_STATUS_WORDS = {
    "open": "open",
    "opens": "opens",
    "closes": "closes",
    "moved": "moved (drawn where it is placed)",
    "not_in_scenario": "not in this scenario",
}

# Line breaks, other control characters and bidirectional overrides: refused in every name a
# person gives (a label written on paper, in a CSV header or a link must read as it looks).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")

_LATLON_RE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$")


@dataclass(frozen=True)
class AddedSite:
    """A site placed by the user, by postcode or by WGS84 coordinates."""

    label: str
    postcode: str | None = None
    lat: float | None = None
    lon: float | None = None

    def describe(self) -> str:
        """The site in words: label and postcode (or coordinates)."""
        where = self.postcode if self.postcode else f"{self.lat:.6f}, {self.lon:.6f}"
        return f"{self.label} ({where})"

    def to_spec(self) -> str:
        """The site as 'LABEL@WHERE', the form links and the CLI use."""
        where = self.postcode if self.postcode else f"{self.lat:.6f},{self.lon:.6f}"
        return f"{self.label}@{where}"


def parse_added_site(text: str) -> AddedSite:
    """'LABEL@POSTCODE' or 'LABEL@LAT,LON' -> AddedSite (coordinates checked for range only;
    the engine checks they fall inside the area)."""
    if "@" not in str(text):
        raise ScenarioError(f"added site {text!r}: expected LABEL@POSTCODE or LABEL@LAT,LON")
    label, where = str(text).rsplit("@", 1)
    label = label.strip()
    if not label:
        raise ScenarioError(f"added site {text!r}: the label before '@' is empty")
    if CONTROL_CHARACTERS.search(label):
        raise ScenarioError(
            f"added site label {label[:40]!r} has a line break or another control character; give it on one line"
        )
    if len(label) > 80:
        raise ScenarioError(f"added site label is {len(label)} characters; 80 at most")
    match = _LATLON_RE.match(where)
    if match:
        lat, lon = float(match.group(1)), float(match.group(2))
        if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
            raise ScenarioError(f"added site {label!r}: {where!r} is not a latitude,longitude pair")
        return AddedSite(label=label, lat=lat, lon=lon)
    return AddedSite(label=label, postcode=normalise_postcode(where))


@dataclass(frozen=True)
class Scenario:
    """Open sites = base sites + ``opened`` - ``closed``, plus ``added`` ones.

    ``moved`` maps a register site id to a new location (e.g. the Leagrave-area hub
    that the 2020 proposal left 'to be agreed').
    """

    base: str | None = None
    opened: frozenset[str] = frozenset()
    closed: frozenset[str] = frozenset()
    added: tuple[AddedSite, ...] = ()
    moved: tuple[tuple[str, AddedSite], ...] = ()
    label: str = ""
    assumptions: tuple[str, ...] = field(default=())

    @property
    def moved_map(self) -> dict[str, AddedSite]:
        """Register site id -> where the user placed it."""
        return dict(self.moved)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the CLI's JSON."""
        return {
            "base": self.base,
            "open": sorted(self.opened),
            "close": sorted(self.closed),
            "add": [a.to_spec() for a in self.added],
            "move": {k: v.to_spec() for k, v in self.moved},
        }
