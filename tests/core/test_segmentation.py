"""The built-in photutils detector, on synthetic images and on a real GMOS frame."""

import numpy as np
import pytest
from astropy import units as u
from astropy.io import fits
from astropy.nddata import NDData, StdDevUncertainty, VarianceUncertainty

import astro_sso
from astro_sso.builtin.segmentation import exposure_midtime
from astro_sso.exceptions import InputError
from astro_sso.testing import synthetic_image

# images without sky WCS or date warn (tested below); the other tests use such images on purpose
pytestmark = pytest.mark.filterwarnings("ignore::astro_sso.exceptions.AstroSSOWarning")


def test_finds_sources_with_sky_positions_and_times():
    img = synthetic_image()
    t = astro_sso.get_detector("segmentation").detect(img)
    assert len(t) == 2
    order = np.argsort(t["xcentroid"].value)
    assert np.allclose(t["xcentroid"][order].value, [20, 60], atol=0.2)
    sky = img.wcs.pixel_to_world(20.0, 30.0)
    assert abs(t["ra"][order][0] - sky.ra) < 0.05 * u.arcsec
    assert t["obstime"][0].isot == "2024-03-01T03:00:15.000"
    assert (t["snr"] > 20).all()


def test_dithers_are_stacked_with_exposure_index():
    a = synthetic_image(seed=1)
    b = synthetic_image(sources=((40.0, 40.0, 600.0),), seed=2)
    t = astro_sso.get_detector("segmentation").detect([a, b])
    assert sorted(t["exposure"].tolist()) == [0, 0, 1]
    assert t["source_id"].tolist() == [0, 1, 2]


def test_masked_and_nan_pixels_are_ignored():
    img = synthetic_image()
    data = img.data.copy()
    data[23:38, 13:28] = np.nan  # the whole source, wings included
    t = astro_sso.get_detector("segmentation").detect(NDData(data, wcs=img.wcs))
    assert len(t) == 1 and abs(t["xcentroid"][0].value - 60) < 0.5
    with pytest.raises(InputError, match="no valid pixel"):
        astro_sso.get_detector("segmentation").detect(NDData(np.full((16, 16), np.nan)))


def test_bad_inputs():
    det = astro_sso.get_detector("segmentation")
    with pytest.raises(InputError, match="not a bare array"):
        det.detect(np.zeros((8, 8)))
    with pytest.raises(InputError, match="2-D"):
        det.detect(NDData(np.zeros((2, 8, 8))))
    with pytest.raises(InputError, match="npixels"):
        astro_sso.get_detector("segmentation", npixels=0)


def test_variance_uncertainty_sets_snr():
    img = synthetic_image()
    var = NDData(img.data, wcs=img.wcs, uncertainty=VarianceUncertainty(np.full(img.shape, 25.0)))
    std = NDData(img.data, wcs=img.wcs, uncertainty=StdDevUncertainty(np.full(img.shape, 5.0)))
    det = astro_sso.get_detector("segmentation")
    assert np.allclose(det.detect(var)["snr"], det.detect(std)["snr"])


def test_midtime_from_headers():
    assert exposure_midtime({"EXPSTART": 60000.0, "EXPEND": 60000.01}).mjd == pytest.approx(
        60000.005
    )
    assert exposure_midtime({"MJD-OBS": 60000.0, "EXPTIME": 864.0}).mjd == pytest.approx(60000.005)
    assert exposure_midtime({}) is None


def test_real_gmos_cosmic_rays(realdata):
    """Real Gemini GMOS frame (astroscrappy test data): its two cosmic rays are found."""
    path = realdata / "cosmic_rays" / "astroscrappy_gmos_S20190808S0048_cutout.fits"
    with fits.open(path) as hdul:
        sci = hdul["SCI"].data.astype(float) - hdul["SKYFIT"].data
        var = hdul["VAR"].data.astype(float)
    t = astro_sso.get_detector("segmentation", nsigma=5, box_size=50).detect(
        NDData(sci, uncertainty=VarianceUncertainty(var))
    )
    boxes = [(slice(41, 72), slice(142, 161)), (slice(117, 147), slice(35, 43))]
    x, y = t["xcentroid"].value, t["ycentroid"].value
    inside = [
        (y >= b[0].start) & (y < b[0].stop) & (x >= b[1].start) & (x < b[1].stop) for b in boxes
    ]
    assert all(m.any() for m in inside), "each recorded cosmic ray is detected"
    assert (inside[0] | inside[1]).all(), "nothing else is detected"
    assert (t["elongation"] > 3).all(), "cosmic rays are elongated"


@pytest.mark.filterwarnings("error::astro_sso.exceptions.AstroSSOWarning")
def test_missing_sky_wcs_or_date_warns_and_columns_stay_consistent():
    from astropy.wcs import WCS

    from astro_sso.exceptions import AstroSSOWarning

    img = synthetic_image()
    det = astro_sso.get_detector("segmentation")
    linear = WCS(naxis=2)
    linear.wcs.ctype = ["LINEAR", "LINEAR"]
    with pytest.warns(AstroSSOWarning, match="no celestial WCS"):
        found = det.detect(NDData(img.data, wcs=linear, meta=img.meta))
    with pytest.warns(AstroSSOWarning, match="no celestial WCS"):
        empty = det.detect(NDData(np.random.default_rng(0).normal(100, 5, (64, 64)), meta=img.meta))
    assert len(found) == 2 and len(empty) == 0
    assert found.colnames == empty.colnames and "ra" not in found.colnames
    assert "obstime" in found.colnames
    with pytest.raises(InputError, match="time keywords are not usable"):
        det.detect(NDData(img.data, wcs=img.wcs, meta={"DATE-OBS": "2024-13-45"}))
    with pytest.raises(InputError, match="must be numbers"):
        astro_sso.get_detector("segmentation", npixels="five")
