"""Refresh the MPC observatory code list from the Minor Planet Center.

The package ships the MPC's list (``astro_sso/data/ObsCodes.json.gz``, see
``docs/ephemeris.rst`` for its provenance) so that everything works offline.
`refresh_observatory_codes` downloads the current list through
`astroquery.mpc.MPC` and writes it, atomically, to the user's astro-sso cache
folder; the observer code then prefers that copy to the shipped one.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from ..exceptions import ServiceError
from ..io import atomic_path

__all__ = ["user_obscodes_path", "codes_from_table", "refresh_observatory_codes"]


def user_obscodes_path() -> Path:
    """Where a refreshed observatory list is kept (in astropy's cache folder).

    Examples
    --------
    >>> from astro_sso.ephemeris.obscodes import user_obscodes_path
    >>> user_obscodes_path().name
    'ObsCodes.json.gz'
    """
    from astropy.config.paths import get_cache_dir

    return Path(get_cache_dir()) / "astro_sso" / "ObsCodes.json.gz"


def codes_from_table(table) -> dict:
    """Turn astroquery's observatory table into the package's JSON layout.

    Parameters
    ----------
    table : `~astropy.table.Table`
        Columns ``Code``, ``Longitude``, ``cos``, ``sin``, ``Name`` (masked for
        space telescopes), as `astroquery.mpc.MPC.get_observatory_codes` returns.

    Returns
    -------
    dict
        ``{code: {"Longitude": ..., "cos": ..., "sin": ..., "Name": ...}}``;
        space telescopes carry only ``"Name"``.

    Examples
    --------
    >>> from astropy.table import Table, MaskedColumn
    >>> from astro_sso.ephemeris.obscodes import codes_from_table
    >>> t = Table({"Code": ["500", "250"],
    ...            "Longitude": MaskedColumn([0.0, 0.0], mask=[False, True]),
    ...            "cos": MaskedColumn([0.0, 0.0], mask=[False, True]),
    ...            "sin": MaskedColumn([0.0, 0.0], mask=[False, True]),
    ...            "Name": ["Geocentric", "Hubble Space Telescope"]})
    >>> codes_from_table(t)["250"]
    {'Name': 'Hubble Space Telescope'}
    """
    out = {}
    for row in table:
        code = str(row["Code"]).strip()
        entry = {}
        for key in ("Longitude", "cos", "sin"):
            value = row[key]
            if (
                value is not None
                and not getattr(value, "mask", False)
                and str(value).strip() != "--"
            ):
                entry[key] = float(value)
        entry["Name"] = str(row["Name"]).strip()
        out[code] = entry
    return out


def refresh_observatory_codes(path=None) -> Path:
    """Download the MPC observatory code list and store it for later offline use.

    Parameters
    ----------
    path : str or pathlib.Path, optional
        Where to write it (default `user_obscodes_path`).

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    astro_sso.exceptions.ServiceError
        When the MPC cannot be reached or answers something unusable; the
        shipped list keeps working.
    """
    from astroquery.mpc import MPC

    try:
        table = MPC.get_observatory_codes(cache=False)
    except Exception as exc:  # network failures come in many types
        raise ServiceError(
            f"could not fetch the observatory codes from the MPC ({type(exc).__name__}: {exc}); "
            "the list shipped with astro-sso is still used"
        ) from None
    codes = codes_from_table(table)
    if len(codes) < 1000 or "500" not in codes:
        raise ServiceError(
            f"the MPC answered with {len(codes)} observatory codes, which does not look like "
            "the full list; nothing was changed"
        )
    path = Path(path) if path is not None else user_obscodes_path()
    with atomic_path(path) as tmp:
        with gzip.open(tmp, "wt", encoding="utf-8") as fh:
            json.dump(codes, fh)
    from . import observers

    observers._obscodes.cache_clear()
    return path
