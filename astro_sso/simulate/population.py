"""Synthetic asteroid populations: orbits tables that look like the MPC's.

The default mix follows the known population by number among objects a
survey like ZTF detects (Main belt dominant, a few per cent Hungarias, Hildas,
Jupiter Trojans and near-Earth asteroids). Element distributions are simple
parametric forms fitted by eye to the MPCORB catalogue (the same kind of
empirical draw Kepler's Sieve uses to initialise candidates): they make
plausible catalogues for tests and demos, not a population model.
"""

from __future__ import annotations

import numpy as np
from astropy import units as u
from astropy.table import QTable
from astropy.time import Time

from ..exceptions import InputError

__all__ = ["DEFAULT_MIX", "synthetic_orbits", "mean_anomaly_for_longitude"]

#: Default fractions of each dynamical class.
DEFAULT_MIX = {"MBA": 0.86, "Hungaria": 0.03, "Hilda": 0.03, "Trojan": 0.04, "NEA": 0.04}

# class: (a range AU, e Rayleigh scale, e max, i Rayleigh scale deg, H range)
_CLASSES = {
    "MBA": ((2.1, 3.3), 0.10, 0.35, 7.0, (12.0, 19.5)),
    "Hungaria": ((1.78, 2.0), 0.06, 0.18, 22.0, (14.0, 19.0)),
    "Hilda": ((3.9, 4.02), 0.12, 0.30, 8.0, (11.0, 16.5)),
    "Trojan": ((5.1, 5.3), 0.06, 0.20, 12.0, (10.0, 15.5)),
    "NEA": ((0.8, 2.8), 0.0, 0.0, 10.0, (17.0, 23.0)),
}


def _true_to_mean(f, e):
    E = 2.0 * np.arctan2(np.sqrt(1 - e) * np.sin(f / 2), np.sqrt(1 + e) * np.cos(f / 2))
    return np.mod(E - e * np.sin(E), 2 * np.pi)


def mean_anomaly_for_longitude(longitude, e, node, argperi):
    """Mean anomaly [deg] that puts an object near a heliocentric ecliptic longitude.

    Uses the true longitude node + argperi + f, which equals the ecliptic
    longitude up to a small inclination correction; for placing synthetic
    objects in a survey's fields.

    Parameters
    ----------
    longitude, e, node, argperi : array_like
        Target longitude [deg], eccentricity, node [deg], argument of perihelion [deg].

    Returns
    -------
    ndarray
        Mean anomaly in degrees.

    Examples
    --------
    >>> from astro_sso.simulate.population import mean_anomaly_for_longitude
    >>> round(float(mean_anomaly_for_longitude(90.0, 0.0, 30.0, 20.0)), 6)
    40.0
    """
    f = np.radians(np.asarray(longitude) - np.asarray(node) - np.asarray(argperi))
    return np.degrees(_true_to_mean(f, np.asarray(e, dtype=float)))


def synthetic_orbits(
    n: int,
    *,
    seed: int = 0,
    epoch: Time | None = None,
    mix: dict | None = None,
    near_longitude: float | None = None,
    longitude_spread: float = 15.0,
    prefix: str = "S",
) -> QTable:
    """Draw a synthetic catalogue of asteroid orbits.

    Parameters
    ----------
    n : int
        Number of objects.
    seed : int
        Random seed.
    epoch : `~astropy.time.Time`, optional
        Osculation epoch (default 2024-01-01 TDB).
    mix : dict, optional
        Fraction of each class (keys of `DEFAULT_MIX`); normalised.
    near_longitude : float, optional
        When given [deg], objects are placed at heliocentric ecliptic
        longitudes within ``longitude_spread`` of it at the epoch (e.g. around
        opposition, so a simulated survey sees many of them).
    longitude_spread : float
        Half-width [deg] of that longitude window.
    prefix : str
        Designations are ``f"{prefix}{k:06d}"``.

    Returns
    -------
    `~astropy.table.QTable`
        An orbits table: ``designation``, ``number``, ``class``, ``a``, ``e``,
        ``i``, ``node``, ``argperi``, ``M``, ``epoch``, ``H``, ``G``.

    Examples
    --------
    >>> from astro_sso.simulate import synthetic_orbits
    >>> orb = synthetic_orbits(100, seed=1)
    >>> len(orb), orb["a"].unit
    (100, Unit("AU"))
    """
    if n < 0:
        raise InputError(f"number of objects must be >= 0, got {n}")
    mix = dict(DEFAULT_MIX if mix is None else mix)
    unknown = set(mix) - set(_CLASSES)
    if unknown:
        raise InputError(f"unknown classes {sorted(unknown)} in mix; classes: {sorted(_CLASSES)}")
    rng = np.random.default_rng(seed)
    names = list(mix)
    p = np.array([mix[k] for k in names], dtype=float)
    if (p < 0).any() or p.sum() <= 0:
        raise InputError(f"mix fractions must be >= 0 and not all 0, got {mix}")
    cls = np.array(names)[rng.choice(len(names), size=n, p=p / p.sum())]
    a = np.empty(n)
    e = np.empty(n)
    inc = np.empty(n)
    H = np.empty(n)
    for name, ((a0, a1), escale, emax, iscale, (h0, h1)) in _CLASSES.items():
        sel = cls == name
        k = int(sel.sum())
        if not k:
            continue
        a[sel] = rng.uniform(a0, a1, k)
        if name == "NEA":
            # perihelion q < 1.3 AU: draw q then e
            q = rng.uniform(0.3, np.minimum(1.3, a[sel] * 0.98))
            e[sel] = 1.0 - q / a[sel]
        else:
            e[sel] = np.minimum(rng.rayleigh(escale, k), emax)
        inc[sel] = np.minimum(rng.rayleigh(iscale, k), 60.0)
        # cumulative N(<H) ~ 10^(0.35 H) between h0 and h1
        slope = 0.35 * np.log(10.0)
        uu = rng.uniform(0, 1, k)
        H[sel] = np.log(np.exp(slope * h0) + uu * (np.exp(slope * h1) - np.exp(slope * h0))) / slope
    node = rng.uniform(0, 360, n)
    argperi = rng.uniform(0, 360, n)
    if near_longitude is None:
        M = rng.uniform(0, 360, n)
    else:
        lon = near_longitude + rng.uniform(-longitude_spread, longitude_spread, n)
        M = mean_anomaly_for_longitude(lon, e, node, argperi)
    epoch = Time("2024-01-01T00:00:00", scale="tdb") if epoch is None else epoch.tdb
    t = QTable()
    t["designation"] = np.array([f"{prefix}{k:06d}" for k in range(n)], dtype=str)
    t["number"] = np.full(n, -1, dtype=np.int64)
    t["class"] = cls.astype(str)
    t["a"] = a * u.AU
    t["e"] = e
    t["i"] = inc * u.deg
    t["node"] = node * u.deg
    t["argperi"] = argperi * u.deg
    t["M"] = M * u.deg
    t["epoch"] = Time(np.full(n, epoch.jd1), np.full(n, epoch.jd2), format="jd", scale="tdb")
    t["H"] = H * u.mag
    t["G"] = np.full(n, 0.15)
    t.meta["description"] = f"synthetic orbits (seed {seed})"
    return t
