"""Population by single year of age: age bands, years and their labels.

The bundle's ``[layers.population_by_age]`` names one CSV per year (a key column,
single-year columns ``"0"`` ... ``"<max_single_age>"``, an open-ended top column such as
``"90+"``, and a total column). A population is chosen as an *age band* and a *year*:

* ``"0-4"`` (single years 0 to 4 inclusive), ``"16-19"``, ``"3"`` (one year), ``"65+"``
  (65 to the open-ended top) or ``"all"`` (the total column);
* a year the bundle holds (for Luton mid-2017, mid-2019, mid-2020).

Each choice becomes a population *field* of the bundle (``age0-4_2019``), labelled for
people ("Children under 5 (mid-2019)"), so every figure names the population it counts.
Nothing here is specific to an area.

Examples
--------
>>> parse_age_band("0-4", max_single_age=89)
(0, 4)
>>> parse_age_band("all", max_single_age=89) is None
True
>>> band_label((0, 4))
'Children under 5'
>>> population_field_id((0, 19), 2019)
'age0-19_2019'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from geo.errors import BundleError, ScenarioError
from geo.readers import csv_line, numeric_column, read_csv, same_codes, unique_keys

OPEN_END = 10_000  # upper bound used for "A+" bands (to the open-ended top column)
_BAND_RE = re.compile(r"^\s*(\d{1,3})\s*(?:-\s*(\d{1,3})|(\+))?\s*$")
# Single years must sum to the stated total within this many people (the ONS files are exact;
# a rounding of one per row is allowed for tables published rounded).
SUM_TOLERANCE = 1.0


def parse_age_band(text: str, max_single_age: int) -> tuple[int, int] | None:
    """``"A-B"``, ``"A"``, ``"A+"`` -> (A, B) inclusive; ``"all"`` -> None.

    Raises ``ScenarioError`` naming the option when the band is malformed or outside
    the table.

    >>> parse_age_band("65+", max_single_age=89)
    (65, 10000)
    >>> parse_age_band("0-95", max_single_age=89)
    Traceback (most recent call last):
    ...
    geo.errors.ScenarioError: --ages 0-95: the table has single years 0 to 89 and an open-ended top group; use 0-89, 90+ or all
    """
    raw = str(text).strip().lower()
    if raw in ("all", "all ages", "total"):
        return None
    match = _BAND_RE.match(raw)
    if not match:
        raise ScenarioError(f"--ages {text!r}: expected an age band such as 0-4, 16-19, 65+ or all")
    low = int(match.group(1))
    if match.group(3):
        high = OPEN_END
        if low > max_single_age + 1:
            raise ScenarioError(f"--ages {text}: the table's top group starts at {max_single_age + 1}")
    else:
        high = int(match.group(2)) if match.group(2) is not None else low
    if high < low:
        raise ScenarioError(f"--ages {text}: the first age must not be above the second")
    if high != OPEN_END and high > max_single_age:
        raise ScenarioError(
            f"--ages {text}: the table has single years 0 to {max_single_age} and an "
            f"open-ended top group; use 0-{max_single_age}, {max_single_age + 1}+ or all"
        )
    return low, high


def band_text(band: tuple[int, int] | None) -> str:
    """The band as a user types it: ``0-4``, ``65+``, ``all``."""
    if band is None:
        return "all"
    low, high = band
    if high == OPEN_END:
        return f"{low}+"
    return f"{low}" if low == high else f"{low}-{high}"


def band_label(band: tuple[int, int] | None) -> str:
    """People-facing name of an age band (capitalised, no year).

    >>> band_label((0, 15)), band_label((0, 19)), band_label((65, 10000)), band_label(None)
    ('Children aged 0-15', 'Children and young people aged 0-19', 'People aged 65 and over', 'All residents')
    """
    if band is None:
        return "All residents"
    low, high = band
    if high == OPEN_END:
        return f"People aged {low} and over"
    if low == 0 and high < 17:
        return f"Children under {high + 1}" if high <= 4 else f"Children aged 0-{high}"
    if low == 0 and high <= 25:
        return f"Children and young people aged 0-{high}"
    return f"People aged {low}" if low == high else f"People aged {low}-{high}"


def lower_first(label: str) -> str:
    """A label inside a sentence: ``'Children under 5 (mid-2019)'`` -> ``'children under 5 (mid-2019)'``
    (only the first letter changes, so 'IoD' stays 'IoD').

    >>> lower_first("All residents (mid-2015, IoD 2019 denominators)")
    'all residents (mid-2015, IoD 2019 denominators)'
    """
    return label[:1].lower() + label[1:]


def population_field_id(band: tuple[int, int] | None, year: int) -> str:
    """Stable id of a band and year, safe in links and column names."""
    if band is None:
        return f"all_{year}"
    low, high = band
    return f"age{low}plus_{year}" if high == OPEN_END else f"age{low}-{high}_{year}"


@dataclass(frozen=True)
class AgeTables:
    """Single-year-of-age counts per LSOA, one array per year.

    ``counts[year]`` has shape (n_lsoa, max_single_age + 2): single years 0..max, then the
    open-ended top group; ``totals[year]`` is the file's total column. Rows follow the LSOA
    boundary file's order.
    """

    counts: dict[int, np.ndarray]
    totals: dict[int, np.ndarray]
    max_single_age: int
    open_column: str
    default_band: str
    default_year: int
    preset_bands: tuple[str, ...]
    source: str
    files: dict[int, str]

    @property
    def years(self) -> list[int]:
        """The years the bundle has single-year tables for."""
        return sorted(self.counts)

    def check_year(self, year: object) -> int:
        """The year as an int, or a BundleError/ScenarioError naming the years the bundle has."""
        try:
            value = int(str(year).strip().removeprefix("mid-"))
        except ValueError:
            raise ScenarioError(f"--year {year!r}: expected a year such as {self.default_year}") from None
        if value not in self.counts:
            raise ScenarioError(
                f"--year {value}: this bundle has population estimates for {', '.join(map(str, self.years))} only"
            )
        return value

    def values(self, band: tuple[int, int] | None, year: int) -> np.ndarray:
        """People in the band per LSOA for the year."""
        if band is None:
            return self.totals[year].copy()
        low, high = band
        top = self.max_single_age + 1  # column index of the open-ended group
        stop = top + 1 if high == OPEN_END else high + 1
        return np.asarray(self.counts[year][:, low:stop].sum(axis=1))


def load_age_tables(folder: Path, spec: dict[str, Any], lsoa_codes: list[str], manifest_name: str) -> AgeTables:
    """Read every year's single-year-of-age file, check it and align it on ``lsoa_codes``.

    Errors (``BundleError`` naming file, row and field): a missing column, a blank or
    non-numeric count, a negative count, single years that do not sum to the total, LSOA
    codes that differ from the boundary file, a repeated year.
    """
    where = "layers.population_by_age"
    for key in ("key", "total", "max_single_age", "open_column", "years"):
        if key not in spec:
            raise BundleError(f"missing key '{key}' in [{where}]", file=manifest_name, field=f"{where}.{key}")
    max_age = spec["max_single_age"]
    if not isinstance(max_age, int) or isinstance(max_age, bool) or not 0 < max_age < 150:
        raise BundleError(
            f"max_single_age {max_age!r} must be a whole number of years between 1 and 149",
            file=manifest_name,
            field=f"{where}.max_single_age",
        )
    years = spec["years"]
    if not isinstance(years, list) or not years:
        raise BundleError("years must be a list of {year, file} tables", file=manifest_name, field=f"{where}.years")
    single = [str(a) for a in range(max_age + 1)]
    columns = [*single, spec["open_column"]]
    counts: dict[int, np.ndarray] = {}
    totals: dict[int, np.ndarray] = {}
    files: dict[int, str] = {}
    for j, item in enumerate(years):
        field = f"{where}.years[{j}]"
        if not isinstance(item, dict) or not isinstance(item.get("year"), int) or not item.get("file"):
            raise BundleError("each year needs a whole-number 'year' and a 'file'", file=manifest_name, field=field)
        year, name = item["year"], item["file"]
        if year in counts:
            raise BundleError(f"year {year} is listed twice", file=manifest_name, field=f"{field}.year")
        frame = read_csv(folder, name, [spec["key"], spec["total"], *columns])
        keys = unique_keys(frame, spec["key"], name)
        same_codes(keys, lsoa_codes, name, spec["key"])
        table = np.column_stack([numeric_column(frame, c, name) for c in columns])
        total = numeric_column(frame, spec["total"], name)
        negative = np.argwhere(table < 0)
        if len(negative):
            i, c = negative[0]
            raise BundleError(
                f"count {table[i, c]:g} is negative", file=name, row=csv_line(int(i)), field=columns[int(c)]
            )
        if (total < 0).any():
            i = int(np.argmax(total < 0))
            raise BundleError(f"total {total[i]:g} is negative", file=name, row=csv_line(i), field=spec["total"])
        gap = np.abs(table.sum(axis=1) - total)
        if (gap > SUM_TOLERANCE).any():
            i = int(np.argmax(gap > SUM_TOLERANCE))
            raise BundleError(
                f"single years sum to {table[i].sum():g}, not the total {total[i]:g}",
                file=name,
                row=csv_line(i),
                field=spec["total"],
            )
        order = {code: i for i, code in enumerate(keys)}
        rows = [order[c] for c in lsoa_codes]
        counts[year], totals[year], files[year] = table[rows], total[rows], name
    default_year = spec.get("default_year", max(counts))
    if default_year not in counts:
        raise BundleError(
            f"default_year {default_year!r} is not one of the listed years",
            file=manifest_name,
            field=f"{where}.default_year",
        )
    bands = tuple(spec.get("bands", ["all"]))
    default_band = str(spec.get("default_ages", bands[0] if bands else "all"))
    for i, band in enumerate([*bands, default_band]):
        try:
            parse_age_band(band, max_age)
        except ScenarioError as exc:
            field = f"{where}.bands[{i}]" if i < len(bands) else f"{where}.default_ages"
            raise BundleError(str(exc).replace("--ages ", "age band "), file=manifest_name, field=field) from None
    return AgeTables(
        counts,
        totals,
        max_age,
        spec["open_column"],
        default_band,
        int(default_year),
        bands,
        str(spec.get("source", "")),
        files,
    )


def band_and_year(tables: AgeTables, ages: str, year: object) -> tuple[tuple[int, int] | None, int]:
    """The band and year typed by a user, checked against the table (``ScenarioError`` if not)."""
    return parse_age_band(ages, tables.max_single_age), tables.check_year(year)
