import os
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bundle_factory import make_bundle  # noqa: E402

LUTON = ROOT / "data" / "luton"

# The dashboard's own files (signing key, stored views) go to a folder of this test run, never
# to the developer's ~/.local/share/needs-map; servers started by tests inherit it.
os.environ.setdefault("NEEDSMAP_DATA_DIR", tempfile.mkdtemp(prefix="needs-map-test-data-"))


@pytest.fixture
def tiny_path(tmp_path):
    return make_bundle(tmp_path / "tiny")


@pytest.fixture(scope="session")
def tiny_engine(tmp_path_factory):
    from geo import Engine, load_bundle

    return Engine(load_bundle(make_bundle(tmp_path_factory.mktemp("tiny"))))


@pytest.fixture(scope="session")
def luton_bundle():
    from geo import load_bundle

    return load_bundle(LUTON)


@pytest.fixture(scope="session")
def luton_engine(luton_bundle):
    from geo import Engine

    return Engine(luton_bundle)


def pytest_setup_options():
    """Headless Debian Chromium for dash[testing] browser tests (dash_duo)."""
    from selenium.webdriver.chrome.options import Options

    options = Options()
    options.binary_location = "/usr/bin/chromium"
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--no-first-run",
        "--window-size=1366,900",
    ):
        options.add_argument(arg)
    return options


ARTIFACTS = ROOT / "artifacts"


def free_port() -> int:
    from benchmarks.common import free_port as _free

    return _free()


def wait_for_download(folder, pattern: str = "*.pdf", seconds: float = 30) -> list:
    """Files matching ``pattern`` that appear in a browser's download folder within ``seconds``."""
    import time

    deadline = time.time() + seconds
    while time.time() < deadline:
        files = list(Path(folder).glob(pattern))
        if files:
            return files
        time.sleep(0.5)
    return []


@pytest.fixture
def luton_app(luton_engine):
    from dashboard import create_app

    return create_app(engine=luton_engine)
