"""The VIS point-spread function: a GalSim model and its pixelated, oversampled stamps.

Model: an obscured Airy profile for a 1.2 m aperture at 725 nm (linear obscuration
0.3) convolved with a Gaussian of FWHM 0.0874" (pointing jitter and charge
diffusion), tuned so that the pixel-convolved profile has the Q1 FWHM of 0.16".

Point sources (stars, and the aligned copies that make an SSO trail) are placed
with the *effective* PSF (PSF convolved with the 0.1" pixel) drawn once on a grid
ten times finer than the pixels: a source at a sub-pixel position uses the stamp of
the nearest of 10 x 10 sub-pixel phases (error <= 0.05 px). Stamps are truncated at
a radius of 2" (20 px, ~98% of the light) and each is normalised to unit sum so that
the flux of every source is conserved.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .instrument import JITTER_FWHM, OBSCURATION, PIXEL_SCALE, TELESCOPE_DIAMETER, WAVELENGTH

__all__ = ["vis_psf", "effective_psf_stamps", "point_stamp", "OVERSAMPLING", "STAMP_RADIUS"]

#: Sub-pixel phases per pixel of the effective-PSF stamps.
OVERSAMPLING = 10

#: Half-size [px] of the point-source stamps (2" radius).
STAMP_RADIUS = 20


def vis_psf(
    *,
    wavelength: float = WAVELENGTH,
    diameter: float = TELESCOPE_DIAMETER,
    obscuration: float = OBSCURATION,
    jitter_fwhm: float = JITTER_FWHM,
):
    """The VIS PSF as a GalSim profile (no pixel), in arcsec.

    Parameters
    ----------
    wavelength : float
        Wavelength of the Airy profile [nm].
    diameter : float
        Telescope aperture [m].
    obscuration : float
        Linear central obscuration.
    jitter_fwhm : float
        FWHM of the convolved Gaussian [arcsec].

    Returns
    -------
    galsim.GSObject

    Examples
    --------
    >>> from astro_sso_euclid.psf import vis_psf
    >>> round(float(vis_psf().flux), 6)
    1.0
    """
    import galsim

    airy = galsim.Airy(
        lam=wavelength, diam=diameter, obscuration=obscuration, scale_unit=galsim.arcsec
    )
    return galsim.Convolve(airy, galsim.Gaussian(fwhm=jitter_fwhm))


@lru_cache(maxsize=4)
def effective_psf_stamps(
    radius: int = STAMP_RADIUS, oversampling: int = OVERSAMPLING, jitter_fwhm: float = JITTER_FWHM
) -> np.ndarray:
    """Pixelated PSF stamps at every sub-pixel phase, shape (os, os, 2r+1, 2r+1).

    ``stamps[py, px]`` is the image of a unit-flux point source whose position is
    ``(px - os//2) / os`` px right and ``(py - os//2) / os`` px above the centre
    pixel of the stamp. Each stamp sums to 1.

    Examples
    --------
    >>> from astro_sso_euclid.psf import effective_psf_stamps
    >>> s = effective_psf_stamps()
    >>> s.shape
    (10, 10, 41, 41)
    >>> round(float(s[5, 5].sum()), 6)
    1.0
    """
    import galsim

    half = oversampling // 2
    centre = oversampling * radius + half
    size = 2 * centre + 1
    eff = galsim.Convolve(vis_psf(jitter_fwhm=jitter_fwhm), galsim.Pixel(PIXEL_SCALE))
    fine = eff.drawImage(nx=size, ny=size, scale=PIXEL_SCALE / oversampling, method="no_pixel")
    fine = fine.array.astype(float)
    k = np.arange(-radius, radius + 1)
    stamps = np.empty((oversampling, oversampling, k.size, k.size))
    for iy in range(oversampling):
        rows = centre + oversampling * k - (iy - half)
        for ix in range(oversampling):
            cols = centre + oversampling * k - (ix - half)
            st = fine[np.ix_(rows, cols)]
            stamps[iy, ix] = st / st.sum()
    stamps.flags.writeable = False
    return stamps


def point_stamp(x: float, y: float, stamps: np.ndarray | None = None):
    """The unit-flux stamp of a point source at pixel position ``(x, y)``.

    Parameters
    ----------
    x, y : float
        0-based pixel position (pixel centres at integers).
    stamps : ndarray, optional
        Output of `effective_psf_stamps` (default stamps when omitted).

    Returns
    -------
    stamp : ndarray
        Shape (2r+1, 2r+1), sums to 1.
    ix, iy : int
        Pixel of the stamp's centre.

    Examples
    --------
    >>> from astro_sso_euclid.psf import point_stamp
    >>> st, ix, iy = point_stamp(10.26, 4.0)
    >>> (ix, iy, st.shape)
    (10, 4, (41, 41))
    """
    if stamps is None:
        stamps = effective_psf_stamps()
    os_ = stamps.shape[0]
    half = os_ // 2
    ph_x = int(np.floor(x * os_ + 0.5))  # position in units of 1/os px, rounded
    ph_y = int(np.floor(y * os_ + 0.5))
    ix, rx = divmod(ph_x + half, os_)
    iy, ry = divmod(ph_y + half, os_)
    return stamps[ry, rx], int(ix), int(iy)
