"""Euclid VIS figures used by the simulator, each with its source.

Published figures come from the ESA/Euclid Consortium VIS instrument page,
Euclid Collaboration: Cropper et al. 2025 (A&A 697, A2, "Euclid II. The VIS
instrument") and the Euclid Q1 VIS processing paper (arXiv:2503.15303), as
collected in the project's ``INSTRUMENTS.md``; the dither pattern and the slew
time are those of the seed paper (Lieu et al. 2019, sec. 2). Figures that are
assumptions of this simulator (not published values) say so.

The zero point and the sky level are tied together by the Q1 depth: the sky is
calibrated so that a stack of four 565 s exposures reaches IE = 25.6 at
10 sigma in 1.3" diameter apertures (`astro_sso_euclid.depth.measure_depth`
measures it; the tests keep it there).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "PIXEL_SCALE",
    "PIXEL_SIZE_UM",
    "GAIN",
    "READ_NOISE",
    "DARK_CURRENT",
    "BIAS_LEVEL",
    "FULL_WELL",
    "ADC_MAX",
    "EXPTIME",
    "SLEW_TIME",
    "DITHER_OFFSETS",
    "PSF_FWHM",
    "TELESCOPE_DIAMETER",
    "OBSCURATION",
    "WAVELENGTH",
    "JITTER_FWHM",
    "ZERO_POINT",
    "SKY_MAG_PUBLISHED",
    "SKY_RATE",
    "DEPTH_TARGET",
    "DEPTH_APERTURE_DIAMETER",
    "flux_rate",
    "ab_mag",
    "dither_offsets_cumulative",
    "dither_start_times",
    "background_electrons",
    "pixel_variance",
]

#: Pixel scale [arcsec/px] (VIS instrument page; Cropper et al. 2025).
PIXEL_SCALE = 0.1

#: Physical pixel size of the CCD273-84 [micron] (12 um pixels; Cropper et al. 2025).
#: Used to turn a cosmic-ray rate per cm^2 into hits per image.
PIXEL_SIZE_UM = 12.0

#: Gain [e-/ADU] (INSTRUMENTS.md: 3.4 e-/ADU, 16-bit digitisation).
GAIN = 3.4

#: Read noise [e- rms] (< 4.4 e- in all channels, Cropper et al. 2025; 4.2 is our choice
#: inside that bound).
READ_NOISE = 4.2

#: Dark current [e-/px/s]. ASSUMPTION: the CCD273 at the VIS operating temperature has a
#: dark current of order 1e-3 e-/px/s (requirement-level figure); we did not check the
#: measured in-flight value. Over 565 s it adds ~0.6 e-/px, negligible beside the sky.
DARK_CURRENT = 0.001

#: Bias (offset) level [ADU]. ASSUMPTION: a typical pedestal; the simulated frames are
#: not overscan-corrected, so the bias is simply added.
BIAS_LEVEL = 1000.0

#: Full well / saturation [e-] (about 200,000 e-, INSTRUMENTS.md). Blooming (bleeding
#: of charge along columns) is not simulated: saturated pixels are clipped.
FULL_WELL = 200_000.0

#: Largest value of the 16-bit digitiser [ADU].
ADC_MAX = 65535.0

#: Nominal exposure time [s] of the wide survey (four per field, INSTRUMENTS.md).
EXPTIME = 565.0

#: Slew time between dithers [s] (Lieu et al. 2019, sec. 2).
SLEW_TIME = 64.0

#: Pointing displacements [arcsec] (dX, dY) of dithers 2, 3 and 4 relative to the
#: previous dither (Lieu et al. 2019, sec. 2).
DITHER_OFFSETS = ((100.0, 50.0), (100.0, 0.0), (100.0, 0.0))

#: Image quality: PSF FWHM [arcsec] of the Q1 images (INSTRUMENTS.md).
PSF_FWHM = 0.16

#: Telescope aperture [m] (Euclid's 1.2 m primary).
TELESCOPE_DIAMETER = 1.2

#: Linear central obscuration of the Airy model. ASSUMPTION: ~0.3 for a secondary of
#: ~0.35 m; the spiders are not modelled.
OBSCURATION = 0.3

#: Effective wavelength [nm] of the Airy model (middle of the 550-900 nm VIS band).
WAVELENGTH = 725.0

#: FWHM [arcsec] of the Gaussian (jitter and charge diffusion) convolved with the Airy
#: profile, tuned so that Airy * Gaussian * pixel has FWHM = `PSF_FWHM` (0.160").
JITTER_FWHM = 0.0874

#: AB zero point [mag] of VIS: the magnitude giving 1 e-/s. ESTIMATE: a 1.0 m^2
#: collecting area, a band 550-900 nm (d ln lambda = 0.49) and a mean system throughput
#: ~0.7 give 1.9e10 e-/s for AB = 0 (3631 Jy / h), i.e. 25.7, inside the 25.6-25.8 range
#: quoted for VIS. Only the combination with `SKY_RATE` matters for the depth.
ZERO_POINT = 25.7

#: Zodiacal sky in IE [mag/arcsec^2] commonly quoted for the ecliptic latitudes typical of
#: the wide survey (~22.3; a round figure, not a handbook value). With ``ZERO_POINT`` it
#: gives 0.229 e-/px/s and a measured 10-sigma stack depth of 25.48, 0.12 mag short of
#: Q1: the simulator uses the calibrated `SKY_RATE` instead.
SKY_MAG_PUBLISHED = 22.3

#: Sky level [e-/px/s], CALIBRATED so that a four-exposure stack reaches IE = 25.60 at
#: 10 sigma in 1.3" apertures with ``ZERO_POINT`` (solved with
#: `astro_sso_euclid.depth.predicted_depth`, checked by `~astro_sso_euclid.depth.measure_depth`);
#: equivalent to 22.56 mag/arcsec^2, 0.26 mag darker than `SKY_MAG_PUBLISHED`.
SKY_RATE = 0.1803

#: The Q1 depth [AB mag] (10 sigma, 1.3" diameter apertures, stack; Q1 VIS paper).
DEPTH_TARGET = 25.6

#: Diameter [arcsec] of the apertures of the Q1 depth measurement.
DEPTH_APERTURE_DIAMETER = 1.3


def flux_rate(mag, zero_point: float = ZERO_POINT):
    """Electron rate [e-/s] of a source of AB magnitude ``mag``.

    Parameters
    ----------
    mag : float or array_like
        AB magnitude in IE.
    zero_point : float
        Magnitude giving 1 e-/s.

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> from astro_sso_euclid.instrument import flux_rate
    >>> round(float(flux_rate(25.7)), 6)
    1.0
    """
    return 10.0 ** (-0.4 * (np.asarray(mag, dtype=float) - zero_point))


def ab_mag(rate, zero_point: float = ZERO_POINT):
    """AB magnitude of an electron rate [e-/s] (inverse of `flux_rate`).

    Examples
    --------
    >>> from astro_sso_euclid.instrument import ab_mag
    >>> round(float(ab_mag(100.0)), 3)
    20.7
    """
    return zero_point - 2.5 * np.log10(np.asarray(rate, dtype=float))


def dither_offsets_cumulative(offsets=DITHER_OFFSETS) -> np.ndarray:
    """Pointing offsets [arcsec] of the four dithers from the first one, shape (4, 2).

    Examples
    --------
    >>> from astro_sso_euclid.instrument import dither_offsets_cumulative
    >>> dither_offsets_cumulative().tolist()
    [[0.0, 0.0], [100.0, 50.0], [200.0, 50.0], [300.0, 50.0]]
    """
    steps = np.vstack([[0.0, 0.0], np.asarray(offsets, dtype=float)])
    return np.cumsum(steps, axis=0)


def dither_start_times(
    n_dithers: int = 4, exptime: float = EXPTIME, slew: float = SLEW_TIME
) -> np.ndarray:
    """Start times [s] of the dithers from the start of the first one.

    Examples
    --------
    >>> from astro_sso_euclid.instrument import dither_start_times
    >>> dither_start_times().tolist()
    [0.0, 629.0, 1258.0, 1887.0]
    """
    return np.arange(n_dithers) * (exptime + slew)


def background_electrons(
    exptime: float = EXPTIME, sky_rate: float = SKY_RATE, dark: float = DARK_CURRENT
) -> float:
    """Mean background [e-/px] of one exposure: sky plus dark current.

    Examples
    --------
    >>> from astro_sso_euclid.instrument import background_electrons
    >>> round(background_electrons(), 2)
    102.43
    """
    return (sky_rate + dark) * exptime


def pixel_variance(
    exptime: float = EXPTIME,
    sky_rate: float = SKY_RATE,
    dark: float = DARK_CURRENT,
    read_noise: float = READ_NOISE,
    gain: float = GAIN,
) -> float:
    """Variance [e-^2] of a blank pixel: Poisson background, read noise, digitisation.

    The digitisation to whole ADU adds ``gain**2 / 12``.

    Examples
    --------
    >>> from astro_sso_euclid.instrument import pixel_variance
    >>> round(pixel_variance(), 1)
    121.0
    """
    return background_electrons(exptime, sky_rate, dark) + read_noise**2 + gain**2 / 12.0
