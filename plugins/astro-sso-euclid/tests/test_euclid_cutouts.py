"""euclid-cutouts: conformance, moving vs static channels, channel choice, truth labels, errors."""

import numpy as np
import pytest
from astro_sso_euclid.cutouts import EuclidCutoutDetector, resolve_channels, truth_cutouts
from astro_sso_euclid.simulate import simulate_field
from astropy import units as u

import astro_sso
from astro_sso.exceptions import InputError
from astro_sso.testing import check_plugin

EMPTY = {"n_sso": 0, "n_stars": 0, "n_galaxies": 0, "n_cosmic_rays": 0}


@pytest.fixture(scope="module")
def field():
    """A bright star and a bright slow SSO (9"/h: ~16 px between dithers)."""
    return simulate_field(
        shape=(128, 128),
        n_sso=1,
        n_stars=1,
        n_galaxies=0,
        n_cosmic_rays=0,
        seed=2,
        sso_speed_range=(8.0, 9.0),
        sso_mag_range=(20.0, 20.5),
        star_mag_range=(19.0, 19.5),
    )


def _peak(plane):
    iy, ix = np.unravel_index(np.argmax(plane), plane.shape)
    return np.array([ix, iy], dtype=float)


def _centroid(plane):
    w = np.clip(plane - 3.0, 0, None)
    yy, xx = np.indices(plane.shape)
    return np.array([(w * xx).sum() / w.sum(), (w * yy).sum() / w.sum()])


def test_conformance():
    check_plugin(EuclidCutoutDetector)


def test_registered_through_the_hook():
    assert type(astro_sso.get_detector("euclid-cutouts")) is EuclidCutoutDetector


def test_sso_is_one_cutout_with_moving_trail_and_star_aligned(field):
    images, truth = field
    cut = EuclidCutoutDetector(channels=4, size=64, seed=1).detect(images)
    assert cut["cutout"].shape == (2, 64, 64, 4) and cut["cutout"].dtype == np.float32
    assert cut["xcentroid"].unit == u.pix and cut["ra"].unit == u.deg
    star = truth[truth["label"] == "star"][0]
    sso = truth[truth["label"] == "sso"][0]
    d_star = np.hypot(
        cut["xcentroid"].value - star["xcentroid"].value,
        cut["ycentroid"].value - star["ycentroid"].value,
    )
    i_star = int(np.argmin(d_star))
    assert d_star[i_star] < 1.0
    i_sso = 1 - i_star
    # the SSO cutout is centred on the middle of its motion over the 4 dithers
    mid_x = 0.5 * (sso["x_dither"][0] + sso["x_dither"][3]).value
    mid_y = 0.5 * (sso["y_dither"][0] + sso["y_dither"][3]).value
    assert abs(cut["xcentroid"][i_sso].value - mid_x) < 3.0
    assert abs(cut["ycentroid"][i_sso].value - mid_y) < 3.0
    stamp = cut["cutout"][i_star]
    peaks = np.array([_peak(stamp[..., k]) for k in range(4)])
    assert np.ptp(peaks, axis=0).max() <= 1.0  # a star: aligned in every channel
    trail = cut["cutout"][i_sso]
    cents = np.array([_centroid(trail[..., k]) for k in range(4)])
    steps = np.hypot(*np.diff(cents, axis=0).T)
    assert np.all(steps > 3.0)  # the SSO moves between consecutive dithers
    # the motion in the cutout has the direction of the true motion (same pixel axes)
    true_dir = np.array(
        [
            (sso["x_dither"][3] - sso["x_dither"][0]).value,
            (sso["y_dither"][3] - sso["y_dither"][0]).value,
        ]
    )
    cut_dir = cents[3] - cents[0]
    cosang = cut_dir @ true_dir / np.linalg.norm(cut_dir) / np.linalg.norm(true_dir)
    assert cosang > 0.95


@pytest.mark.parametrize(
    ("channels", "dithers"),
    [(1, (1,)), (3, (1, 2, 3)), ((1, 2, 3), (1, 2, 3)), ((2, 3, 4), (2, 3, 4)), (4, (1, 2, 3, 4))],
)
def test_channels_pick_the_right_dithers(channels, dithers):
    images, truth = simulate_field(shape=(96, 96), seed=3, **EMPTY)
    # mark each dither with a bright square at the centre of its own height k
    marked = []
    for k, img in enumerate(images):
        img = img.copy()
        img.data = np.asarray(img.data, dtype=float)
        img.data[44:52, 44:52] += 1000.0 * (k + 1)
        marked.append(img)
    cut = EuclidCutoutDetector(channels=channels, size=48).detect(marked)
    assert resolve_channels(channels) == dithers
    assert cut.meta["dithers"] == list(dithers)
    assert len(cut) == 1 and cut["cutout"].shape == (1, 48, 48, len(dithers))
    heights = cut["cutout"][0, 20:28, 20:28, :].mean(axis=(0, 1))
    ratios = heights / heights[0]
    assert np.allclose(ratios, np.array(dithers) / dithers[0], rtol=0.1)


def test_truth_cutouts_labels_match_truth():
    images, truth = simulate_field(
        shape=(128, 128),
        n_sso=1,
        n_stars=2,
        n_galaxies=2,
        n_cosmic_rays=1,
        seed=5,
        sso_speed_range=(5.0, 6.0),
    )
    cut = truth_cutouts(images, truth, channels=(2, 3, 4), size=40, seed=0)
    assert cut["cutout"].shape[1:] == (40, 40, 3) and cut["cutout"].dtype == np.float32
    assert cut.meta["dithers"] == [2, 3, 4]
    rows = {int(s): r for s, r in zip(truth["source_id"], truth, strict=True)}
    for r in cut:
        t = rows[int(r["source_id"])]
        assert r["label"] == t["label"]
        assert r["mag"].value == pytest.approx(t["mag"].value, nan_ok=True)
        assert r["speed"].value == pytest.approx(t["speed"].value, nan_ok=True)
    # cosmic rays of dither 1 are not in channels (2, 3, 4); those of 2-4 are, if inside
    crs = cut[cut["label"] == "cosmic_ray"]
    assert all(rows[int(s)]["dither"] in (1, 2, 3) for s in crs["source_id"])
    assert {"star", "galaxy"} <= set(cut["label"].tolist())
    assert cut["speed"].unit == u.arcsec / u.h


def test_same_seed_same_cutouts_padding_varies(field):
    images, truth = field
    a = truth_cutouts(images, truth, channels=1, size=32, seed=7)
    b = truth_cutouts(images, truth, channels=1, size=32, seed=7)
    c = truth_cutouts(images, truth, channels=1, size=32, seed=8)
    assert np.array_equal(a["cutout"], b["cutout"])
    assert not np.array_equal(a["cutout"], c["cutout"])


def test_empty_field_gives_typed_empty_table():
    images, _ = simulate_field(shape=(96, 96), seed=4, **EMPTY)
    cut = EuclidCutoutDetector(channels=3, size=32).detect(images)
    assert len(cut) == 0
    assert cut["cutout"].shape == (0, 32, 32, 3) and cut["cutout"].dtype == np.float32
    assert cut["ra"].unit == u.deg and "provenance" in cut.meta


def test_errors(field):
    images, truth = field
    with pytest.raises(InputError, match="dither"):
        EuclidCutoutDetector(channels=4).detect(images[:3])
    with pytest.raises(InputError, match="channels"):
        EuclidCutoutDetector(channels=2)
    with pytest.raises(InputError, match="distinct"):
        EuclidCutoutDetector(channels=(1, 1))
    nowcs = [img.copy() for img in images]
    for img in nowcs:
        img.wcs = None
    with pytest.raises(InputError, match="WCS"):
        EuclidCutoutDetector().detect(nowcs)
    with pytest.raises(InputError, match="per-call"):
        EuclidCutoutDetector().detect(images, foo=1)
    with pytest.raises(InputError, match="padding"):
        EuclidCutoutDetector(padding_mean=0)
    with pytest.raises(InputError, match="truth"):
        truth_cutouts(images, truth[["source_id", "label"]], channels=1)


def test_background_is_unit_noise_whatever_the_cutout_size():
    """No extent cue: large (averaged) and off-image cutouts have the same noise as small ones."""
    from astro_sso_euclid.cutouts import _Cutter, resolve_channels
    from astro_sso_euclid.simulate import simulate_field

    images, _ = simulate_field(
        shape=(600, 600), n_sso=0, n_stars=0, n_galaxies=0, n_cosmic_rays=0, seed=8
    )
    cutter = _Cutter(images[:3], 48, 65.0, 0.0, seed=1)
    assert resolve_channels(3) == (1, 2, 3)
    xc = np.array([300.0, 300.0, 300.0, 5.0])
    yc = np.array([300.0, 300.0, 300.0, 5.0])
    cut, side = cutter.cut(xc, yc, np.array([6.0, 150.0, 480.0, 6.0]))
    assert side[2] > 500
    std = cut.std(axis=(1, 2))  # per cutout and channel
    assert np.all(np.abs(std - 1.0) < 0.1), std
    assert not np.any(cut[3] == 0.0)  # off-image pixels are noise, not zeros


def test_fixed_side_holds_the_longest_trail_of_the_stack():
    from astro_sso_euclid.cutouts import fixed_side
    from astro_sso_euclid.instrument import EXPTIME, SLEW_TIME

    # 80 "/h over one 565 s exposure is 12.6" = 125.6 px, plus 2 x 3 px of PSF and 65 px
    assert fixed_side(1) == pytest.approx(80 / 3600 * EXPTIME / 0.1 + 71, abs=1e-6)
    span3 = 3 * EXPTIME + 2 * SLEW_TIME
    assert fixed_side(3) == pytest.approx(80 / 3600 * span3 / 0.1 + 71, abs=1e-6)
    assert fixed_side((2, 3, 4)) == fixed_side(3) < fixed_side(4)
    assert fixed_side(1, 40 * u.arcsec / u.h) < fixed_side(1)
    with pytest.raises(InputError, match="max_speed"):
        fixed_side(1, -5)


def _trail_length(plane, threshold=4.0):
    """Longest extent [px] of the bright pixels connected to the cutout centre."""
    from scipy import ndimage

    lab, _ = ndimage.label(plane > threshold)
    c = plane.shape[0] // 2
    core = lab[c - 2 : c + 3, c - 2 : c + 3]
    k = np.bincount(core[core > 0]).argmax()
    yy, xx = np.nonzero(lab == k)
    return max(np.ptp(xx), np.ptp(yy)) + 1


def test_fixed_side_cutouts_keep_the_trail_length_proportional_to_speed():
    """Paper cutouts scale each trail to its own extent; fixed-side ones keep its speed."""
    lengths = {}
    for speed in (30.0, 75.0):
        images, truth = simulate_field(
            shape=(500, 500),
            n_sso=1,
            n_stars=0,
            n_galaxies=0,
            n_cosmic_rays=0,
            seed=2,
            sso_speed_range=(speed, speed + 0.01),
            sso_mag_range=(20.0, 20.01),
        )
        ends = [truth[c][0, 0].value for c in ("x_start", "y_start", "x_end", "y_end")]
        assert all(20 < e < 480 for e in ends)  # the whole trail is on dither 1
        fixed = truth_cutouts(images, truth, channels=1, size=64, side=197.0, seed=1)
        paper = truth_cutouts(images, truth, channels=1, size=64, seed=1)
        assert fixed.meta["cutout_side"] == 197.0 and paper.meta["cutout_side"] is None
        lengths[speed] = (
            _trail_length(fixed["cutout"][0, ..., 0]),
            _trail_length(paper["cutout"][0, ..., 0]),
        )
    ratio_fixed = lengths[75.0][0] / lengths[30.0][0]
    ratio_paper = lengths[75.0][1] / lengths[30.0][1]
    assert 2.0 < ratio_fixed < 3.0, lengths  # trail (+ PSF) length scales with speed (2.5)
    assert ratio_paper < 1.7, lengths  # the paper's recipe hides much of it (1.6)


def test_fixed_side_cutouts_are_unit_sigma_and_keep_the_averaging_gain():
    """Same side for all: rescaled to unit sigma, so a faint source gains the averaging S/N."""
    from astro_sso_euclid.cutouts import _Cutter

    images, truth = simulate_field(
        shape=(600, 600),
        n_sso=0,
        n_stars=1,
        n_galaxies=0,
        n_cosmic_rays=0,
        seed=8,
        star_mag_range=(24.0, 24.01),
    )
    x, y = truth["xcentroid"][0].value, truth["ycentroid"][0].value
    xc, yc = np.array([x, 5.0]), np.array([y, 5.0])
    fixed, side = _Cutter(images[:1], 48, 65.0, 5.0, seed=1, side=465.0).cut(
        xc, yc, np.array([6.0, 6.0])
    )
    assert np.all(side == 465.0)
    # the paper's recipe at the same side (extent 400 + 65 px): noise topped up to 1
    paper, side_p = _Cutter(images[:1], 48, 65.0, 0.0, seed=1).cut(xc, yc, np.array([400.0, 400.0]))
    assert np.allclose(side_p, 465.0)
    for cut in (fixed, paper):
        background = np.delete(cut[0].ravel(), np.arange(23 * 48 + 22, 23 * 48 + 27))
        assert abs(np.std(background) - 1.0) < 0.15
        assert not np.any(cut[1] == 0.0)  # off-image pixels are noise
    peak_fixed, peak_paper = fixed[0, 22:26, 22:26].max(), paper[0, 22:26, 22:26].max()
    assert peak_fixed > 3.0 * peak_paper  # ~10 VIS px per input px: ~sqrt(100) more S/N
    assert peak_fixed > 5.0


def test_detector_fixed_side_and_bad_side(field):
    images, _ = field
    cut = EuclidCutoutDetector(channels=1, size=32, side=150).detect(images)
    assert cut.meta["cutout_side"] == 150.0
    assert EuclidCutoutDetector(channels=1, size=32).detect(images).meta["cutout_side"] is None
    for bad in (1, "wide", np.nan):
        with pytest.raises(InputError, match="side="):
            EuclidCutoutDetector(side=bad)
