"""simulate_field: determinism, WCS and headers, noise, photometry, trails, cosmic rays."""

import numpy as np
import pytest
from astro_sso_euclid import instrument as vis
from astro_sso_euclid.psf import point_stamp
from astro_sso_euclid.simulate import (
    n_trail_copies,
    simulate_field,
    split_magnitude,
    trail_image,
)
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.time import Time
from euclid_testutils import moments_along, signal_electrons

from astro_sso.exceptions import InputError

EMPTY = {"n_sso": 0, "n_stars": 0, "n_galaxies": 0, "n_cosmic_rays": 0}


def test_same_seed_same_field_other_seed_other_field():
    kw = {"shape": (96, 96), "n_sso": 1, "n_stars": 2, "n_galaxies": 2, "n_cosmic_rays": 3}
    a_im, a_t = simulate_field(seed=5, **kw)
    b_im, b_t = simulate_field(seed=5, **kw)
    c_im, _ = simulate_field(seed=6, **kw)
    for a, b in zip(a_im, b_im, strict=True):
        assert np.array_equal(a.data, b.data)
    assert np.array_equal(a_t["xcentroid"], b_t["xcentroid"])
    assert list(a_t["label"]) == list(b_t["label"])
    assert not np.array_equal(a_im[0].data, c_im[0].data)


def test_wcs_and_headers_follow_dithers_and_timing():
    ims, _ = simulate_field(shape=(64, 80), seed=1, center=(150.0, 12.0), **EMPTY)
    c1 = SkyCoord(*ims[0].wcs.wcs.crval, unit="deg")
    t1 = Time(ims[0].header["DATE-OBS"], scale="utc")
    for k, (off, ccd) in enumerate(zip(vis.dither_offsets_cumulative(), ims, strict=True)):
        h = ccd.header
        assert ccd.data.shape == (64, 80) and ccd.unit == u.adu
        assert h["EXPTIME"] == 565.0 and h["GAIN"] == 3.4 and h["RDNOISE"] == 4.2
        assert h["BUNIT"] == "ADU" and h["DITHER"] == k + 1
        assert ccd.wcs.wcs.ctype[0] == "RA---TAN"
        # the pointing (CRVAL) moves by the dither offset...
        sep = c1.separation(SkyCoord(*ccd.wcs.wcs.crval, unit="deg")).arcsec
        assert sep == pytest.approx(np.hypot(*off), abs=0.01)
        # ...and the image still covers the same sky, pixel for pixel
        for px in [(0, 0), (79, 63), (40.3, 12.7)]:
            a = ims[0].wcs.pixel_to_world(*px)
            assert a.separation(ccd.wcs.pixel_to_world(*px)).arcsec < 1e-3
        t = Time(h["DATE-OBS"], scale="utc")
        assert (t - t1).to_value(u.s) == pytest.approx(k * 629.0, abs=1e-3)
        assert h["MJD-OBS"] == pytest.approx(t.mjd, abs=1e-9)
    # x runs towards decreasing RA, y towards north, 0.1"/px
    p0, px, py = ims[0].wcs.pixel_to_world([10, 11, 10], [10, 10, 11])
    assert p0.spherical_offsets_to(px)[0].arcsec == pytest.approx(-0.1, abs=1e-6)
    assert p0.spherical_offsets_to(py)[1].arcsec == pytest.approx(0.1, abs=1e-6)


def test_blank_frame_mean_and_variance_in_adu():
    ims, _ = simulate_field(shape=(256, 256), seed=2, **EMPTY)
    bkg = vis.background_electrons()
    mean = vis.BIAS_LEVEL + bkg / vis.GAIN
    # Poisson background in ADU^2 is (background in ADU) / gain = bkg / gain^2
    var = bkg / vis.GAIN**2 + (vis.READ_NOISE / vis.GAIN) ** 2 + 1.0 / 12.0  # + rounding
    for ccd in ims:
        d = np.asarray(ccd.data, dtype=float)
        assert np.array_equal(d, np.round(d))  # whole ADU
        assert d.mean() == pytest.approx(mean, abs=0.1)
        assert d.var() == pytest.approx(var, rel=0.03)
    # the frames are independent
    assert abs(np.corrcoef(ims[0].data.ravel(), ims[1].data.ravel())[0, 1]) < 0.02


def test_star_photometry_recovers_the_input_magnitude():
    ims, t = simulate_field(
        shape=(400, 400), n_sso=0, n_stars=6, n_galaxies=0, n_cosmic_rays=0,
        star_mag_range=(19.0, 22.0), seed=3,
    )  # fmt: skip
    stars = t[t["label"] == "star"]
    yy, xx = np.indices((400, 400))
    near = np.zeros((400, 400), bool)
    for s in stars:
        near |= np.hypot(xx - s["xcentroid"].value, yy - s["ycentroid"].value) < 30
    checked = 0
    for s in stars:
        x, y = s["xcentroid"].value, s["ycentroid"].value
        others = stars[stars["source_id"] != s["source_id"]]
        far = np.hypot(others["xcentroid"].value - x, others["ycentroid"].value - y)
        if min(x, y, 399 - x, 399 - y) < 25 or (far.size and far.min() < 45):
            continue
        # aperture of 1.2" radius with the aperture correction of the PSF model
        r = np.hypot(xx - x, yy - y)
        st, ix, iy = point_stamp(x, y)
        sy, sx = np.indices(st.shape)
        frac = st[np.hypot(sx - 20 + ix - x, sy - 20 + iy - y) <= 12].sum()
        for ccd in ims:
            e = (np.asarray(ccd.data, float) - vis.BIAS_LEVEL) * vis.GAIN
            sky = e[~near].mean()  # empty sky, away from every star
            flux = (e[r <= 12] - sky).sum() / frac / vis.EXPTIME
            assert float(vis.ab_mag(flux)) == pytest.approx(s["mag"].value, abs=0.05)
        checked += 1
    assert checked >= 4


def test_saturated_star_is_clipped_and_masked():
    ims, _ = simulate_field(
        shape=(64, 64), n_sso=0, n_stars=1, n_galaxies=0, n_cosmic_rays=0,
        star_mag_range=(15.0, 15.0), seed=1,
    )  # fmt: skip
    assert ims[0].mask.any()
    assert ims[0].data.max() == pytest.approx(vis.BIAS_LEVEL + vis.FULL_WELL / vis.GAIN, abs=1)


def test_eq1_magnitude_split_conserves_flux():
    m, n = 23.4, np.array([1, 16, 1256])
    m_star = split_magnitude(m, n)
    assert np.allclose(n * vis.flux_rate(m_star), vis.flux_rate(m))
    assert n_trail_copies(12.56) == 126  # oversampling 10
    im, _, _, n_copies = trail_image(30.0, 40.0, 95.3, 12.1, 5000.0)
    assert n_copies == n_trail_copies(np.hypot(65.3, 27.9))
    assert im.sum() == pytest.approx(5000.0, rel=1e-9)


def test_sso_trail_length_and_motion_follow_speed_and_timing():
    speed = 30.0
    ims, t = simulate_field(
        shape=(320, 320), n_sso=1, n_stars=0, n_galaxies=0, n_cosmic_rays=0,
        sso_mag_range=(20.0, 20.0), sso_speed_range=(speed, speed), noise=False, seed=9,
    )  # fmt: skip
    s = t[t["label"] == "sso"][0]
    v_px = s["speed"].value / 3600 / vis.PIXEL_SCALE
    length_px = v_px * vis.EXPTIME
    assert s["length"].to_value(u.arcsec) == pytest.approx(s["speed"].value * 565 / 3600)
    assert s["n_copies"] == n_trail_copies(length_px)
    assert s["mag_copy"].value == pytest.approx(20.0 + 2.5 * np.log10(s["n_copies"]))
    ux = -np.sin(np.radians(s["motion_pa"].value))
    uy = np.cos(np.radians(s["motion_pa"].value))
    # truth geometry: trail length and the 629 s between dither starts
    d_trail = np.hypot(s["x_end"] - s["x_start"], s["y_end"] - s["y_start"]).value
    assert np.allclose(d_trail, length_px)
    step = np.hypot(np.diff(s["x_start"].value), np.diff(s["y_start"].value))
    assert np.allclose(step, v_px * 629.0)
    # the images: centroid and along-track extent of each dither's trail
    psf, ix, iy = point_stamp(100.0, 100.0)
    big = np.zeros((200, 200))
    big[ix - 20 : ix + 21, iy - 20 : iy + 21] = psf
    _, _, var_psf, _ = moments_along(big, 100.0, 100.0, ux, uy)
    total = float(vis.flux_rate(20.0)) * vis.EXPTIME
    checked = 0
    for k, ccd in enumerate(ims):
        xs, ys, xe, ye = (s[c].value[k] for c in ("x_start", "y_start", "x_end", "y_end"))
        if min(xs, ys, xe, ye) < 25 or max(xs, ys, xe, ye) > 294:
            continue
        e = signal_electrons(ccd)
        assert e.sum() == pytest.approx(total, rel=1e-6)  # Eq. 1: the copies add up
        xm, ym = s["x_dither"].value[k], s["y_dither"].value[k]
        m_a, m_c, v_a, _ = moments_along(e, xm, ym, ux, uy)
        assert abs(m_a) < 0.05 and abs(m_c) < 0.05  # at the mid-exposure position
        assert np.sqrt(12 * (v_a - var_psf)) == pytest.approx(length_px, rel=0.02)
        checked += 1
    assert checked >= 2


def test_cosmic_rays_hit_one_dither_and_are_sharper_than_the_psf():
    ims, t = simulate_field(
        shape=(256, 256), n_sso=0, n_stars=0, n_galaxies=0, n_cosmic_rays=6,
        noise=False, seed=12,
    )  # fmt: skip
    cr = t[t["label"] == "cosmic_ray"]
    assert len(cr) == 24 and sorted(set(cr["dither"].tolist())) == [0, 1, 2, 3]
    assert np.isnan(cr["x_dither"].value).sum() == 3 * len(cr)
    sig = np.array([signal_electrons(c) for c in ims])
    hit = sig > 1e-6
    assert hit.any(axis=0).sum() > 0 and not (hit.sum(axis=0) > 1).any()
    psf, _, _ = point_stamp(0.0, 0.0)
    for row in cr:
        k = row["dither"]
        x0, y0 = row["x_start"].value[k], row["y_start"].value[k]
        x1, y1 = row["x_end"].value[k], row["y_end"].value[k]
        lo_x, hi_x = int(min(x0, x1)) - 2, int(max(x0, x1)) + 3
        lo_y, hi_y = int(min(y0, y1)) - 2, int(max(y0, y1)) + 3
        box = sig[k, max(lo_y, 0) : hi_y, max(lo_x, 0) : hi_x]
        if box.sum() <= 0:
            continue  # the track left the field
        length = np.hypot(x1 - x0, y1 - y0)
        if length < 1.5:
            assert box.max() / box.sum() > 1.5 * psf.max()  # far more peaked than a star
        else:
            ux, uy = (x1 - x0) / length, (y1 - y0) / length
            _, _, _, v_c = moments_along(box, 0.5 * (x0 + x1) - max(lo_x, 0),
                                         0.5 * (y0 + y1) - max(lo_y, 0), ux, uy)  # fmt: skip
            _, _, _, v_psf = moments_along(psf, 20.0, 20.0, ux, uy)
            assert v_c < 0.25 < v_psf
    assert np.all(cr["snr"] > 0)


def test_cosmic_ray_rate_sets_the_number_of_hits():
    _, t = simulate_field(shape=(256, 256), n_sso=0, n_stars=0, n_galaxies=0, seed=3)
    n = (t["label"] == "cosmic_ray").sum()
    expected = 4 * vis.EXPTIME * 5.0 * 256 * 256 * (12e-4) ** 2
    assert abs(n - expected) < 5 * np.sqrt(expected)


def test_galaxies_are_extended_and_conserve_flux():
    ims, t = simulate_field(
        shape=(200, 200), n_sso=0, n_stars=0, n_galaxies=1, n_cosmic_rays=0,
        noise=False, seed=21,
    )  # fmt: skip
    g = t[t["label"] == "galaxy"][0]
    assert 0.5 <= g["sersic_n"] <= 4.5 and g["half_light_radius"].value > 0
    e = signal_electrons(ims[0])
    assert np.allclose(e, signal_electrons(ims[3]))  # static: same pixels in every dither
    flux = float(vis.flux_rate(g["mag"].value)) * vis.EXPTIME
    x, y = g["xcentroid"].value, g["ycentroid"].value
    if min(x, y, 199 - x, 199 - y) > 60:
        assert e.sum() == pytest.approx(flux, rel=0.05)
    psf, _, _ = point_stamp(0.0, 0.0)
    assert e.max() / e.sum() < psf.max()


def test_truth_table_columns_and_snr():
    _, t = simulate_field(shape=(128, 128), n_sso=3, n_stars=2, n_galaxies=3, seed=8)
    assert {"source_id", "label", "mag", "band", "speed", "motion_pa", "xcentroid",
            "ycentroid", "ra", "dec", "snr", "dither", "obstime"} <= set(t.colnames)  # fmt: skip
    assert set(t["band"]) == {"VIS"} and t["speed"].unit == u.arcsec / u.h
    sso = t[t["label"] == "sso"]
    assert ((sso["speed"].value >= 1) & (sso["speed"].value <= 80)).all()
    assert ((sso["mag"].value >= 20) & (sso["mag"].value <= 26)).all()
    # brighter SSOs at the same speed have more S/N; S/N ~ optimal in one exposure
    assert np.all(np.isfinite(t["snr"])) and np.all(t["snr"] > 0)
    assert len(set(t["source_id"].tolist())) == len(t)


def test_bad_inputs_say_what_to_do():
    with pytest.raises(InputError, match="at least 8"):
        simulate_field(shape=(4, 4))
    with pytest.raises(InputError, match="n_stars=-1"):
        simulate_field(shape=(32, 32), n_stars=-1)
