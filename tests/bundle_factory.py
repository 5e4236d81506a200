"""A tiny hand-built bundle whose answers are worked out by hand in the tests.

Geometry in British National Grid metres relative to (E0, N0):

    ward A = [0, 2000] x [0, 2000]        ward B = [2000, 4000] x [0, 2000]
    L1 = [0, 1000]   (in A)               L3 = [2400, 3000] (in B)
    L2 = [1000, 2400] (1000/1400 in A)    L4 = [3000, 4000] (in B)

Origins (population-weighted centroids): L1 (500,1000) L2 (1500,1000) L3 (2700,1000)
L4 (3500,1000). Children 0-15: 100, 200, 300, 400; total residents 1000 each.
IMD deciles: 1, 2, 5, 9.

Sites: s1 (800,1400) current, s2 (3800,1400) current, s3 (2000,1000) proposed,
s4 current but unlocated. Calibration pairs all have circuity 1.5, so every route is
1.5 x the straight line. Walking speed 4.8 km/h = 80 m/min.
"""

from __future__ import annotations

import json
from pathlib import Path

from pyproj import Transformer

E0, N0 = 500000.0, 200000.0
TO_WGS = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


def lonlat(x, y):
    return TO_WGS.transform(E0 + x, N0 + y)


def _square(x0, x1, y0=0.0, y1=2000.0, wgs=False):
    ring = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
    if wgs:
        return [list(lonlat(x, y)) for x, y in ring]
    return [[E0 + x, N0 + y] for x, y in ring]


WARDS = {"W1": ("Alpha", 0, 2000), "W2": ("Beta", 2000, 4000)}
LSOAS = {"L1": (0, 1000), "L2": (1000, 2400), "L3": (2400, 3000), "L4": (3000, 4000)}
ORIGINS = {"L1": (500, 1000), "L2": (1500, 1000), "L3": (2700, 1000), "L4": (3500, 1000)}
CHILDREN = {"L1": 100, "L2": 200, "L3": 300, "L4": 400}
DECILES = {"L1": 1, "L2": 2, "L3": 5, "L4": 9}
SITES = {  # id: (role, x, y, postcode)
    "s1": ("current_centre", 800, 1400, "AB1 1AA"),
    "s2": ("current_centre", 3800, 1400, "AB1 1AB"),
    "s3": ("proposed_hub", 2000, 1000, "AB1 1AC"),
    "s4": ("current_centre", None, None, ""),
}
POSTCODES = {"AB1 1AA": (800, 1400), "AB1 1AB": (3800, 1400), "AB1 1AC": (2000, 1000), "AB2 2BB": (1500, 1000)}

MANIFEST = """
[area]
name = "Testshire"
projected_crs = "EPSG:27700"
deprivation_decile = "imd_decile"
site_tolerance_m = 500

[layers.wards]
file = "wards.geojson"
key = "code"
name = "name"
crs = "EPSG:27700"

[layers.lsoas]
file = "lsoas.geojson"
key = "code"
name = "name"
crs = "EPSG:27700"

[layers.origins]
file = "origins.csv"
key = "code"
x = "x"
y = "y"
crs = "EPSG:27700"

[layers.population]
file = "population.csv"
key = "code"
fields = { total = "total", age_0_15 = "kids" }
default = "age_0_15"

[layers.postcodes]
file = "postcodes.csv"
postcode = "pc"
x = "e"
y = "n"
crs = "EPSG:27700"

[layers.sites]
file = "sites.csv"
key = "id"
name = "name"
role = "role"
postcode = "postcode"
lat = "lat"
lon = "lon"
confidence = "confidence"
roles = { current_centre = "Current", proposed_hub = "Hub" }

[layers.calibration]
name = "test"
file = "calibration.csv"
straight_km = "s"
network_km = "n"
band_edges_km = [0.0]

[layers.ward_figures]
file = "ward_figures.csv"
ward = "ward"
indicator = "indicator"
value = "value"

[layers.ward_flags]
file = "ward_flags.csv"
flag = "flag"
wards = "wards"
meaning = "meaning"

[tables.imd]
file = "imd.csv"
key = "code"

[aliases.ward]
"Alfa" = "Alpha"

[travel.modes.walk]
label = "Walking"
speed_kmh = 4.8
source = "test"

[need_index]
weights = { imd_decile = 1.0 }

[[scenarios]]
id = "current"
label = "Current"
roles = ["current_centre"]

[[scenarios]]
id = "proposed"
label = "Proposed"
sites = ["s3"]

[[indicators]]
id = "imd_decile"
level = "lsoa"
table = "imd"
column = "decile"
label = "IMD decile"
unit = "decile"
period = "2019"
direction = "lower"
completeness = "complete"
source = "test"

[[indicators]]
id = "score"
level = "lsoa"
table = "imd"
column = "score"
label = "Score"
unit = "share"
period = "2019"
direction = "higher"
completeness = "complete"
source = "test"

[[indicators]]
id = "kids"
level = "lsoa"
table = "population"
column = "kids"
label = "Children"
unit = "people"
period = "2015"
direction = "none"
completeness = "complete"
aggregate = "sum"
source = "test"

[[indicators]]
id = "listed_pct"
level = "ward"
label = "Listed"
unit = "%"
period = "2017"
direction = "lower"
completeness = "listed"
source = "test"

[[indicators]]
id = "count_zero"
level = "ward"
label = "Count"
unit = "n"
period = "2015"
direction = "higher"
completeness = "unlisted_zero"
source = "test"
"""


def _feature_collection(items, wgs=False):
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": code, "name": name},
                "geometry": {"type": "Polygon", "coordinates": [_square(x0, x1, wgs=wgs)]},
            }
            for code, (name, x0, x1) in items.items()
        ],
    }


def make_bundle(folder: Path) -> Path:
    """Write the tiny bundle into ``folder`` and return it."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bundle.toml").write_text(MANIFEST)
    (folder / "wards.geojson").write_text(json.dumps(_feature_collection(WARDS)))
    (folder / "lsoas.geojson").write_text(
        json.dumps(_feature_collection({k: (f"Area {k}", x0, x1) for k, (x0, x1) in LSOAS.items()}))
    )
    (folder / "origins.csv").write_text(
        "code,x,y\n" + "".join(f"{k},{E0 + x},{N0 + y}\n" for k, (x, y) in ORIGINS.items())
    )
    (folder / "population.csv").write_text(
        "code,total,kids\n" + "".join(f"{k},1000,{v}\n" for k, v in CHILDREN.items())
    )
    (folder / "imd.csv").write_text(
        "code,decile,score\n" + "".join(f"{k},{DECILES[k]},{0.1 * (i + 1):.1f}\n" for i, k in enumerate(LSOAS))
    )
    (folder / "postcodes.csv").write_text(
        "pc,e,n\n" + "".join(f"{pc},{E0 + x},{N0 + y}\n" for pc, (x, y) in POSTCODES.items())
    )
    lines = ["id,name,role,postcode,lat,lon,confidence"]
    for sid, (role, x, y, pc) in SITES.items():
        if x is None:
            lines.append(f"{sid},Site {sid},{role},,,,low")
        else:
            lon, lat = lonlat(x, y)
            lines.append(f"{sid},Site {sid},{role},{pc},{lat:.9f},{lon:.9f},high")
    (folder / "sites.csv").write_text("\n".join(lines) + "\n")
    (folder / "calibration.csv").write_text("s,n\n1.0,1.5\n2.0,3.0\n4.0,6.0\n")
    (folder / "ward_figures.csv").write_text("ward,indicator,value\nAlfa,listed_pct,60.5\nBeta,count_zero,3\n")
    (folder / "ward_flags.csv").write_text("flag,wards,meaning\ntarget,Beta,target wards\n")
    return folder


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1))


def make_other_bundle(folder: Path) -> Path:
    """The tiny bundle renamed so that it shares no name with Luton's: other role ids, population
    fields, calibration name, projected CRS (UTM zone 30N), ward names, mode id and speed. Any
    Luton-specific assumption left in the engine or dashboard breaks on it."""
    folder = make_bundle(folder)
    manifest = (
        MANIFEST.replace('name = "Testshire"', 'name = "Otherton"')
        .replace('projected_crs = "EPSG:27700"', 'projected_crs = "EPSG:32630"')
        .replace("current_centre", "clinic")
        .replace("proposed_hub", "new_clinic")
        .replace('fields = { total = "total", age_0_15 = "kids" }', 'fields = { everyone = "total", young = "kids" }')
        .replace('default = "age_0_15"', 'default = "young"')
        .replace('name = "test"\nfile = "calibration.csv"', 'name = "streets"\nfile = "calibration.csv"')
        .replace(
            '[travel.modes.walk]\nlabel = "Walking"\nspeed_kmh = 4.8',
            '[travel]\ndefault_mode = "foot"\ndefault_minutes = 15\n\n[travel.modes.foot]\nlabel = "On foot"\nspeed_kmh = 4.0',
        )
        .replace('"Alfa" = "Alpha"', '"Nord" = "North"')
        .replace(
            'roles = { clinic = "Current", new_clinic = "Hub" }',
            'roles = { clinic = "Clinic today", new_clinic = "New clinic" }',
        )
    )
    (folder / "bundle.toml").write_text(manifest)
    for name in ("wards.geojson",):
        text = (folder / name).read_text().replace('"Alpha"', '"North"').replace('"Beta"', '"South"')
        (folder / name).write_text(text)
    (folder / "ward_figures.csv").write_text("ward,indicator,value\nNord,listed_pct,60.5\nSouth,count_zero,3\n")
    (folder / "ward_flags.csv").write_text("flag,wards,meaning\ntarget,South,target wards\n")
    sites = (folder / "sites.csv").read_text().replace("current_centre", "clinic").replace("proposed_hub", "new_clinic")
    (folder / "sites.csv").write_text(sites)
    return folder


def dashboard_smoke(dash_duo, engine, scenario: str, area_name: str) -> None:
    """Serve ``engine``'s dashboard, see its first map, the Access page's headline for
    ``scenario`` (as the engine computes it), the Sites and About pages, and no browser error."""
    from dashboard import create_app, ids

    covered = engine.coverage(engine.scenario(scenario)).covered
    dash_duo.start_server(create_app(engine=engine))
    dash_duo.wait_for_element(f"#{ids.NEEDS_MAP} .choroplethlocation", timeout=30)
    dash_duo.driver.execute_script("arguments[0].click();", dash_duo.find_element(f"#{ids.page_tab('access')}"))
    dash_duo.wait_for_text_to_equal("#headline-alt .h4", f"{covered:,.0f}", timeout=20)
    assert area_name in dash_duo.driver.title
    for page in ("sites", "about"):
        dash_duo.driver.execute_script("arguments[0].click();", dash_duo.find_element(f"#{ids.page_tab(page)}"))
        dash_duo.wait_for_element(f"#{ids.page_panel(page)}:not([hidden])", timeout=10)
    assert [e for e in dash_duo.get_logs() if "favicon" not in e.get("message", "")] == []


def without_tables(folder: Path, tables: set[str], line: str = "") -> None:
    """Drop whole manifest tables (and one line) from a bundle's bundle.toml."""
    kept, skip = [], False
    for text in (folder / "bundle.toml").read_text().splitlines():
        if text.startswith("["):
            skip = text.strip() in tables
        if not skip and text != line:
            kept.append(text)
    (folder / "bundle.toml").write_text("\n".join(kept) + "\n")


def make_abroad_bundle(folder: Path) -> Path:
    """Recipe 3's hand-written bundle for a place outside the UK: the other bundle (no name of
    Luton's) with accented place names, small areas called by their French name (IRIS), no
    deprivation measure or deprivation indicator, no postcode list, no need index and one ward set
    (its wards). Sites keep their coordinates."""
    folder = make_other_bundle(folder)
    names = {"Otherton": "Saint-Étienne", "North": "Côte-Chaude", "South": "Montreynaud"}
    for name in ("bundle.toml", "wards.geojson", "ward_figures.csv", "ward_flags.csv"):
        text = (folder / name).read_text(encoding="utf-8")
        for old, new in names.items():
            text = text.replace(f'"{old}"', f'"{new}"') if name.endswith(".geojson") else text.replace(old, new)
        (folder / name).write_text(text, encoding="utf-8")
    without_tables(folder, {"[layers.postcodes]", "[need_index]"}, 'deprivation_decile = "imd_decile"')
    manifest = (folder / "bundle.toml").read_text(encoding="utf-8")
    small_areas = '[layers.lsoas]\nfile = "lsoas.geojson"\n'
    assert small_areas in manifest
    manifest = manifest.replace(small_areas, small_areas + 'word = "IRIS"\nplural = "IRIS"\n')
    blocks = manifest.split("\n[[indicators]]\n")
    kept = [blocks[0]] + [b for b in blocks[1:] if 'id = "imd_decile"' not in b]
    (folder / "bundle.toml").write_text("\n[[indicators]]\n".join(kept), encoding="utf-8")
    rows = [line.split(",") for line in (folder / "sites.csv").read_text().splitlines()]
    postcode = rows[0].index("postcode")
    site_names = {"Site s1": "Crèche Sainte-Barbe", "Site s2": "Maison de l'enfance", "Site s3": "Pôle famille"}
    for row in rows[1:]:
        row[postcode] = ""
        row[1] = site_names.get(row[1], row[1])
    (folder / "sites.csv").write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    return folder
