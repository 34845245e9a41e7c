"""The matches table both backends return: one row per input row, same columns.

Point detections: ``det_id``, ``designation``, ``number``, ``class``,
``ra_pred``, ``dec_pred``, ``separation``, ``V``, ``direction`` (0),
``n_candidates``. Trails: ``trail_id`` and ``d_oc`` in place of ``det_id`` and
``separation``. Unmatched rows keep an empty ``designation``, ``number`` -1,
an empty ``class``, NaN numbers and ``direction`` 0.
"""

from __future__ import annotations

import numpy as np
from astropy import units as u
from astropy.table import QTable

__all__ = ["POINT_COLUMNS", "TRAIL_COLUMNS", "Rows", "empty_matches"]

#: Columns of the matches table of point detections, in order.
POINT_COLUMNS = (
    "det_id",
    "designation",
    "number",
    "class",
    "ra_pred",
    "dec_pred",
    "separation",
    "V",
    "direction",
    "n_candidates",
)
#: Columns of the matches table of trails, in order.
TRAIL_COLUMNS = (
    "trail_id",
    "designation",
    "number",
    "class",
    "ra_pred",
    "dec_pred",
    "d_oc",
    "V",
    "direction",
    "n_candidates",
)


class Rows:
    """Column arrays of a matches table being filled row by row.

    Parameters
    ----------
    ids : array-like of int
        ``det_id`` or ``trail_id`` of every input row.
    kind : {'detections', 'trails'}
        Which table it is.

    Examples
    --------
    >>> from astro_sso_skybot.output import Rows
    >>> rows = Rows([7, 8], "trails")
    >>> rows.set(1, designation="2019 RB21", number=-1, klass="MBA", ra=10.0, dec=5.0,
    ...          distance=0.4, V=21.0, direction=-1)
    >>> t = rows.table()
    >>> t["designation"].tolist(), t["d_oc"].unit
    (['', '2019 RB21'], Unit("arcsec"))
    """

    def __init__(self, ids, kind):
        n = len(ids)
        self.kind = kind
        self.ids = np.asarray(ids, dtype=np.int64)
        self.designation = [""] * n
        self.klass = [""] * n
        self.number = np.full(n, -1, dtype=np.int64)
        self.ra = np.full(n, np.nan)
        self.dec = np.full(n, np.nan)
        self.distance = np.full(n, np.nan)
        self.V = np.full(n, np.nan)
        self.direction = np.zeros(n, dtype=np.int64)
        self.n_candidates = np.zeros(n, dtype=np.int64)

    def set(self, k, *, designation, number, klass, ra, dec, distance, V, direction):
        """Record the identification of row ``k``."""
        self.designation[k] = str(designation)
        self.number[k] = int(number) if number is not None and int(number) > 0 else -1
        self.klass[k] = str(klass)
        self.ra[k] = float(ra)
        self.dec[k] = float(dec)
        self.distance[k] = float(distance)
        self.V[k] = float(V) if V is not None and np.isfinite(V) else np.nan
        self.direction[k] = int(direction)

    def table(self) -> QTable:
        """The matches table, in the column order of the kind."""
        names = TRAIL_COLUMNS if self.kind == "trails" else POINT_COLUMNS
        out = QTable()
        out[names[0]] = self.ids
        out["designation"] = np.array(self.designation, dtype=str) if len(self.ids) else _str0()
        out["number"] = self.number
        out["class"] = np.array(self.klass, dtype=str) if len(self.ids) else _str0()
        out["ra_pred"] = self.ra * u.deg
        out["dec_pred"] = self.dec * u.deg
        out[names[6]] = self.distance * u.arcsec
        out["V"] = self.V * u.mag
        out["direction"] = self.direction
        out["n_candidates"] = self.n_candidates
        return out


def _str0():
    return np.zeros(0, dtype="U1")


def empty_matches(kind) -> QTable:
    """A typed empty matches table of a kind (``'detections'`` or ``'trails'``).

    Examples
    --------
    >>> from astro_sso_skybot.output import empty_matches
    >>> t = empty_matches("detections")
    >>> len(t), t.colnames[0], t["separation"].unit
    (0, 'det_id', Unit("arcsec"))
    """
    return Rows([], kind).table()
