"""Origins: where people start their journey, each holding a share of its LSOA's figures.

Three kinds (``ORIGIN_KINDS``): output-area population-weighted centroids sharing their LSOA's
population in proportion to residents (the default where a bundle has output areas), LSOA
population-weighted centroids, and postcode centroids sharing their LSOA's population equally.
An LSOA with none of the finer points keeps its own centroid, so no one is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from geo.bundle import Bundle
from geo.errors import ScenarioError


@dataclass(frozen=True)
class Origins:
    """Where people start: projected coordinates, their LSOA, and each origin's share
    of its LSOA's population (1 for LSOA centroids; 1/k for k postcodes in an LSOA)."""

    xy: np.ndarray
    lsoa_code: np.ndarray
    share: np.ndarray
    kind: str
    label: np.ndarray


ORIGIN_KINDS = ("output_areas", "lsoa", "postcode")
# What each kind of origin is, in words; {one} is what the bundle calls a small area
# (``Bundle.small_area``), filled in by ``origin_description``.
ORIGIN_DESCRIPTIONS = {
    "lsoa": "{one} population-weighted centroids",
    "postcode": "postcode centroids sharing their {one}'s population equally",
    "output_areas": "output-area population-weighted centroids sharing their {one}'s population in proportion "
    "to residents",
}


def origin_description(bundle: Bundle, kind: str) -> str:
    """What the origins are, in words: the manifest's ``[travel] origins_words`` when it has
    them, else the kind's description in the bundle's word for its small areas.

    >>> from geo.bundle import AreaWords
    >>> ORIGIN_DESCRIPTIONS["lsoa"].format(one=AreaWords.of({"word": "IRIS"}).one)
    'IRIS population-weighted centroids'
    """
    given = bundle.manifest.get("travel", {}).get("origins_words")
    return str(given) if given else ORIGIN_DESCRIPTIONS[kind].format(one=bundle.small_area.one)


def lsoa_origins(bundle: Bundle) -> Origins:
    """Origins at the LSOAs' population-weighted centroids, one per LSOA."""
    codes = bundle.lsoa_values.index.to_numpy()
    return Origins(bundle.origin_xy, codes, np.ones(len(codes)), "lsoa", codes)


def output_area_origins(bundle: Bundle) -> Origins:
    """Output-area centroids, each holding its LSOA's figures in proportion to its residents
    (``geo.areas``). An LSOA with no output area keeps its own centroid, so no one is dropped."""
    from geo.areas import share_by_group

    areas = bundle.output_areas
    if areas is None:
        raise ScenarioError("this bundle has no output areas ([layers.output_areas]); use origins 'lsoa'")
    codes = list(bundle.lsoa_values.index)
    missing = sorted(set(codes) - set(areas.lsoa_code))
    xy = np.vstack([areas.xy, bundle.origin_xy[[codes.index(c) for c in missing]].reshape(-1, 2)])
    lsoa = np.concatenate([areas.lsoa_code, np.array(missing, dtype=areas.lsoa_code.dtype)])
    weights = np.concatenate([areas.residents, np.ones(len(missing))])
    labels = np.concatenate([areas.codes, np.array(missing, dtype=areas.codes.dtype)])
    return Origins(xy, lsoa, share_by_group(lsoa, weights), "output_areas", labels)


def postcode_origins(bundle: Bundle) -> Origins:
    """Postcode centroids inside each LSOA, sharing its population equally. An LSOA with
    no postcode centroid inside its (generalised) boundary keeps its population-weighted
    centroid, so no one is dropped."""
    import geopandas as gpd

    lsoas = bundle.lsoas[["code", "geometry"]].to_crs(bundle.projected_crs)
    points = gpd.GeoDataFrame(
        {"postcode": bundle.postcodes.index},
        geometry=gpd.points_from_xy(bundle.postcodes["x"], bundle.postcodes["y"]),
        crs=bundle.projected_crs,
    )
    joined = gpd.sjoin(points, lsoas, predicate="within", how="inner")
    counts = joined.groupby("code").size()
    xy: list[tuple[float, float]] = []
    codes: list[str] = []
    labels: list[str] = []
    shares: list[float] = []
    for i, code in enumerate(bundle.lsoa_values.index):
        if code in counts.index:
            rows = joined[joined["code"] == code]
            xy.extend(zip(rows.geometry.x, rows.geometry.y))
            codes.extend([code] * len(rows))
            labels.extend(rows["postcode"])
            shares.extend([1.0 / len(rows)] * len(rows))
        else:
            xy.append(tuple(bundle.origin_xy[i]))
            codes.append(code)
            labels.append(code)
            shares.append(1.0)
    return Origins(np.array(xy, float), np.array(codes), np.array(shares), "postcode", np.array(labels))


def _lsoa_weights(bundle: Bundle, lsoa_code: np.ndarray) -> np.ndarray:
    """Residents per origin's LSOA (all ages, default year), to weight origins like the
    official distances do (by the residents of each output area)."""
    if bundle.age_tables is not None:
        field = bundle.population_field("all", bundle.age_tables.default_year)
    else:
        field = next(iter(bundle.population_fields))
    return np.asarray(bundle.lsoa_values[field].reindex(lsoa_code).to_numpy(float))
