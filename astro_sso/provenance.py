"""Provenance stamped into the ``meta`` of every product.

Every table a plugin returns records which plugin made it, its version, the
parameters it ran with, and when (in the spirit of ccdproc's ``log_meta``).
"""

from __future__ import annotations

import datetime as _dt
from importlib import metadata

__all__ = ["stamp", "package_version", "distribution_of"]


def package_version(dist: str = "astro-sso") -> str:
    """Return the installed version of a distribution, or ``'unknown'``.

    Examples
    --------
    >>> from astro_sso.provenance import package_version
    >>> isinstance(package_version(), str)
    True
    """
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "unknown"


def distribution_of(module_name: str) -> tuple[str, str]:
    """Return ``(distribution, version)`` of the installed distribution providing a module.

    Examples
    --------
    >>> from astro_sso.provenance import distribution_of
    >>> distribution_of("astro_sso.tables")[0]
    'astro-sso'
    """
    top = module_name.split(".")[0]
    dists = metadata.packages_distributions().get(top, [])
    if not dists:
        return "unknown", "unknown"
    name = dists[0]
    return name, package_version(name)


def _jsonable(value):
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return str(value)


def stamp(table, *, plugin=None, parameters=None, **extra):
    """Record provenance in ``table.meta['provenance']`` and return the table.

    Parameters
    ----------
    table : `~astropy.table.Table`
        The product.
    plugin : object or str, optional
        The plugin instance (or a name) that made it.
    parameters : dict, optional
        The parameters it ran with.
    **extra
        Anything else worth recording (catalogue epoch, service versions...).

    Examples
    --------
    >>> from astropy.table import QTable
    >>> from astro_sso.provenance import stamp
    >>> t = stamp(QTable({"a": [1]}), plugin="my-tool", parameters={"k": 3})
    >>> t.meta["provenance"]["plugin"], t.meta["provenance"]["parameters"]
    ('my-tool', {'k': 3})
    """
    if plugin is None or isinstance(plugin, str):
        name = plugin or "astro-sso"
        dist, version = "astro-sso", package_version()
    else:
        name = getattr(plugin, "name", type(plugin).__name__)
        dist, version = distribution_of(type(plugin).__module__)
    record = {
        "plugin": name,
        "distribution": dist,
        "version": version,
        "astro_sso_version": package_version(),
        "parameters": _jsonable(dict(parameters or {})),
        "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
    }
    record.update({k: _jsonable(v) for k, v in extra.items()})
    table.meta["provenance"] = record
    return table
