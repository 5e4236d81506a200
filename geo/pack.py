"""A national data pack: the compact, checksummed copy of national open data that
``python -m geo build-bundle`` cuts one authority's bundle from.

The product ships one pack (``data/england/``): the England data pack's CSV and GeoJSON
files converted, unchanged in content, to Parquet and GeoParquet (zstd), with a
``pack.toml`` that lists every file, its rows, its SHA-256 and the SHA-256 of the source
file it came from. :func:`convert_pack` makes it (``python -m geo make-pack --source DIR
--out DIR``); :func:`open_pack` checks every checksum before any file is read, so a
truncated or edited file is refused with its name, never used.

Conversion keeps every row and column and every value: numbers stay numbers, codes stay
text, geometries are the same WGS84 coordinates. Only the container changes.

Examples
--------
>>> pack = open_pack(default_pack_path())
>>> int(pack.table("lookup_ltla_utla_region")["utla_code"].nunique())
153
"""

from __future__ import annotations

import hashlib
import shutil
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from geo.errors import BundleError

PACK_MANIFEST = "pack.toml"
# Source files of the pack, by the name they keep (without .csv.gz / .geojson.gz).
TABLES = (
    "lookup_lsoa21_ward2025_ltla_utla",
    "lookup_ward2025_ltla_utla",
    "lookup_ltla_utla_region",
    "lookup_lsoa11_lsoa21",
    "centroids_oa21_pwc_population",
    "centroids_lsoa21_pwc",
    "centroids_lsoa11_pwc",
    "population_sape_lsoa11_mid2019_mid2020_age0_19",
    "population_census2021_lsoa21_age6",
    "iod2019_lsoa11",
    "iod2019_road_distances_lsoa11",
    "iod2025_lsoa21",
    "postcodes_england_codepoint_open_2025_4",
    "census2021_lsoa21_ethnicity_religion_disability",
    "schools_gias_open_england_20250524",
)
GEOMETRIES = (
    "boundaries_lsoa21_bgc",
    "boundaries_lsoa11_bgc",
    "boundaries_wards_may2025_bgc",
    "boundaries_ltla_may2025_from_wards",
    "boundaries_utla_from_wards",
)
# Columns read as text whatever they look like (codes with leading zeros, postcodes).
_TEXT = {"la_code_dfe", "urn", "positional_quality"}


def sha256(path: Path) -> str:
    """The SHA-256 of a file, in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def default_pack_path() -> Path:
    """The pack shipped with the product: ``data/england`` beside a checkout of the code, else
    the copy an installed package carries (``<prefix>/share/needs-map/england``)."""
    import sys

    checkout = Path(__file__).resolve().parent.parent / "data" / "england"
    installed = Path(sys.prefix) / "share" / "needs-map" / "england"
    if not (checkout / PACK_MANIFEST).is_file() and (installed / PACK_MANIFEST).is_file():
        return installed
    return checkout


def convert_pack(source: Path, out: Path) -> dict[str, Any]:
    """Convert the source pack's gzipped CSV and GeoJSON files to Parquet in ``out``.

    Writes ``out/pack.toml`` (files, rows, checksums) and copies the source's
    ``README.md`` and ``PROVENANCE.md`` beside them. Returns the manifest as a dict.
    """
    import geopandas as gpd

    source, out = Path(source), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, dict[str, Any]] = {}
    for name in TABLES + GEOMETRIES:
        is_geometry = name in GEOMETRIES
        src = source / (f"{name}.geojson.gz" if is_geometry else f"{name}.csv.gz")
        if not src.is_file():
            raise BundleError(f"the source pack has no {src.name}", file=str(src))
        target = out / f"{name}.parquet"
        if is_geometry:
            frame = gpd.read_file(f"/vsigzip/{src}")
            frame.to_parquet(target, compression="zstd", compression_level=19, index=False)
        else:
            table = pd.read_csv(src, dtype={c: str for c in _TEXT}, keep_default_na=False, na_values=[""])
            table.to_parquet(target, compression="zstd", compression_level=19, index=False)
            frame = table
        files[name] = {
            "file": target.name,
            "rows": len(frame),
            "sha256": sha256(target),
            "source_file": src.name,
            "source_sha256": sha256(src),
        }
    for doc in ("README.md", "PROVENANCE.md"):
        shutil.copyfile(source / doc, out / f"SOURCE_{doc}")
    lines = [
        "# A national data pack for `python -m geo build-bundle` (written by `python -m geo make-pack`).",
        "# Every file is checked against its sha256 before use. Provenance: SOURCE_PROVENANCE.md.",
        "",
    ]
    for name, entry in files.items():
        lines.append(f"[files.{name}]")
        for key, value in entry.items():
            lines.append(f'{key} = "{value}"' if isinstance(value, str) else f"{key} = {value}")
        lines.append("")
    (out / PACK_MANIFEST).write_text("\n".join(lines), encoding="utf-8")
    return {"files": files}


@dataclass
class Pack:
    """An opened, checked pack: tables and geometries read on first use and kept."""

    path: Path
    files: dict[str, dict[str, Any]]
    _cache: dict[str, object] = field(default_factory=dict)

    def _path(self, name: str) -> Path:
        if name not in self.files:
            raise BundleError(f"the pack has no table {name!r}", file=str(self.path / PACK_MANIFEST))
        return self.path / str(self.files[name]["file"])

    def table(self, name: str, columns: list[str] | None = None) -> pd.DataFrame:
        """A table of the pack (``columns``: read only these)."""
        key = f"{name}:{','.join(columns or [])}"
        if key not in self._cache:
            self._cache[key] = pd.read_parquet(self._path(name), columns=columns)
        return self._cache[key]

    def geometries(self, name: str) -> Any:
        """A boundary layer of the pack as a GeoDataFrame (WGS84)."""
        import geopandas as gpd

        if name not in self._cache:
            self._cache[name] = gpd.read_parquet(self._path(name))
        return self._cache[name]


def open_pack(path: Path | str, check: bool = True) -> Pack:
    """Open a pack, checking every file's rows count and SHA-256 first (``check``).

    A missing, truncated or changed file is a ``BundleError`` naming it.
    """
    folder = Path(path)
    manifest_path = folder / PACK_MANIFEST
    if not manifest_path.is_file():
        raise BundleError(
            f"no {PACK_MANIFEST} in {folder}: make the pack with `python -m geo make-pack`", file=str(manifest_path)
        )
    manifest = tomllib.loads(manifest_path.read_text(encoding="utf-8"))
    files = manifest.get("files", {})
    missing = [n for n in (*TABLES, *GEOMETRIES) if n not in files]
    if missing:
        raise BundleError(f"the pack lists no {', '.join(missing)}", file=str(manifest_path))
    if check:
        for entry in files.values():
            target = folder / entry["file"]
            if not target.is_file():
                raise BundleError("is missing from the pack", file=str(target))
            if sha256(target) != entry["sha256"]:
                raise BundleError(
                    f"its SHA-256 differs from {PACK_MANIFEST}: the file was changed or truncated; "
                    "restore it from the repository or remake the pack",
                    file=str(target),
                )
    return Pack(folder, files)
