"""Rotations between the ecliptic of J2000 and the ICRF equator.

JPL's "ecliptic of J2000" frame is the ICRF rotated about its x axis by the
IAU 1976 obliquity (84381.448"), see the Horizons documentation. Heliocentric
osculating elements from Horizons, the SBDB and the MPC refer to it; the
engine works internally in ICRF equatorial axes.

Examples
--------
>>> import numpy as np
>>> from astro_sso.ephemeris.frames import ecliptic_to_icrs, icrs_to_ecliptic
>>> v = np.array([0.0, 1.0, 0.0])
>>> np.round(ecliptic_to_icrs(v), 6)
array([0.      , 0.917482, 0.397777])
>>> np.allclose(icrs_to_ecliptic(ecliptic_to_icrs(v)), v)
True
"""

import numpy as np

from astro_sso.ephemeris.constants import OBLIQUITY_J2000_RAD

__all__ = [
    "ECLIPTIC_TO_ICRS",
    "ICRS_TO_ECLIPTIC",
    "angle_between",
    "ecliptic_to_icrs",
    "icrs_to_ecliptic",
    "radec_to_unit",
    "unit_to_radec",
]

_c = np.cos(OBLIQUITY_J2000_RAD)
_s = np.sin(OBLIQUITY_J2000_RAD)

#: Matrix that takes ecliptic-J2000 vectors to ICRF equatorial vectors.
ECLIPTIC_TO_ICRS = np.array([[1.0, 0.0, 0.0], [0.0, _c, -_s], [0.0, _s, _c]])

#: Its transpose (ICRF equatorial to ecliptic J2000).
ICRS_TO_ECLIPTIC = ECLIPTIC_TO_ICRS.T.copy()


def _rotate(matrix, vec):
    vec = np.asarray(vec, dtype=float)
    if vec.shape[-1] == 3:
        return vec @ matrix.T
    if vec.shape[-1] == 6:
        out = np.empty_like(vec)
        out[..., :3] = vec[..., :3] @ matrix.T
        out[..., 3:] = vec[..., 3:] @ matrix.T
        return out
    raise ValueError(f"last axis must hold 3 (position) or 6 (state) values, got {vec.shape}")


def ecliptic_to_icrs(vec):
    """Rotate vectors or states from ecliptic J2000 to ICRF equatorial axes.

    Parameters
    ----------
    vec : array-like, shape (..., 3) or (..., 6)
        Positions, or states (position then velocity), in ecliptic J2000 axes.

    Returns
    -------
    ndarray
        The same vectors in ICRF equatorial axes.

    Examples
    --------
    >>> import numpy as np
    >>> from astro_sso.ephemeris.frames import ecliptic_to_icrs
    >>> np.round(ecliptic_to_icrs([0.0, 0.0, 1.0]), 6)
    array([ 0.      , -0.397777,  0.917482])
    """
    return _rotate(ECLIPTIC_TO_ICRS, vec)


def icrs_to_ecliptic(vec):
    """Rotate vectors or states from ICRF equatorial to ecliptic J2000 axes.

    Parameters
    ----------
    vec : array-like, shape (..., 3) or (..., 6)
        Positions, or states, in ICRF equatorial axes.

    Returns
    -------
    ndarray
        The same vectors in ecliptic J2000 axes.

    Examples
    --------
    >>> import numpy as np
    >>> from astro_sso.ephemeris.frames import icrs_to_ecliptic
    >>> np.round(icrs_to_ecliptic([0.0, 0.0, 1.0]), 6)
    array([0.      , 0.397777, 0.917482])
    """
    return _rotate(ICRS_TO_ECLIPTIC, vec)


def unit_to_radec(vec):
    """Right ascension and declination [deg] of direction vectors.

    Parameters
    ----------
    vec : array-like, shape (..., 3)
        Vectors (any length) in equatorial axes.

    Returns
    -------
    ra, dec : ndarray
        RA in [0, 360) and Dec in [-90, 90] degrees.

    Examples
    --------
    >>> from astro_sso.ephemeris.frames import unit_to_radec
    >>> ra, dec = unit_to_radec([0.0, -2.0, 0.0])
    >>> float(ra), float(dec)
    (270.0, 0.0)
    """
    vec = np.asarray(vec, dtype=float)
    x, y, z = vec[..., 0], vec[..., 1], vec[..., 2]
    ra = np.rad2deg(np.arctan2(y, x)) % 360.0
    dec = np.rad2deg(np.arctan2(z, np.hypot(x, y)))
    return ra, dec


def radec_to_unit(ra, dec):
    """Unit vectors of directions given by RA and Dec [deg].

    Parameters
    ----------
    ra, dec : array-like
        Right ascension and declination in degrees (broadcast together).

    Returns
    -------
    ndarray, shape (..., 3)

    Examples
    --------
    >>> import numpy as np
    >>> from astro_sso.ephemeris.frames import radec_to_unit
    >>> np.round(radec_to_unit(90.0, 0.0), 12)
    array([0., 1., 0.])
    """
    ra = np.deg2rad(np.asarray(ra, dtype=float))
    dec = np.deg2rad(np.asarray(dec, dtype=float))
    cd = np.cos(dec)
    return np.stack(np.broadcast_arrays(cd * np.cos(ra), cd * np.sin(ra), np.sin(dec)), axis=-1)


def angle_between(a, b):
    """Angle [rad] between vectors, row by row, accurate at small and large angles.

    ``atan2(|a x b|, a . b)``: unlike ``arccos`` of the normalized dot
    product it keeps full precision near 0 and pi.

    Parameters
    ----------
    a, b : array-like, shape (..., 3)
        Vectors of any lengths (broadcast together).

    Returns
    -------
    ndarray, shape (...)
        Angles in [0, pi].

    Examples
    --------
    >>> import numpy as np
    >>> from astro_sso.ephemeris.frames import angle_between
    >>> float(np.rad2deg(angle_between([1.0, 0.0, 0.0], [0.0, 2.0, 0.0])))
    90.0
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    return np.arctan2(np.linalg.norm(np.cross(a, b), axis=-1), np.einsum("...i,...i->...", a, b))
