"""astro-sso: find Solar System objects in astronomical data and identify them.

The core owns the data model (`astro_sso.tables`), the plugin contract
(`astro_sso.hookspecs`, `astro_sso.base`), the ephemeris engine
(`astro_sso.ephemeris`), the known-object catalogue (`astro_sso.catalog`) and
the command line. Methods are plugins, found through the ``astro_sso``
entry-point group::

    >>> import astro_sso
    >>> det = astro_sso.get_detector("segmentation")
    >>> det.name
    'segmentation'

Importing the package is light: it never imports TensorFlow, and the plugin
lookup API below loads on first use.
"""

import pluggy as _pluggy

from .exceptions import AstroSSOError, InputError, PluginError, ServiceError

__all__ = [
    "__version__",
    "hookimpl",
    "list_plugins",
    "get_detector",
    "get_classifier",
    "get_orbit_fitter",
    "get_matcher",
    "AstroSSOError",
    "InputError",
    "PluginError",
    "ServiceError",
]

#: Marker for hook implementations in plugins: ``@astro_sso.hookimpl``.
hookimpl = _pluggy.HookimplMarker("astro_sso")


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("astro-sso")
    except metadata.PackageNotFoundError:
        return "0+unknown"


__version__ = _version()

_LAZY = {"list_plugins", "get_detector", "get_classifier", "get_orbit_fitter", "get_matcher"}


def __getattr__(name):
    if name in _LAZY:
        from . import plugins

        return getattr(plugins, name)
    raise AttributeError(f"module 'astro_sso' has no attribute {name!r}")
