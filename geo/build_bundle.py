"""Build a checked bundle for any authority of a national pack (``python -m geo build-bundle``).

What a built bundle holds, and the rules it follows
---------------------------------------------------
* **The area**: an upper-tier authority (county, unitary, metropolitan or London
  borough) or a lower-tier one (district, unitary, borough), named by code or by name.
* **2021 LSOAs** whose lookup row names the authority, with their boundaries (the
  *current LSOAs* map level), and their **output areas** (population-weighted centroids
  with Census 2021 residents) as the default travel origins.
* **2011 LSOAs**: every 2011 LSOA one of whose 2021 successors is in the area (the pack's
  exact-fit lookup). The 2019 and 2020 population estimates and IoD 2019 are published on
  them; their figures reach the output areas in proportion to residents (``geo.areas``).
  In all England 4 of 32,844 2011 LSOAs straddle two authorities after the 2021 redraw;
  such an LSOA is counted whole in each area that holds a part of it, and named in the
  bundle's PROVENANCE.md.
* **Wards**: the May 2025 wards whose lookup row names the authority. Every origin counts
  in the ward whose polygon holds it (``geo.areas``), so a ward's figures never depend on
  best-fit lookups.
* **Population**: single years 0-19 and the total (``20+`` is the total less those
  single years) for mid-2019 and mid-2020. The default population is children under 5 in
  mid-2019.
* **Deprivation**: IoD 2025 on the 2021 LSOAs (IMD and its seven domains) is the current
  measure: "the most deprived 20%" means IMD 2025 deciles 1-2, and each output area carries
  the values of the 2021 LSOA it nests in. IoD 2019 on the 2011 LSOAs stands beside it
  (IMD and its domains, IDACI, IDAOPI): the pack's IoD 2025 has no IDACI, so the default
  need index, which weighs child income deprivation, is built from IoD 2019.
* **Equality**: Census 2021 ethnic group, religion and disability by 2021 LSOA.
* **Postcodes**: every Code-Point Open postcode within the site buffer (5 km) of the
  authority's outline, so sites just over the border can be placed (they are marked
  outside the area).
* **Schools**: the open state-funded primary schools within 10 km, the facilities of the
  road-distance check; those within the site buffer also as an optimiser candidate file
  (``candidate_schools.csv``: name, lat, lon).
* **Travel**: the national model (``geo.national_travel``), with the authority's own
  IoD 2019 road distances to the nearest primary school as its local check.
* **Sites**: the council's register (``--sites``), checked row by row; without one the
  bundle has no sites. Every bundle has the scenarios ``all_open`` (every site whose
  status is ``open``) and ``none``.

Examples
--------
>>> from geo.pack import default_pack_path, open_pack
>>> resolve_area(open_pack(default_pack_path(), check=False), "luton")
('E06000032', 'Luton', 'unitary')
"""

from __future__ import annotations

import csv
import re
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd

from geo.errors import BundleError, ScenarioError
from geo.pack import Pack

SITE_BUFFER_M = 5000.0
SITE_STATUSES = ("open", "closed", "proposed")
_SLUG = re.compile(r"[^a-z0-9]+")


def resolve_area(pack: Pack, area: str) -> tuple[str, str, str]:
    """(code, name, kind) of an authority named by code or name (any case).

    ``kind`` is the pack's type: county, unitary, metropolitan, london or district.
    Raises ``ScenarioError`` listing close names when nothing matches.
    """
    table = pack.table("lookup_ltla_utla_region")
    wanted = area.strip().lower()
    upper = table.drop_duplicates("utla_code")
    for code, name, kind in zip(upper["utla_code"], upper["utla_name"], upper["utla_type"]):
        if wanted in (code.lower(), name.lower()):
            return code, name, str(kind)
    for code, name in zip(table["ltla_code"], table["ltla_name"]):
        if wanted in (code.lower(), name.lower()):
            return code, name, "district"
    names = sorted(set(table["utla_name"]) | set(table["ltla_name"]))
    close = [n for n in names if wanted[:4] and wanted[:4] in n.lower()][:8]
    hint = f"; did you mean {', '.join(close)}?" if close else "; give an E06/E07/E08/E09/E10 code or a name"
    raise ScenarioError(f"no English authority called {area!r} in the pack{hint}")


class Progress:
    """A one-line progress bar on standard error: ``[####......] 4/10 postcodes (3.1 s)``."""

    def __init__(self, steps: int, stream: TextIO | None = None, enabled: bool = True) -> None:
        self.steps, self.done, self.start = steps, 0, time.perf_counter()
        self.stream = stream or sys.stderr
        self.enabled = enabled

    def step(self, what: str) -> None:
        """Mark one step done and redraw."""
        self.done += 1
        if not self.enabled:
            return
        filled = round(20 * self.done / self.steps)
        elapsed = time.perf_counter() - self.start
        end = "\n" if self.done == self.steps else ""
        print(
            f"\r[{'#' * filled}{'.' * (20 - filled)}] {self.done}/{self.steps} {what:<40} ({elapsed:.1f} s)",
            end=end,
            file=self.stream,
            flush=True,
        )


def build_bundle(
    pack: Pack,
    area: str,
    out: Path,
    sites: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Write the bundle of ``area`` to ``out`` and return a summary (counts per layer).

    ``out`` must be empty or absent. Errors: ``ScenarioError`` for an unknown area or a
    folder that is not empty; ``BundleError`` naming the sites file, row and field.

    Luton from the shipped pack, with its 121 2011 LSOAs, 125 2021 LSOAs and 20 wards:

    >>> import tempfile
    >>> from geo.pack import default_pack_path, open_pack
    >>> summary = build_bundle(open_pack(default_pack_path()), "E06000032", Path(tempfile.mkdtemp()) / "luton")
    >>> summary["lsoa11"], summary["lsoa21"], summary["wards"], summary["sites"]
    (121, 125, 20, 0)
    """
    step = progress or (lambda what: None)
    code, name, kind = resolve_area(pack, area)
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise ScenarioError(f"--out {out}: the folder is not empty; name a new folder")
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    try:
        return _build(pack, code, name, kind, out, sites, step)
    except BaseException:
        # a build that stops (a bad register row, an interrupt) leaves no half-written bundle:
        # the folder was new or empty, so the same command works again once the cause is fixed
        if created:
            shutil.rmtree(out, ignore_errors=True)
        else:
            for entry in out.iterdir():
                if entry.is_dir():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
        raise


def _build(
    pack: Pack, code: str, name: str, kind: str, out: Path, sites: Path | None, step: Callable[[str], None]
) -> dict[str, Any]:
    """The build itself, into an existing empty folder (``build_bundle`` cleans up after a failure)."""

    lookup21 = pack.table("lookup_lsoa21_ward2025_ltla_utla")
    column = "ltla_code" if kind == "district" else "utla_code"
    mine21 = lookup21[lookup21[column] == code]
    lsoa21 = sorted(mine21["lsoa21_code"])
    lookup = pack.table("lookup_lsoa11_lsoa21")
    pairs = lookup[lookup["lsoa21_code"].isin(set(lsoa21))][["lsoa11_code", "lsoa21_code", "chgind"]]
    lsoa11 = sorted(set(pairs["lsoa11_code"]))
    everywhere = lookup[lookup["lsoa11_code"].isin(set(lsoa11))]
    straddling = sorted(set(everywhere.loc[~everywhere["lsoa21_code"].isin(set(lsoa21)), "lsoa11_code"]))
    step("geography")

    wards_table = pack.table("lookup_ward2025_ltla_utla")
    wards_table = wards_table[wards_table[column] == code]
    ward_shapes = pack.geometries("boundaries_wards_may2025_bgc")
    ward_shapes = ward_shapes[ward_shapes["WD25CD"].isin(set(wards_table["wd25_code"]))].copy()
    ward_shapes["WD25NM"] = ward_shapes["WD25CD"].map(dict(zip(wards_table["wd25_code"], wards_table["wd25_name"])))
    ward_shapes[["WD25CD", "WD25NM", "geometry"]].to_file(out / "wards_2025.geojson", driver="GeoJSON")
    shapes11 = pack.geometries("boundaries_lsoa11_bgc")
    shapes11 = shapes11[shapes11["LSOA11CD"].isin(set(lsoa11))].copy()
    names11 = pack.table("centroids_lsoa11_pwc")
    names11 = names11[names11["lsoa11_code"].isin(set(lsoa11))]
    shapes11["LSOA11NM"] = shapes11["LSOA11CD"].map(dict(zip(names11["lsoa11_code"], names11["lsoa11_name"])))
    shapes11[["LSOA11CD", "LSOA11NM", "geometry"]].to_file(out / "lsoa_2011.geojson", driver="GeoJSON")
    shapes21 = pack.geometries("boundaries_lsoa21_bgc")
    shapes21 = shapes21[shapes21["LSOA21CD"].isin(set(lsoa21))].copy()
    shapes21["LSOA21NM"] = shapes21["LSOA21CD"].map(dict(zip(mine21["lsoa21_code"], mine21["lsoa21_name"])))
    shapes21[["LSOA21CD", "LSOA21NM", "geometry"]].to_file(out / "lsoa_2021.geojson", driver="GeoJSON")
    names11[["lsoa11_code", "lon", "lat"]].sort_values("lsoa11_code").to_csv(out / "lsoa11_pwc.csv", index=False)
    pairs[["lsoa11_code", "lsoa21_code"]].sort_values(["lsoa11_code", "lsoa21_code"]).to_csv(
        out / "lookup_lsoa11_lsoa21.csv", index=False
    )
    areas = pack.table("centroids_oa21_pwc_population")
    areas = areas[areas["lsoa21_code"].isin(set(lsoa21))]
    areas[["oa21_code", "lsoa21_code", "lon", "lat", "usual_residents_2021"]].sort_values("oa21_code").to_csv(
        out / "oa21_pwc_population.csv", index=False
    )
    step("boundaries and origins")

    population = pack.table("population_sape_lsoa11_mid2019_mid2020_age0_19")
    population = population[population["lsoa11_code"].isin(set(lsoa11))]
    by_year: dict[int, pd.DataFrame] = {}
    for year, rows in population.groupby("year"):
        table = rows.sort_values("lsoa11_code")
        frame = pd.DataFrame({"lsoa11_code": table["lsoa11_code"], "total": table["total"]})
        for age in range(20):
            frame[str(age)] = table[f"age_{age}"].to_numpy()
        frame["20+"] = table["total"].to_numpy() - table[[f"age_{a}" for a in range(20)]].sum(axis=1).to_numpy()
        frame.to_csv(out / f"population_mid{year}_lsoa11.csv", index=False)
        by_year[int(year)] = frame
    years = sorted(by_year)
    latest = by_year[years[0]]  # the default year's totals and children 0-15
    pd.DataFrame(
        {
            "lsoa11_code": latest["lsoa11_code"],
            "total": latest["total"],
            "age_0_15": latest[[str(a) for a in range(16)]].sum(axis=1),
        }
    ).to_csv(out / "population_lsoa11.csv", index=False)
    step("population")

    iod = pack.table("iod2019_lsoa11")
    iod[iod["lsoa11_code"].isin(set(lsoa11))].sort_values("lsoa11_code").to_csv(out / "iod2019_lsoa11.csv", index=False)
    iod25 = pack.table("iod2025_lsoa21", ["lsoa21_code", *_IOD2025_COLUMNS])
    iod25[iod25["lsoa21_code"].isin(set(lsoa21))].sort_values("lsoa21_code").to_csv(
        out / "iod2025_lsoa21.csv", index=False
    )
    census = pack.table("census2021_lsoa21_ethnicity_religion_disability")
    # Census 2021 residents by six age groups beside them (indicators on the 2021 LSOAs), with their
    # own total (the sum of the groups): each Census table's total differs from the others by a few people
    ages = pack.table("population_census2021_lsoa21_age6").rename(columns={"total": "age_total"})
    census = census.merge(ages, on="lsoa21_code", how="left", validate="one_to_one")
    census[census["lsoa21_code"].isin(set(lsoa21))].sort_values("lsoa21_code").to_csv(
        out / "census2021_lsoa21.csv", index=False
    )
    step("deprivation and equality")

    outline = _outline(pack, code, kind)
    postcodes = pack.table("postcodes_england_codepoint_open_2025_4", ["postcode", "easting", "northing"])
    near = _within(postcodes, outline, SITE_BUFFER_M)
    near.sort_values("postcode").to_csv(out / "postcodes.csv", index=False)
    step("postcodes")

    from geo.national_travel import state_primary_schools

    schools = state_primary_schools(pack.table("schools_gias_open_england_20250524"))
    schools = _within(schools, outline, SITE_BUFFER_M + 5000.0)  # a school just over the border is nearest too
    schools[["urn", "name", "phase", "type", "easting", "northing", "ltla_code"]].to_csv(
        out / "primary_schools_2025.csv", index=False
    )
    # the schools where a site may stand (within the site buffer), as an optimiser candidate file:
    # python -m geo --bundle DIR optimise --candidates DIR/candidate_schools.csv
    candidates = _within(schools, outline, SITE_BUFFER_M)
    candidates[["name", "lat", "lon", "urn", "phase"]].sort_values("urn").to_csv(
        out / "candidate_schools.csv", index=False
    )
    road = pack.table("iod2019_road_distances_lsoa11", ["lsoa11_code", "road_km_primary_school"])
    road = road[road["lsoa11_code"].isin(set(lsoa11)) & (road["road_km_primary_school"] > 0)]
    road.sort_values("lsoa11_code").to_csv(out / "iod2019_road_km_primary_school.csv", index=False)
    step("schools and road distances")

    from geo.national_travel import model_toml

    model = _national_model(pack)
    step("travel model")

    register = _read_register(sites, near) if sites is not None else []
    _write_sites(register, out / "sites.csv")
    step("sites")

    manifest = _manifest(code, name, years, register, model_toml(model), len(road))
    (out / "bundle.toml").write_text(manifest, encoding="utf-8")
    (out / "PROVENANCE.md").write_text(_provenance(code, name, pack, straddling, sites), encoding="utf-8")
    step("manifest")
    return {
        "code": code,
        "name": name,
        "kind": kind,
        "lsoa21": len(lsoa21),
        "lsoa11": len(lsoa11),
        "output_areas": len(areas),
        "wards": len(ward_shapes),
        "postcodes": len(near),
        "sites": len(register),
        "straddling_lsoa11": straddling,
        "road_distances": len(road),
    }


STEPS = 9


_MODEL_CACHE: dict[str, dict[str, Any]] = {}


def _national_model(pack: Pack) -> dict[str, Any]:
    """The national fit with its cross-validation (5 s; kept for the process)."""
    from geo.national_travel import calibration_sample, cross_validate

    key = str(pack.path)
    if key not in _MODEL_CACHE:
        _MODEL_CACHE[key] = cross_validate(calibration_sample(pack))
    return _MODEL_CACHE[key]


def _outline(pack: Pack, code: str, kind: str) -> Any:
    """The authority's outline in British National Grid metres (one shapely geometry)."""
    if kind == "district":
        shapes = pack.geometries("boundaries_ltla_may2025_from_wards")
        shapes = shapes[shapes["LAD25CD"] == code]
    else:
        shapes = pack.geometries("boundaries_utla_from_wards")
        shapes = shapes[shapes["UTLACD"] == code]
    return shapes.to_crs("EPSG:27700").union_all()


def _within(frame: pd.DataFrame, outline: Any, buffer_m: float) -> pd.DataFrame:
    """Rows whose easting/northing lie within ``buffer_m`` of the outline."""
    import shapely

    frame = frame[frame["easting"].notna() & frame["northing"].notna()]
    minx, miny, maxx, maxy = outline.bounds
    box = frame[
        (frame["easting"] >= minx - buffer_m)
        & (frame["easting"] <= maxx + buffer_m)
        & (frame["northing"] >= miny - buffer_m)
        & (frame["northing"] <= maxy + buffer_m)
    ]
    region = shapely.buffer(outline, buffer_m)
    shapely.prepare(region)
    inside = shapely.contains_xy(region, box["easting"].to_numpy(float), box["northing"].to_numpy(float))
    return box[inside]


# -- the council's register --------------------------------------------------------------

REGISTER_COLUMNS = ("name", "role", "status")


def _register_rows(path: Path) -> tuple[list[dict[str, Any]], str]:
    """The register's rows as stripped strings, its columns checked."""
    label = path.name
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            rows = list(reader)
            header = [h.strip() for h in reader.fieldnames or []]
    except FileNotFoundError:
        raise ScenarioError(f"--sites {path}: no such file") from None
    except UnicodeDecodeError:
        raise BundleError("is not UTF-8 text (save it as CSV UTF-8)", file=label) from None
    for column in REGISTER_COLUMNS:
        if column not in header:
            raise BundleError(
                f"missing column {column!r}; the register needs name, role, status and a postcode or lat and lon",
                file=label,
            )
    if "postcode" not in header and not {"lat", "lon"} <= set(header):
        raise BundleError("needs a postcode column or lat and lon columns", file=label)
    cleaned = [{k.strip(): (v or "").strip() for k, v in raw.items() if k is not None} for raw in rows]
    # a line with no value at all (spreadsheets often end with some) is no site; it keeps its line number
    return [row if any(row.values()) else {} for row in cleaned], label


def _check_words(row: dict[str, Any], label: str, line: int) -> tuple[str, str, str]:
    """Name, role and status of one row, or a BundleError naming its line and column."""
    name = row.get("name", "")
    if not name:
        raise BundleError("is blank", file=label, row=line, field="name")
    if any(ord(ch) < 32 for ch in name) or name[:1] in "=+-@":
        raise BundleError(
            "must not start with =, +, - or @ nor hold control characters", file=label, row=line, field="name"
        )
    role = row.get("role", "")
    if not re.fullmatch(r"[A-Za-z0-9_ -]{1,40}", role):
        raise BundleError("must be a short name (letters, digits, spaces, - or _)", file=label, row=line, field="role")
    status = row.get("status", "").lower()
    if status not in SITE_STATUSES:
        raise BundleError(
            f"{row.get('status', '')!r} is not one of {', '.join(SITE_STATUSES)}", file=label, row=line, field="status"
        )
    capacity = row.get("capacity", "").replace(",", "")
    if capacity:
        try:
            negative = float(capacity) < 0
        except ValueError:
            negative = True
        if negative:
            raise BundleError(
                f"capacity {row['capacity']!r} must be a number 0 or more", file=label, row=line, field="capacity"
            )
    return name, role, status


def _locate(
    row: dict[str, Any], label: str, line: int, by_postcode: pd.DataFrame, to_lonlat: Any
) -> tuple[float, float, str, str]:
    """(lat, lon, postcode, where the location came from); NaN when the row has none."""
    from geo.readers import normalise_postcode

    lat, lon, postcode = row.get("lat", ""), row.get("lon", ""), row.get("postcode", "")
    if postcode:
        try:
            postcode = normalise_postcode(postcode)
        except ScenarioError as exc:
            raise BundleError(str(exc), file=label, row=line, field="postcode") from None
    if lat or lon:
        try:
            return float(lat), float(lon), postcode, "coordinates from the council's register"
        except ValueError:
            raise BundleError(
                f"lat {lat!r} and lon {lon!r} must both be numbers", file=label, row=line, field="lat"
            ) from None
    if postcode:
        if postcode not in by_postcode.index:
            raise BundleError(
                f"postcode {postcode} is not in Code-Point Open within {SITE_BUFFER_M / 1000:g} km of the area",
                file=label,
                row=line,
                field="postcode",
            )
        e, n = by_postcode.loc[postcode, ["easting", "northing"]]
        lon_f, lat_f = to_lonlat.transform(float(e), float(n))
        return (
            lat_f,
            lon_f,
            postcode,
            f"OS Code-Point Open 2025.4 postcode-unit centroid of {postcode} (E {e:.0f}, N {n:.0f})",
        )
    # no sourced location: kept, listed as unlocated and left out of distances
    return float("nan"), float("nan"), "", "no location in the council's register"


def _read_register(path: Path, postcodes: pd.DataFrame) -> list[dict[str, Any]]:
    """The council's sites file, checked row by row (file, line and column in every error)."""
    from pyproj import Transformer

    rows, label = _register_rows(Path(path))
    to_lonlat = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    by_postcode = postcodes.set_index("postcode")
    seen: set[str] = set()
    register = []
    for i, row in enumerate(rows):
        line = i + 2  # the line in the file (header = 1), as every bundle error says
        if not row:
            continue
        name, role, status = _check_words(row, label, line)
        site_id = row.get("site_id") or _SLUG.sub("_", name.lower()).strip("_")[:40] or f"site_{line}"
        if site_id in seen:
            raise BundleError(f"site id {site_id!r} is used twice (give a site_id column)", file=label, row=line)
        seen.add(site_id)
        lat, lon, postcode, source = _locate(row, label, line, by_postcode, to_lonlat)
        register.append(
            {
                "site_id": site_id,
                "name": name,
                "role": role,
                "role_label": row.get("role_label", "") or role,
                "status": status,
                "address": row.get("address", ""),
                "postcode": postcode,
                "lat": "" if np.isnan(lat) else round(lat, 6),
                "lon": "" if np.isnan(lon) else round(lon, 6),
                "coord_source": source,
                "capacity": row.get("capacity", "").replace(",", ""),
                "notes": row.get("notes", ""),
            }
        )
    return register


def _write_sites(register: list[dict[str, Any]], path: Path) -> None:
    columns = [
        "site_id",
        "name",
        "role",
        "status",
        "address",
        "postcode",
        "lat",
        "lon",
        "coord_source",
        "capacity",
        "notes",
    ]
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(register)


# -- the manifest ----------------------------------------------------------------------------


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


_IOD2025_RANK = "rank of 33,755 (1 = most deprived)"
_CENSUS_AGE_GROUPS = (
    # the pack's six Census 2021 age groups (its own column names and bounds)
    ("age_0_15", "aged 15 and under"),
    ("age_16_24", "aged 16 to 24"),
    ("age_25_34", "aged 25 to 34"),
    ("age_35_49", "aged 35 to 49"),
    ("age_50_64", "aged 50 to 64"),
    ("age_65_plus", "aged 65 and over"),
)

_IOD2025_INDICATORS = (
    # id, column, label, unit, direction, aggregate (on the 2021 LSOAs; ranks of 33,755)
    ("imd2025_decile", "imd_decile", "IMD 2025 decile", "decile (1 = most deprived 10% in England)", "lower", "median"),
    ("imd2025_rank", "imd_rank", "IMD 2025 rank", _IOD2025_RANK, "lower", "median"),
    ("imd2025_score", "imd_score", "IMD score (IoD 2025)", "score (higher = more deprived)", "higher", None),
    (
        "income2025_score",
        "income_score",
        "Income deprivation score (IoD 2025)",
        "share of residents income-deprived",
        "higher",
        None,
    ),
    ("income2025_rank", "income_rank", "Income deprivation rank (IoD 2025)", _IOD2025_RANK, "lower", "median"),
    (
        "employment2025_rank",
        "employment_rank",
        "Employment deprivation rank (IoD 2025)",
        _IOD2025_RANK,
        "lower",
        "median",
    ),
    (
        "education2025_rank",
        "education_rank",
        "Education, skills and training deprivation rank (IoD 2025)",
        _IOD2025_RANK,
        "lower",
        "median",
    ),
    (
        "health2025_rank",
        "health_rank",
        "Health deprivation and disability rank (IoD 2025)",
        _IOD2025_RANK,
        "lower",
        "median",
    ),
    ("crime2025_rank", "crime_rank", "Crime rank (IoD 2025)", _IOD2025_RANK, "lower", "median"),
    (
        "barriers2025_rank",
        "barriers_rank",
        "Barriers to housing and services rank (IoD 2025)",
        _IOD2025_RANK,
        "lower",
        "median",
    ),
    ("environment2025_rank", "living_env_rank", "Living environment rank (IoD 2025)", _IOD2025_RANK, "lower", "median"),
)
_IOD2025_COLUMNS = sorted({column for _, column, *_ in _IOD2025_INDICATORS})

_IOD_INDICATORS = (
    # id, column, label, unit, direction, aggregate
    ("imd_decile", "imd_decile", "IMD 2019 decile", "decile (1 = most deprived 10% in England)", "lower", "median"),
    ("imd_rank", "imd_rank", "IMD 2019 rank", "rank of 32,844 (1 = most deprived)", "lower", "median"),
    (
        "income_score",
        "income_score",
        "Income deprivation score (IoD 2019)",
        "share of residents income-deprived",
        "higher",
        None,
    ),
    (
        "idaci_score",
        "idaci_score",
        "Income deprivation affecting children (IDACI)",
        "share of children 0-15 in income-deprived families",
        "higher",
        None,
    ),
    ("idaci_decile", "idaci_decile", "IDACI decile", "decile (1 = most deprived)", "lower", "median"),
    (
        "income_rank",
        "income_rank",
        "Income deprivation rank (IoD 2019)",
        "rank of 32,844 (1 = most deprived)",
        "lower",
        "median",
    ),
    (
        "employment_rank",
        "employment_rank",
        "Employment deprivation rank (IoD 2019)",
        "rank of 32,844 (1 = most deprived)",
        "lower",
        "median",
    ),
    (
        "education_rank",
        "education_rank",
        "Education, skills and training deprivation rank (IoD 2019)",
        "rank of 32,844 (1 = most deprived)",
        "lower",
        "median",
    ),
    (
        "health_rank",
        "health_rank",
        "Health deprivation and disability rank (IoD 2019)",
        "rank of 32,844 (1 = most deprived)",
        "lower",
        "median",
    ),
    ("crime_rank", "crime_rank", "Crime rank (IoD 2019)", "rank of 32,844 (1 = most deprived)", "lower", "median"),
    (
        "housing_access_rank",
        "barriers_rank",
        "Barriers to housing and services rank (IoD 2019)",
        "rank of 32,844 (1 = most deprived)",
        "lower",
        "median",
    ),
    (
        "environment_rank",
        "living_env_rank",
        "Living environment rank (IoD 2019)",
        "rank of 32,844 (1 = most deprived)",
        "lower",
        "median",
    ),
    (
        "idaopi_score",
        "idaopi_score",
        "Income deprivation affecting older people (IDAOPI)",
        "share of people 60+ income-deprived",
        "higher",
        None,
    ),
)


def _manifest(
    code: str, name: str, years: Any, register: list[dict[str, Any]], model_table: Any, road_rows: Any
) -> str:
    roles: dict[str, str] = {}
    for site in register:
        roles.setdefault(site["role"], site["role_label"])
    open_sites = [s["site_id"] for s in register if s["status"] == "open"]
    lines = [
        f"# Needs Map data bundle: {name} ({code}), built by `python -m geo build-bundle` from the national pack.",
        "# Provenance, licences and attribution for every file: PROVENANCE.md.",
        "",
        "[area]",
        f"name = {_toml_string(name)}",
        f'code = "{code}"',
        'deprivation_decile = "imd2025_decile"',
        'projected_crs = "EPSG:27700"',
        'comparator = "England"',
        f'vintage = "Wards May 2025 · LSOAs 2011 and 2021 · IoD 2025 and 2019 · ONS population mid-{"/".join(str(y) for y in years)} · Census 2021 · postcodes: Code-Point Open 2025.4"',
        f"site_buffer_m = {SITE_BUFFER_M:g}",
        "boundary_tolerance_m = 50",
        "attribution = [",
        # the pack's own attribution lines (data/england/SOURCE_PROVENANCE.md), word for word
        '  "Source: Office for National Statistics licensed under the Open Government Licence v3.0. Contains OS data © Crown copyright and database right 2011-2025.",',
        '  "Contains public sector information licensed under the Open Government Licence v3.0. Source: Ministry of Housing, Communities and Local Government, English Indices of Deprivation 2025.",',
        '  "Contains public sector information licensed under the Open Government Licence v3.0. Source: Ministry of Housing, Communities and Local Government, English Indices of Deprivation 2019.",',
        '  "Contains OS data © Crown copyright and database right 2025. Contains Royal Mail data © Royal Mail copyright and database right 2025. Contains National Statistics data © Crown copyright and database right 2025. (OS Code-Point Open, Open Government Licence v3.0 / OS OpenData terms.)",',
        '  "Contains public sector information licensed under the Open Government Licence v3.0. Source: Department for Education, Get Information About Schools.",',
        "]",
        "",
        "[layers.wards]",
        'file = "wards_2025.geojson"',
        'key = "WD25CD"',
        'name = "WD25NM"',
        'crs = "EPSG:4326"',
        'label = "Electoral wards (May 2025)"',
        "",
        "[layers.lsoas]",
        'file = "lsoa_2011.geojson"',
        'key = "LSOA11CD"',
        'name = "LSOA11NM"',
        'crs = "EPSG:4326"',
        'label = "Lower Layer Super Output Areas (December 2011)"',
        'word = "LSOA"',
        'plural = "LSOAs"',
        'level_label = "LSOAs (2011)"',
        "",
        "[layers.origins]",
        'file = "lsoa11_pwc.csv"',
        'key = "lsoa11_code"',
        'x = "lon"',
        'y = "lat"',
        'crs = "EPSG:4326"',
        "",
        "[layers.population_by_age]",
        'key = "lsoa11_code"',
        'total = "total"',
        "max_single_age = 19",
        'open_column = "20+"',
        'bands = ["0-4", "0-15", "0-19", "all"]',
        'default_ages = "0-4"',
        f"default_year = {min(years)}",
        'source = "ONS small area population estimates (mid-year, single year of age 0-19 and total)"',
        "years = [",
        *[f'  {{ year = {y}, file = "population_mid{y}_lsoa11.csv" }},' for y in years],
        "]",
        "",
        "[layers.output_areas]",
        'file = "oa21_pwc_population.csv"',
        'key = "oa21_code"',
        'parent = "lsoa21_code"',
        'x = "lon"',
        'y = "lat"',
        'crs = "EPSG:4326"',
        'residents = "usual_residents_2021"',
        "",
        "[layers.lsoa_lookup]",
        'file = "lookup_lsoa11_lsoa21.csv"',
        'old = "lsoa11_code"',
        'new = "lsoa21_code"',
        "",
        "[layers.lsoas_current]",
        'file = "lsoa_2021.geojson"',
        'key = "LSOA21CD"',
        'name = "LSOA21NM"',
        'crs = "EPSG:4326"',
        'label = "LSOAs (2021)"',
        'word = "2021 LSOA"',
        'plural = "2021 LSOAs"',
        "",
        "[layers.population]",
        'file = "population_lsoa11.csv"',
        'key = "lsoa11_code"',
        'fields = { total = "total", age_0_15 = "age_0_15" }',
        'default = "age_0_15"',
        f'labels = {{ total = "All residents (mid-{min(years)})", age_0_15 = "Children aged 0-15 (mid-{min(years)})" }}',
        "",
        "[layers.postcodes]",
        'file = "postcodes.csv"',
        'postcode = "postcode"',
        'x = "easting"',
        'y = "northing"',
        'crs = "EPSG:27700"',
        "",
        "[layers.sites]",
        'file = "sites.csv"',
        'key = "site_id"',
        'name = "name"',
        'role = "role"',
        'address = "address"',
        'postcode = "postcode"',
        'lat = "lat"',
        'lon = "lon"',
        'source = "coord_source"',
        'notes = "notes"',
        'capacity = "capacity"',
        "roles = { " + ", ".join(f"{_toml_string(k)} = {_toml_string(v)}" for k, v in roles.items()) + " }",
        "",
    ]
    if road_rows >= 10:
        lines += [
            "[layers.road_check]",
            f'name = "road distance to the nearest primary school (IoD 2019, {road_rows} LSOAs)"',
            'file = "iod2019_road_km_primary_school.csv"',
            'key = "lsoa11_code"',
            'km = "road_km_primary_school"',
            'facilities = "primary_schools_2025.csv"',
            'facility_x = "easting"',
            'facility_y = "northing"',
            'facility_crs = "EPSG:27700"',
            'source = "MHCLG English Indices of Deprivation 2019, File 8; DfE Get Information About Schools, open state-funded primary schools, 24 May 2025"',
            "",
        ]
    lines += [
        "[tables.iod2025]",
        'file = "iod2025_lsoa21.csv"',
        'key = "lsoa21_code"',
        "",
        "[tables.census2021]",
        'file = "census2021_lsoa21.csv"',
        'key = "lsoa21_code"',
        "",
        "[tables.iod2019]",
        'file = "iod2019_lsoa11.csv"',
        'key = "lsoa11_code"',
        "",
        "[travel]",
        'default_mode = "walk"',
        "default_minutes = 20",
        'default_origins = "output_areas"',
        "[travel.modes.walk]",
        'label = "Walking"',
        'phrase = "walk"',
        "speed_kmh = 4.8",
        'source = "Thurrock accessibility study"',
        "[travel.modes.cycle]",
        'label = "Cycling"',
        'phrase = "journey by cycling"',
        "speed_kmh = 16.0",
        'source = "Thurrock accessibility study"',
        "[travel.modes.car]",
        'label = "Car"',
        'phrase = "journey by car"',
        "speed_kmh = 25.0",
        'source = "Assumption: 25 km/h average urban speed, not from a published source; change with --car-kmh"',
        "assumption = true",
        "",
        model_table,
        "[dashboard]",
        "# A new visitor starts from every open site, compared with the same: closing sites shows who loses.",
        'start_scenario = "all_open"',
        'compare_with = "all_open"',
        "",
        "[need_index]",
        "# Default weights: child income deprivation (IDACI) half, overall deprivation (IMD rank) and",
        "# income deprivation a quarter each; the same three measures exist for every English LSOA.",
        "# From IoD 2019, the one vintage in the pack with IDACI (its IoD 2025 has none).",
        "weights = { idaci_score = 0.5, imd_rank = 0.25, income_score = 0.25 }",
        'candidates = ["idaci_score", "income_score", "imd_rank", "employment_rank", "education_rank", "health_rank",',
        '              "crime_rank", "housing_access_rank", "environment_rank", "idaopi_score"]',
        "",
        "[[scenarios]]",
        'id = "all_open"',
        'label = "All open sites"',
        'description = "Every site of the register whose status is open."',
        "sites = [" + ", ".join(_toml_string(s) for s in open_sites) + "]",
        "",
        "[[scenarios]]",
        'id = "none"',
        'label = "No sites"',
        'description = "No site open: the starting point for placing sites from scratch."',
        "sites = []",
        "",
    ]
    vintages = (
        # IoD 2025 first: the current measure, and the Needs map's first indicator after the need index
        (_IOD2025_INDICATORS, "lsoa_current", "iod2025", "IoD 2025", "2025", "humaniverse/IMD"),
        (
            _IOD_INDICATORS,
            "lsoa",
            "iod2019",
            "IoD 2019",
            "2019",
            "humaniverse/IMD and samuel-book/stroke_unit_demographics",
        ),
    )
    for indicators, level, table_id, period, year, repos in vintages:
        for ident, column, label, unit, direction, aggregate in indicators:
            lines += [
                "[[indicators]]",
                f'id = "{ident}"',
                f'level = "{level}"',
                f'table = "{table_id}"',
                f'column = "{column}"',
                f"label = {_toml_string(label)}",
                f"unit = {_toml_string(unit)}",
                *([f'aggregate = "{aggregate}"'] if aggregate else []),
                f'period = "{period}"',
                f'direction = "{direction}"',
                'completeness = "complete"',
                f'source = "MHCLG English Indices of Deprivation {year} (national pack: {repos})"',
                "",
            ]
    for column, ages in _CENSUS_AGE_GROUPS:
        # counts of usual residents, summed over a ward (an LSOA split by a ward shared by residents)
        lines += [
            "[[indicators]]",
            f'id = "census2021_{column}"',
            'level = "lsoa_current"',
            'table = "census2021"',
            f'column = "{column}"',
            f"label = {_toml_string(f'Residents {ages} (Census 2021)')}",
            'unit = "usual residents"',
            'aggregate = "sum"',
            'period = "Census 2021"',
            'direction = "none"',  # a count of people, not a measure of need
            'completeness = "complete"',
            'source = "ONS Census 2021, usual residents by age, 6 groups (national pack: cwthom/hack25usefuldata)"',
            "",
        ]
    equality = (
        (
            "ethnicity_2021",
            "Ethnic group (Census 2021, 5 broad groups)",
            "eth_total",
            "TS021",
            {
                "eth_asian": "Asian, Asian British or Asian Welsh",
                "eth_black": "Black, Black British, Black Welsh, Caribbean or African",
                "eth_mixed": "Mixed or Multiple ethnic groups",
                "eth_white": "White",
                "eth_other": "Other ethnic group",
            },
        ),
        (
            "religion_2021",
            "Religion (Census 2021)",
            "rel_total",
            "TS030",
            {
                "rel_christian": "Christian",
                "rel_muslim": "Muslim",
                "rel_no_religion": "No religion",
                "rel_hindu": "Hindu",
                "rel_sikh": "Sikh",
                "rel_buddhist": "Buddhist",
                "rel_jewish": "Jewish",
                "rel_other_religion": "Other religion",
                "rel_not_answered": "Not answered",
            },
        ),
        (
            "disability_2021",
            "Disability (Census 2021)",
            "dis_total",
            "TS038",
            {
                "dis_disabled": "Disabled under the Equality Act",
                "dis_not_disabled": "Not disabled",
            },
        ),
    )
    for ident, label, total, table, groups in equality:
        lines += [
            f"[equality.{ident}]",
            f"label = {_toml_string(label)}",
            'file = "census2021_lsoa21.csv"',
            'key = "lsoa21_code"',
            'geography = "lsoa_current"',
            f'total = "{total}"',
            'counts = "residents"',
            "year = 2021",
            f'source = "ONS Census 2021 {table} (national pack)"',
            "sum_tolerance = 0.005",
            "groups = { " + ", ".join(f"{_toml_string(k)} = {_toml_string(v)}" for k, v in groups.items()) + " }",
            "",
        ]
    return "\n".join(lines)


def _provenance(code: str, name: str, pack: Pack, straddling: list[str], sites: Path | None) -> str:
    files = pack.files
    rows = "\n".join(
        f"| {entry['file']} | {entry['source_file']} | `{entry['sha256'][:16]}…` |" for entry in files.values()
    )
    straddle = (
        f"{len(straddling)} 2011 LSOA(s) straddle the authority's boundary after the 2021 redraw and are counted whole "
        f"here: {', '.join(straddling)}."
        if straddling
        else "No 2011 LSOA of this area straddles its boundary."
    )
    register = (
        f"Sites: the council's register `{Path(sites).name}`, located by its coordinates or by the Code-Point Open "
        "centroid of its postcode (each row's `coord_source` says which)."
        if sites
        else "Sites: none. Add the council's register with `python -m geo build-bundle ... --sites FILE.csv`."
    )
    return f"""# Provenance: {name} ({code})

Built by `python -m geo build-bundle` from the national pack shipped in `data/england/`
(Parquet copies of the England data pack; see `data/england/SOURCE_PROVENANCE.md` for every
source, licence and checksum). Files used (pack file, its source, checksum checked before use):

| pack file | source file | sha256 |
|---|---|---|
{rows}

{straddle}

Deprivation: IoD 2025 (on 2021 LSOAs) is the current measure ("the most deprived 20%" is
IMD 2025 deciles 1-2; each output area carries its 2021 LSOA's values). IoD 2019 (on 2011
LSOAs) stands beside it; the default need index uses it, because the pack's IoD 2025 has no
IDACI.

{register}

Attribution: see `attribution` in bundle.toml.
"""
