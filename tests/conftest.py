import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bundle_factory import make_bundle  # noqa: E402

LUTON = ROOT / "data" / "luton"


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
