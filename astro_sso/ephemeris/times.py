"""Time-scale conversion for survey-sized time columns."""

from __future__ import annotations

import numpy as np
from astropy.time import Time

__all__ = ["as_tdb"]


def as_tdb(times: Time) -> Time:
    """The same times in the TDB scale, converting each distinct time once.

    Detections come in exposures: many rows share a time. The UTC -> TDB
    conversion (``erfa.dtdb``, several microseconds per element) is done for the
    distinct times only, and each row keeps its own two-part Julian date plus
    its group's TDB - UTC offset (rows with equal times have equal offsets).

    Parameters
    ----------
    times : `~astropy.time.Time`
        Any scale.

    Returns
    -------
    `~astropy.time.Time`
        In TDB.

    Examples
    --------
    >>> from astropy.time import Time
    >>> from astro_sso.ephemeris import as_tdb
    >>> t = Time(["2024-01-15T06:00:00", "2024-01-15T06:00:00", "2024-01-15T07:00:00"])
    >>> bool(abs(as_tdb(t) - t.tdb).max().to_value("ns") < 1)
    True
    """
    if times.scale == "tdb" or times.size == 0 or times.isscalar:
        return times.tdb
    key = np.asarray(times.jd1, dtype=float) + np.asarray(times.jd2, dtype=float)
    _, first, inv = np.unique(key, return_index=True, return_inverse=True)
    if first.size > 0.5 * key.size:  # mostly distinct: nothing to gain
        return times.tdb
    rep = times[first]
    tdb = rep.tdb
    offset = (tdb.jd1 - rep.jd1) + (tdb.jd2 - rep.jd2)
    return Time(times.jd1, times.jd2 + offset[inv.ravel()], format="jd", scale="tdb")
