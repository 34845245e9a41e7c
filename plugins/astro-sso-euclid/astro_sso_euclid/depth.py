"""The depth of simulated VIS stacks, measured as the Q1 VIS paper does.

The Q1 figure (IE = 25.6 at 10 sigma for the stack) comes from the variance of
the fluxes in 1.3" diameter apertures placed on empty sky. `measure_depth`
simulates empty-sky exposures with the simulator's own noise model
(`astro_sso_euclid.simulate.expose`), stacks them (sum of the bias-subtracted
frames in electrons, total exposure time n x 565 s), measures the standard
deviation of the aperture sums on a grid of non-overlapping apertures, and turns
ten times it into an AB magnitude with the zero point. No aperture correction is
applied: the depth is that of the aperture flux, as in the aperture-variance
definition. `predicted_depth` gives the same figure from the noise budget.
"""

from __future__ import annotations

import numpy as np

from . import instrument as vis
from .simulate import expose

__all__ = ["aperture_weights", "measure_depth", "predicted_depth"]


def aperture_weights(diameter_arcsec: float = vis.DEPTH_APERTURE_DIAMETER, subsample: int = 10):
    """Fraction of each pixel inside a circular aperture centred on a pixel centre.

    Examples
    --------
    >>> from astro_sso_euclid.depth import aperture_weights
    >>> w = aperture_weights()
    >>> w.shape, round(float(w.sum()), 1)
    ((15, 15), 132.6)
    """
    r = 0.5 * diameter_arcsec / vis.PIXEL_SCALE
    half = int(np.ceil(r))
    sub = (np.arange(subsample) + 0.5) / subsample - 0.5
    grid = np.arange(-half, half + 1)
    fine = (grid[:, None] + sub[None, :]).ravel()
    inside = (fine[:, None] ** 2 + fine[None, :] ** 2) <= r * r
    n = grid.size
    return inside.reshape(n, subsample, n, subsample).mean(axis=(1, 3))


def predicted_depth(
    *,
    n_exposures: int = 4,
    exptime: float = vis.EXPTIME,
    sky_rate: float = vis.SKY_RATE,
    zero_point: float = vis.ZERO_POINT,
    diameter_arcsec: float = vis.DEPTH_APERTURE_DIAMETER,
    nsigma: float = 10.0,
) -> float:
    """The aperture depth [AB] that the noise budget predicts for a stack.

    sigma^2 = sum(w^2) x n x (sky t + dark t + read^2 + gain^2/12) for aperture
    weights w.

    Examples
    --------
    >>> from astro_sso_euclid.depth import predicted_depth
    >>> round(predicted_depth(), 2)
    25.6
    """
    w = aperture_weights(diameter_arcsec)
    var = np.sum(w**2) * n_exposures * vis.pixel_variance(exptime, sky_rate)
    rate = nsigma * np.sqrt(var) / (n_exposures * exptime)
    return float(vis.ab_mag(rate, zero_point))


def measure_depth(
    *,
    shape=(1024, 1024),
    n_exposures: int = 4,
    exptime: float = vis.EXPTIME,
    sky_rate: float = vis.SKY_RATE,
    zero_point: float = vis.ZERO_POINT,
    diameter_arcsec: float = vis.DEPTH_APERTURE_DIAMETER,
    nsigma: float = 10.0,
    seed: int = 0,
) -> dict:
    """Simulate an empty-sky stack and measure its aperture depth.

    Parameters
    ----------
    shape : tuple of int
        Size of the simulated frames [px]; 1024 x 1024 gives ~4,600 apertures
        (statistical error ~0.01 mag).
    n_exposures : int
        Exposures in the stack (the Q1 figure: four nominal 565 s exposures).
    exptime, sky_rate, zero_point : float
        Exposure time [s], sky [e-/px/s], AB magnitude of 1 e-/s.
    diameter_arcsec : float
        Aperture diameter (1.3" as in Q1).
    nsigma : float
        Significance of the depth.
    seed : int
        Seed of the noise.

    Returns
    -------
    dict
        ``depth`` (measured AB magnitude), ``predicted`` (`predicted_depth`),
        ``sigma_e`` (rms of the aperture sums [e-]), ``n_apertures``,
        ``depth_error`` (1-sigma statistical error of ``depth`` [mag]).

    Examples
    --------
    >>> from astro_sso_euclid.depth import measure_depth
    >>> d = measure_depth(shape=(256, 256), seed=1)
    >>> abs(d["depth"] - 25.6) < 0.1
    True
    """
    rng = np.random.default_rng(seed)
    stack = np.zeros(shape)
    for _ in range(n_exposures):
        adu, _sat = expose(rng, np.zeros(shape), exptime=exptime, sky_rate=sky_rate)
        stack += (adu.astype(float) - vis.BIAS_LEVEL) * vis.GAIN
    stack -= np.median(stack)
    w = aperture_weights(diameter_arcsec)
    size = w.shape[0]
    step = size + 1
    ny, nx = shape
    ys = np.arange(0, ny - size + 1, step)
    xs = np.arange(0, nx - size + 1, step)
    windows = np.lib.stride_tricks.sliding_window_view(stack, (size, size))[ys][:, xs]
    sums = np.einsum("abij,ij->ab", windows, w).ravel()
    sigma = float(np.std(sums, ddof=1))
    rate = nsigma * sigma / (n_exposures * exptime)
    return {
        "depth": float(vis.ab_mag(rate, zero_point)),
        "predicted": predicted_depth(
            n_exposures=n_exposures,
            exptime=exptime,
            sky_rate=sky_rate,
            zero_point=zero_point,
            diameter_arcsec=diameter_arcsec,
            nsigma=nsigma,
        ),
        "sigma_e": sigma,
        "n_apertures": int(sums.size),
        "depth_error": float(2.5 / np.log(10) / np.sqrt(2 * (sums.size - 1))),
    }
