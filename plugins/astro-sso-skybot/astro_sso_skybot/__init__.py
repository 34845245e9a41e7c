"""astro-sso-skybot: identify detections and trails with known Solar System objects.

The ``skybot-horizons`` matcher (`SkybotHorizonsMatcher`) follows Kruk et al.
(2022, Hubble Asteroid Hunter I, sect. 3.4): a cone search for candidates
around each detection or trail, ephemerides of the candidates, and the O-C
distance between prediction and measurement, with two backends:

- ``backend="online"``: the IMCCE SkyBoT and JPL Horizons services through
  astroquery (cached, with timeouts and retries set in `conf`);
- ``backend="local"``: the core's offline catalogue
  (`astro_sso.catalog.KnownObjects`, `astro_sso.catalog.associate`) and
  ephemeris engine, with a catalogue the user supplies (MPCORB).

The plugin also adds the command ``astro-sso match`` and a step of
``astro-sso demo``. Importing this package is light; the matcher and the
services load on first use.

Examples
--------
>>> import astro_sso
>>> m = astro_sso.get_matcher("skybot-horizons", backend="local")
>>> m.backend
'local'
"""

from .config import Conf, conf

__all__ = [
    "SkybotHorizonsMatcher",
    "simulate_trails",
    "Conf",
    "conf",
]

__version__ = "0.1.0"


def __getattr__(name):
    if name == "SkybotHorizonsMatcher":
        from .matcher import SkybotHorizonsMatcher

        return SkybotHorizonsMatcher
    if name == "simulate_trails":
        from .simulate import simulate_trails

        return simulate_trails
    raise AttributeError(f"module 'astro_sso_skybot' has no attribute {name!r}")
