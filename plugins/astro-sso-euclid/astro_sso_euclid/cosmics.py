"""Cosmic-ray hits of one VIS exposure: straight charge tracks, not PSF-convolved.

Model (ASSUMPTIONS, stated in the docs):

* rate: ~5 hits per cm^2 per s, the order of the galactic cosmic-ray flux at L2
  near solar minimum (the figure measured in flight by other L2 missions); with the
  12 um VIS pixels that is ~1,000 hits per 565 s on a 512 x 512 px area
  (0.38 cm^2), a couple of per cent of the pixels;
* direction: isotropic flux through the detector plane (zenith angle theta with
  p(theta) ~ sin(theta) cos(theta)), azimuth uniform;
* projected track length: depletion depth (40 um) x tan(theta) / 12 um per px,
  capped at 200 px;
* charge: ~80 e- per micron of path in silicon (minimum-ionising particle) times a
  Landau (Moyal) fluctuation; the charge is shared between the pixels along the
  track in proportion to the path in each (sampled every 0.1 px), with no PSF, no
  charge diffusion and no low-energy "worms".
"""

from __future__ import annotations

import numpy as np

from .instrument import PIXEL_SIZE_UM

__all__ = ["CR_RATE", "DEPLETION_UM", "ELECTRONS_PER_UM", "draw_cosmic_rays", "render_track"]

#: Default cosmic-ray rate [hits / cm^2 / s] (ASSUMPTION, see module docs).
CR_RATE = 5.0
#: Depleted thickness of the CCD [um] (ASSUMPTION, CCD273 depletion ~40 um).
DEPLETION_UM = 40.0
#: Most probable charge per micron of path [e-/um] (minimum-ionising particle in Si).
ELECTRONS_PER_UM = 80.0
_MAX_LENGTH_PX = 200.0


def draw_cosmic_rays(rng, shape, exptime: float, rate: float = CR_RATE, n: int | None = None):
    """Draw the cosmic-ray hits of one exposure.

    Parameters
    ----------
    rng : numpy.random.Generator
    shape : tuple of int
        Image shape (ny, nx).
    exptime : float
        Exposure time [s].
    rate : float
        Hits per cm^2 per s (number Poisson-drawn from rate x area x time).
    n : int, optional
        Exact number of hits instead of the rate.

    Returns
    -------
    dict of ndarray
        ``x0, y0, x1, y1`` (track ends, px), ``length`` [px], ``electrons`` (total charge).

    Examples
    --------
    >>> import numpy as np
    >>> from astro_sso_euclid.cosmics import draw_cosmic_rays
    >>> cr = draw_cosmic_rays(np.random.default_rng(0), (100, 100), 565.0, n=3)
    >>> len(cr["length"])
    3
    """
    from scipy.stats import moyal

    ny, nx = shape
    if n is None:
        area_cm2 = ny * nx * (PIXEL_SIZE_UM * 1e-4) ** 2
        n = int(rng.poisson(rate * area_cm2 * exptime))
    cos_t = np.sqrt(1.0 - rng.uniform(size=n))  # sin^2(theta) uniform
    tan_t = np.sqrt(1.0 - cos_t**2) / cos_t
    length = np.minimum(DEPLETION_UM * tan_t / PIXEL_SIZE_UM, _MAX_LENGTH_PX)
    path_um = np.minimum(DEPLETION_UM / cos_t, np.hypot(DEPLETION_UM, _MAX_LENGTH_PX * 12.0))
    landau = np.clip(moyal.rvs(loc=1.0, scale=0.12, size=n, random_state=rng), 0.5, 20.0)
    electrons = ELECTRONS_PER_UM * path_um * landau
    phi = rng.uniform(0.0, 2 * np.pi, n)
    xc = rng.uniform(-0.5, nx - 0.5, n)
    yc = rng.uniform(-0.5, ny - 0.5, n)
    dx, dy = 0.5 * length * np.cos(phi), 0.5 * length * np.sin(phi)
    return {
        "x0": xc - dx,
        "y0": yc - dy,
        "x1": xc + dx,
        "y1": yc + dy,
        "length": length,
        "electrons": electrons,
    }


def render_track(image: np.ndarray, x0, y0, x1, y1, electrons: float) -> None:
    """Add a straight charge track to ``image`` in place (nearest pixel, no PSF).

    Examples
    --------
    >>> import numpy as np
    >>> from astro_sso_euclid.cosmics import render_track
    >>> im = np.zeros((5, 5))
    >>> render_track(im, 0.0, 2.0, 4.0, 2.0, 1000.0)
    >>> float(im.sum()), int((im > 0).sum())
    (1000.0, 5)
    """
    length = float(np.hypot(x1 - x0, y1 - y0))
    n = max(1, int(np.ceil(10 * length)))
    t = (np.arange(n) + 0.5) / n
    ix = np.floor(x0 + t * (x1 - x0) + 0.5).astype(int)
    iy = np.floor(y0 + t * (y1 - y0) + 0.5).astype(int)
    ok = (ix >= 0) & (ix < image.shape[1]) & (iy >= 0) & (iy < image.shape[0])
    np.add.at(image, (iy[ok], ix[ok]), electrons / n)
