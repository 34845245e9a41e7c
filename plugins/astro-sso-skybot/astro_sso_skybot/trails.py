"""The O-C distance between a measured trail and the predicted track of a known object.

Kruk et al. (2022, sect. 3.4.2) compare each trail with the ephemerides of its
candidates, computed at 1-minute steps over the exposure, with an "approximate
distance formula" d_O-C (their Eq. 3, which did not survive in the text this
package was written from), trying both motion directions and allowing a 3 %
error on the exposure time. This module implements that comparison as follows
(all distances are angles on the sky):

* the predicted track is the ephemeris on a grid of times (`time_grid`: the
  exposure widened by the allowance, at ``step``, plus the exact start, middle
  and end), linearly interpolated between grid times (on the unit sphere);
* **end points**: for the direction ``+1`` the trail's start point is compared
  with the prediction at the exposure start and its end point with the
  prediction at the exposure end; for ``-1`` the two are swapped. Each end
  point's time may be off by up to ``allowance`` (3 % of the exposure time), so
  each distance is minimised over a time shift in ``[-allowance, +allowance]``,
  independently for the two ends. ``d_oc`` is the mean of the two minimised
  distances, minimised over the two directions;
* **trail points** (positions measured along the trail with their times, for
  curved trails): ``d_oc`` is the root-mean-square distance between the points
  and the prediction at their times, all shifted by one common time shift in
  ``[-allowance, +allowance]``, minimised over that shift and over the two
  directions (for ``-1`` a point's time ``t`` becomes ``start + end - t``).

A trail is identified with the candidate of smallest ``d_oc`` when
``d_oc <= tolerance`` (3" in the paper). The minimisation samples the shift
window and refines the best sample with a parabola (exact for uniform motion).

Examples
--------
>>> import numpy as np
>>> from astro_sso_skybot.trails import d_oc, unit_vectors
>>> grid = np.array([0.0, 0.01, 0.02])                         # days
>>> track = unit_vectors(np.array([[10.0, 10.01, 10.02]]), np.zeros((1, 3)))
>>> res = d_oc(grid, track, 0.0, 0.02, unit_vectors(10.02, 0.0), unit_vectors(10.0, 0.0),
...            allowance=0.0)
>>> int(res["direction"][0]), round(float(res["d_oc"][0]), 6)      # measured end -> start
(-1, 0.0)
"""

from __future__ import annotations

import numpy as np

__all__ = ["unit_vectors", "to_radec", "angle", "trail_centres", "time_grid", "interpolate", "d_oc"]

_ARCSEC = 180.0 / np.pi * 3600.0


def unit_vectors(ra_deg, dec_deg) -> np.ndarray:
    """Unit vectors (ICRS axes) of RA/Dec in degrees; shape ``(..., 3)``.

    Examples
    --------
    >>> from astro_sso_skybot.trails import unit_vectors
    >>> unit_vectors(90.0, 0.0).round(12).tolist()
    [0.0, 1.0, 0.0]
    """
    ra = np.radians(np.asarray(ra_deg, dtype=float))
    dec = np.radians(np.asarray(dec_deg, dtype=float))
    cd = np.cos(dec)
    return np.stack([cd * np.cos(ra), cd * np.sin(ra), np.sin(dec)], axis=-1)


def to_radec(uvec) -> tuple[np.ndarray, np.ndarray]:
    """RA in [0, 360) and Dec [deg] of (not necessarily normalised) vectors.

    Examples
    --------
    >>> import numpy as np
    >>> from astro_sso_skybot.trails import to_radec
    >>> [float(x) for x in to_radec(np.array([0.0, -1.0, 0.0]))]
    [270.0, 0.0]
    """
    v = np.asarray(uvec, dtype=float)
    ra = np.degrees(np.arctan2(v[..., 1], v[..., 0])) % 360.0
    dec = np.degrees(np.arctan2(v[..., 2], np.hypot(v[..., 0], v[..., 1])))
    return ra, dec


def angle(a, b) -> np.ndarray:
    """Angle [rad] between vectors (broadcast over leading axes), exact at small angles.

    Examples
    --------
    >>> from astro_sso_skybot.trails import angle, unit_vectors
    >>> round(float(angle(unit_vectors(0, 0), unit_vectors(0, 1 / 3600)) * 206264.806), 6)
    1.0
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    cr = np.cross(a, b)
    return np.arctan2(np.linalg.norm(cr, axis=-1), np.sum(a * b, axis=-1))


def trail_centres(ra_start, dec_start, ra_end, dec_end) -> tuple[np.ndarray, np.ndarray]:
    """Mean position of trails (middle of the great-circle arc between the ends) [deg].

    The paper's first approximation of a trail's position at mid-exposure.

    Examples
    --------
    >>> from astro_sso_skybot.trails import trail_centres
    >>> [round(float(x), 6) for x in trail_centres(359.9, 0.0, 0.1, 0.0)]
    [0.0, 0.0]
    """
    s = unit_vectors(ra_start, dec_start)
    e = unit_vectors(ra_end, dec_end)
    ra, dec = to_radec(s + e)
    return np.where(np.isclose(ra, 360.0), 0.0, ra), dec


def time_grid(t_start, t_end, step, allowance) -> np.ndarray:
    """Times at which a trail's candidates are predicted.

    Parameters
    ----------
    t_start, t_end : float
        Exposure start and end (days, any origin).
    step : float
        Grid step [d] (1 minute in the paper).
    allowance : float
        Time allowance [d] added on both sides.

    Returns
    -------
    ndarray
        Sorted, unique times from ``t_start - allowance`` to ``t_end +
        allowance`` at ``step``, with the exact start, middle, end and both
        widened ends included.

    Examples
    --------
    >>> from astro_sso_skybot.trails import time_grid
    >>> time_grid(0.0, 1.0, 0.4, 0.1).round(3).tolist()
    [-0.1, 0.0, 0.3, 0.5, 0.7, 1.0, 1.1]
    """
    lo, hi = float(t_start) - float(allowance), float(t_end) + float(allowance)
    n = int(np.floor((hi - lo) / float(step) + 1e-9))
    regular = lo + float(step) * np.arange(n + 1)
    extra = [float(t_start), 0.5 * (float(t_start) + float(t_end)), float(t_end), lo, hi]
    grid = np.unique(np.concatenate([regular[regular <= hi + 1e-12], extra]))
    # merge times closer than a millisecond (rounding of the regular grid)
    keep = np.concatenate([[True], np.diff(grid) > 1e-8])
    return grid[keep]


def interpolate(grid, track, t) -> np.ndarray:
    """Predicted unit vectors at times ``t``, linear between grid times.

    Parameters
    ----------
    grid : ndarray, shape (G,)
        Increasing times of the track.
    track : ndarray, shape (C, G, 3)
        Predicted unit vectors of C candidates.
    t : ndarray
        Times (clipped to the grid's span).

    Returns
    -------
    ndarray, shape (C,) + t.shape + (3,)

    Examples
    --------
    >>> import numpy as np
    >>> from astro_sso_skybot.trails import interpolate, to_radec, unit_vectors
    >>> tr = unit_vectors(np.array([[10.0, 10.2]]), np.zeros((1, 2)))
    >>> round(float(to_radec(interpolate(np.array([0.0, 1.0]), tr, np.array(0.5)))[0][0]), 6)
    10.1
    """
    grid = np.asarray(grid, dtype=float)
    track = np.asarray(track, dtype=float)
    t = np.clip(np.asarray(t, dtype=float), grid[0], grid[-1])
    if grid.size == 1:
        out = np.broadcast_to(track[:, :1, :], (track.shape[0], t.size, 3))
        return out.reshape((track.shape[0],) + t.shape + (3,)).copy()
    k = np.clip(np.searchsorted(grid, t, side="right") - 1, 0, grid.size - 2)
    w = (t - grid[k]) / (grid[k + 1] - grid[k])
    v = track[:, k, :] * (1.0 - w)[None, ..., None] + track[:, k + 1, :] * w[None, ..., None]
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _min_over_shift(grid, track, targets, times, shifts, common):
    """Minimum over shifts of squared angles [rad^2] between targets and the shifted track.

    ``targets`` (N, 3), ``times`` (N,). With ``common`` the N squared angles are
    averaged at each shift and the mean minimised (one shift for all); otherwise
    each target gets its own shift. Returns (C,) or (C, N).
    """
    tt = times[None, :] + shifts[:, None]  # (S, N)
    pred = interpolate(grid, track, tt)  # (C, S, N, 3)
    f = angle(pred, targets[None, None, :, :]) ** 2  # (C, S, N)
    if common:
        f = f.mean(axis=2, keepdims=True)  # (C, S, 1)
    best = f.min(axis=1)  # (C, N')
    if shifts.size >= 3:
        i = np.argmin(f, axis=1)  # (C, N')
        ii = np.clip(i, 1, shifts.size - 2)
        h = shifts[1] - shifts[0]
        fm = np.take_along_axis(f, (ii - 1)[:, None, :], axis=1)[:, 0]
        f0 = np.take_along_axis(f, ii[:, None, :], axis=1)[:, 0]
        fp = np.take_along_axis(f, (ii + 1)[:, None, :], axis=1)[:, 0]
        curv = fp - 2.0 * f0 + fm
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(curv > 0, -0.5 * h * (fp - fm) / curv, 0.0)
        d = shifts[ii] + np.clip(step, -h, h)  # (C, N')
        # exact value at the refined shift(s), candidate by candidate
        tr = times[None, :] + d  # (C, N): one shift per target, or one for all
        C = track.shape[0]
        vals = np.empty_like(best)
        for c in range(C):
            p = interpolate(grid, track[c : c + 1], tr[c])[0]  # (N, 3)
            a2 = angle(p, targets) ** 2
            vals[c] = a2.mean(keepdims=True) if common else a2
        best = np.minimum(best, vals)
    return best[:, 0] if common else best


def d_oc(
    grid,
    track,
    t_start,
    t_end,
    start,
    end,
    *,
    allowance,
    points_t=None,
    points=None,
    n_shifts=41,
) -> dict:
    """O-C distance between one trail and the predicted tracks of its candidates.

    See the module documentation for the definition.

    Parameters
    ----------
    grid : ndarray, shape (G,)
        Times of the predicted tracks (days, the origin of ``t_start``).
    track : ndarray, shape (C, G, 3)
        Predicted unit vectors of the C candidates at the grid times.
    t_start, t_end : float
        Exposure start and end.
    start, end : ndarray, shape (3,)
        Unit vectors of the trail's measured start and end points.
    allowance : float
        Largest time shift [d] (3 % of the exposure time in the paper).
    points_t : ndarray, shape (N,), optional
        Times of points measured along the trail; with ``points`` (N, 3),
        ``d_oc`` is their RMS distance to the track (needs N >= 2).
    n_shifts : int
        Samples of the shift window before the parabolic refinement.

    Returns
    -------
    dict
        ``d_oc`` [arcsec] and ``direction`` (+1 or -1), each shape (C,).

    Examples
    --------
    >>> import numpy as np
    >>> from astro_sso_skybot.trails import d_oc, unit_vectors
    >>> grid = np.linspace(0.0, 0.02, 5)
    >>> track = unit_vectors(np.linspace(50.0, 50.01, 5)[None], np.full((1, 5), 1.0))
    >>> s, e = unit_vectors(50.0, 1.0 + 1 / 3600), unit_vectors(50.01, 1.0 + 1 / 3600)
    >>> round(float(d_oc(grid, track, 0.0, 0.02, s, e, allowance=0.0)["d_oc"][0]), 3)
    1.0
    """
    grid = np.asarray(grid, dtype=float)
    track = np.asarray(track, dtype=float)
    C = track.shape[0]
    if C == 0:
        return {"d_oc": np.zeros(0), "direction": np.zeros(0, dtype=np.int64)}
    a = max(float(allowance), 0.0)
    shifts = np.linspace(-a, a, int(n_shifts) if a > 0 else 1)
    t0, t1 = float(t_start), float(t_end)
    use_points = points is not None and points_t is not None and len(points_t) >= 2
    results = []
    for direction in (1, -1):
        if use_points:
            pt = np.asarray(points_t, dtype=float)
            tau = pt if direction == 1 else t0 + t1 - pt
            f = _min_over_shift(grid, track, np.asarray(points, dtype=float), tau, shifts, True)
            results.append(np.sqrt(f))
        else:
            ta, tb = (t0, t1) if direction == 1 else (t1, t0)
            targets = np.stack([np.asarray(start, float), np.asarray(end, float)])
            f = _min_over_shift(grid, track, targets, np.array([ta, tb]), shifts, False)
            results.append(0.5 * (np.sqrt(f[:, 0]) + np.sqrt(f[:, 1])))
    both = np.stack(results)  # (2, C)
    k = np.argmin(both, axis=0)
    return {
        "d_oc": both[k, np.arange(C)] * _ARCSEC,
        "direction": np.where(k == 0, 1, -1).astype(np.int64),
    }
