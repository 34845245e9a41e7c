"""The online backend: IMCCE SkyBoT for candidates, JPL Horizons for their tracks.

* Point detections: the detections of one exposure (same time and observer)
  share SkyBoT cone searches (one cone covering them, widened by
  ``cone_radius``; split when it would exceed SkyBoT's 10 deg). SkyBoT's
  positions at the exposure time are the predictions; each detection takes the
  nearest object within the tolerance (Kepler's Sieve's rule, as the local
  backend's `astro_sso.catalog.associate`).
* Trails: the paper's procedure. A SkyBoT cone search of radius ``cone_radius``
  around the trail's mean position at mid-exposure, JPL Horizons ephemerides of
  every candidate on the time grid of `astro_sso_skybot.trails` (1-minute steps
  by default; HST as ``@hst``), then the O-C distance of
  `astro_sso_skybot.trails.d_oc`.

Both services are reached through astroquery (`astro_sso_skybot.services`),
with the caching, timeouts and retries of `astro_sso_skybot.conf`.
"""

from __future__ import annotations

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.time import Time

from astro_sso.exceptions import InputError, ServiceError

from .local import observer_columns, trail_geometry, trail_points_by_id
from .output import Rows
from .services import horizons_ephemerides, horizons_location, skybot_cone
from .trails import angle, d_oc, interpolate, time_grid, to_radec, unit_vectors

__all__ = ["match_points_online", "match_trails_online", "OnlineLog"]

_MAX_CONE = np.radians(10.0)  # SkyBoT's largest radius


class OnlineLog:
    """What the online backend asked the services (recorded in the provenance).

    Examples
    --------
    >>> from astro_sso_skybot.online import OnlineLog
    >>> OnlineLog().as_dict()["skybot_queries"]
    0
    """

    def __init__(self):
        self.skybot_queries = 0
        self.horizons_objects = 0
        self.horizons_api_version = "not queried"

    def as_dict(self) -> dict:
        """The counts as a JSON-friendly dict."""
        return {
            "skybot_queries": self.skybot_queries,
            "horizons_objects": self.horizons_objects,
            "horizons_api_version": self.horizons_api_version,
        }


def _online_codes(table, observer):
    codes, xyz, _ = observer_columns(table, observer)
    if xyz is not None:
        own = np.isfinite(xyz).all(axis=1) & (codes == "")
        if own.any():
            raise InputError(
                f"rows {np.flatnonzero(own)[:10].tolist()} give the observer only as "
                "obs_x/obs_y/obs_z positions, which SkyBoT and JPL Horizons cannot take: give "
                "the observer's MPC code (e.g. '250' for HST) or use backend='local' (with "
                "astro_sso.ephemeris.register_spacecraft for a spacecraft)"
            )
    return codes


def _split(uvec, extra):
    """Index groups whose enclosing cone (widened by ``extra`` rad) fits SkyBoT's limit."""
    todo = [np.arange(len(uvec))]
    done = []
    while todo:
        idx = todo.pop()
        c = uvec[idx].sum(axis=0)
        c = c / np.linalg.norm(c)
        r = float(angle(c[None, :], uvec[idx]).max()) if idx.size else 0.0
        if r + extra <= _MAX_CONE or idx.size == 1:
            done.append((idx, c, min(r + extra, _MAX_CONE)))
            continue
        # split at the median along the direction of largest spread (tangent plane)
        east = np.cross([0.0, 0.0, 1.0], c)
        east = east / np.linalg.norm(east) if np.linalg.norm(east) > 0 else np.array([1.0, 0, 0])
        north = np.cross(c, east)
        x, y = uvec[idx] @ east, uvec[idx] @ north
        key = x if np.ptp(x) >= np.ptp(y) else y
        order = np.argsort(key, kind="stable")
        half = idx.size // 2
        todo += [idx[order[:half]], idx[order[half:]]]
    return done


def match_points_online(det, tolerance, *, cone_radius, observer=None, cache=True, log=None):
    """Identify point detections with SkyBoT (see the module documentation).

    Returns
    -------
    `~astropy.table.QTable`
        One row per detection (columns of
        `astro_sso_skybot.output.POINT_COLUMNS`); ``n_candidates`` counts the
        SkyBoT objects within ``cone_radius`` of the detection.
    """
    log = log or OnlineLog()
    n = len(det)
    ids = np.asarray(det["det_id"]).astype(np.int64) if "det_id" in det.colnames else np.arange(n)
    rows = Rows(ids, "detections")
    if n == 0:
        return rows.table()
    codes = _online_codes(det, observer)
    uvec = unit_vectors(det["ra"].to_value(u.deg), det["dec"].to_value(u.deg))
    jd = np.asarray(det["obstime"].utc.jd1, float) + np.asarray(det["obstime"].utc.jd2, float)
    tol = u.Quantity(tolerance).to_value(u.rad)
    rad = u.Quantity(cone_radius).to_value(u.rad)
    key = np.char.add(np.char.add(np.round(jd, 8).astype(str), "|"), codes)
    _, group = np.unique(key, return_inverse=True)
    for g in np.unique(group):
        members = np.flatnonzero(group == g)
        epoch = det["obstime"][members[0]]
        for part, centre, radius in _split(uvec[members], rad + tol):
            sel = members[part]
            ra_c, dec_c = to_radec(centre)
            found = skybot_cone(
                SkyCoord(ra_c * u.deg, dec_c * u.deg),
                radius * u.rad,
                epoch,
                location=codes[sel[0]],
                cache=cache,
            )
            log.skybot_queries += 1
            if len(found) == 0:
                continue
            pred = unit_vectors(found["ra"].to_value(u.deg), found["dec"].to_value(u.deg))
            sep = angle(uvec[sel][:, None, :], pred[None, :, :])  # (D, K)
            rows.n_candidates[sel] = (sep <= rad).sum(axis=1)
            best = np.argmin(sep, axis=1)
            for j, (d, b) in enumerate(zip(sel, best, strict=True)):
                s = sep[j, b]
                if s <= tol:
                    rows.set(
                        d,
                        designation=found["designation"][b],
                        number=found["number"][b],
                        klass=found["class"][b],
                        ra=found["ra"][b].to_value(u.deg),
                        dec=found["dec"][b].to_value(u.deg),
                        distance=np.degrees(s) * 3600.0,
                        V=found["V"][b].to_value(u.mag),
                        direction=0,
                    )
    return rows.table()


def _target(found, b):
    number = int(found["number"][b])
    return str(number) if number > 0 else str(found["name"][b] or found["designation"][b])


def match_trails_online(
    trails,
    points,
    tolerance,
    *,
    cone_radius,
    step,
    time_allowance,
    observer=None,
    cache=True,
    log=None,
):
    """Identify trails with SkyBoT and JPL Horizons (see the module documentation).

    Returns
    -------
    `~astropy.table.QTable`
        One row per trail (columns of `astro_sso_skybot.output.TRAIL_COLUMNS`);
        ``n_candidates`` counts the objects SkyBoT returned in the cone.
    """
    log = log or OnlineLog()
    n = len(trails)
    rows = Rows(np.asarray(trails["trail_id"]).astype(np.int64), "trails")
    if n == 0:
        return rows.table()
    codes = _online_codes(trails, observer)
    t0, t1, span, s_vec, e_vec, cra, cdec = trail_geometry(trails)
    by_id = trail_points_by_id(points)
    tol = u.Quantity(tolerance).to_value(u.arcsec)
    step_d = u.Quantity(step).to_value(u.day)
    for k in range(n):
        a = float(time_allowance) * span[k]
        start = t0[k]
        mid = start + 0.5 * span[k] * u.day
        found = skybot_cone(
            SkyCoord(cra[k] * u.deg, cdec[k] * u.deg),
            cone_radius,
            mid,
            location=codes[k],
            cache=cache,
        )
        log.skybot_queries += 1
        rows.n_candidates[k] = len(found)
        if len(found) == 0:
            continue
        grid = time_grid(0.0, span[k], step_d, a)
        epochs = start.jd1 + start.jd2 + grid
        pts_t = pts = None
        tid = int(rows.ids[k])
        if tid in by_id:
            pts_time, pts = by_id[tid]
            pts_t = np.asarray((pts_time.utc - start).to_value(u.day), dtype=float)
        best = None
        for b in range(len(found)):
            eph = horizons_ephemerides(
                _target(found, b), horizons_location(codes[k]), epochs, cache=cache
            )
            log.horizons_objects += 1
            log.horizons_api_version = eph["api_version"]
            g = eph["jd"] - (start.jd1 + start.jd2)
            if g.size == 0 or g[0] > -a + 1e-6 or g[-1] < span[k] + a - 1e-6:
                raise ServiceError(
                    f"JPL Horizons returned {g.size} epoch(s) for '{_target(found, b)}' that do "
                    f"not cover trail {tid}'s exposure ({Time(epochs[0], format='jd').isot} to "
                    f"{Time(epochs[-1], format='jd').isot} UTC); try again, or use "
                    'backend="local"'
                )
            track = unit_vectors(eph["ra"], eph["dec"])[None]
            res = d_oc(
                g, track, 0.0, span[k], s_vec[k], e_vec[k], allowance=a, points_t=pts_t, points=pts
            )
            if best is None or res["d_oc"][0] < best[0]:
                best = (res["d_oc"][0], res["direction"][0], b, g, track, eph["V"])
        dist, direction, b, g, track, V = best
        if dist <= tol:
            ra, dec = to_radec(interpolate(g, track, np.array(0.5 * span[k]))[0])
            rows.set(
                k,
                designation=found["designation"][b],
                number=found["number"][b],
                klass=found["class"][b],
                ra=ra,
                dec=dec,
                distance=dist,
                V=float(np.interp(0.5 * span[k], g, V)) if np.isfinite(V).any() else np.nan,
                direction=direction,
            )
    return rows.table()
