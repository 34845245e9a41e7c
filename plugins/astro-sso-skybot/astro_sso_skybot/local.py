"""The local backend: the core's catalogue and ephemeris engine, no network.

* Point detections go through `astro_sso.catalog.associate` (the nearest known
  object within the tolerance; its sky index makes this fast for millions of
  detections).
* Trails: a `astro_sso.catalog.KnownObjects.cone_search` around the trail's mean
  position at mid-exposure (the paper's first approximation, SkyBoT's job), the
  ephemerides of every candidate on the time grid of `astro_sso_skybot.trails`
  (`astro_sso.ephemeris.astrometric`, from the trail's observer: an MPC code, a
  registered spacecraft, or ADES ``obs_x/obs_y/obs_z`` columns), then the O-C
  distance of `astro_sso_skybot.trails.d_oc`.
"""

from __future__ import annotations

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord

from astro_sso.exceptions import InputError

from .output import POINT_COLUMNS, Rows
from .trails import d_oc, time_grid, to_radec, trail_centres, unit_vectors

__all__ = [
    "match_points_local",
    "match_trails_local",
    "observer_columns",
    "trail_geometry",
    "trail_points_by_id",
]


def match_points_local(det, known, tolerance, *, observer=None):
    """Identify point detections through `astro_sso.catalog.associate`.

    Parameters
    ----------
    det : `~astropy.table.QTable`
        A detections table (validated).
    known : `~astro_sso.catalog.KnownObjects`
        The catalogue index.
    tolerance : `~astropy.units.Quantity`
        Largest separation of a match.
    observer : str, optional
        Observer of rows without an ``observer`` column.

    Returns
    -------
    `~astropy.table.QTable`, dict
        The matches (columns of `astro_sso_skybot.output.POINT_COLUMNS`) and
        the provenance that ``associate`` recorded.
    """
    from astro_sso.catalog import associate

    det = det.copy(copy_data=False)
    res = associate(det, known, tolerance=tolerance, observer=observer)
    res["direction"] = np.zeros(len(res), dtype=np.int64)
    out = res[list(POINT_COLUMNS)]
    prov = dict(res.meta.get("provenance", {}))
    out.meta.clear()
    return out, prov


def observer_columns(table, observer=None):
    """Per-row observer codes and ADES spacecraft positions of a table.

    Returns
    -------
    codes : ndarray of str
        ``observer`` column (masked or empty entries take ``observer``).
    xyz : ndarray, shape (N, 3), or None
        ``obs_x, obs_y, obs_z`` [AU] when the table has them (NaN rows: none).
    center : ndarray of str or None
        ``obs_center`` (default ``'399'``).

    Raises
    ------
    InputError
        A row has neither a code nor a position.
    """
    n = len(table)
    cols = table.colnames
    if "observer" in cols:
        codes = np.asarray(np.ma.filled(np.ma.asarray(table["observer"]).astype(str), ""), str)
        codes = np.char.strip(codes)
        if observer is not None:
            codes = np.where(codes == "", str(observer), codes)
    else:
        codes = np.full(n, "" if observer is None else str(observer))
    xyz = center = None
    if all(c in cols for c in ("obs_x", "obs_y", "obs_z")):
        xyz = np.stack(
            [
                np.ma.filled(np.ma.asarray(u.Quantity(table[c]).to_value(u.AU)), np.nan)
                for c in ("obs_x", "obs_y", "obs_z")
            ],
            axis=1,
        ).astype(float)
        center = (
            np.asarray(table["obs_center"]).astype(str)
            if "obs_center" in cols
            else np.full(n, "399")
        )
    has_xyz = np.zeros(n, bool) if xyz is None else np.isfinite(xyz).all(axis=1)
    missing = (codes == "") & ~has_xyz
    if missing.any():
        rows = np.flatnonzero(missing)[:10].tolist()
        raise InputError(
            f"rows {rows} have no observer: give an 'observer' column (MPC code per row, e.g. "
            "'I41', '250' for HST), obs_x/obs_y/obs_z spacecraft positions, or the matcher's "
            "observer parameter"
        )
    return codes, xyz, center


def _observer_states(code, xyz_row, center_row, times):
    from astro_sso.ephemeris import observers_barycentric

    g = len(times)
    if xyz_row is not None and np.isfinite(xyz_row).all():
        return observers_barycentric(
            np.full(g, "500"),
            times,
            obs_xyz=np.repeat(xyz_row[None, :], g, axis=0),
            obs_center=np.full(g, center_row),
        )
    return observers_barycentric(np.full(g, code), times)


def trail_points_by_id(points):
    """Group a validated trail-points table: ``{trail_id: (Time, unit vectors)}``."""
    if points is None or len(points) == 0:
        return {}
    ids = np.asarray(points["trail_id"]).astype(np.int64)
    uvec = unit_vectors(points["ra"].to_value(u.deg), points["dec"].to_value(u.deg))
    out = {}
    for tid in np.unique(ids):
        sel = np.flatnonzero(ids == tid)
        out[int(tid)] = (points["obstime"][sel], uvec[sel])
    return out


def trail_geometry(trails):
    """Arrays of a validated trails table used by both backends."""
    t0 = trails["obstime_start"].utc
    t1 = trails["obstime_end"].utc
    span = np.atleast_1d(np.asarray((t1 - t0).to_value(u.day), dtype=float))
    bad = np.flatnonzero(~(span > 0))
    if bad.size:
        raise InputError(
            f"trail rows {bad[:10].tolist()}: obstime_end must be after obstime_start (the "
            "exposure start and end); swap or fix them"
        )
    s = unit_vectors(trails["ra_start"].to_value(u.deg), trails["dec_start"].to_value(u.deg))
    e = unit_vectors(trails["ra_end"].to_value(u.deg), trails["dec_end"].to_value(u.deg))
    cra, cdec = trail_centres(
        trails["ra_start"].to_value(u.deg),
        trails["dec_start"].to_value(u.deg),
        trails["ra_end"].to_value(u.deg),
        trails["dec_end"].to_value(u.deg),
    )
    return t0, t1, span, s, e, cra, cdec


def match_trails_local(
    trails,
    points,
    known,
    tolerance,
    *,
    cone_radius,
    step,
    time_allowance,
    observer=None,
):
    """Identify trails with the local catalogue (see the module documentation).

    Parameters
    ----------
    trails : `~astropy.table.QTable`
        A trails table (validated).
    points : `~astropy.table.QTable` or None
        A trail-points table (validated), or None.
    known : `~astro_sso.catalog.KnownObjects`
        The catalogue index.
    tolerance : `~astropy.units.Quantity`
        Largest ``d_oc`` of a match.
    cone_radius : `~astropy.units.Quantity`
        Radius of the candidate search.
    step : `~astropy.units.Quantity`
        Step of the predicted tracks.
    time_allowance : float
        Allowed error on the times, as a fraction of the exposure time.
    observer : str, optional
        Observer of rows without an ``observer`` column.

    Returns
    -------
    `~astropy.table.QTable`
        One row per trail (columns of `astro_sso_skybot.output.TRAIL_COLUMNS`).
    """
    from astro_sso.ephemeris import astrometric

    n = len(trails)
    rows = Rows(np.asarray(trails["trail_id"]).astype(np.int64), "trails")
    if n == 0:
        return rows.table()
    codes, xyz, center = observer_columns(trails, observer)
    t0, t1, span, s_vec, e_vec, cra, cdec = trail_geometry(trails)
    by_id = trail_points_by_id(points)
    index = {d: k for k, d in enumerate(known.designation)}
    tol = u.Quantity(tolerance).to_value(u.arcsec)
    step_d = u.Quantity(step).to_value(u.day)
    for k in range(n):
        a = float(time_allowance) * span[k]
        start = t0[k]
        mid = start + 0.5 * span[k] * u.day
        own = xyz is not None and np.isfinite(xyz[k]).all()
        code = "500" if own or not codes[k] else codes[k]
        cone = known.cone_search(
            SkyCoord(cra[k] * u.deg, cdec[k] * u.deg), cone_radius, mid, observer=code
        )
        rows.n_candidates[k] = len(cone)
        if len(cone) == 0:
            continue
        idx = np.array([index[str(d)] for d in cone["designation"]], dtype=np.int64)
        grid = time_grid(0.0, span[k], step_d, a)
        times = start + grid * u.day
        obs_p, obs_v = _observer_states(
            codes[k], xyz[k] if own else None, center[k] if own else None, times
        )
        tdb = times.tdb
        pred = astrometric(
            known.prepared.subset(idx),
            tdb.jd1 + tdb.jd2,
            obs_p,
            obs_v,
            method=known.method,
            planets=known.planets,
        )
        track = unit_vectors(pred["ra"], pred["dec"])
        pts_t = pts = None
        tid = int(rows.ids[k])
        if tid in by_id:
            pts_time, pts = by_id[tid]
            pts_t = np.asarray((pts_time.utc - start).to_value(u.day), dtype=float)
        res = d_oc(
            grid, track, 0.0, span[k], s_vec[k], e_vec[k], allowance=a, points_t=pts_t, points=pts
        )
        best = int(np.argmin(res["d_oc"]))
        if res["d_oc"][best] <= tol:
            j = int(np.argmin(np.abs(grid - 0.5 * span[k])))
            ra, dec = to_radec(track[best, j])
            o = idx[best]
            rows.set(
                k,
                designation=known.designation[o],
                number=known.number[o],
                klass=known.klass[o],
                ra=ra,
                dec=dec,
                distance=res["d_oc"][best],
                V=pred["V"][best, j],
                direction=res["direction"][best],
            )
    return rows.table()
