"""About the data: sources and attribution, method, and known gaps."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.links import csv_name
from dashboard.tables import table_block
from geo.calibrate import FORM_LABELS
from geo.formatting import upper_first
from geo.origins import origin_description
from geo.population import lower_first


def source_rows(engine) -> list[dict]:
    """What each data file is, who published it and under which licence: the table at the top of
    the bundle's PROVENANCE.md, without the columns meant for developers (file names, trimming)."""
    path = engine.bundle.path / "PROVENANCE.md"
    if not path.is_file():
        return []
    rows, header = [], None
    for line in path.read_text(encoding="utf-8").split("\n---", 1)[0].splitlines():
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = [c.lower() for c in cells]
        elif not set("".join(cells)) <= set("-: "):
            row = dict(zip(header, cells))
            rows.append(
                {"What": row.get("what", ""), "Publisher": row.get("publisher", ""), "Licence": row.get("licence", "")}
            )
    return rows


PARAMETER_WORDS = {"access_m": "access distance", "short_circuity": "short-trip circuity", "circuity": "circuity"}


def _calibration_text(engine) -> str:
    c = engine.calibration
    if c is None:
        return (
            f"A detour factor fitted to {len(engine.bundle.calibration)} route/straight-line pairs; it is never "
            "shorter than the straight line and never falls as distance grows."
        )
    before = c.before
    oos = c.out_of_sample[c.chosen]
    params = ", ".join(
        f"{PARAMETER_WORDS.get(k, k)} {v:.0f} m" if k.endswith("_m") else f"{PARAMETER_WORDS.get(k, k)} {v:.2f}"
        for k, v in c.parameters.items()
    )
    return (
        f"The model ({FORM_LABELS[c.chosen]}; {params}) was chosen "
        f"by leave-one-out cross-validation against the official {c.sample_name}. On LSOAs it had not seen, the "
        f"median estimate / official ratio is {oos['median_ratio']:.2f}, the mean absolute error "
        f"{oos['mean_abs_pct_error']:.0f}% and {100 * oos['share_within_20pct']:.0f}% of estimates are within 20%"
        + (
            f" (the earlier model from LSOA centroids: ratio {before['median_ratio']:.2f}, error "
            f"{before['mean_abs_pct_error']:.0f}%)"
            if before
            else ""
        )
        + f". Every headline figure also shows a range: the same figure with every route {c.interval[0]:.2f} to "
        f"{c.interval[1]:.2f} times as long (the 10th to 90th percentile of that out-of-sample error). Routes are "
        "never shorter than the straight line and never fall as distance grows."
    )


def layout(engine) -> html.Div:
    bundle = engine.bundle
    modes = "; ".join(f"{m.label} {m.speed_kmh:g} km/h ({m.source})" for m in engine.modes.values())
    unlocated = ", ".join(bundle.sites.loc[s, "name"] for s in bundle.unlocated_site_ids) or "none"
    default_pop = bundle.population_fields[engine.default_population]
    ward_sets = "; ".join(w.label for w in engine.ward_sets.values())
    small = bundle.small_area
    current_lsoas = (
        ""
        if engine.bundle.current_lsoas is None
        else (
            f"\n* **{engine.bundle.current_lsoas.label}.** A map level whose figures come from the "
            f"{small.level} through the output areas: a split {small.one}'s parts keep its rates and share its "
            f"counts by residents; merged {small.many} are summed (counts) or population-weighted (rates)."
        )
    )
    calibration = _calibration_text(engine)
    equality = (
        ""
        if not bundle.equality_tables
        else (
            "* **Equality impact.** Census tables by small area ("
            + "; ".join(f"{t.label}" for t in bundle.equality_tables.values())
            + "). Each area's shares of each group are applied to its population, so the section says how many of the "
            "people losing access live in areas with each group's share: a comparison of **areas, not people** "
            "(ecological). No characteristic is inferred for anyone. The census tables have no age breakdown here, so "
            "all-ages (or household) shares stand for the chosen age band. Tables marked *estimated* were derived from "
            "output-area percentages, not published as such. A group is flagged as over-represented among those losing "
            "access when its share there is at least 5 percentage points above, and at least 1.2 times, its share "
            "across the area.\n"
        )
    )
    method = f"""
## Method

* **Population.** {default_pop} by default; any age band and year the bundle holds can be chosen. Every figure
  names the population it counts.
* **Where people start.** {upper_first(origin_description(bundle, engine.origins.kind))} ({len(engine.origins.xy)} origins).
  Coverage is the population whose nearest open site is within the threshold. The age mix of the origins inside
  one of the {small.many} is assumed to be that {small.one}'s.
* **Distance.** Straight-line distance in the area's projected grid (metres), turned into an estimated route
  length. {calibration}
* **Time.** Minutes = route length / speed. {modes}.
* **Not modelled.** Public transport (there is no timetable data), waiting and parking time, opening hours,
  site capacity, and whether a family would use its nearest site.
* **Wards.** Figures can be reported by: {ward_sets}. Each origin counts in the ward an official lookup gives where the bundle has one, else the ward holding its point. Ward values of
  indicators by {small.one} are weighted by {lower_first(engine.ward_weights_label)} (means) or summed (counts).{current_lsoas}
* **Border sites.** Sites up to {bundle.site_buffer_m / 1000:g} km beyond the boundary can be used (families near the
  edge use them) and are marked as outside {bundle.area_name}; the people counted are always its residents.
* **Need index.** The percentile rank of each chosen indicator among the area's {small.many}, oriented so 100 = most need,
  averaged with the chosen weights. It ranks areas within {bundle.area_name}; it is not comparable between areas.

{equality}
## Known gaps

* Sites with no sourced location, listed but not counted: {unlocated}.
* Published ward figures (the 2018 strategy) exist only for the wards they were published for; other wards show as
  *no published figure*.
* Site points are postcode-unit centroids (typically within about 100 m of the entrance); some placements are
  low-confidence and say why on the Sites page.
"""
    attribution = "\n".join(f"* {a}" for a in bundle.manifest["area"].get("attribution", []))
    return dbc.Row(
        [
            dbc.Col(
                [
                    dcc.Markdown(method, className="about-method"),
                    html.H2("Attribution", className="h5"),
                    dcc.Markdown(attribution, className="small"),
                ],
                lg=5,
            ),
            dbc.Col(
                [
                    html.H2("Sources", className="h5"),
                    html.P(
                        "Every figure comes from published data listed here; a value without a source is shown as "
                        "missing, never estimated.",
                        className="small",
                    ),
                    table_block(
                        "about-sources",
                        "Data sources",
                        {
                            "columns": [{"id": c, "name": c} for c in ("What", "Publisher", "Licence")],
                            "rows": source_rows(engine),
                            "csv": {
                                "filename": csv_name("sources", bundle.area_name),
                                "about": [f"Needs Map ({bundle.area_name}): data sources"],
                            },
                        },
                        max_height="40rem",
                    ),
                ],
                lg=7,
            ),
        ]
    )
