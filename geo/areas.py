"""Small areas inside LSOAs (output areas) and extra boundary sets (ward sets).

Output areas
------------
``[layers.output_areas]`` lists small areas with a population-weighted centroid, their
residents and the code of the (newer) LSOA that holds them; ``[layers.lsoa_lookup]`` maps
the bundle's LSOAs (the geography of its figures, e.g. 2011) to that newer geography
(e.g. 2021). Each output area is given to one of the bundle's LSOAs:

* its newer LSOA has one parent (unchanged or split LSOAs): that parent;
* several parents (merged LSOAs): the parent whose boundary holds its centroid (else
  the nearest parent boundary).

An LSOA's figures (population of any age and year, indicators) are then shared among its
output areas *in proportion to their residents*: a stated assumption (the age mix of
output areas inside one LSOA is not published for these years). An LSOA that no output
area falls in keeps its own population-weighted centroid with its whole population.

Ward sets
---------
The primary ward set is ``[layers.wards]`` (the wards the bundle's ward figures are
published for). ``[ward_sets.<id>]`` adds others (for Luton, the wards in force since May
2023). Each origin is placed in the ward of each set whose polygon holds its point (the
nearest ward if none does, e.g. a centroid on a generalised boundary). Never through an LSOA-to-ward
lookup: such lookups are best fits, and Luton's 2021 LSOAs do not nest in its 2023 wards (65 of
125 lie 99% or more in their lookup ward). Ward totals are sums over origins, and ward values of
LSOA indicators are population-weighted means over origins.

Examples
--------
>>> import numpy as np
>>> share_by_group(np.array(["a", "a", "b"]), np.array([30.0, 10.0, 5.0]))
array([0.75, 0.25, 1.  ])
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geo.errors import BundleError
from geo.readers import csv_line, numeric_column, read_csv, unique_keys


@dataclass(frozen=True)
class OutputAreas:
    """Output areas aligned on file order: code, projected xy, residents, assigned LSOA."""

    codes: np.ndarray
    xy: np.ndarray
    residents: np.ndarray
    lsoa_code: np.ndarray
    file: str
    parent: np.ndarray | None = None  # the (newer) LSOA code each output area sits in


@dataclass(frozen=True)
class WardSet:
    """One set of ward boundaries the user can report by."""

    id: str
    label: str
    wards: Any  # GeoDataFrame: code, name, geometry (WGS84)
    primary: bool

    @property
    def codes(self) -> list[str]:
        """Ward codes in file order."""
        return list(self.wards["code"])

    @property
    def names(self) -> dict[str, str]:
        """Ward code -> name."""
        return dict(zip(self.wards["code"], self.wards["name"]))


def share_by_group(groups: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Each row's share of its group's total weight (rows of an all-zero group share equally)."""
    frame = pd.DataFrame({"g": groups, "w": np.asarray(weights, float)})
    total = frame.groupby("g")["w"].transform("sum")
    count = frame.groupby("g")["w"].transform("size")
    return np.asarray(np.where(total > 0, frame["w"] / total.where(total > 0, 1), 1.0 / count), float)


def read_lsoa_lookup(folder: Path, spec: dict[str, Any], lsoa_codes: list[str]) -> dict[str, list[str]]:
    """Newer LSOA code -> the bundle LSOA codes it came from."""
    name = spec["file"]
    frame = read_csv(folder, name, [spec["old"], spec["new"]])
    known = set(lsoa_codes)
    parents: dict[str, list[str]] = {}
    for i, (old, new) in enumerate(zip(frame[spec["old"]], frame[spec["new"]])):
        old, new = old.strip(), new.strip()
        if old not in known:
            raise BundleError(
                f"LSOA code {old!r} is not in the LSOA boundary file", file=name, row=csv_line(i), field=spec["old"]
            )
        if not new:
            raise BundleError("is blank", file=name, row=csv_line(i), field=spec["new"])
        parents.setdefault(new, [])
        if old not in parents[new]:
            parents[new].append(old)
    missing = known - {p for ps in parents.values() for p in ps}
    if missing:
        raise BundleError(
            f"{len(missing)} LSOA code(s) of the boundary file are not in the lookup: {', '.join(sorted(missing)[:5])}",
            file=name,
            field=spec["old"],
        )
    return parents


def load_output_areas(
    folder: Path, spec: dict[str, Any], parents: dict[str, list[str]], lsoas: Any, projected: str, to_projected: Any
) -> OutputAreas:
    """Read the output areas, project them and give each one bundle LSOA (rules above)."""
    import shapely

    for key in ("file", "key", "parent", "x", "y", "crs", "residents"):
        if key not in spec:
            raise BundleError(
                f"missing key '{key}' in [layers.output_areas]", file="bundle.toml", field=f"layers.output_areas.{key}"
            )
    name = spec["file"]
    frame = read_csv(folder, name, [spec["key"], spec["parent"], spec["x"], spec["y"], spec["residents"]])
    codes = unique_keys(frame, spec["key"], name)
    xs = numeric_column(frame, spec["x"], name)
    ys = numeric_column(frame, spec["y"], name)
    residents = numeric_column(frame, spec["residents"], name)
    for i, value in enumerate(residents):
        if value < 0:
            raise BundleError(f"residents {value:g} is negative", file=name, row=csv_line(i), field=spec["residents"])
    if spec["crs"] != projected:
        xs, ys = to_projected(spec["crs"], xs, ys)
    xs, ys = np.asarray(xs, float), np.asarray(ys, float)
    lsoa_geoms = lsoas.set_index("code").to_crs(projected).geometry
    assigned = []
    for i, parent in enumerate(frame[spec["parent"]]):
        candidates = parents.get(parent.strip())
        if not candidates:
            raise BundleError(
                f"LSOA {parent!r} is not in the LSOA lookup", file=name, row=csv_line(i), field=spec["parent"]
            )
        if len(candidates) == 1:
            assigned.append(candidates[0])
            continue
        point = shapely.Point(xs[i], ys[i])
        inside = [c for c in candidates if lsoa_geoms[c].contains(point)]
        assigned.append(inside[0] if inside else min(candidates, key=lambda c: lsoa_geoms[c].distance(point)))
    return OutputAreas(
        np.array(codes),
        np.column_stack([xs, ys]),
        residents,
        np.array(assigned),
        name,
        np.array([p.strip() for p in frame[spec["parent"]]]),
    )


def place_in_wards(xy: np.ndarray, wards: Any, projected: str, nearest: bool = True) -> np.ndarray:
    """Index (into ``wards`` rows) of the ward holding each point; when none does, the nearest
    ward (``nearest=True``) or -1."""
    import shapely

    polygons = wards.to_crs(projected).geometry.to_numpy()
    points = shapely.points(xy[:, 0], xy[:, 1])
    # every (point, ward holding it) pair from a spatial index; a point on a shared edge is
    # inside neither, and one inside two overlapping wards goes to the first of them
    point_of, ward_of = shapely.STRtree(polygons).query(points, predicate="within")
    first = np.full(len(xy), len(polygons))
    np.minimum.at(first, point_of, ward_of)
    out = np.where(first < len(polygons), first, -1)
    for i in np.flatnonzero(out < 0) if nearest else ():
        out[i] = int(np.argmin(shapely.distance(polygons, points[i])))
    return out


def load_ward_sets(
    folder: Path, manifest: dict[str, Any], primary_wards: Any, read_polygons: Any
) -> dict[str, WardSet]:
    """The primary ward set plus every ``[ward_sets.<id>]`` (in manifest order)."""
    wards_spec = manifest["layers"]["wards"]
    primary_id = str(wards_spec.get("set_id", "wards"))
    sets = {
        primary_id: WardSet(
            primary_id, str(wards_spec.get("set_label", wards_spec.get("label", "Wards"))), primary_wards, True
        )
    }
    for set_id, spec in manifest.get("ward_sets", {}).items():
        if not isinstance(spec, dict):
            raise BundleError(
                "must be a table with file, key, name, crs and label", file="bundle.toml", field=f"ward_sets.{set_id}"
            )
        if set_id in sets:
            raise BundleError(
                f"ward set id {set_id!r} is also the primary set's id", file="bundle.toml", field=f"ward_sets.{set_id}"
            )
        if "lookup" in spec:
            raise BundleError(
                "origins are placed in wards by where they are (the ward polygon holding each point); "
                "an LSOA-to-ward lookup is a best fit, not a nesting: remove this key",
                file="bundle.toml",
                field=f"ward_sets.{set_id}.lookup",
            )
        wards = read_polygons(folder, spec, f"ward_sets.{set_id}")
        sets[str(set_id)] = WardSet(str(set_id), str(spec.get("label", set_id)), wards, False)
    return sets
