"""Default distributions of the simulated sources (stars, galaxies, SSOs).

The seed paper (Lieu et al. 2019, sec. 2) simulates SSOs with magnitudes 20-26
AB, apparent speeds 1-80"/h and any orientation, at an abundance of 0.6 per
arcmin^2; stars and galaxies at "expected abundances". The defaults here follow
it; the star and galaxy counts, sizes and shapes are ASSUMPTIONS of this simulator
in line with deep high-latitude counts (documented per function), all of them
parameters of `astro_sso_euclid.simulate.simulate_field`.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "SSO_DENSITY",
    "STAR_DENSITY",
    "GALAXY_DENSITY",
    "SSO_MAG_RANGE",
    "SSO_SPEED_RANGE",
    "STAR_MAG_RANGE",
    "GALAXY_MAG_RANGE",
    "power_law_mags",
    "draw_galaxy_shapes",
    "draw_sso_motion",
]

#: SSOs per arcmin^2 (the seed paper's abundance).
SSO_DENSITY = 0.6
#: Stars per arcmin^2 with 18 < IE < 26 (ASSUMPTION: ~7,000 per deg^2 at high latitude).
STAR_DENSITY = 2.0
#: Galaxies per arcmin^2 with 20 < IE < 26 (ASSUMPTION: deep i-band counts reach
#: ~4e4 deg^-2 at 24 and ~1.5e5 deg^-2 at 26; 40 arcmin^-2 integrates them to 26).
GALAXY_DENSITY = 40.0
#: SSO magnitudes [AB], uniform (the paper's 20-26).
SSO_MAG_RANGE = (20.0, 26.0)
#: SSO apparent speeds ["/h], uniform (the paper's 1-80).
SSO_SPEED_RANGE = (1.0, 80.0)
#: Star magnitudes [AB]: counts rising as 10^(0.1 m) (ASSUMPTION, high-latitude).
STAR_MAG_RANGE = (18.0, 26.0)
#: Galaxy magnitudes [AB]: counts rising as 10^(0.3 m) (ASSUMPTION, faint galaxy counts).
GALAXY_MAG_RANGE = (20.0, 26.0)


def power_law_mags(rng, n: int, mag_range, slope: float) -> np.ndarray:
    """Draw magnitudes with counts dN/dm proportional to 10^(slope m) in ``mag_range``.

    Examples
    --------
    >>> import numpy as np
    >>> from astro_sso_euclid.population import power_law_mags
    >>> m = power_law_mags(np.random.default_rng(0), 1000, (20, 26), 0.3)
    >>> bool(m.min() >= 20 and m.max() <= 26 and np.median(m) > 23)
    True
    """
    lo, hi = mag_range
    u = rng.uniform(size=n)
    if slope == 0:
        return lo + (hi - lo) * u
    a, b = 10.0 ** (slope * lo), 10.0 ** (slope * hi)
    return np.log10(a + u * (b - a)) / slope


def draw_galaxy_shapes(rng, mags: np.ndarray) -> dict:
    """Sersic index, half-light radius and shape of galaxies of magnitudes ``mags``.

    ASSUMPTIONS (typical of HST deep fields at these magnitudes): 70% disc-like
    galaxies with n ~ N(1.0, 0.3) in [0.5, 2], 30% bulge-like with n uniform in
    [2.5, 4.5]; half-light radius log-normal (scatter 0.4 in ln r) around a
    median falling log-linearly from 0.6" at IE = 20 to 0.25" at IE = 26, clipped
    to [0.05", 2.5"]; ellipticity ``|e|`` Rayleigh-distributed (Gaussian components
    with sigma 0.25), ``|e| <= 0.8``; position angle uniform.

    Returns
    -------
    dict
        ``sersic_n``, ``half_light_radius`` [arcsec], ``e1``, ``e2``, ``ellipticity``
        (``|e| = (1 - q^2) / (1 + q^2)`` for axis ratio q, GalSim's distortion) and ``pa`` [deg].

    Examples
    --------
    >>> import numpy as np
    >>> from astro_sso_euclid.population import draw_galaxy_shapes
    >>> s = draw_galaxy_shapes(np.random.default_rng(1), np.array([21.0, 25.0]))
    >>> sorted(s)
    ['e1', 'e2', 'ellipticity', 'half_light_radius', 'pa', 'sersic_n']
    """
    n = len(mags)
    disc = rng.uniform(size=n) < 0.7
    sersic = np.where(disc, np.clip(rng.normal(1.0, 0.3, n), 0.5, 2.0), rng.uniform(2.5, 4.5, n))
    t = (np.asarray(mags, dtype=float) - 20.0) / 6.0
    median = 10.0 ** (np.log10(0.6) + t * (np.log10(0.25) - np.log10(0.6)))
    hlr = np.clip(median * np.exp(rng.normal(0.0, 0.4, n)), 0.05, 2.5)
    e = np.minimum(rng.rayleigh(0.25, n), 0.8)
    pa = rng.uniform(0.0, 180.0, n)
    e1 = e * np.cos(np.radians(2 * pa))
    e2 = e * np.sin(np.radians(2 * pa))
    return {
        "sersic_n": sersic,
        "half_light_radius": hlr,
        "e1": e1,
        "e2": e2,
        "ellipticity": e,
        "pa": pa,
    }


def draw_sso_motion(rng, n: int, speed_range=SSO_SPEED_RANGE) -> tuple[np.ndarray, np.ndarray]:
    """Speeds ["/h], uniform in ``speed_range``, and position angles [deg], uniform.

    The position angle is that of the motion on the sky, east of north.

    Examples
    --------
    >>> import numpy as np
    >>> from astro_sso_euclid.population import draw_sso_motion
    >>> v, pa = draw_sso_motion(np.random.default_rng(0), 5)
    >>> bool((v >= 1).all() and (v <= 80).all() and (pa < 360).all())
    True
    """
    lo, hi = speed_range
    return rng.uniform(lo, hi, n), rng.uniform(0.0, 360.0, n)
