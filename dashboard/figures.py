"""Figure builders: pure functions of engine results (no Dash callbacks, no I/O).

The map is a Plotly ``geo`` figure (SVG, drawn in the browser with no tile server and
no WebGL), with the area's own boundaries as the only base layer. Boundary GeoJSON is
put in the first figure only; updates are ``dash.Patch`` objects that change values,
colours and hover text (see ``*_patch`` functions), never geometry.
"""

from __future__ import annotations

import math
import textwrap
from html import escape as html_escape

import numpy as np
import plotly.graph_objects as go
from plotly.colors import get_colorscale

from geo.formatting import percent_number
from geo.scenario import SITE_STATUS_WORDS

# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
ROLE_STYLE = {
    "current_centre": ("circle", "#0072B2"),
    "proposed_hub": ("star", "#D55E00"),
    "proposed_outreach": ("diamond", "#009E73"),
    "venue": ("square", "#CC79A7"),
}
OTHER_STYLE = ("circle", "#56B4E9")
CLOSED_STYLE = ("x", "#6b6b6b")  # a site that closes: open in the comparison, not in the scenario
ABSENT_STYLE = ("circle-open", "#7b8794")  # a site in neither scenario (or moved): never a cross
ADDED_STYLE = ("triangle-up", "#E69F00")
SUGGESTED_STYLE = ("star-diamond", "#000000")
NEED_SCALE = "Blues"  # single-hue sequential: darker = more need
# Explicit colour lists (not names): a Patch sends them verbatim to plotly.js, which does
# not know plotly.py's "_r" names.
MINUTES_SCALE = get_colorscale("cividis_r")  # darker = longer journey; colour-blind safe
CHANGE_SCALE = get_colorscale("puor_r")  # orange = longer journey under the scenario, purple = shorter
NO_DATA_GREY = "#d9d9d9"
# Colour bars lie under the map, so the map keeps the full width on a phone and the title has
# room to be complete (wrapped), not cut.
COLORBAR = dict(orientation="h", x=0.5, xanchor="center", y=-0.01, yanchor="top", len=0.75, thickness=12)


def colorbar_title(text: str, width: int = 60) -> str:
    """A colour-bar title wrapped onto lines (plotly cuts long single lines).

    >>> colorbar_title("Income deprivation affecting children (IDACI) score", 30)
    'Income deprivation affecting<br>children (IDACI) score'
    """
    import textwrap

    return "<br>".join(textwrap.wrap(text, width)) or text


BASE_COLOUR, ALT_COLOUR = "#999999", "#0072B2"


class SharedGeoJSON(dict):
    """A GeoJSON FeatureCollection made once at start-up and never changed, which plotly's
    figure building therefore need not copy: plotly deep-copies every trace it is given and
    again when it serialises a figure, which for a county's boundaries (3 MB of coordinates)
    took seconds of the app's start. ``copy.deepcopy`` returns the same object.

    >>> import copy
    >>> shape = SharedGeoJSON(type="FeatureCollection", features=[])
    >>> copy.deepcopy(shape) is shape
    True
    """

    def __deepcopy__(self, memo: dict) -> SharedGeoJSON:
        return self


def area_geojson(frame, digits: int = 5) -> SharedGeoJSON:
    """FeatureCollection with ``id`` = area code and coordinates rounded to ~1 m (smaller payload)."""
    import json

    import shapely

    # d3-geo (Plotly's geo maps) wants clockwise exterior rings; RFC 7946 GeoJSON is
    # counter-clockwise, which d3 reads as "the whole globe minus this polygon".
    rounded = shapely.orient_polygons(shapely.set_precision(frame.geometry.values, 10**-digits), exterior_cw=True)
    features = [
        {"type": "Feature", "id": code, "properties": {}, "geometry": json.loads(text)}
        for code, text in zip(frame["code"], shapely.to_geojson(rounded))
    ]
    return SharedGeoJSON(type="FeatureCollection", features=features)


def fmt(value, unit: str = "", digits: int = 1) -> str:
    """The one number formatter of the dashboard: whole numbers without decimals, others to
    ``digits`` places (3 below 1), with the unit.

    >>> fmt(0, "pp"), fmt(2.5, "pp"), fmt(0.1234, "share"), fmt(12345.0, "people")
    ('0 pp', '2.5 pp', '0.123 share', '12,345 people')
    """
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "no published figure"
    if abs(value - round(value)) < 1e-9:
        text = f"{value:,.0f}"
    else:
        text = f"{value:,.{digits if abs(value) >= 1 else 3}f}"
    return f"{text} {unit}".strip()


def _choropleth(tiles: bool, **kwargs):
    """The same choropleth on the plain SVG map (default) or on web map tiles (option)."""
    return go.Choroplethmap(**kwargs) if tiles else go.Choropleth(**kwargs)


def _points(tiles: bool, marker: dict, **kwargs):
    if tiles:
        # MapLibre markers are circles without outlines (symbols need a sprite server)
        marker = {k: v for k, v in marker.items() if k not in ("symbol", "line")}
        return go.Scattermap(marker=marker, **kwargs)
    return go.Scattergeo(marker=marker, **kwargs)


def _map_layout(fig: go.Figure, uirevision: str, tiles: bool, bounds) -> None:
    """Plain style by default: the area's own boundaries on white, no tile server. With
    ``tiles`` an OpenStreetMap basemap is drawn underneath (needs internet)."""
    if tiles:
        minx, miny, maxx, maxy = bounds
        # the zoom that fits the area in about 560 x 480 px (the narrower Needs map)
        fig.update_layout(
            map=dict(
                style="open-street-map",
                center=dict(lon=(minx + maxx) / 2, lat=(miny + maxy) / 2),
                zoom=tile_zoom({"lon": [minx, maxx], "lat": [miny, maxy]}),
            )
        )
        # drawn by plotly over the map whatever the tile server does: when its tiles (or the
        # map library's style) cannot load, the map would otherwise be blank without a word
        fig.add_annotation(
            text="Street basemap: tiles from OpenStreetMap over the internet. A blank map means they could not "
            "load; switch 'Street basemap' off in the header.",
            xref="paper", yref="paper", x=0, y=1, xanchor="left", yanchor="top", showarrow=False, align="left",
            font=dict(size=11, color="#1f2933"), bgcolor="rgba(255,255,255,0.9)",
        )  # fmt: skip
    else:
        # Fixed ranges rather than fitbounds="locations": fitbounds re-measures every polygon
        # on each redraw, which is a large part of a click's drawing time.
        extent = geo_extent(bounds)
        fig.update_geos(
            visible=False,
            projection_type="mercator",
            lonaxis_range=extent["lon"],
            lataxis_range=extent["lat"],
            center=extent["center"],
        )
    fig.update_layout(
        margin=dict(l=0, r=0, t=0, b=0),
        uirevision=uirevision,
        dragmode="pan",
        paper_bgcolor="white",
        legend=dict(orientation="h", y=-0.02, x=0, font=dict(size=12)),
        font=dict(family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif"),
    )


# -- Needs map ----------------------------------------------------------------------
def shown_value(value: float, meta: dict) -> float:
    """A value as people read it: counts of people in whole people (a ward's share of a split
    LSOA's count is an estimate), everything else as it is.

    >>> shown_value(2200.6, {"counts": True}), shown_value(0.25, {"counts": False})
    (2201, 0.25)
    """
    return round(value) if meta.get("counts") else value


def needs_trace_values(values, names: dict, meta: dict, definition: str | None = None) -> dict:
    """z, locations, hover text and colour settings for one indicator at one level;
    ``definition`` (``Engine.ward_value_definition``) says how a ward's value is made."""
    present = values.dropna()
    z = [float(v) for v in present]
    reverse = meta["direction"] == "lower"
    how = f"<br><i>{definition}</i>" if definition else ""
    text = [
        f"<b>{names.get(code, code)}</b><br>{meta['label']}: {fmt(shown_value(v, meta), meta['unit'])}{how}"
        for code, v in present.items()
    ]
    zmin, zmax = (min(z), max(z)) if z else (0, 1)
    if zmin == zmax:
        zmax = zmin + 1
    return {
        "locations": list(present.index),
        "z": z,
        "text": text,
        "reversescale": reverse,
        "zmin": zmin,
        "zmax": zmax,
        "colorbar_title": colorbar_title(meta["label"] + (f": {meta['unit']}" if meta["unit"] else "")),
    }


def needs_trace_index(ward_set_ids: list[str], level: str, ward_set: str) -> tuple[int, int]:
    """(grey trace, values trace) of the needs map that a level and ward set show; the map
    holds a grey and a values trace for each ward set, in order, then the LSOA trace and, when
    the bundle has them, the current LSOAs' trace."""
    if level in ("lsoa", "lsoa_current"):
        n = 2 * len(ward_set_ids) + (level == "lsoa_current")
        return n, n
    k = ward_set_ids.index(ward_set)
    return 2 * k, 2 * k + 1


def needs_figure(
    ward_layers: list[dict],
    lsoa_geojson,
    level: str,
    ward_set: str,
    lsoa_view,
    tiles: bool = False,
    bounds=None,
    current_lsoa: tuple | None = None,
    labels: dict | None = None,
    lsoa_levels: frozenset[str] = frozenset({"lsoa", "lsoa_current"}),
) -> go.Figure:
    """The needs map. ``ward_layers`` holds one dict per ward set: ``id``, ``geojson``,
    ``names`` and ``view`` (``needs_trace_values``); only the chosen set's traces are visible.
    ``current_lsoa`` is (geojson, view) of the current LSOAs, if any. The LSOA levels not in
    ``lsoa_levels`` start without their boundaries and values (``lsoa_geometry_patch`` and
    ``needs_patch`` send them when the level is first shown): a county's LSOAs are most of the
    map's bytes."""
    fig = go.Figure()
    for layer in ward_layers:
        shown = level == "ward" and layer["id"] == ward_set
        names, view = layer["names"], layer["view"]
        # every ward in grey: shows through where a ward has no published figure (drawn only
        # where some ward of the set lacks some figure: ``gaps``)
        fig.add_trace(
            _choropleth(
                tiles,
                geojson=layer["geojson"] if layer.get("gaps", True) else None,
                locations=list(names),
                z=[0] * len(names),
                colorscale=[[0, NO_DATA_GREY], [1, NO_DATA_GREY]],
                showscale=False,
                name="No published figure",
                text=[
                    f"<b>{n}</b><br>{layer.get('missing_text', 'No published figure for this ward')}"
                    for n in names.values()
                ],
                hovertemplate="%{text}<extra></extra>",
                marker_line_color="white",
                marker_line_width=1,
                visible=shown,
                showlegend=False,
            )
        )
        fig.add_trace(_values_trace(tiles, layer["geojson"], view, shown, 1))

    def values_if_drawn(lsoa_level: str, view):
        # a level drawn later gets its values then too (needs_patch): a county's LSOA names and
        # values were a fifth of the first page's layout
        return view if lsoa_level in lsoa_levels else {**view, "locations": [], "z": [], "text": []}

    fig.add_trace(
        _values_trace(
            tiles,
            lsoa_geojson if "lsoa" in lsoa_levels else None,
            values_if_drawn("lsoa", lsoa_view),
            level == "lsoa",
            0.3,
        )
    )
    if current_lsoa is not None:
        geojson = current_lsoa[0] if "lsoa_current" in lsoa_levels else None
        view = values_if_drawn("lsoa_current", current_lsoa[1])
        fig.add_trace(_values_trace(tiles, geojson, view, level == "lsoa_current", 0.3))
    fig.add_trace(names_trace(tiles, labels or {}))
    _map_layout(fig, "needs", tiles, bounds)
    return fig


def names_trace(tiles: bool, labels: dict):
    """Ward names as map text (the last trace of each map); ``labels``: lon, lat, text, visible."""
    kwargs = dict(
        lon=labels.get("lon", []),
        lat=labels.get("lat", []),
        text=labels.get("text", []),
        mode="text",
        textfont=dict(size=11, color="#1f2933"),
        hoverinfo="skip",
        showlegend=False,
        name="Ward names",
        visible=bool(labels.get("visible")),
    )
    return go.Scattermap(**kwargs) if tiles else go.Scattergeo(**kwargs)


def geo_extent(bounds, pad: float = 0.02) -> dict:
    """Longitude and latitude ranges and centre that show ``bounds`` with a margin."""
    minx, miny, maxx, maxy = bounds
    pad_x, pad_y = (maxx - minx) * pad, (maxy - miny) * pad
    return {
        "lon": [minx - pad_x, maxx + pad_x],
        "lat": [miny - pad_y, maxy + pad_y],
        "center": {"lon": (minx + maxx) / 2, "lat": (miny + maxy) / 2},
    }


def view_patch(patch, labels: dict | None, extent: dict | None, tiles: bool, names_index: int = -1):
    """Ward names (text, positions, visibility) and the map's extent (a found ward, or the whole
    area). Sending the same extent again changes nothing, so the user's own zoom is kept
    (uirevision); a new extent moves the map."""
    if labels is not None:
        for key in ("lon", "lat", "text"):
            patch["data"][names_index][key] = labels[key]
        patch["data"][names_index]["visible"] = bool(labels["visible"])
    if extent is not None and not tiles:
        patch["layout"]["geo"]["lonaxis"]["range"] = extent["lon"]
        patch["layout"]["geo"]["lataxis"]["range"] = extent["lat"]
        patch["layout"]["geo"]["center"] = extent["center"]
    elif extent is not None:  # the street basemap: centre and zoom (web-mercator) on the same extent
        patch["layout"]["map"]["center"] = extent["center"]
        patch["layout"]["map"]["zoom"] = tile_zoom(extent)
    return patch


def tile_zoom(extent: dict, width_px: float = 560, height_px: float = 480) -> float:
    """The web-mercator zoom that fits an extent (``geo_extent``) in about ``width_px`` x
    ``height_px`` (MapLibre: a 512 px world at zoom 0).

    >>> round(tile_zoom({"lon": [-0.51, -0.35], "lat": [51.85, 51.93], "center": {}}), 1)
    11.3
    """
    (lon0, lon1), (lat0, lat1) = extent["lon"], extent["lat"]
    stretch = 1 / math.cos(math.radians((lat0 + lat1) / 2))
    zoom_x = math.log2(width_px * 360 / (512 * max(lon1 - lon0, 1e-6)))
    zoom_y = math.log2(height_px * 360 / (512 * max(lat1 - lat0, 1e-6) * stretch))
    return float(np.clip(min(zoom_x, zoom_y), 1, 16))


def _values_trace(tiles, geojson, view, visible: bool, line_width: float):
    return _choropleth(
        tiles,
        geojson=geojson,
        locations=view["locations"],
        z=view["z"],
        text=view["text"],
        colorscale=NEED_SCALE,
        reversescale=view["reversescale"],
        zmin=view["zmin"],
        zmax=view["zmax"],
        hovertemplate="%{text}<extra></extra>",
        marker_line_color="white",
        marker_line_width=line_width,
        visible=visible,
        colorbar=dict(title=dict(text=view["colorbar_title"], side="top"), **COLORBAR),
        showlegend=False,
    )


def lsoa_geometry_patch(patch, ward_set_ids: list[str], level: str, geojson):
    """Send one LSOA level's boundaries to a needs map that started without them."""
    patch["data"][needs_trace_index(ward_set_ids, level, ward_set_ids[0])[1]]["geojson"] = geojson
    return patch


def needs_patch(
    patch, ward_set_ids: list[str], level: str, ward_set: str, view, missing_text=None, n_traces: int | None = None
):
    """Update the needs map in place: which traces are visible, and the values of the one shown."""
    grey, values = needs_trace_index(ward_set_ids, level, ward_set)
    for i in range(n_traces or 2 * len(ward_set_ids) + 1):
        patch["data"][i]["visible"] = i in (grey, values)
    for key in ("locations", "z", "text", "reversescale", "zmin", "zmax"):
        patch["data"][values][key] = view[key]
    patch["data"][values]["colorbar"]["title"]["text"] = view["colorbar_title"]
    if missing_text is not None and level == "ward":
        patch["data"][grey]["text"] = missing_text
    return patch


# -- Access map ----------------------------------------------------------------------
# The access map's traces, in drawing order; patches address them by these names.
ACCESS_TRACE = {
    "minutes": 0,
    "outlines": 1,
    "sites": 2,
    "added": 3,
    "suggested": 4,
    "ward_names": 5,
    "other_outlines": 6,
}


# A site numbered on the catchment layer: a white marker with its colour-bar number inside in dark
# text, legible over any catchment colour (dark text beside a marker disappeared over the darker ones).
NUMBERED_COLOUR, NUMBERED_SIZE = "white", 22


def site_styles(sites, statuses: dict, role_labels: dict, numbers: dict | None = None) -> dict:
    """Marker symbols and colours, hover text, and (``numbers``: the catchment layer, site name ->
    its number in the colour bar) each open site's number written on the map beside it. Numbers,
    not names: with 16-20 sites in a town the names overlapped one another in the dense parts.

    ``statuses`` is ``Engine.site_statuses``: a cross marks only a site that *closes* (open in
    the comparison); a site in neither scenario, or moved elsewhere, is a small faint ring, so a
    hub that was never open is never drawn as closed."""
    symbols, colours, texts, names, sizes = [], [], [], [], []
    for site, name, role, postcode in zip(sites.index, sites["name"], sites["role"], sites["postcode"]):
        status = statuses.get(site, "not_in_scenario")
        is_open = status in ("open", "opens")
        if is_open:
            symbol, colour = ROLE_STYLE.get(role, OTHER_STYLE)
        else:
            symbol, colour = CLOSED_STYLE if status == "closes" else ABSENT_STYLE
        numbered = bool(numbers) and is_open and name in numbers
        symbols.append(symbol)
        colours.append(NUMBERED_COLOUR if numbered else colour)
        sizes.append(NUMBERED_SIZE if numbered else (13 if status != "not_in_scenario" else 9))
        texts.append(
            f"<b>{name}</b><br>{role_labels.get(role, role)}<br>"
            f"{postcode} · {SITE_STATUS_WORDS[status]}<br><i>Click to {'close' if is_open else 'open'}</i>"
        )
        names.append(str(numbers[name]) if numbered else "")
    return {
        "marker_symbol": symbols,
        "marker_color": colours,
        "text": texts,
        "labels": names,
        "mode": "markers+text" if numbers else "markers",
        "textposition": "middle center",
        "marker_size": sizes,
        "marker_line_color": "#1f2933" if numbers else "white",
    }


def added_styles(added: dict, numbers: dict | None = None) -> dict:
    """Markers of the added and moved sites: on the catchment layer (``numbers``, as for
    ``site_styles``) each one that serves an area is a white marker with its number in the colour
    bar; otherwise the orange triangle."""
    numbered = [bool(numbers) and name in numbers for name in added.get("names", [])]
    return {
        "labels": [str(numbers[n]) if on and numbers else "" for n, on in zip(added.get("names", []), numbered)],
        "marker_color": [NUMBERED_COLOUR if on else ADDED_STYLE[1] for on in numbered],
        "marker_size": [NUMBERED_SIZE if on else 15 for on in numbered],
        "mode": "markers+text" if any(numbered) else "markers",
    }


def _rounded(values) -> np.ndarray:
    """Values to one decimal as a float array; no value (no open site) is NaN, sent as null.
    Plotly's JSON encoder writes the array whole, NaN as null."""
    out = np.round(np.asarray(values, float), 1)
    out[~np.isfinite(out)] = np.nan
    return out


# Up to 20 catchments told apart: Okabe-Ito's eight (colour-blind safe), then Paul Tol's muted
# and light sets. Beyond eight some colours are alike, so catchment_colours gives neighbouring
# catchments colours far apart; each area's site is also named in the hover and numbered on the map.
CATCHMENT_COLOURS = [
    "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#999999",
    "#332288", "#88CCEE", "#44AA99", "#117733", "#DDCC77", "#CC6677", "#AA4499", "#882255",
    "#77AADD", "#EE8866", "#BBCC33", "#FFAABB",
]  # fmt: skip


def _colour_distance(a: str, b: str) -> float:
    """How far apart two "#rrggbb" colours look ("redmean" weighting of the RGB difference)."""
    (r1, g1, b1), (r2, g2, b2) = (tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in (a, b))
    mean = (r1 + r2) / 2
    return math.sqrt((2 + mean / 256) * (r1 - r2) ** 2 + 4 * (g1 - g2) ** 2 + (2 + (255 - mean) / 256) * (b1 - b2) ** 2)


def catchment_colours(order: list[str], area_sites: list, neighbours: list[tuple[int, int]] | None) -> list[str]:
    """A colour per catchment (``order``: the sites, ``area_sites``: each area's site), neighbouring
    catchments (areas of theirs share a boundary, ``neighbours`` pairs of area positions) given
    colours that look far apart: greedy, the catchment with most neighbours first, each taking the
    unused colour farthest from its coloured neighbours' (the palette's order breaks ties, so with
    no neighbours given the palette is used in order).

    >>> catchment_colours(["A", "B"], ["A", "B"], None)
    ['#E69F00', '#56B4E9']
    """
    index = {n: i for i, n in enumerate(order)}
    adjacent: list[set[int]] = [set() for _ in order]
    for i, j in neighbours or []:
        a, b = index.get(area_sites[i]), index.get(area_sites[j])
        if a is not None and b is not None and a != b:
            adjacent[a].add(b)
            adjacent[b].add(a)
    palette = CATCHMENT_COLOURS * (len(order) // len(CATCHMENT_COLOURS) + 1)
    chosen: dict[int, str] = {}
    for c in sorted(range(len(order)), key=lambda c: (-len(adjacent[c]), c)):
        free = [p for p in palette if p not in chosen.values()] or palette
        near = [chosen[n] for n in adjacent[c] if n in chosen]
        chosen[c] = max(free, key=lambda p: (min((_colour_distance(p, q) for q in near), default=0.0), -free.index(p)))  # noqa: B023
    return [chosen[c] for c in range(len(order))]


def catchment_values(site_names: list, threshold_label: str, neighbours: list[tuple[int, int]] | None = None) -> dict:
    """Choropleth values for the catchment layer: each area coloured by its nearest open site
    (its most populous origin's), the site named in the hover; ``neighbours`` (pairs of areas
    sharing a boundary) keep neighbouring catchments' colours apart."""
    order = sorted({n for n in site_names if n})
    index = {n: i for i, n in enumerate(order)}
    z = np.array([index.get(n, np.nan) for n in site_names], float)
    k = max(len(order), 1)
    colours = catchment_colours(order, list(site_names), neighbours) or [CATCHMENT_COLOURS[0]]
    scale = []
    for i in range(k):
        scale += [[i / k, colours[i]], [(i + 1) / k, colours[i]]]
    return {
        "z": z,
        "customdata": [n or "no open site" for n in site_names],
        "colorscale": scale,
        "zmin": -0.5,
        "zmax": k - 0.5,
        "colorbar_title": "Catchment: each area's nearest open site",
        "tickvals": list(range(len(order))),
        # the number written on each site's marker, then its name on one line (two lines collided
        # on a phone, where the labels stand upright); the full name is in the hover and site table
        "ticktext": [f"<b>{i + 1}</b> " + html_escape(short) for i, short in enumerate(distinct_short_names(order))],
        "numbers": {n: i + 1 for i, n in enumerate(order)},
        "hovertemplate": "%{text}<br>nearest open site: %{customdata}<extra></extra>",
    }


def distinct_short_names(names: list[str], width: int = 18) -> list[str]:
    """Names cut to about ``width`` characters for a colour bar, each told apart from the others:
    names that would read alike are cut later, up to whole.

    >>> distinct_short_names(["Leagrave Children's Centre", "Leagrave area family resource hub", "Denbigh"])
    ["Leagrave Children's…", 'Leagrave area…', 'Denbigh']
    """
    plain = [n.split(" (")[0] for n in names]
    widths = [width] * len(plain)
    for _ in range(20):
        cut = [textwrap.shorten(n, w, placeholder="…") for n, w in zip(plain, widths)]
        # a cut name reads alike another when what is left of it begins another name too
        alike = [
            c.endswith("…") and any(j != i and plain[j].startswith(c[:-1]) for j in range(len(plain)))
            for i, c in enumerate(cut)
        ]
        if not any(alike):
            return cut
        widths = [w + 4 if a else w for a, w in zip(alike, widths)]
    return plain


def added_values(added_minutes, site_names, threshold_label: str) -> dict:
    """Choropleth values for the added-minutes layer: for areas whose nearest site changes, the
    minutes added (negative: nearer); other areas have no value (grey)."""
    z = _rounded(added_minutes)
    finite = np.abs(z[np.isfinite(z)])
    span = float(max(finite.max() if len(finite) else 0.0, 5.0))
    return {
        "z": z,
        "customdata": [n or "no open site" for n in site_names],
        "colorscale": CHANGE_SCALE,
        "zmin": -span,
        "zmax": span,
        "colorbar_title": "Minutes added where the nearest site changes (orange: further; purple: nearer)",
        "hovertemplate": "%{text}<br>%{z:+.0f} min; now nearest: %{customdata}<extra></extra>",
    }


def access_values(
    alt_minutes,
    alt_site_names,
    base_minutes,
    colour_by: str,
    threshold_label: str,
    added_minutes=None,
    neighbours: list[tuple[int, int]] | None = None,
) -> dict:
    """Choropleth values for the access map: minutes to the nearest open site, the change
    against the comparison ("change"), each area's catchment ("catchment", with ``neighbours``:
    pairs of areas sharing a boundary), or the minutes added where the nearest site changes
    ("added", with ``added_minutes``).

    Only numbers and site names change with the scenario; the LSOA and ward names sit in
    the trace's static ``text`` (sent once), so an update stays small."""
    if colour_by == "catchment":
        return catchment_values(alt_site_names, threshold_label, neighbours)
    if colour_by == "added" and added_minutes is not None:
        return added_values(added_minutes, alt_site_names, threshold_label)
    if base_minutes is not None and colour_by == "change":
        change = _rounded(np.asarray(alt_minutes, float) - np.asarray(base_minutes, float))
        finite = np.abs(change[np.isfinite(change)])
        span = float(max(finite.max() if len(finite) else 0.0, 5.0))
        custom = np.column_stack([_rounded(base_minutes), _rounded(alt_minutes)])
        return {
            "z": change,
            "customdata": custom,
            "colorscale": CHANGE_SCALE,
            "zmin": -span,
            "zmax": span,
            "hovertemplate": "%{text}<br>%{customdata[0]:.0f} → %{customdata[1]:.0f} min (%{z:+.0f})<extra></extra>",
            "colorbar_title": "Change in minutes",
        }
    return {
        "z": _rounded(alt_minutes),
        "customdata": [name or "no open site" for name in alt_site_names],
        "colorscale": MINUTES_SCALE,
        "zmin": 0,
        "zmax": 60,
        "colorbar_title": "Minutes to nearest open site",
        "hovertemplate": "%{text}<br>%{z:.0f} min to %{customdata}<br>threshold: "
        + threshold_label
        + "<extra></extra>",
    }


def access_figure(
    lsoa_geojson,
    ward_geojson,
    lsoa_codes,
    ward_codes,
    values,
    sites,
    styles,
    added,
    tiles: bool = False,
    bounds=None,
    lsoa_text=None,
    labels: dict | None = None,
    other_outlines: list | None = None,
) -> go.Figure:
    added_marks = added_styles(added, values.get("numbers"))
    fig = go.Figure()
    fig.add_trace(
        _choropleth(
            tiles,
            geojson=lsoa_geojson,
            locations=list(lsoa_codes),
            z=values["z"],
            text=lsoa_text,
            customdata=values["customdata"],
            colorscale=values["colorscale"],
            zmin=values["zmin"],
            zmax=values["zmax"],
            hovertemplate=values["hovertemplate"],
            marker_line_color="white",
            marker_line_width=0.3,
            colorbar=dict(
                title=dict(text=values["colorbar_title"], side="top"),
                tickvals=values.get("tickvals"),
                ticktext=values.get("ticktext"),
                **COLORBAR,
            ),
            showlegend=False,
        )
    )
    fig.add_trace(_outline_trace(tiles, ward_geojson, ward_codes, True))
    fig.add_trace(
        _points(
            tiles,
            lon=list(sites["lon"]),
            lat=list(sites["lat"]),
            customdata=list(sites.index),
            # hover in hovertext; text holds the names written on the map (the catchment layer)
            hovertext=styles["text"],
            text=styles.get("labels"),
            mode=styles.get("mode", "markers"),
            textposition=styles.get("textposition", "top center"),
            textfont=dict(size=11, color="#1f2933"),
            hovertemplate="%{hovertext}<extra></extra>",
            showlegend=False,
            name="Sites",
            marker=dict(
                size=styles.get("marker_size", 13),
                opacity=1,  # plotly's default for sizes given per point is 0.7
                symbol=styles["marker_symbol"],
                color=styles["marker_color"],
                line=dict(color=styles.get("marker_line_color", "white"), width=1.5),
            ),
        )
    )
    fig.add_trace(
        _points(
            tiles,
            lon=added["lon"],
            lat=added["lat"],
            hovertext=added["text"],
            text=added_marks["labels"],
            customdata=added["customdata"],
            mode=added_marks["mode"],
            textposition="middle center",
            textfont=dict(color="#1f2933", size=12),
            hovertemplate="%{hovertext}<extra></extra>",
            name="Added or moved site",
            showlegend=False,
            marker=dict(
                size=added_marks["marker_size"],
                opacity=1,
                symbol=ADDED_STYLE[0],
                color=added_marks["marker_color"],
                line=dict(color="black", width=1),
            ),
        )
    )
    # 4: the optimiser's suggestions (empty until it runs)
    fig.add_trace(
        _points(
            tiles,
            lon=[],
            lat=[],
            text=[],
            mode="markers",
            hovertemplate="%{text}<extra></extra>",
            name="Suggested by the optimiser",
            showlegend=False,
            marker=dict(
                size=20, symbol=SUGGESTED_STYLE[0], color=SUGGESTED_STYLE[1], line=dict(color="white", width=1.5)
            ),
        )
    )
    # 5: ward names (hidden unless asked for)
    fig.add_trace(names_trace(tiles, labels or {}))
    # 6...: outlines of the other ward sets, shown instead of trace 1 when such a set is chosen
    for geojson, codes, visible in other_outlines or []:
        fig.add_trace(_outline_trace(tiles, geojson, codes, visible))
    if other_outlines and any(v for *_, v in other_outlines):
        fig.data[ACCESS_TRACE["outlines"]].visible = False
    _map_layout(fig, "access", tiles, bounds)
    return fig


def _outline_trace(tiles: bool, geojson, codes, visible: bool):
    """Ward outlines only: transparent fill, dark boundary lines, no hover."""
    return _choropleth(
        tiles,
        geojson=geojson,
        locations=list(codes),
        z=[0] * len(codes),
        colorscale=[[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]],
        showscale=False,
        hoverinfo="skip",
        marker_line_color="#333333",
        marker_line_width=1.2,
        showlegend=False,
        visible=visible,
    )


FOUND_WARD_LINE = ("#d55e00", 4.0)  # the found ward's outline: vermilion (Okabe-Ito), thick


def outline_patch(patch, ward_set_ids: list[str], ward_set: str, codes: dict | None = None, found=None):
    """Show the outlines of the chosen ward set on the access map (trace 1 = the first set,
    traces 6... = the others), the found ward (``found``, a code of ``codes[ward_set]``) drawn
    thick in vermilion, on the plain map and the street basemap alike."""
    for k, set_id in enumerate(ward_set_ids):
        index = ACCESS_TRACE["outlines"] if k == 0 else ACCESS_TRACE["other_outlines"] + k - 1
        patch["data"][index]["visible"] = set_id == ward_set
        if codes is not None and set_id == ward_set:
            line = patch["data"][index]["marker"]["line"]
            # one value for all when no ward is found: a click's answer stays small
            line["color"] = (
                [FOUND_WARD_LINE[0] if c == found else "#333333" for c in codes[set_id]] if found else "#333333"
            )
            line["width"] = [FOUND_WARD_LINE[1] if c == found else 1.2 for c in codes[set_id]] if found else 1.2
    return patch


def legend_items(role_labels: dict) -> list[tuple[str, str, str]]:
    """(symbol, colour, label) for the map legend, drawn in HTML beside the map."""
    items = [(*ROLE_STYLE.get(role, OTHER_STYLE), label) for role, label in role_labels.items()]
    items.append((*CLOSED_STYLE, "Closes (open in the comparison)"))
    items.append((*ABSENT_STYLE, "Not in this scenario"))
    items.append((*ADDED_STYLE, "Added or moved by you"))
    items.append((*SUGGESTED_STYLE, "Suggested by the optimiser"))
    return items


def access_patch(patch, values, styles, added, tiles: bool = False):
    for key in ("z", "customdata", "hovertemplate", "colorscale", "zmin", "zmax"):
        patch["data"][ACCESS_TRACE["minutes"]][key] = values[key]
    patch["data"][ACCESS_TRACE["minutes"]]["colorbar"]["title"]["text"] = values["colorbar_title"]
    # site names as the catchment layer's ticks; numbers (plotly's own ticks) for the others
    patch["data"][ACCESS_TRACE["minutes"]]["colorbar"]["tickvals"] = values.get("tickvals")
    patch["data"][ACCESS_TRACE["minutes"]]["colorbar"]["ticktext"] = values.get("ticktext")
    if not tiles:
        patch["data"][ACCESS_TRACE["sites"]]["marker"]["symbol"] = styles["marker_symbol"]
    patch["data"][ACCESS_TRACE["sites"]]["marker"]["color"] = styles["marker_color"]
    patch["data"][ACCESS_TRACE["sites"]]["hovertext"] = styles["text"]
    patch["data"][ACCESS_TRACE["sites"]]["text"] = styles["labels"]
    patch["data"][ACCESS_TRACE["sites"]]["mode"] = styles["mode"]
    patch["data"][ACCESS_TRACE["sites"]]["marker"]["size"] = styles["marker_size"]
    if not tiles:  # MapLibre markers have no outline
        patch["data"][ACCESS_TRACE["sites"]]["marker"]["line"]["color"] = styles["marker_line_color"]
    marks = added_styles(added, values.get("numbers"))
    for key in ("lon", "lat", "customdata"):
        patch["data"][ACCESS_TRACE["added"]][key] = added[key]
    patch["data"][ACCESS_TRACE["added"]]["hovertext"] = added["text"]
    patch["data"][ACCESS_TRACE["added"]]["text"] = marks["labels"]
    patch["data"][ACCESS_TRACE["added"]]["mode"] = marks["mode"]
    patch["data"][ACCESS_TRACE["added"]]["marker"]["color"] = marks["marker_color"]
    patch["data"][ACCESS_TRACE["added"]]["marker"]["size"] = marks["marker_size"]
    return patch


# -- Charts ----------------------------------------------------------------------------
def decile_chart(rows: list[dict], base_label: str | None, alt_label: str, axis_title: str = "") -> go.Figure:
    """Coverage by IMD decile: trace 0 = comparison (hidden without one), trace 1 = scenario."""
    fig = go.Figure()
    deciles = [r["decile"] for r in rows]
    for colour in (BASE_COLOUR, ALT_COLOUR):
        fig.add_trace(go.Bar(x=deciles, y=[], marker_color=colour, hovertemplate="Decile %{x}: %{y:.1f}%"))
    fig.update_layout(
        barmode="group",
        height=300,
        margin=dict(l=50, r=10, t=10, b=60),
        yaxis=dict(title="% within threshold", range=[0, 100]),
        xaxis=dict(title=axis_title, dtick=1),  # the bundle's decile, e.g. "IMD 2019 decile (1 = ...)"
        legend=dict(orientation="h", y=1.12),
        plot_bgcolor="white",
        template="none",
    )
    fig.update_yaxes(gridcolor="#eee")
    decile_patch(fig, rows, base_label, alt_label)
    return fig


def decile_patch(target, rows: list[dict], base_label: str | None, alt_label: str):
    """Set the bars' values and names on a Figure or a dash.Patch (values only travel)."""
    data = target["data"] if not isinstance(target, go.Figure) else None
    values = [
        ([percent_number(r.get("base_share"), 2) for r in rows], base_label or "", base_label is not None),
        ([percent_number(r["alt_share"], 2) for r in rows], alt_label, True),
    ]
    for i, (y, name, visible) in enumerate(values):
        if data is None:
            target.data[i].update(y=y, name=name, visible=visible)
        else:
            data[i]["y"], data[i]["name"], data[i]["visible"] = y, name, visible
    return target


def curve_chart(
    grid, base_curve, alt_curve, base_label: str | None, alt_label: str, threshold: float | None
) -> go.Figure:
    """Share within t minutes: trace 0 = comparison (hidden without one), trace 1 = scenario;
    shape 0 marks the threshold."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=list(grid), y=[], mode="lines", line=dict(color=BASE_COLOUR, width=3, dash="dash")))
    fig.add_trace(go.Scatter(x=list(grid), y=[], mode="lines", line=dict(color=ALT_COLOUR, width=3)))
    fig.add_vline(x=threshold or 0, line=dict(color="#333", dash="dot"))
    fig.update_layout(
        height=300,
        margin=dict(l=50, r=10, t=10, b=50),
        plot_bgcolor="white",
        template="none",
        xaxis=dict(title="Minutes to the nearest open site"),
        yaxis=dict(title="% of population within", range=[0, 100]),
        legend=dict(orientation="h", y=1.12),
        hovermode="x unified",
    )
    fig.update_yaxes(gridcolor="#eee")
    fig.update_xaxes(gridcolor="#eee")
    curve_patch(fig, base_curve, alt_curve, base_label, alt_label, threshold)
    return fig


def curve_patch(target, base_curve, alt_curve, base_label, alt_label, threshold):
    is_fig = isinstance(target, go.Figure)
    values = [
        (
            None if base_curve is None else [round(100 * v, 2) for v in base_curve],
            base_label or "",
            base_curve is not None,
        ),
        ([round(100 * v, 2) for v in alt_curve], alt_label, True),
    ]
    for i, (y, name, visible) in enumerate(values):
        if is_fig:
            target.data[i].update(y=y or [], name=name, visible=visible)
        else:
            target["data"][i]["y"], target["data"][i]["name"] = y or [], name
            target["data"][i]["visible"] = visible
    x = threshold if threshold is not None else 0
    if is_fig:
        target.layout.shapes[0].update(x0=x, x1=x, visible=threshold is not None)
    else:
        shape = target["layout"]["shapes"][0]
        shape["x0"], shape["x1"], shape["visible"] = x, x, threshold is not None
    return target


def suggestion_patch(patch, chosen: list[dict]):
    """Show the optimiser's suggested sites (trace 4) without touching anything else."""
    suggested = ACCESS_TRACE["suggested"]
    patch["data"][suggested]["lon"] = [c["lon"] for c in chosen]
    patch["data"][suggested]["lat"] = [c["lat"] for c in chosen]
    patch["data"][suggested]["text"] = [
        f"<b>Suggested: {html_escape(c['label'])}</b><br>gain {c['gain']:,.0f}" for c in chosen
    ]
    return patch


# -- Equality impact ------------------------------------------------------------------
def equality_chart(groups: list[str], all_share: list, losing_share: list, area_name: str) -> dict:
    """Share of each group among everyone in the area and among those losing access (horizontal
    bars, % of people; the table beside it holds the same numbers).

    A plain figure dict, as plotly.js reads it: built on every click, and plotly's validating
    ``go.Figure`` took three quarters of the equality section's time."""
    labels = [g if len(g) <= 44 else g[:42] + "…" for g in groups]
    traces = [
        {
            "type": "bar",
            "y": labels,
            "x": [None if s is None else 100 * s for s in shares],
            "name": name,
            "orientation": "h",
            "marker": {"color": colour},
            "hovertext": groups,
            "hovertemplate": "%{hovertext}: %{x:.1f}%<extra>" + name + "</extra>",
        }
        for name, shares, colour in (
            (f"All of {area_name}", all_share, BASE_COLOUR),
            ("Losing access", losing_share, ALT_COLOUR),
        )
    ]
    layout = {
        "barmode": "group",
        "margin": {"l": 10, "r": 10, "t": 10, "b": 40},
        "xaxis": {"title": {"text": "% of people"}, "gridcolor": "#e5e5e5", "rangemode": "tozero", "zeroline": False},
        "yaxis": {"autorange": "reversed", "automargin": True},
        "legend": {"orientation": "h", "y": -0.2},
        "height": max(240, 40 + 34 * len(groups)),
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12, "color": "#212529"},
    }
    return {"data": traces, "layout": layout}


# -- Sites page map -------------------------------------------------------------------
def sites_figure(ward_geojson, ward_codes, sites, role_labels: dict, area_name: str, bounds) -> go.Figure:
    """The register on the area's wards: one trace per role (symbols as on the Access map),
    border sites say they are outside the area in their hover text."""
    fig = go.Figure()
    fig.add_trace(
        go.Choropleth(
            geojson=ward_geojson,
            locations=list(ward_codes),
            z=[0] * len(ward_codes),
            colorscale=[[0, "#f1f3f5"], [1, "#f1f3f5"]],
            showscale=False,
            hoverinfo="skip",
            marker_line_color="#6b6b6b",
            marker_line_width=0.8,
            showlegend=False,
        )
    )
    for role in dict.fromkeys(sites["role"]):
        group = sites[sites["role"] == role]
        symbol, colour = ROLE_STYLE.get(role, OTHER_STYLE)
        text = [
            f"<b>{name}</b><br>{role_labels.get(role, role)}<br>{postcode}"
            + (f"<br>outside {area_name}" if outside else "")
            for name, postcode, outside in zip(group["name"], group["postcode"], group["outside_area"])
        ]
        fig.add_trace(
            go.Scattergeo(
                lon=group["lon"],
                lat=group["lat"],
                text=text,
                mode="markers",
                name=role_labels.get(role, role),
                hovertemplate="%{text}<extra></extra>",
                marker=dict(
                    symbol=symbol,
                    color=colour,
                    size=13 if role == "proposed_hub" else 10,
                    line=dict(color="white", width=1),
                ),
            )
        )
    _map_layout(fig, "sites", False, bounds)
    fig.update_layout(height=420, showlegend=True, legend=dict(orientation="h", y=-0.02, x=0))
    return fig
