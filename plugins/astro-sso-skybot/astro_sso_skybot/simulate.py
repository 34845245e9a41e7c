"""Simulated trails of catalogue objects, made with the core's ephemeris engine.

Until a trail detector provides real ones, trails are simulated: the object's
astrometric position seen from the observer at the exposure start and end are
the trail's ends, and positions at evenly spaced times in between are its
trail points (curved when the observer is a spacecraft in low Earth orbit).
Gaussian noise is added to every position. A detector does not know which end
is the start: ``reverse`` swaps the ends of some trails (and gives their points
the times a detector would assign, ``start + end - t``).
"""

from __future__ import annotations

import numpy as np
from astropy import units as u
from astropy.table import QTable
from astropy.time import Time

from astro_sso.exceptions import InputError

__all__ = ["simulate_trails", "hst_like_orbit"]


def simulate_trails(
    orbits,
    start,
    exposure,
    *,
    observer="500",
    n_points=0,
    noise=0.3 * u.arcsec,
    reverse=0.5,
    seed=0,
    method="twobody",
):
    """Simulate one trail per orbit, with optional trail points.

    Parameters
    ----------
    orbits : `~astropy.table.QTable`
        Orbits (any form `astro_sso.ephemeris.prepare_orbits` reads), one trail
        per row.
    start : `~astropy.time.Time`
        Exposure start (scalar, or one per orbit).
    exposure : `~astropy.units.Quantity`
        Exposure time (scalar, or one per orbit).
    observer : str
        MPC code or registered spacecraft code of the observer.
    n_points : int
        Points along each trail (0: none; otherwise at least 2, evenly spaced
        in time from start to end).
    noise : `~astropy.units.Quantity`
        1-sigma Gaussian noise on each coordinate of every position.
    reverse : float or array-like of bool
        Fraction of trails (drawn at random) or a mask of those whose ends are
        swapped.
    seed : int
        Random seed.
    method : {'twobody', 'nbody', 'accurate'}
        Ephemeris method.

    Returns
    -------
    trails : `~astropy.table.QTable`
        A trails table: ``trail_id``, ``ra_start``, ``dec_start``, ``ra_end``,
        ``dec_end``, ``obstime_start``, ``obstime_end``, ``observer``,
        ``length`` [arcsec], and the truth: ``true_designation``, ``reversed``.
    points : `~astropy.table.QTable`
        A trail-points table (``trail_id``, ``obstime``, ``ra``, ``dec``);
        empty when ``n_points`` is 0.

    Examples
    --------
    >>> import astropy.units as u
    >>> from astropy.time import Time
    >>> from astro_sso.simulate import synthetic_orbits
    >>> from astro_sso_skybot.simulate import simulate_trails
    >>> trails, points = simulate_trails(synthetic_orbits(3, seed=1), Time("2024-01-15T06:00"),
    ...                                  20 * u.min, n_points=4, seed=1)
    >>> len(trails), len(points), trails["length"].unit
    (3, 12, Unit("arcsec"))
    """
    from astro_sso.ephemeris import astrometric, observers_barycentric, prepare_orbits

    prep = prepare_orbits(orbits)
    n = len(prep)
    if n_points < 0 or n_points == 1:
        raise InputError(f"n_points must be 0 or at least 2, got {n_points}")
    start = start if isinstance(start, Time) else Time(start)
    t0 = start.utc if start.ndim else Time(np.full(n, start.utc.jd), format="jd", scale="utc")
    if len(t0) != n:
        raise InputError(f"start has {len(t0)} times for {n} orbits")
    exp = np.broadcast_to(u.Quantity(exposure).to_value(u.day), (n,)).astype(float)
    if np.any(exp <= 0):
        raise InputError("exposure must be positive")
    rng = np.random.default_rng(seed)
    if np.ndim(reverse) == 0:
        rev = rng.uniform(0, 1, n) < float(reverse)
    else:
        rev = np.asarray(reverse, dtype=bool)
    m = max(int(n_points), 2)
    frac = np.linspace(0.0, 1.0, m)
    times = t0[np.repeat(np.arange(n), m)] + (np.repeat(exp, m) * np.tile(frac, n)) * u.day
    obs_p, obs_v = observers_barycentric(np.full(len(times), observer), times)
    tdb = times.tdb
    pos = astrometric(
        prep.subset(np.repeat(np.arange(n), m)),
        tdb.jd1 + tdb.jd2,
        obs_p,
        obs_v,
        method=method,
        pairwise=True,
    )
    sig = u.Quantity(noise).to_value(u.deg)
    dec = pos["dec"] + rng.normal(0.0, sig, pos["dec"].size)
    ra = np.mod(pos["ra"] + rng.normal(0.0, sig, pos["ra"].size) / np.cos(np.radians(dec)), 360)
    ra = ra.reshape(n, m)
    dec = dec.reshape(n, m)
    first = np.where(rev, m - 1, 0)
    last = np.where(rev, 0, m - 1)
    k = np.arange(n)
    trails = QTable()
    trails["trail_id"] = np.arange(n, dtype=np.int64)
    trails["ra_start"] = ra[k, first] * u.deg
    trails["dec_start"] = dec[k, first] * u.deg
    trails["ra_end"] = ra[k, last] * u.deg
    trails["dec_end"] = dec[k, last] * u.deg
    trails["obstime_start"] = t0
    trails["obstime_end"] = t0 + exp * u.day
    trails["observer"] = np.full(n, str(observer))
    d = np.radians(dec)
    seg = np.hypot(np.diff(ra, axis=1) * np.cos(d[:, 1:]), np.diff(dec, axis=1))
    trails["length"] = seg.sum(axis=1) * 3600.0 * u.arcsec
    trails["true_designation"] = np.asarray(prep.designation, dtype=str)
    trails["reversed"] = rev
    points = QTable(
        {
            "trail_id": np.zeros(0, np.int64),
            "obstime": Time([], format="jd", scale="utc"),
            "ra": np.zeros(0) * u.deg,
            "dec": np.zeros(0) * u.deg,
        }
    )
    if n_points:
        # a detector assigns times assuming the trail runs from its 'start' to its 'end'
        tt = t0.jd[:, None] + exp[:, None] * np.where(rev[:, None], 1.0 - frac, frac)
        points = QTable(
            {
                "trail_id": np.repeat(np.arange(n, dtype=np.int64), m),
                "obstime": Time(tt.reshape(-1), format="jd", scale="utc"),
                "ra": ra.reshape(-1) * u.deg,
                "dec": dec.reshape(-1) * u.deg,
            }
        )
    trails.meta["description"] = (
        f"simulated trails seen from {observer}: {n} objects, noise {noise}, seed {seed}"
    )
    return trails, points


def hst_like_orbit(start, stop, *, step=1.0 * u.min, altitude=540.0 * u.km, inclination=28.5):
    """Positions of a synthetic HST-like spacecraft: a circular low Earth orbit.

    Not HST's real orbit (that needs its ephemeris or TLE); a circular orbit
    with HST's altitude (540 km) and inclination (28.5 deg), for registering
    an HST-like observer with `astro_sso.ephemeris.register_spacecraft` in
    simulations: it gives the same kind of parallax (curved trails).

    Parameters
    ----------
    start, stop : `~astropy.time.Time`
        Span of the table.
    step : `~astropy.units.Quantity`
        Time between rows.
    altitude : `~astropy.units.Quantity`
        Height above the Earth's equatorial radius.
    inclination : float
        Inclination to the equator [deg].

    Returns
    -------
    `~astropy.table.QTable`
        ``obstime``, ``obs_x``, ``obs_y``, ``obs_z`` [km], ``obs_vx``,
        ``obs_vy``, ``obs_vz`` [km/s], geocentric ICRF axes
        (``meta['obs_center'] = '399'``).

    Examples
    --------
    >>> import numpy as np
    >>> from astropy.time import Time
    >>> from astro_sso_skybot.simulate import hst_like_orbit
    >>> t = hst_like_orbit(Time("2024-01-15T00:00"), Time("2024-01-15T03:00"))
    >>> len(t), round(float(np.hypot(np.hypot(t["obs_x"][0], t["obs_y"][0]),
    ...                                t["obs_z"][0]).value))
    (181, 6918)
    """
    r = 6378.137 + u.Quantity(altitude).to_value(u.km)
    gm = 398600.4418  # km^3/s^2
    n = np.sqrt(gm / r**3)  # rad/s
    span = (stop - start).to_value(u.s)
    dt = u.Quantity(step).to_value(u.s)
    s = np.arange(0.0, span + 0.5 * dt, dt)
    phase = n * s
    inc = np.radians(inclination)
    x, y = r * np.cos(phase), r * np.sin(phase)
    vx, vy = -r * n * np.sin(phase), r * n * np.cos(phase)
    table = QTable()
    table["obstime"] = start + s * u.s
    table["obs_x"] = x * u.km
    table["obs_y"] = y * np.cos(inc) * u.km
    table["obs_z"] = y * np.sin(inc) * u.km
    table["obs_vx"] = vx * u.km / u.s
    table["obs_vy"] = vy * np.cos(inc) * u.km / u.s
    table["obs_vz"] = vy * np.sin(inc) * u.km / u.s
    table.meta["obs_center"] = "399"
    table.meta["description"] = (
        f"synthetic circular orbit, altitude {altitude}, inclination {inclination} deg (HST-like)"
    )
    return table
