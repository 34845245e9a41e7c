"""Configuration of the online backend: service URLs, timeout, retries, batching, cache.

The items live in an `astropy.config.ConfigNamespace`, as astroquery's do: change
them for a session with ``conf.<item> = value`` or temporarily with
``conf.set_temp``, or permanently in the astropy configuration file
(``astropy.config.get_config_dir()``), section ``[config]`` of
``astro_sso_skybot``.

Examples
--------
>>> from astro_sso_skybot import conf
>>> with conf.set_temp("retries", 0):
...     conf.retries
0
"""

from __future__ import annotations

from astropy import config as _config

__all__ = ["Conf", "conf"]


class Conf(_config.ConfigNamespace):
    """Settings of the ``skybot-horizons`` matcher's online backend.

    Attributes
    ----------
    skybot_server : str
        URL of the IMCCE SkyBoT cone-search API.
    horizons_server : str
        URL of the JPL Horizons API.
    timeout : float
        Seconds to wait for one answer of a service.
    retries : int
        How many times a failed request is tried again (transport errors,
        HTTP 5xx/429, answers that say the service failed).
    backoff : float
        Seconds before the first retry; doubled before each later one.
    horizons_batch_size : int
        Epochs per JPL Horizons request: long epoch lists make URLs that the
        service truncates, so they are split into batches of this size.
    cache_location : str
        Folder of the on-disk cache of service answers; empty (default):
        astroquery's own cache folder (``~/.astropy/cache/astroquery/<client>``).
        Caching follows ``astroquery.cache_conf`` and the matcher's ``cache``
        parameter; answers that report a failure are never kept.
    """

    skybot_server = _config.ConfigItem(
        "https://ssp.imcce.fr/webservices/skybot/api/conesearch.php",
        "URL of the IMCCE SkyBoT cone-search API.",
    )
    horizons_server = _config.ConfigItem(
        "https://ssd.jpl.nasa.gov/api/horizons.api", "URL of the JPL Horizons API."
    )
    timeout = _config.ConfigItem(60.0, "Seconds to wait for one answer of a service.")
    retries = _config.ConfigItem(3, "Retries after a failed request.")
    backoff = _config.ConfigItem(2.0, "Seconds before the first retry, doubled each retry.")
    horizons_batch_size = _config.ConfigItem(
        50, "Epochs per JPL Horizons request (longer lists are split)."
    )
    cache_location = _config.ConfigItem(
        "", "Folder of the on-disk answer cache; empty: astroquery's cache folder."
    )


#: The configuration of the online backend.
conf = Conf()
