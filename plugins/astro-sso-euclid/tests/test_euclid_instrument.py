"""VIS figures, the PSF and the photometric conversions."""

import numpy as np
import pytest
from astro_sso_euclid import instrument as vis
from astro_sso_euclid.psf import effective_psf_stamps, point_stamp, vis_psf


def test_published_figures():
    assert vis.PIXEL_SCALE == 0.1 and vis.GAIN == 3.4 and vis.READ_NOISE < 4.4
    assert vis.EXPTIME == 565.0 and vis.SLEW_TIME == 64.0 and vis.FULL_WELL == 200_000.0
    assert vis.dither_offsets_cumulative()[1:].tolist() == [[100, 50], [200, 50], [300, 50]]
    assert np.diff(vis.dither_start_times()).tolist() == [629.0] * 3


def test_psf_fwhm_is_the_q1_figure():
    import galsim

    eff = galsim.Convolve(vis_psf(), galsim.Pixel(vis.PIXEL_SCALE))
    assert eff.calculateFWHM(scale=0.005, size=200) == pytest.approx(vis.PSF_FWHM, abs=0.003)


def test_point_stamps_conserve_flux_and_follow_the_position():
    stamps = effective_psf_stamps()
    assert np.allclose(stamps.sum(axis=(2, 3)), 1.0)
    for x in (10.0, 10.26, 10.49, 10.51, 9.77):
        st, ix, iy = point_stamp(x, 5.0)
        k = np.arange(-20, 21)
        xc = ix + (st.sum(axis=0) * k).sum()
        assert abs(xc - x) <= 0.051  # phase rounding to 0.1 px


def test_bright_limit_matches_the_published_one():
    """A centred star fills the full well at ~17.8 AB (INSTRUMENTS.md: bright limit 17.8)."""
    peak = effective_psf_stamps()[5, 5].max()
    rate = (vis.FULL_WELL - vis.background_electrons()) / (peak * vis.EXPTIME)
    assert 17.6 < float(vis.ab_mag(rate)) < 18.0


def test_magnitude_conversions_round_trip():
    m = np.array([18.0, 22.5, 26.0])
    assert np.allclose(vis.ab_mag(vis.flux_rate(m)), m)
    assert vis.flux_rate(vis.ZERO_POINT) == pytest.approx(1.0)
