"""Offline Earth-orientation (IERS) set-up for the ephemeris engine.

astro-sso never downloads at run time. Ground-observer positions need UT1-UTC
and polar motion, which astropy takes from the IERS tables bundled in the
``astropy-iers-data`` package. :func:`configure_offline_iers` tells astropy not
to download and to carry on (with reduced accuracy) outside the bundled range;
:func:`iers_guard` turns the many astropy/ERFA warnings that such times raise
into one :class:`~astro_sso.exceptions.AstroSSOWarning` that says what it
costs.

Outside the table, UT1-UTC is taken as 0 (|UT1-UTC| < 0.9 s, so Earth rotation
moves a site by at most ~0.4 km) and polar motion as its 50-year mean (tens
of metres): negligible except for very close objects.

Examples
--------
>>> from astro_sso.ephemeris.iers import configure_offline_iers
>>> configure_offline_iers()
>>> from astropy.utils import iers
>>> iers.conf.auto_download
False
"""

from __future__ import annotations

import contextlib
import warnings

from astro_sso.exceptions import AstroSSOWarning

__all__ = ["IERSDegradedWarning", "bundled_iers_range", "configure_offline_iers", "iers_guard"]


class IERSDegradedWarning(AstroSSOWarning):
    """Times fall outside the bundled IERS tables: Earth orientation is extrapolated."""


def configure_offline_iers():
    """Make astropy use its bundled IERS data, never the network.

    Sets ``astropy.utils.iers.conf.auto_download = False``,
    ``auto_max_age = None`` (no staleness error) and
    ``iers_degraded_accuracy = "warn"`` (times outside the tables give a
    warning, not an error). Idempotent.

    Returns
    -------
    None

    Examples
    --------
    >>> from astro_sso.ephemeris.iers import configure_offline_iers
    >>> configure_offline_iers()
    >>> from astropy.utils import iers
    >>> iers.conf.iers_degraded_accuracy
    'warn'
    """
    from astropy.utils import iers

    iers.conf.auto_download = False
    iers.conf.auto_max_age = None
    iers.conf.iers_degraded_accuracy = "warn"


def bundled_iers_range():
    """MJD range (first, last) of the Earth-orientation table astropy uses offline.

    Returns
    -------
    (float, float)
        First and last MJD (UTC) of the table (the tail holds IERS predictions).

    Examples
    --------
    >>> from astro_sso.ephemeris.iers import bundled_iers_range
    >>> lo, hi = bundled_iers_range()
    >>> lo < 51544.0 < hi
    True
    """
    from astropy.utils import iers

    configure_offline_iers()
    table = iers.earth_orientation_table.get()
    mjd = table["MJD"]
    return float(mjd[0].value), float(mjd[-1].value)


@contextlib.contextmanager
def iers_guard(what="ground-observer positions"):
    """Collect astropy/ERFA Earth-orientation warnings into one warning.

    Inside the block, astropy and ERFA warnings about times outside the IERS
    or leap-second tables are recorded; on exit, if any was raised, a single
    :class:`IERSDegradedWarning` says that the result is degraded and by how
    much. Other warnings pass through unchanged.

    Parameters
    ----------
    what : str, optional
        What is being computed (used in the message).

    Examples
    --------
    >>> from astro_sso.ephemeris.iers import iers_guard
    >>> with iers_guard():
    ...     x = 1 + 1
    """
    from astropy.utils.exceptions import AstropyWarning
    from erfa import ErfaWarning

    configure_offline_iers()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    degraded = []
    for w in caught:
        text = str(w.message)
        if (
            issubclass(w.category, IERSDegradedWarning)  # an inner guard already folded them
            or (issubclass(w.category, ErfaWarning) and "dubious year" in text)
            or (
                issubclass(w.category, AstropyWarning)
                and ("IERS" in text or "polar motion" in text or "UT1" in text)
            )
        ):
            degraded.append(text)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if degraded:
        lo, hi = bundled_iers_range()
        warnings.warn(
            f"{what}: some times lie outside the bundled IERS Earth-orientation data "
            f"(MJD {lo:.0f}-{hi:.0f}) or the leap-second table; UT1-UTC is taken as 0 and polar "
            'motion as its mean there, which moves a ground site by up to ~0.4 km (about 0.01" '
            "for an object at 0.05 AU). Update the astropy-iers-data package for newer tables.",
            IERSDegradedWarning,
            stacklevel=3,
        )
