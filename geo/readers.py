"""Low-level readers that turn bundle files into tables, or raise ``BundleError``
naming the file, row and field.

Row numbers in messages are the line numbers a person sees in a text editor or
spreadsheet: the header is line 1, the first data row is line 2.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geo.errors import BundleError, ScenarioError

_POSTCODE_RE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")


def csv_line(index: int) -> int:
    """Line number (header = 1) of the data row at 0-based position ``index``."""
    return index + 2


def read_csv(folder: Path, name: str, required: list[str], allow_empty: bool = False) -> pd.DataFrame:
    """Read a CSV as strings (so every value is validated by us, not guessed by pandas).

    ``allow_empty``: a header with no rows is a valid, empty table (a site register not yet
    filled in); otherwise it is an error."""
    path = folder / name
    if not path.is_file():
        raise BundleError("file not found in the bundle", file=name)
    try:
        # utf-8-sig strips a byte-order mark that Excel adds.
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BundleError(
            f"not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8 CSV", file=name
        ) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise BundleError(f"cannot be parsed as CSV: {str(exc).strip()}", file=name) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    for column in required:
        if column not in frame.columns:
            raise BundleError(f"missing column; the file has: {', '.join(frame.columns)}", file=name, field=column)
    if frame.empty and not allow_empty:
        raise BundleError("has a header but no data rows", file=name)
    return frame


def numeric_column(frame: pd.DataFrame, column: str, name: str, *, allow_blank: bool = False) -> np.ndarray:
    """Parse ``column`` as finite floats; a blank is NaN only when ``allow_blank``."""
    out = np.full(len(frame), np.nan)
    for i, raw in enumerate(frame[column].tolist()):
        text = str(raw).strip().replace(",", "")
        if text == "":
            if allow_blank:
                continue
            raise BundleError("is blank; a number was expected", file=name, row=csv_line(i), field=column)
        try:
            value = float(text)
        except ValueError:
            raise BundleError(f"value {raw!r} is not a number", file=name, row=csv_line(i), field=column) from None
        if not math.isfinite(value):
            raise BundleError(f"value {raw!r} is not a finite number", file=name, row=csv_line(i), field=column)
        out[i] = value
    return out


def unique_keys(frame: pd.DataFrame, column: str, name: str) -> list[str]:
    """The stripped key column, raising on a blank or repeated key."""
    keys = [str(v).strip() for v in frame[column].tolist()]
    seen: dict[str, int] = {}
    for i, key in enumerate(keys):
        if key == "":
            raise BundleError("is blank; every row needs a code", file=name, row=csv_line(i), field=column)
        if key in seen:
            raise BundleError(
                f"duplicate code {key!r} (also on line {csv_line(seen[key])})", file=name, row=csv_line(i), field=column
            )
        seen[key] = i
    return keys


MAX_GEOJSON_BYTES = 200_000_000


def read_geojson(folder: Path, name: str, key: str, name_field: str) -> Any:
    """Read a GeoJSON layer as a GeoDataFrame and check each feature's geometry."""
    import geopandas as gpd
    import shapely

    path = folder / name
    if not path.is_file():
        raise BundleError("file not found in the bundle", file=name)
    size = path.stat().st_size
    if size > MAX_GEOJSON_BYTES:
        raise BundleError(
            f"is {size / 1e6:,.0f} MB; boundary files over {MAX_GEOJSON_BYTES / 1e6:,.0f} MB are refused "
            "(simplify the boundaries first)",
            file=name,
        )
    try:
        with open(path, encoding="utf-8-sig") as handle:
            raw = json.load(handle)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BundleError(f"cannot be parsed as GeoJSON: {exc}", file=name) from None
    except RecursionError:
        raise BundleError("is nested too deeply to be GeoJSON", file=name) from None
    features = raw.get("features") if isinstance(raw, dict) else None
    if not isinstance(features, list) or not features:
        raise BundleError("has no 'features' list; a GeoJSON FeatureCollection was expected", file=name)
    codes, names, geoms = [], [], []
    for i, feature in enumerate(features):
        where = f"feature {i}"
        props = (feature or {}).get("properties") or {}
        for field in (key, name_field):
            if props.get(field) in (None, ""):
                raise BundleError("missing property", file=name, row=where, field=field)
        try:
            geom = shapely.geometry.shape(feature.get("geometry"))
        except Exception as exc:  # shapely raises several types for malformed input
            raise BundleError(f"geometry cannot be read ({exc})", file=name, row=where, field="geometry") from None
        if geom.is_empty:
            raise BundleError("geometry is empty", file=name, row=where, field="geometry")
        if geom.geom_type not in ("Polygon", "MultiPolygon"):
            raise BundleError(
                f"geometry is a {geom.geom_type}; a Polygon or MultiPolygon was expected",
                file=name,
                row=where,
                field="geometry",
            )
        if not geom.is_valid:
            reason = shapely.is_valid_reason(geom)
            raise BundleError(
                f"invalid geometry ({reason}) for {props.get(key)}; repair it (e.g. shapely.make_valid) before loading",
                file=name,
                row=where,
                field="geometry",
            )
        codes.append(str(props[key]).strip())
        names.append(str(props[name_field]).strip())
        geoms.append(geom)
    seen: dict[str, int] = {}
    for i, code in enumerate(codes):
        if code in seen:
            raise BundleError(
                f"duplicate code {code!r} (also feature {seen[code]})", file=name, row=f"feature {i}", field=key
            )
        seen[code] = i
    return gpd.GeoDataFrame({"code": codes, "name": names}, geometry=geoms)


def normalise_postcode(text: str) -> str:
    """'lu13qz', ' LU1  3QZ ' -> 'LU1 3QZ'; raise ScenarioError for anything not shaped
    like a UK postcode."""
    compact = re.sub(r"\s+", "", str(text)).upper()
    match = _POSTCODE_RE.match(compact)
    if not match:
        raise ScenarioError(f"{text!r} is not a valid UK postcode (expected e.g. 'LU1 3QZ')")
    return f"{match.group(1)} {match.group(2)}"


def normalise_postcodes(texts: pd.Series) -> pd.Series:
    """``normalise_postcode`` for a whole column at once (a county's tens of thousands of
    postcodes); NaN where a text is not shaped like a UK postcode.

    >>> list(normalise_postcodes(pd.Series(["lu13qz", " LU1  3QZ ", "nope"])).fillna("-"))
    ['LU1 3QZ', 'LU1 3QZ', '-']
    """
    compact = texts.astype(str).str.replace(r"\s+", "", regex=True).str.upper()
    parts = compact.str.extract(f"^(?:{_POSTCODE_RE.pattern})")
    return (parts[0] + " " + parts[1]).where(parts[0].notna() & parts[1].notna())


def same_codes(keys: list[str], lsoa_codes: list[str], name: str, column: str) -> None:
    """Every file keyed by LSOA must hold exactly the boundary file's codes."""
    reference = set(lsoa_codes)
    for i, key in enumerate(keys):
        if key not in reference:
            raise BundleError(
                f"LSOA code {key!r} is not in the LSOA boundary file", file=name, row=csv_line(i), field=column
            )
    missing = sorted(reference - set(keys))
    if missing:
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise BundleError(
            f"{len(missing)} LSOA code(s) of the boundary file have no row here: {shown}", file=name, field=column
        )


def publisher(source: str) -> str:
    """A source by publisher and dataset, without repository details (kept on the About page).

    >>> publisher("MHCLG IoD 2019 File 7 (via samuel-book/stroke_unit_demographics @61936e7)")
    'MHCLG IoD 2019 File 7'
    """
    return re.sub(r"\s*\((via|from) [^)]*\)", "", source).strip()
