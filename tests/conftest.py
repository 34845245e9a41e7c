"""Shared test configuration: paths to the real data used by the tests."""

import os
from pathlib import Path

import pytest

#: Real data shared by the project (see its README for provenance); absent for
#: users who run the tests from an installed package.
REALDATA = Path(
    os.environ.get("ASTRO_SSO_REALDATA", Path(__file__).parents[2] / "shared" / "realdata")
)


@pytest.fixture
def realdata():
    """Path to the shared real-data folder, or skip with the reason."""
    if not REALDATA.is_dir():
        pytest.skip(f"real data folder {REALDATA} is absent (set ASTRO_SSO_REALDATA to its path)")
    return REALDATA
