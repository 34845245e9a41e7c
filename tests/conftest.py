"""Shared test configuration: where the real data used by the tests is."""

import pytest

from astro_sso.testing import realdata_path


@pytest.fixture
def realdata():
    """Path to the shared real-data folder, or skip with the reason."""
    path = realdata_path()
    if path is None:
        pytest.skip(
            "the shared real-data folder (shared/realdata next to the checkout) is absent; "
            "set ASTRO_SSO_REALDATA to its path"
        )
    return path
