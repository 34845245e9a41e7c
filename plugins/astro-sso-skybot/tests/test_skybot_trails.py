"""The O-C distance of astro_sso_skybot.trails on tracks whose answer is known."""

import numpy as np
import pytest
from astro_sso_skybot.trails import (
    angle,
    d_oc,
    interpolate,
    time_grid,
    to_radec,
    trail_centres,
    unit_vectors,
)

ARCSEC = 1.0 / 3600.0
MIN = 1.0 / 1440.0


def _linear_track(rate_ra=30.0, rate_dec=-10.0, ra0=150.0, dec0=10.0, span=0.03, step=MIN):
    """A track moving uniformly (rates in arcsec/h), sampled from -span to 2*span days."""
    grid = np.arange(-span, 2 * span + step / 2, step)
    ra = ra0 + rate_ra * grid * 24 * ARCSEC / np.cos(np.radians(dec0))
    dec = dec0 + rate_dec * grid * 24 * ARCSEC
    return grid, unit_vectors(ra, dec)[None], (ra0, dec0, rate_ra, rate_dec)


def _at(track_info, t):
    ra0, dec0, rr, dr = track_info
    return unit_vectors(
        ra0 + rr * t * 24 * ARCSEC / np.cos(np.radians(dec0)), dec0 + dr * t * 24 * ARCSEC
    )


def test_time_grid_covers_the_widened_exposure_at_the_step():
    grid = time_grid(0.0, 30 * MIN, MIN, 0.9 * MIN)
    assert grid[0] == pytest.approx(-0.9 * MIN) and grid[-1] == pytest.approx(30.9 * MIN)
    for t in (0.0, 15 * MIN, 30 * MIN):
        assert np.min(np.abs(grid - t)) < 1e-12
    assert np.all(np.diff(grid) > 0) and np.diff(grid).max() <= MIN + 1e-12


def test_perfect_trail_has_zero_d_oc_in_its_direction():
    grid, track, info = _linear_track()
    T = 0.02
    res = d_oc(grid, track, 0.0, T, _at(info, 0.0), _at(info, T), allowance=0.03 * T)
    assert res["direction"][0] == 1
    assert res["d_oc"][0] < 1e-3


def test_swapped_ends_are_found_with_direction_minus_one():
    grid, track, info = _linear_track()
    T = 0.02
    res = d_oc(grid, track, 0.0, T, _at(info, T), _at(info, 0.0), allowance=0.03 * T)
    assert res["direction"][0] == -1
    assert res["d_oc"][0] < 1e-3
    # the same trail with the direction forced wrong would be the trail length away
    length = np.degrees(angle(_at(info, 0.0), _at(info, T))) * 3600
    assert length > 10


def test_constant_offset_gives_that_offset():
    grid, track, info = _linear_track(rate_ra=0.0, rate_dec=40.0)
    T = 0.02
    # shift both ends 2" east: perpendicular to the (northward) motion
    s = _at(info, 0.0)
    e = _at(info, T)
    shift = (
        np.array([-np.sin(np.radians(150.0)), np.cos(np.radians(150.0)), 0.0])
        * 2
        * np.radians(ARCSEC)
    )
    res = d_oc(grid, track, 0.0, T, s + shift, e + shift, allowance=0.03 * T)
    assert res["d_oc"][0] == pytest.approx(2.0, abs=0.01)


def test_time_shift_within_the_allowance_is_absorbed_and_beyond_it_is_not():
    grid, track, info = _linear_track(rate_ra=600.0, rate_dec=0.0)  # 10"/min
    T = 30 * MIN
    a = 0.03 * T  # 54 s -> 9" along the track
    late = 0.8 * a
    ok = d_oc(grid, track, 0.0, T, _at(info, late), _at(info, T + late), allowance=a)
    assert ok["d_oc"][0] < 0.01
    too_late = 3 * a
    bad = d_oc(grid, track, 0.0, T, _at(info, too_late), _at(info, T + too_late), allowance=a)
    expected = 600.0 / 3600.0 * (too_late - a) * 86400.0  # arcsec beyond the allowance
    assert bad["d_oc"][0] == pytest.approx(expected, rel=0.02)
    none = d_oc(grid, track, 0.0, T, _at(info, late), _at(info, T + late), allowance=0.0)
    assert none["d_oc"][0] == pytest.approx(600.0 / 3600.0 * late * 86400.0, rel=0.02)


def test_trail_points_use_the_rms_distance_and_both_directions():
    grid, track, info = _linear_track()
    T = 0.02
    pt = np.linspace(0.0, T, 7)
    pts = _at(info, pt)
    rng = np.random.default_rng(1)
    noise = rng.normal(0.0, 0.5 * np.radians(ARCSEC), pts.shape)
    noisy = pts + noise
    res = d_oc(grid, track, 0.0, T, pts[0], pts[-1], allowance=0.0, points_t=pt, points=noisy)
    expected = np.sqrt(np.mean(np.degrees(angle(noisy, pts)) ** 2)) * 3600
    assert res["direction"][0] == 1
    assert res["d_oc"][0] == pytest.approx(expected, rel=0.05)
    # reversed: a detector gives the point at the true time t the time T - t
    rev = d_oc(grid, track, 0.0, T, pts[-1], pts[0], allowance=0.0, points_t=T - pt, points=pts)
    assert rev["direction"][0] == -1 and rev["d_oc"][0] < 1e-3


def test_best_of_several_candidates_is_reported_per_candidate():
    grid, t1, info = _linear_track()
    _, t2, _ = _linear_track(ra0=150.01)
    T = 0.02
    res = d_oc(grid, np.concatenate([t2, t1]), 0.0, T, _at(info, 0.0), _at(info, T), allowance=0.0)
    assert res["d_oc"].shape == (2,)
    assert res["d_oc"][1] < 1e-3 < 30 < res["d_oc"][0]


def test_no_candidate_gives_empty_arrays():
    res = d_oc(np.zeros(1), np.zeros((0, 1, 3)), 0.0, 1.0, np.ones(3), np.ones(3), allowance=0)
    assert res["d_oc"].shape == (0,) and res["direction"].shape == (0,)


def test_helpers_agree_with_each_other():
    ra, dec = trail_centres(10.0, 20.0, 10.2, 20.0)
    assert float(dec) > 20.0 and float(ra) == pytest.approx(10.1)
    track = unit_vectors(np.array([[0.0, 1.0]]), np.array([[0.0, 0.0]]))
    mid = interpolate(np.array([0.0, 1.0]), track, np.array([0.25]))
    assert float(to_radec(mid)[0][0, 0]) == pytest.approx(0.25, abs=1e-4)
