"""Doctests of geo/ and dashboard/ run with ``engine``: the example bundle's engine."""

import pytest


@pytest.fixture(scope="session")
def _doctest_engine():
    import warnings

    from geo import Engine, load_bundle
    from geo.bundle import default_bundle_path

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Engine(load_bundle(default_bundle_path()))


@pytest.fixture(autouse=True)
def _add_engine(request, doctest_namespace):
    if request.node.__class__.__name__ == "DoctestItem":
        doctest_namespace["engine"] = request.getfixturevalue("_doctest_engine")
