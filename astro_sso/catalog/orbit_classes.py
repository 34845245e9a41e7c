"""Dynamical classes of minor-planet orbits: the MPC's orbit-type flags and cuts on elements.

MPCORB.DAT codes the orbit type of each object in the bottom 6 bits of its
hexadecimal flags (`ORBIT_TYPES`), with NEO / 1-km NEO / PHA bits above them.
:func:`classify_orbits` gives an approximate class from the elements for
catalogues without such flags.

Examples
--------
>>> from astro_sso.catalog import ORBIT_TYPES, classify_orbits
>>> ORBIT_TYPES[3], classify_orbits(1.5, 0.4, 5.0).tolist()
('Apollo', ['Apollo'])
"""

from __future__ import annotations

import numpy as np
from astropy import units as u

__all__ = ["ORBIT_TYPES", "FLAG_NEO", "FLAG_KM_NEO", "FLAG_PHA", "classify_orbits"]

#: Orbit types coded in the bottom 6 bits of the MPCORB hex flags (0: none of
#: them, mostly main-belt objects). The MPC's current format page marks 7 as
#: "unused or internal MPC use only" (older editions of the page used other
#: codings), so rows with code 7, or any code not listed here, get the class
#: that their elements give (`classify_orbits`, which includes the Phocaea group).
ORBIT_TYPES = {
    0: "MBA",
    1: "Atira",
    2: "Aten",
    3: "Apollo",
    4: "Amor",
    5: "Object with q<1.665",
    6: "Hungaria",
    8: "Hilda",
    9: "Jupiter Trojan",
    10: "Distant object",
}
#: Hex-flag bit: the object is a near-Earth object.
FLAG_NEO = 2048
#: Hex-flag bit: 1-km (or larger) NEO.
FLAG_KM_NEO = 4096
#: Hex-flag bit: potentially hazardous asteroid.
FLAG_PHA = 32768

# Orbit-type code of each class label of `ORBIT_TYPES`.
_CODE_OF = {label: code for code, label in ORBIT_TYPES.items()}
# Class label of every 6-bit code ('' where `ORBIT_TYPES` has none).
_LABELS = np.array([ORBIT_TYPES.get(k, "") for k in range(64)], dtype="U19")


def classify_orbits(a, e, i):
    """Approximate dynamical class from osculating elements (MPC-like cuts).

    Used when a catalogue carries no MPC orbit-type flags. The cuts follow the
    usual definitions (q = a(1-e), Q = a(1+e)): Atira (a < 1 AU, Q < 0.983),
    Aten (a < 1, Q > 0.983), Apollo (a > 1, q < 1.017), Amor (1.017 < q <
    1.3), 'Object with q<1.665' (q < 1.665), Hungaria (1.78 < a < 2.0, e <
    0.18, 16 < i < 34 deg), Phocaea (2.25 < a < 2.5, e > 0.1, 18 < i < 32),
    Hilda (3.7 < a < 4.2, e < 0.3, i < 20), Jupiter Trojan (5.05 < a < 5.35,
    e < 0.25), 'Distant object' (a > 5.5 AU or hyperbolic), else 'MBA'.

    Parameters
    ----------
    a : array-like or `~astropy.units.Quantity`
        Semi-major axis [AU] (negative for hyperbolic orbits).
    e, i : array-like
        Eccentricity and inclination [deg] (or Quantity).

    Returns
    -------
    ndarray of str

    Examples
    --------
    >>> from astro_sso.catalog import classify_orbits
    >>> a, e, i = [2.77, 0.92, 1.5, 5.2, 3.97], [0.08, 0.19, 0.2, 0.1, 0.1], [10.6, 3.3, 5, 10, 8]
    >>> classify_orbits(a, e, i).tolist()
    ['MBA', 'Aten', 'Amor', 'Jupiter Trojan', 'Hilda']
    """
    a = np.atleast_1d(u.Quantity(a, u.AU).value).astype(float)
    e = np.atleast_1d(np.asarray(getattr(e, "value", e), dtype=float))
    i = np.atleast_1d(u.Quantity(i, u.deg).value).astype(float)
    q = a * (1 - e)
    Q = a * (1 + e)
    out = np.full(np.broadcast(a, e, i).shape, "MBA", dtype="U19")
    rules = [
        ((a > 5.5) | (e >= 1) | (a < 0), "Distant object"),
        ((a > 5.05) & (a < 5.35) & (e < 0.25), "Jupiter Trojan"),
        ((a > 3.7) & (a < 4.2) & (e < 0.3) & (i < 20), "Hilda"),
        ((a > 2.25) & (a < 2.5) & (e > 0.1) & (i > 18) & (i < 32), "Phocaea"),
        ((a > 1.78) & (a < 2.0) & (e < 0.18) & (i > 16) & (i < 34), "Hungaria"),
        ((q < 1.665) & (a > 0), "Object with q<1.665"),
        ((q > 1.017) & (q < 1.3) & (a > 1), "Amor"),
        ((a >= 1) & (q < 1.017), "Apollo"),
        ((a < 1) & (a > 0) & (Q > 0.983), "Aten"),
        ((a < 1) & (a > 0) & (Q <= 0.983), "Atira"),
    ]
    for mask, label in rules:  # later rules take precedence
        out[np.broadcast_to(mask, out.shape)] = label
    return out


def _classes_from_flags(flags, a, e, i):
    """Class labels from MPCORB hex flags (-1: none), from the elements where the
    flags carry no listed orbit type."""
    cls = _LABELS[np.where(flags >= 0, flags & 63, 7)]
    need = np.flatnonzero(cls == "")
    if need.size:
        cls[need] = classify_orbits(a[need], e[need], i[need])
    return cls


def _flags_from_classes(cls, a, e, i, neo=None, pha=None):
    """MPCORB hex flags from class labels: MPC orbit-type names map to their codes,
    other labels ('NEA', 'Trojan'...) are replaced by the class the elements give."""
    cls = np.asarray(cls, dtype=str).astype("U32")
    other = ~np.isin(cls, list(_CODE_OF))
    if other.any():
        cls[other] = classify_orbits(a[other], e[other], i[other])
    flags = np.zeros(cls.size, dtype=np.int64)
    for label, code in _CODE_OF.items():
        flags[cls == label] = code
    if neo is not None:
        flags |= np.where(np.asarray(neo, dtype=bool), FLAG_NEO, 0)
    if pha is not None:
        flags |= np.where(np.asarray(pha, dtype=bool), FLAG_PHA, 0)
    return flags
