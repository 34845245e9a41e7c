"""The hook implementations of astro-sso-skybot: what astro-sso calls.

Registered through the ``astro_sso`` entry point ``skybot`` (block the whole
plugin with ``ASTRO_SSO_DISABLED_PLUGINS=skybot``). The module stays light:
the matcher, the command and the demo step are imported when a hook is called.
"""

from __future__ import annotations

from astro_sso import hookimpl

__all__ = ["astro_sso_matchers", "astro_sso_commands", "astro_sso_demo_steps"]


@hookimpl
def astro_sso_matchers():
    """Register the ``skybot-horizons`` matcher."""
    from .matcher import SkybotHorizonsMatcher

    return [SkybotHorizonsMatcher]


@hookimpl
def astro_sso_commands():
    """Add the top-level command ``astro-sso match``."""
    from astro_sso.base import Command

    from .cli import add_match_arguments, run_match

    return [
        Command(
            name="match",
            verb=None,
            help="Identify detections or trails (ECSV) with known objects (skybot-horizons).",
            add_arguments=add_match_arguments,
            run=run_match,
        )
    ]


@hookimpl
def astro_sso_demo_steps():
    """Add the ``skybot-match`` step to ``astro-sso demo``."""
    from astro_sso.base import DemoStep

    from .demo import run_match_step

    return [
        DemoStep(
            name="skybot-match",
            title="Identify trails and detections with known objects (skybot-horizons, offline)",
            run=run_match_step,
            order=300,
        )
    ]
