"""Rates in bins of a quantity: fraction of SSOs missed per speed or magnitude bin.

Used for the bias analysis of Lieu et al. (2019, sec. 4.5, Fig. 10) and for the
accuracy per magnitude bin; uncertainties are Wilson score intervals of the
binomial proportion.
"""

from __future__ import annotations

import astropy.units as u
import numpy as np
from astropy.table import QTable

from ..exceptions import InputError

__all__ = ["binned_rate", "wilson_interval"]


def wilson_interval(k, n, z=1.0):
    r"""Wilson score interval of a binomial proportion k / n.

    .. math::

        \frac{k + z^2/2}{n + z^2} \pm \frac{z}{n + z^2}\sqrt{\frac{k (n - k)}{n} + \frac{z^2}{4}}

    Parameters
    ----------
    k, n : int or array-like
        Successes and trials (broadcast together), 0 <= k <= n.
    z : float, optional
        Half-width in standard deviations (1.0: the 68.27% interval; 1.96: 95%).

    Returns
    -------
    lo, hi : float or numpy.ndarray
        Interval bounds, within [0, 1]; (0, 1) where n = 0.

    Examples
    --------
    >>> from astro_sso.metrics import wilson_interval
    >>> lo, hi = wilson_interval(5, 10, z=1.96)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.2366, 0.7634)
    """
    k = np.asarray(k, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    if np.any(k < 0) or np.any(k > n):
        raise InputError("wilson_interval needs 0 <= k <= n for every bin")
    if not z > 0:
        raise InputError(f"z must be > 0 (e.g. 1.0 or 1.96), got {z}")
    z2 = z * z
    safe_n = np.where(n > 0, n, 1.0)
    centre = (k + 0.5 * z2) / (n + z2)
    half = z / (n + z2) * np.sqrt(np.where(n > 0, k * (n - k) / safe_n, 0.0) + 0.25 * z2)
    lo = np.clip(centre - half, 0.0, 1.0)
    hi = np.clip(centre + half, 0.0, 1.0)
    return (lo[()], hi[()]) if lo.ndim == 0 else (lo, hi)


def binned_rate(values, flags, bins, *, z=1.0) -> QTable:
    """Fraction of flagged samples in bins of a quantity, with Wilson uncertainties.

    For example the fraction of SSOs missed (``flags`` = SSO not classified as
    SSO) as a function of speed or magnitude (Lieu et al. 2019, Fig. 10), or
    the accuracy per magnitude bin (``flags`` = correctly classified).

    Parameters
    ----------
    values : array-like or `~astropy.units.Quantity`, shape (n,)
        The binned quantity of each sample (e.g. speed in arcsec/h, magnitude).
    flags : array-like of bool, shape (n,)
        Whether each sample counts (e.g. is missed).
    bins : int or array-like or `~astropy.units.Quantity`
        Number of equal-width bins over the range of ``values``, or the
        increasing bin edges (in the unit of ``values`` when a Quantity).
        Bins are half-open ``[lo, hi)`` except the last, ``[lo, hi]``; samples
        outside the edges are ignored.
    z : float, optional
        Width of the Wilson interval in standard deviations (default 1.0).

    Returns
    -------
    `~astropy.table.QTable`
        One row per bin: ``bin_lo``, ``bin_hi``, ``bin_center`` (with the unit
        of ``values``), ``n`` (samples in the bin), ``n_flagged``,
        ``fraction`` (NaN for an empty bin), ``fraction_lo`` and
        ``fraction_hi`` (Wilson interval; 0 and 1 for an empty bin).

    Examples
    --------
    >>> import astropy.units as u
    >>> from astro_sso.metrics import binned_rate
    >>> speed = [2, 5, 8, 15, 30, 60] * u.arcsec / u.hour
    >>> missed = [True, True, False, False, False, True]
    >>> t = binned_rate(speed, missed, [0, 10, 80] * u.arcsec / u.hour)
    >>> t["n"].tolist(), t["n_flagged"].tolist()
    ([3, 3], [2, 1])
    >>> t["fraction"].round(3).tolist()
    [0.667, 0.333]
    """
    unit = values.unit if isinstance(values, u.Quantity) else None
    vals = np.asarray(values.value if unit is not None else values, dtype=np.float64)
    flg = np.asarray(flags)
    if vals.ndim != 1 or vals.size == 0:
        raise InputError(
            f"values must be a non-empty 1-d sequence, got shape {vals.shape}; pass one value "
            "per sample"
        )
    if flg.shape != vals.shape:
        raise InputError(
            f"values has {vals.size} samples but flags has shape {flg.shape}; give one flag "
            "per sample"
        )
    if flg.dtype != bool:
        if not np.all(np.isin(flg, [0, 1])):
            raise InputError("flags must be booleans (or 0/1), one per sample")
        flg = flg.astype(bool)
    if not np.all(np.isfinite(vals)):
        raise InputError(
            f"values has {np.count_nonzero(~np.isfinite(vals))} non-finite entries; "
            "remove those samples before binning"
        )
    if np.ndim(bins) == 0:
        nbins = int(bins)
        if nbins < 1 or nbins != bins:
            raise InputError(f"bins={bins!r}: give a positive number of bins or the bin edges")
        lo, hi = vals.min(), vals.max()
        if hi == lo:
            lo, hi = lo - 0.5, hi + 0.5
        edges = np.linspace(lo, hi, nbins + 1)
    else:
        if isinstance(bins, u.Quantity):
            if unit is None:
                raise InputError("bins has a unit but values has none; give both with units")
            edges = bins.to_value(unit)
        else:
            edges = bins
        edges = np.asarray(edges, dtype=np.float64)
        if edges.ndim != 1 or edges.size < 2 or not np.all(np.diff(edges) > 0):
            raise InputError(
                f"bin edges must be at least two strictly increasing numbers, got {edges}"
            )
    nb = edges.size - 1
    idx = np.searchsorted(edges, vals, side="right") - 1
    idx[vals == edges[-1]] = nb - 1
    inside = (idx >= 0) & (idx < nb)
    n = np.bincount(idx[inside], minlength=nb)
    k = np.bincount(idx[inside], weights=flg[inside], minlength=nb).astype(np.int64)
    frac = np.divide(k, n, out=np.full(nb, np.nan), where=n > 0)
    f_lo, f_hi = wilson_interval(k, n, z=z)
    q = (lambda x: x * unit) if unit is not None else (lambda x: x)
    table = QTable(
        {
            "bin_lo": q(edges[:-1]),
            "bin_hi": q(edges[1:]),
            "bin_center": q(0.5 * (edges[:-1] + edges[1:])),
            "n": n.astype(np.int64),
            "n_flagged": k,
            "fraction": frac,
            "fraction_lo": f_lo,
            "fraction_hi": f_hi,
        }
    )
    table.meta["z"] = float(z)
    return table
