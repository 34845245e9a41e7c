"""Exceptions and warnings raised by astro-sso.

Every error that a user can cause carries a message that says what is wrong and
what to do about it. The command line prints the message as one line (no
traceback unless ``--debug``).
"""

__all__ = [
    "AstroSSOError",
    "InputError",
    "PluginError",
    "ServiceError",
    "EphemerisRangeError",
    "AstroSSOWarning",
]


class AstroSSOError(Exception):
    """Base class of every error raised on purpose by astro-sso."""


class InputError(AstroSSOError, ValueError):
    """The input (a table, an image, a file, a parameter) is not usable as given."""


class PluginError(AstroSSOError, LookupError):
    """A plugin is unknown, broken, or does not honour the plugin contract."""


class ServiceError(AstroSSOError, ConnectionError):
    """A remote service (SkyBoT, JPL Horizons, the MPC) failed or cannot be reached.

    Distinct from an empty answer: "no object there" is an empty table, never
    this exception.
    """


class EphemerisRangeError(InputError):
    """A time lies outside the range an ephemeris or data file can serve."""


class AstroSSOWarning(UserWarning):
    """Base class of warnings emitted by astro-sso."""
