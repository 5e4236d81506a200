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
    ):
        assert expected in names, expected


def test_default_bundle_follows_the_environment(monkeypatch, tmp_path):
    from geo.bundle import default_bundle_path

    assert default_bundle_path() == ROOT / "data" / "luton"  # a checkout: its own data folder
    monkeypatch.setenv("NEEDSMAP_BUNDLE", str(tmp_path))
    assert default_bundle_path() == tmp_path
