"""About the data: sources and attribution, method, and known gaps."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html


def _provenance_summary(engine) -> str:
    path = engine.bundle.path / "PROVENANCE.md"
    if not path.is_file():
        return "This bundle has no PROVENANCE.md."
    text = path.read_text(encoding="utf-8").split("\n---", 1)[0]
    # The file's own title duplicates the page heading.
    return "\n".join(line for line in text.splitlines() if not line.startswith("# "))


def layout(engine) -> html.Div:
    bundle = engine.bundle
    d = engine.detour
    bands = "; ".join(f"{b['median_straight_km']:.1f} km: ×{b['circuity']:.2f} ({b['pairs']} pairs)" for b in d.describe())
    modes = "; ".join(f"{m.label} {m.speed_kmh:g} km/h ({m.source})" for m in engine.modes.values())
    unlocated = ", ".join(bundle.sites.loc[s, "name"] for s in bundle.unlocated_site_ids) or "none"
    pop_fields = "; ".join(bundle.population_fields.values())
    method = f"""
### Method

* **Origins.** Each LSOA's population-weighted centroid stands for everyone living in it, weighted by its
  population ({pop_fields}). Coverage is the population whose nearest open site is within the threshold.
* **Distance.** Straight-line distance in British National Grid metres, turned into an estimated route length with a
  detour factor fitted to {len(bundle.calibration)} real route/straight-line pairs (median circuity by distance band,
  at each band's median straight-line distance: {bands}). The estimate is never shorter than the straight line and never falls as distance grows.
  The calibration routes are cycle routes on OpenStreetMap; the same factor is used for walking and driving.
* **Time.** Minutes = route length / speed. {modes}.
* **Not modelled.** Public transport (there is no timetable data), waiting and parking time, opening hours,
  site capacity, and whether a family would use its nearest site.
* **Wards.** Each LSOA is assigned to the 2013 ward holding the largest part of its area (British National Grid);
  every Luton LSOA has at least 96.5% of its area in its ward. Ward values of LSOA indicators are population-weighted
  means (children 0-15) or sums.
* **Need index.** The percentile rank of each chosen indicator among the area's LSOAs, oriented so 100 = most need,
  averaged with the chosen weights. It ranks areas within {bundle.area_name}; it is not comparable between areas.

### Known gaps

* Sites with no sourced location, listed but not counted: {unlocated}.
* No under-5 population by LSOA was found: children aged 0-15 (mid-2015) are used instead.
* The 2018 strategy names only some wards for most ward figures; the others show as *no published figure*.
* Ward boundaries are the 2013 wards; Luton was re-warded in May 2019.
* Site points are postcode-unit centroids (typically within about 100 m of the entrance); some placements are
  low-confidence and say why on the Sites page.
"""
    attribution = "\n".join(f"* {a}" for a in bundle.manifest["area"].get("attribution", []))
    return dbc.Row([
        dbc.Col([dcc.Markdown(method, className="about-method"), html.H3("Attribution", className="h5"),
                 dcc.Markdown(attribution, className="small")], lg=5),
        dbc.Col([html.H3("Sources", className="h5"),
                 html.Div(dcc.Markdown(_provenance_summary(engine), className="small about-sources"),
                          style={"overflowX": "auto"})], lg=7),
    ])
