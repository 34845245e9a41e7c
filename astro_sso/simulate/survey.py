"""Simulated survey detections of a catalogue of orbits, from a ground site.

A night of a ZTF-like survey: a few fields near opposition, each visited
several times at a fixed cadence, with a circular field of view. Every
catalogue object inside a field and brighter than the limiting magnitude
becomes a detection with Gaussian astrometric noise and a magnitude with
photometric noise; unrelated sources (stars, transients, artefacts) are
sprinkled uniformly over each field. The truth (which object each detection
belongs to) travels in ``true_designation``.
"""

from __future__ import annotations

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord, get_sun
from astropy.table import QTable
from astropy.time import Time

from ..exceptions import InputError

__all__ = [
    "opposition_point",
    "survey_fields",
    "simulate_survey",
    "DEMO_NIGHT",
    "opposition_catalogue",
    "demo_survey",
]


def opposition_point(time: Time) -> SkyCoord:
    """The anti-solar point (ICRS) at a time: where main-belt asteroids are brightest.

    Examples
    --------
    >>> from astropy.time import Time
    >>> from astro_sso.simulate import opposition_point
    >>> round(opposition_point(Time("2024-03-20T00:00:00")).ra.deg)
    180
    """
    sun = get_sun(time)
    return SkyCoord(ra=sun.ra + 180 * u.deg, dec=-sun.dec, frame="icrs")


def survey_fields(center: SkyCoord, n_fields: int = 4, spacing: u.Quantity = 7 * u.deg) -> SkyCoord:
    """Field centres on a near-square grid around ``center``.

    Examples
    --------
    >>> from astropy.coordinates import SkyCoord
    >>> from astro_sso.simulate import survey_fields
    >>> len(survey_fields(SkyCoord(10, 0, unit="deg"), 4))
    4
    """
    ncol = int(np.ceil(np.sqrt(n_fields)))
    k = np.arange(n_fields)
    dx = (k % ncol - (ncol - 1) / 2) * spacing
    dy = (k // ncol - (int(np.ceil(n_fields / ncol)) - 1) / 2) * spacing
    return center.spherical_offsets_by(dx, dy)


def simulate_survey(
    orbits: QTable,
    *,
    night: Time | None = None,
    observer: str = "I41",
    n_fields: int = 4,
    n_visits: int = 3,
    cadence: u.Quantity = 30 * u.min,
    fov_radius: u.Quantity = 3.5 * u.deg,
    limiting_mag: float = 20.5,
    astrometric_noise: u.Quantity = 0.3 * u.arcsec,
    n_unrelated: int = 30,
    band: str = "r",
    seed: int = 0,
    method: str = "twobody",
):
    """Simulate one night of survey detections of catalogue objects.

    Parameters
    ----------
    orbits : `~astropy.table.QTable`
        Catalogue of orbits (with ``H``, ``G``).
    night : `~astropy.time.Time`, optional
        Time of the first exposure (default 2024-01-15T06:00 UTC).
    observer : str
        MPC code of the site (default ``'I41'``, ZTF at Palomar).
    n_fields, n_visits : int
        Fields near opposition, and visits of each.
    cadence : `~astropy.units.Quantity`
        Time between visits of a field.
    fov_radius : `~astropy.units.Quantity`
        Radius of the (circular) field of view.
    limiting_mag : float
        5-sigma limiting V magnitude.
    astrometric_noise : `~astropy.units.Quantity`
        1-sigma Gaussian noise added to each coordinate.
    n_unrelated : int
        Unrelated sources per exposure.
    band : str
        Band written in the ``band`` column.
    seed : int
        Random seed.
    method : str
        Ephemeris method used for the truth.

    Returns
    -------
    exposures : `~astropy.table.QTable`
        One row per exposure: ``exposure``, ``obstime``, ``ra``, ``dec`` (centre).
    detections : `~astropy.table.QTable`
        A detections table with ``det_id``, ``ra``, ``dec``, ``obstime``,
        ``mag``, ``mag_err``, ``band``, ``sigma``, ``observer``, ``exposure``
        and ``true_designation`` ('' for unrelated sources).

    Examples
    --------
    >>> from astro_sso.simulate import synthetic_orbits, simulate_survey
    >>> orb = synthetic_orbits(50, seed=2)
    >>> expo, det = simulate_survey(orb, n_fields=1, n_visits=2, n_unrelated=5, seed=2)
    >>> len(expo), int((det["true_designation"] == "").sum())
    (2, 10)
    """
    from ..ephemeris import ephemeris

    if n_fields < 1 or n_visits < 1:
        raise InputError(f"need n_fields >= 1 and n_visits >= 1, got {n_fields}, {n_visits}")
    if "H" not in orbits.colnames:
        raise InputError(
            "simulate_survey needs an 'H' column in the orbits to decide what is bright enough"
        )
    rng = np.random.default_rng(seed)
    night = Time("2024-01-15T06:00:00", scale="utc") if night is None else night
    centers = survey_fields(opposition_point(night), n_fields)
    # exposure k: field k % n_fields, visit k // n_fields; 40 s per field change
    k = np.arange(n_fields * n_visits)
    field = k % n_fields
    visit = k // n_fields
    obstime = night + visit * cadence + field * 40 * u.s
    exposures = QTable(
        {
            "exposure": k.astype(np.int64),
            "obstime": obstime,
            "ra": centers.ra[field].to(u.deg),
            "dec": centers.dec[field].to(u.deg),
        }
    )
    eph = ephemeris(orbits, obstime, observer=observer, method=method)
    n_t = len(obstime)
    kk = np.tile(np.arange(n_t), len(orbits))
    pos = SkyCoord(eph["ra"], eph["dec"])
    sep = pos.separation(centers[field[kk]])
    V = eph["V"].to_value(u.mag)
    seen = (sep < fov_radius) & (V < limiting_mag)
    sel = np.flatnonzero(seen)
    sig = astrometric_noise.to_value(u.deg)
    dec_true = eph["dec"][sel].to_value(u.deg)
    ra = eph["ra"][sel].to_value(u.deg) + rng.normal(0, sig, sel.size) / np.cos(
        np.radians(dec_true)
    )
    dec = dec_true + rng.normal(0, sig, sel.size)
    snr = 5.0 * 10 ** (-0.4 * (V[sel] - limiting_mag))
    mag_err = 1.0857 / snr
    mag = V[sel] + rng.normal(0, mag_err)
    expo_of = kk[sel]
    truth = np.asarray(eph["designation"][sel], dtype=str)
    # unrelated sources, uniform in each field's disc
    n_u = n_unrelated * n_t
    expo_u = np.repeat(np.arange(n_t), n_unrelated)
    rr = fov_radius * np.sqrt(rng.uniform(0, 1, n_u))
    pa = rng.uniform(0, 360, n_u) * u.deg
    upos = centers[field[expo_u]].directional_offset_by(pa, rr)
    umag = rng.uniform(limiting_mag - 6, limiting_mag, n_u)
    usnr = 5.0 * 10 ** (-0.4 * (umag - limiting_mag))
    det = QTable()
    det["ra"] = np.concatenate([np.mod(ra, 360.0), upos.ra.deg]) * u.deg
    det["dec"] = np.concatenate([dec, upos.dec.deg]) * u.deg
    det["obstime"] = obstime[np.concatenate([expo_of, expo_u])]
    det["mag"] = np.concatenate([mag, umag + rng.normal(0, 1.0857 / usnr)]) * u.mag
    det["mag_err"] = np.concatenate([mag_err, 1.0857 / usnr]) * u.mag
    det["band"] = np.full(len(det), band)
    det["sigma"] = np.full(len(det), astrometric_noise.to_value(u.arcsec)) * u.arcsec
    det["observer"] = np.full(len(det), observer)
    det["exposure"] = np.concatenate([expo_of, expo_u]).astype(np.int64)
    det["true_designation"] = np.concatenate([truth, np.full(n_u, "")]).astype(str)
    order = np.lexsort((det["ra"].value, det["exposure"]))
    det = det[order]
    det.add_column(np.arange(len(det), dtype=np.int64), name="det_id", index=0)
    det.meta["description"] = (
        f"simulated {observer} night: {n_fields} fields x {n_visits} visits, "
        f"V < {limiting_mag}, noise {astrometric_noise}, seed {seed}"
    )
    return exposures, det


#: The night of the demo's simulated survey.
DEMO_NIGHT = Time("2024-01-15T06:00:00", scale="utc")


def opposition_catalogue(n: int, *, seed: int = 0, night: Time | None = None) -> QTable:
    """A synthetic catalogue placed around opposition at ``night``, where a survey looks.

    Parameters
    ----------
    n : int
        Number of objects.
    seed : int
        Random seed.
    night : `~astropy.time.Time`, optional
        Default `DEMO_NIGHT`; the orbits' epoch is the first day of that year (TDB).

    Examples
    --------
    >>> from astro_sso.simulate import opposition_catalogue
    >>> len(opposition_catalogue(20, seed=1))
    20
    """
    from .population import synthetic_orbits

    night = DEMO_NIGHT if night is None else night
    opp = opposition_point(night).barycentrictrueecliptic
    return synthetic_orbits(
        n,
        seed=seed,
        epoch=Time(f"{night.utc.datetime.year}-01-01", scale="tdb"),
        near_longitude=float(opp.lon.deg),
        longitude_spread=10.0,
    )


def demo_survey(orbits: QTable, *, seed: int = 0, quick: bool = False, n_unrelated=None):
    """The demo's night of ZTF (I41) detections of ``orbits``: `simulate_survey` with its settings.

    Six fields (two when ``quick``) near opposition on `DEMO_NIGHT`, three visits each,
    V < 21, 0.3" noise, and ``n_unrelated`` unrelated sources per exposure (40, or 20 when
    ``quick``).

    Examples
    --------
    >>> from astro_sso.simulate import demo_survey, opposition_catalogue
    >>> expo, det = demo_survey(opposition_catalogue(50), quick=True, n_unrelated=0)
    >>> len(expo)
    6
    """
    if n_unrelated is None:
        n_unrelated = 20 if quick else 40
    return simulate_survey(
        orbits,
        night=DEMO_NIGHT,
        observer="I41",
        n_fields=2 if quick else 6,
        n_visits=3,
        limiting_mag=21.0,
        n_unrelated=n_unrelated,
        seed=seed,
    )
