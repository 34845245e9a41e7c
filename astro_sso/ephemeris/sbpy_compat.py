"""Conversions between astro-sso tables and sbpy's ``Orbit`` and ``Ephem``.

sbpy (https://sbpy.org) is optional: it is imported only inside these
functions (``pip install "astro-sso[sbpy]"``). Column names are translated
between the astro-sso vocabulary and sbpy's field names:

=============  =====================  ==========================================
astro-sso      sbpy                   note
=============  =====================  ==========================================
designation    targetname
node           Omega
argperi        w
i              i (alias incl)
tp             Tp
ra_rate        RA*cos(Dec)_rate       dRA cos(Dec)/dt, as Horizons gives it
phase          alpha
=============  =====================  ==========================================

Other names (``a``, ``e``, ``q``, ``M``, ``epoch``, ``H``, ``G``, ``ra``,
``dec``, ``dec_rate``, ``r``, ``delta``, ``elong``, ``V``, ``x..vz``) are
shared. Times: sbpy's ``epoch`` is the osculation epoch in an ``Orbit`` and
the observation time in an ``Ephem``; astro-sso calls the latter ``obstime``.

Examples
--------
>>> from astro_sso.ephemeris.sbpy_compat import sbpy_available
>>> isinstance(sbpy_available(), bool)
True
"""

from __future__ import annotations

import warnings

from astro_sso.exceptions import InputError

__all__ = [
    "from_sbpy_ephem",
    "from_sbpy_orbit",
    "sbpy_available",
    "to_sbpy_ephem",
    "to_sbpy_orbit",
]

_ORBIT_TO_SBPY = {
    "designation": "targetname",
    "node": "Omega",
    "argperi": "w",
    "tp": "Tp",
}
_EPHEM_TO_SBPY = {
    "designation": "targetname",
    "obstime": "epoch",
    "ra_rate": "RA*cos(Dec)_rate",
    "phase": "alpha",
}
_HINT = 'sbpy is not installed: pip install "astro-sso[sbpy]" (or pip install sbpy)'


def _sbpy_data():
    try:
        from astropy.utils.exceptions import AstropyDeprecationWarning

        with warnings.catch_warnings():
            # sbpy 0.6 imports astropy's deprecated TestRunner at import time.
            warnings.simplefilter("ignore", AstropyDeprecationWarning)
            import sbpy.data as data
    except ImportError as err:
        raise InputError(_HINT) from err
    return data


def sbpy_available():
    """True when sbpy can be imported.

    Returns
    -------
    bool

    Examples
    --------
    >>> from astro_sso.ephemeris.sbpy_compat import sbpy_available
    >>> sbpy_available() in (True, False)
    True
    """
    try:
        _sbpy_data()
    except InputError:
        return False
    return True


def _rename(table, mapping):
    from astropy.table import QTable

    out = QTable(table, copy=True)
    for ours, theirs in mapping.items():
        if ours in out.colnames and theirs not in out.colnames:
            out.rename_column(ours, theirs)
    return out


def to_sbpy_orbit(orbits):
    """An astro-sso orbit table as an ``sbpy.data.Orbit``.

    Parameters
    ----------
    orbits : `~astropy.table.QTable`
        Orbit table in the astro-sso vocabulary (``designation``, ``a``,
        ``e``, ``i``, ``node``, ``argperi``, ``M``, ``epoch``, ...).

    Returns
    -------
    sbpy.data.Orbit

    Raises
    ------
    InputError
        sbpy is not installed.

    Examples
    --------
    >>> import astropy.units as u
    >>> from astropy.table import QTable
    >>> from astropy.time import Time
    >>> from astro_sso.ephemeris import to_sbpy_orbit
    >>> t = QTable({"designation": ["Ceres"], "a": [2.77] * u.au, "e": [0.08],
    ...             "i": [10.6] * u.deg, "node": [80.3] * u.deg, "argperi": [73.6] * u.deg,
    ...             "M": [321.4] * u.deg, "epoch": Time([2459740.5], format="jd", scale="tdb")})
    >>> orb = to_sbpy_orbit(t)  # doctest: +SKIP
    >>> orb["Omega"][0]  # doctest: +SKIP
    <Quantity 80.3 deg>
    """
    data = _sbpy_data()
    return data.Orbit.from_table(_rename(orbits, _ORBIT_TO_SBPY))


def _to_ours(dataclass_obj, mapping, aliases):
    from astropy.table import QTable

    table = QTable(dataclass_obj.table, copy=True)
    reverse = {v: k for k, v in mapping.items()}
    for col in list(table.colnames):
        target = reverse.get(col) or aliases.get(col)
        if target and target not in table.colnames:
            table.rename_column(col, target)
    return table


def from_sbpy_orbit(orbit):
    """An ``sbpy.data.Orbit`` as an astro-sso orbit table.

    Parameters
    ----------
    orbit : sbpy.data.Orbit
        For example the result of ``Orbit.from_horizons(...)``.

    Returns
    -------
    `~astropy.table.QTable`
        Columns renamed to the astro-sso vocabulary (``designation``,
        ``node``, ``argperi``, ``i``, ``tp``, ...); other columns are kept.

    Examples
    --------
    >>> from astro_sso.ephemeris import from_sbpy_orbit  # doctest: +SKIP
    >>> table = from_sbpy_orbit(orbit)  # doctest: +SKIP
    """
    _sbpy_data()
    aliases = {
        "incl": "i",
        "inc": "i",
        "longnode": "node",
        "argper": "argperi",
        "mean_anom": "M",
        "desig": "designation",
        "absmag": "H",
        "slope": "G",
    }
    table = _to_ours(orbit, _ORBIT_TO_SBPY, aliases)
    if "designation" in table.colnames:
        table["designation"] = [str(x) for x in table["designation"]]
    return table


def to_sbpy_ephem(eph):
    """An astro-sso ephemeris table (from :func:`ephemeris`) as an ``sbpy.data.Ephem``.

    Parameters
    ----------
    eph : `~astropy.table.QTable`

    Returns
    -------
    sbpy.data.Ephem
        ``ra_rate`` becomes ``RA*cos(Dec)_rate``, ``phase`` ``alpha``,
        ``obstime`` ``epoch`` and ``designation`` ``targetname``.

    Examples
    --------
    >>> from astro_sso.ephemeris import to_sbpy_ephem  # doctest: +SKIP
    >>> e = to_sbpy_ephem(eph)  # doctest: +SKIP
    """
    data = _sbpy_data()
    return data.Ephem.from_table(_rename(eph, _EPHEM_TO_SBPY))


def from_sbpy_ephem(ephem):
    """An ``sbpy.data.Ephem`` as a table in the astro-sso ephemeris vocabulary.

    Parameters
    ----------
    ephem : sbpy.data.Ephem
        For example the result of ``Ephem.from_horizons(...)``.

    Returns
    -------
    `~astropy.table.QTable`
        ``RA``/``DEC`` become ``ra``/``dec``, ``RA*cos(Dec)_rate`` ``ra_rate``
        (when only an uncorrected ``RA_rate`` is present, it is multiplied by
        cos(Dec)), ``alpha`` ``phase``, ``epoch`` ``obstime``.

    Examples
    --------
    >>> from astro_sso.ephemeris import from_sbpy_ephem  # doctest: +SKIP
    >>> table = from_sbpy_ephem(ephem)  # doctest: +SKIP
    """
    import numpy as np

    _sbpy_data()
    aliases = {
        "RA": "ra",
        "DEC": "dec",
        "Dec": "dec",
        "DEC_rate": "dec_rate",
        "Dec_rate": "dec_rate",
        "dRA*cos(Dec)": "ra_rate",
        "dRA cos(Dec)": "ra_rate",
        "phaseangle": "phase",
        "Phase": "phase",
        "Delta": "delta",
        "rh": "r",
        "r_hel": "r",
        "solarelong": "elong",
        "elongation": "elong",
        "Vmag": "V",
        "desig": "designation",
    }
    table = _to_ours(ephem, _EPHEM_TO_SBPY, aliases)
    if "ra_rate" not in table.colnames:
        for name in ("RA_rate", "ra_rates", "RA_rates", "dRA", "dra"):
            if name in table.colnames and "dec" in table.colnames:
                table["ra_rate"] = table[name] * np.cos(table["dec"])
                del table[name]
                break
    if "designation" in table.colnames:
        table["designation"] = [str(x) for x in table["designation"]]
    return table
