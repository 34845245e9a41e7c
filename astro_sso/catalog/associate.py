"""Identify detections with known objects, at survey scale.

:func:`associate` gives each detection of a table the nearest known object
within a tolerance (2" by default, the threshold with which Kepler's Sieve
finds 65.71 % of 5.69 million ZTF detections on known asteroids). It runs the
three stages of `astro_sso.catalog.KnownObjects` on all detections at once:

1. coarse candidates from the KD-tree of the grid node nearest to each
   detection's time (one vectorized KD-tree query for all the detections of a
   node, each with its own radius: the tolerance plus the motion bound for its
   time offset and observer);
2. the linear-extrapolation filter with its rigorous error bound, per
   (detection, object) pair;
3. exact astrometric positions of the surviving pairs
   (:func:`astro_sso.ephemeris.astrometric` in pairwise mode: each object at
   its detection's time, from its detection's observer). Detections of the
   same exposure (same time and observer) share the exact computation of
   each candidate object.

Detections may come in exposures (many per time, as survey frames) or each at
its own time (ZTF alerts, tracklets): both go through the same vectorized
path. Observer positions for many distinct times of a ground site are
interpolated (cubic Hermite on a 15-minute grid, error below a metre).
"""

from __future__ import annotations

import time as _time
import warnings

import numpy as np
from astropy import units as u
from astropy.table import QTable, Table

from ..ephemeris.frames import angle_between, radec_to_unit
from ..exceptions import AstroSSOWarning, InputError
from ..provenance import stamp
from ..tables import empty_table, validate_table
from .known import _angle_rad, _as_known, _observer_states, _times_tdb_jd

__all__ = ["associate"]

_OUT_COLUMNS = (
    "det_id",
    "designation",
    "number",
    "class",
    "separation",
    "ra_pred",
    "dec_pred",
    "V",
    "n_candidates",
)


def _empty_result(meta):
    out = empty_table("matches", list(_OUT_COLUMNS))
    out.meta.update(meta)
    return out


def associate(
    detections,
    known,
    tolerance=2 * u.arcsec,
    *,
    observer=None,
    method="twobody",
    errors="raise",
):
    """Identify each detection with the nearest known object within a tolerance.

    Parameters
    ----------
    detections : `~astropy.table.Table`
        A detections table: ``ra``, ``dec`` [deg], ``obstime`` (Time) and
        ``observer`` (MPC code) per row; optional ``det_id`` and ADES-style
        spacecraft positions ``obs_x``, ``obs_y``, ``obs_z`` [AU] with
        ``obs_center`` (rows with finite ``obs_x/y/z`` use them).
    known : `~astro_sso.catalog.KnownObjects` or `~astropy.table.Table`
        The index of known objects, or an orbits table to build one from
        (``method`` then applies).
    tolerance : `~astropy.units.Quantity`
        Largest separation of a match (an angle; default 2 arcsec).
    observer : str, optional
        Observer of every row when the table has no ``observer`` column.
    method : {'twobody', 'nbody', 'accurate'}
        Propagation, when ``known`` is an orbits table.
    errors : {'raise', 'skip'}
        Rows with NaN ``ra``/``dec``: raise an
        `~astro_sso.exceptions.InputError` naming them, or leave them
        unmatched with one `~astro_sso.exceptions.AstroSSOWarning`.

    Returns
    -------
    `~astropy.table.QTable`
        One row per detection, in the input order: ``det_id``,
        ``designation`` (empty when nothing is within the tolerance),
        ``number`` (-1 when none or unnumbered), ``class``, ``separation``
        [arcsec], ``ra_pred``, ``dec_pred`` [deg], ``V`` [mag] (NaN when
        unmatched), ``n_candidates`` (known objects whose exact position was
        computed for the row). ``meta['provenance']`` records the tolerance,
        method, catalogue size and epochs, and the counts.

    Raises
    ------
    InputError
        Not a table, missing columns (the message names the missing and the
        given columns), wrong units, NaN positions (with ``errors='raise'``),
        a tolerance that is not a positive angle, unknown observer codes.

    Examples
    --------
    >>> import astropy.units as u
    >>> from astropy.table import QTable
    >>> from astro_sso.catalog import KnownObjects, associate
    >>> from astro_sso.ephemeris import ephemeris
    >>> from astro_sso.simulate import synthetic_orbits
    >>> from astropy.time import Time
    >>> orb = synthetic_orbits(300, seed=3)
    >>> t = Time("2024-01-12T05:00", scale="utc")
    >>> eph = ephemeris(orb[:2], t, observer="I41", method="twobody")
    >>> det = QTable({"ra": eph["ra"], "dec": eph["dec"] + [0.5, 30.0] * u.arcsec,
    ...               "obstime": eph["obstime"], "observer": ["I41", "I41"]})
    >>> res = associate(det, KnownObjects(orb))
    >>> res["designation"].tolist(), [round(float(s), 2) for s in res["separation"].value]
    (['S000000', ''], [0.5, nan])
    """
    t_start = _time.perf_counter()
    if errors not in ("raise", "skip"):
        raise InputError(f"errors must be 'raise' or 'skip', got {errors!r}")
    if not isinstance(detections, Table):
        raise InputError(
            f"detections must be an astropy Table or QTable, got {type(detections).__name__}"
        )
    tol = _angle_rad(tolerance, "tolerance", "2 * u.arcsec")
    if not 0 < tol < np.radians(10.0):
        raise InputError(f"tolerance must be one angle between 0 and 10 deg, got {tolerance}")
    cols = detections.colnames
    has_xyz = all(c in cols for c in ("obs_x", "obs_y", "obs_z"))
    if "observer" not in cols and observer is None and not has_xyz:
        raise InputError(
            "detections need an 'observer' column (MPC code per row, e.g. 'I41') or "
            "obs_x/obs_y/obs_z spacecraft positions, or pass observer='I41'; "
            f"got columns {cols}"
        )
    det = validate_table(detections, "detections", allow_nan=True)
    known = _as_known(known, method=method)
    n = len(det)
    meta = {
        "tolerance_arcsec": float(np.degrees(tol) * 3600.0),
        "method": known.method,
        "catalogue_size": len(known),
        "catalogue_epoch_range_jd_tdb": list(known.epoch_range),
        "grid_step_days": known.grid_step,
    }
    if n == 0:
        out = _empty_result({})
        return stamp(out, plugin="astro_sso.catalog.associate", parameters=meta, n_detections=0)

    det_id = (
        np.asarray(det["det_id"]).astype(np.int64)
        if "det_id" in cols
        else np.arange(n, dtype=np.int64)
    )
    ra = np.asarray(det["ra"].to_value(u.deg), dtype=float)
    dec = np.asarray(det["dec"].to_value(u.deg), dtype=float)
    bad = ~(np.isfinite(ra) & np.isfinite(dec))
    if hasattr(det["obstime"], "mask") and np.any(det["obstime"].mask):
        bad |= np.asarray(det["obstime"].mask)
    if bad.any():
        rows = np.flatnonzero(bad)
        msg = (
            f"{rows.size} detection(s) have NaN ra/dec or no time (rows {rows[:10].tolist()}"
            f"{'...' if rows.size > 10 else ''})"
        )
        if errors == "raise":
            raise InputError(msg + "; remove them, or pass errors='skip' to leave them unmatched")
        warnings.warn(msg + ": left unmatched", AstroSSOWarning, stacklevel=2)
    good = np.flatnonzero(~bad)
    t = _times_tdb_jd(det["obstime"])
    if "observer" in cols:
        codes = np.asarray(np.ma.filled(np.ma.asarray(det["observer"]).astype(str), ""), dtype=str)
        if observer is not None:
            codes = np.where(codes == "", str(observer), codes)
    else:
        codes = np.full(n, "500" if observer is None else str(observer))
    obs_xyz = None
    obs_center = None
    if has_xyz:
        obs_xyz = np.stack(
            [np.asarray(det[c].to_value(u.AU), dtype=float) for c in ("obs_x", "obs_y", "obs_z")],
            axis=1,
        )
        if "obs_center" in cols:
            obs_center = np.asarray(det["obs_center"]).astype(str)
        missing = ~np.isfinite(obs_xyz).all(axis=1) & (codes == "")
        if missing.any():
            raise InputError(
                f"rows {np.flatnonzero(missing)[:10].tolist()} have neither an observer code "
                "nor obs_x/obs_y/obs_z"
            )

    dirs = radec_to_unit(ra[good], dec[good])
    tg = t[good]
    obs_p, obs_v, earth_p = _observer_states(
        codes[good],
        tg,
        known.planets,
        None if obs_xyz is None else obs_xyz[good],
        None if obs_center is None else obs_center[good],
    )
    rows, objs = known._candidates(dirs, tg, obs_p - earth_p, np.full(good.size, tol))
    n_cand = np.bincount(rows, minlength=good.size)

    # exact positions once per (object, exposure): an exposure is a distinct (time, observer)
    best_obj = np.full(good.size, -1, dtype=np.int64)
    best_sep = np.full(good.size, np.nan)
    best_ra = np.full(good.size, np.nan)
    best_dec = np.full(good.size, np.nan)
    best_V = np.full(good.size, np.nan)
    n_exact = 0
    if rows.size:
        expo_key = np.concatenate([tg[:, None], obs_p], axis=1)
        _, expo = np.unique(expo_key, axis=0, return_inverse=True)
        expo = expo.ravel()
        pair_key = objs * (int(expo.max()) + 1) + expo[rows]
        ukey, first, inv = np.unique(pair_key, return_index=True, return_inverse=True)
        r0 = rows[first]
        n_exact = int(ukey.size)
        res = known._exact(objs[first], tg[r0], obs_p[r0], obs_v[r0])
        pred = radec_to_unit(res["ra"], res["dec"])
        inv = inv.ravel()
        sep = angle_between(pred[inv], dirs[rows])
        ok = sep <= tol
        rr, oo, ss, ii = rows[ok], objs[ok], sep[ok], inv[ok]
        order = np.lexsort((ss, rr))
        rr, oo, ss, ii = rr[order], oo[order], ss[order], ii[order]
        first_of_row = np.ones(rr.size, dtype=bool)
        first_of_row[1:] = rr[1:] != rr[:-1]
        rr, oo, ss, ii = rr[first_of_row], oo[first_of_row], ss[first_of_row], ii[first_of_row]
        best_obj[rr] = oo
        best_sep[rr] = ss
        best_ra[rr] = res["ra"][ii]
        best_dec[rr] = res["dec"][ii]
        best_V[rr] = res["V"][ii]

    full = np.full(n, -1, dtype=np.int64)
    full[good] = best_obj
    hit = full >= 0

    def spread(values, fill):
        arr = np.full(n, fill, dtype=np.asarray(values).dtype if np.asarray(values).size else float)
        arr[good] = values
        return arr

    out = QTable()
    out["det_id"] = det_id
    desig = np.full(n, "", dtype=known.designation.dtype if len(known) else "U1")
    desig[hit] = known.designation[full[hit]]
    out["designation"] = desig
    number = np.full(n, -1, dtype=np.int64)
    number[hit] = known.number[full[hit]]
    out["number"] = number
    klass = np.full(n, "", dtype=known.klass.dtype if len(known) else "U1")
    klass[hit] = known.klass[full[hit]]
    out["class"] = klass
    out["separation"] = spread(np.degrees(best_sep) * 3600.0, np.nan) * u.arcsec
    out["ra_pred"] = spread(best_ra, np.nan) * u.deg
    out["dec_pred"] = spread(best_dec, np.nan) * u.deg
    out["V"] = spread(best_V, np.nan) * u.mag
    nc = np.zeros(n, dtype=np.int64)
    nc[good] = n_cand
    out["n_candidates"] = nc
    return stamp(
        out,
        plugin="astro_sso.catalog.associate",
        parameters=meta,
        n_detections=n,
        n_matched=int(hit.sum()),
        n_skipped_nan=int(bad.sum()),
        n_exact_positions=n_exact,
        elapsed_s=round(_time.perf_counter() - t_start, 3),
    )
