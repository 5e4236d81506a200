"""A built wheel carries what an installed copy needs: the dashboard's assets and the example
bundle (found at <prefix>/share/needs-map/luton when there is no checkout)."""

import subprocess
import sys
import zipfile

import pytest

from conftest import ROOT


@pytest.mark.slow
def test_wheel_carries_assets_and_the_bundle(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("needs_map-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    data = next(n.split("/data/")[0] for n in names if "/data/" in n)
    for expected in (
        "dashboard/assets/style.css",
        "dashboard/assets/keyboard.js",
        "dashboard/assets/vendor/plotly-needs-map-4.1.1.min.js",
        "dashboard/serve.py",
        f"{data}/data/share/needs-map/luton/bundle.toml",
        f"{data}/data/share/needs-map/luton/PROVENANCE.md",
        f"{data}/data/share/needs-map/luton/sites.csv",
        f"{data}/data/share/needs-map/england/pack.toml",
        f"{data}/data/share/needs-map/england/postcodes_england_codepoint_open_2025_4.parquet",
        f"{data}/data/share/needs-map/england/SOURCE_PROVENANCE.md",
    ):
        assert expected in names, expected


def test_default_bundle_follows_the_environment(monkeypatch, tmp_path):
    from geo.bundle import default_bundle_path

    assert default_bundle_path() == ROOT / "data" / "luton"  # a checkout: its own data folder
    monkeypatch.setenv("NEEDSMAP_BUNDLE", str(tmp_path))
    assert default_bundle_path() == tmp_path


def test_the_vendored_partial_plotly_js_is_the_installed_plotlys_version():
    """The small plotly.js build served by default (dashboard/assets/vendor) must be the version
    the installed plotly's figures are written for; pyproject pins plotly to the minor release
    that bundles it. A plotly upgrade fails here until the build is remade (plotly_bundle/README)."""
    import re

    from plotly.offline import get_plotlyjs_version

    from dashboard import PARTIAL_PLOTLY

    path = ROOT / "dashboard" / "assets" / PARTIAL_PLOTLY
    stamped = re.search(r'\.version="([0-9.]+)"', path.read_text(encoding="utf-8")[:2000])
    assert stamped is not None, f"{path.name}: no version stamp"
    assert stamped.group(1) == get_plotlyjs_version() and get_plotlyjs_version() in path.name
