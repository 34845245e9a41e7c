"""The simulated stack reaches the Q1 depth: IE = 25.6 at 10 sigma in 1.3" apertures."""

import pytest
from astro_sso_euclid import instrument as vis
from astro_sso_euclid.depth import aperture_weights, measure_depth, predicted_depth


def test_four_exposure_stack_reaches_q1_depth():
    d = measure_depth(shape=(1024, 1024), seed=11)
    assert d["n_apertures"] > 4000
    assert d["depth"] == pytest.approx(vis.DEPTH_TARGET, abs=0.15)
    assert d["depth"] == pytest.approx(d["predicted"], abs=4 * d["depth_error"] + 0.01)
    assert d["predicted"] == pytest.approx(25.6, abs=0.01)


def test_published_sky_would_be_too_shallow_and_depth_scales_with_exposures():
    published = float(vis.flux_rate(vis.SKY_MAG_PUBLISHED + 5.0))  # mag/arcsec^2 -> mag/px
    d = measure_depth(shape=(512, 512), sky_rate=published, seed=2)
    assert 25.35 < d["depth"] < 25.55
    one = measure_depth(shape=(512, 512), n_exposures=1, seed=3)
    assert one["depth"] == pytest.approx(predicted_depth(n_exposures=1), abs=0.06)
    assert predicted_depth() - predicted_depth(n_exposures=1) == pytest.approx(0.75, abs=0.02)


def test_aperture_is_1p3_arcsec():
    import numpy as np

    assert aperture_weights().sum() == pytest.approx(np.pi * 6.5**2, rel=0.003)
